"""The public host (the platform's own domain): the landing page with the signup form.
Signup is tenants.services.tenant_create (the API's validation), throttled with the API's
budget; the new owner is sent to their own host through a one-time login link."""

from django import forms
from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_htmx.http import HttpResponseClientRedirect
from rest_framework.throttling import AnonRateThrottle

from tenants.exceptions import TenantFieldsInvalid
from tenants.login_links import login_link_create
from tenants.models import Currency, Locale
from tenants.services import tenant_create, tenant_url


class SignupThrottle(AnonRateThrottle):
    """The API's signup scope and rate: one budget per address for the form and the API."""

    scope = "signup"


CURRENCY_LABELS = {
    Currency.VND: gettext_lazy("Vietnamese đồng (VND)"),
    Currency.TWD: gettext_lazy("New Taiwan dollar (TWD)"),
    Currency.CNY: gettext_lazy("Chinese yuan (CNY)"),
    Currency.USD: gettext_lazy("US dollar (USD)"),
}


class SignupForm(forms.Form):
    """Shapes the fields; every rule is tenant_create's (the API's too)."""

    business_name = forms.CharField(label=gettext_lazy("Business name"), max_length=200,
                                    required=False,
                                    widget=forms.TextInput(attrs={"autocomplete":
                                                                  "organization"}))
    subdomain = forms.CharField(label=gettext_lazy("Subdomain"), max_length=63,
                                required=False,
                                widget=forms.TextInput(attrs={"autocapitalize": "none",
                                                              "spellcheck": "false"}))
    owner_email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254, required=False,
                                  widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    owner_password = forms.CharField(label=gettext_lazy("Password"), max_length=128,
                                     required=False, strip=False,
                                     widget=forms.PasswordInput(
                                         attrs={"autocomplete": "new-password"}))
    currency = forms.ChoiceField(label=gettext_lazy("Currency"),
                                 choices=list(CURRENCY_LABELS.items()))
    locale = forms.ChoiceField(label=gettext_lazy("Language"), choices=Locale.choices)

    def __init__(self, *args, language: str = Locale.VI, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["locale"] = language if language in Locale.values else Locale.VI
            self.initial["currency"] = {"zh-hant": Currency.TWD, "en": Currency.USD}.get(
                language, Currency.VND)


def _login_link_url(tenant, username: str) -> str:
    token = login_link_create(tenant=tenant, username=username)
    path = reverse("web:login_link", urlconf=settings.ROOT_URLCONF, args=[token])
    return tenant_url(tenant).rstrip("/") + path


@sensitive_post_parameters("owner_password")
@csrf_protect
@never_cache
def landing(request):
    form = SignupForm(request.POST or None, language=request.LANGUAGE_CODE)
    status = 200
    if request.method == "POST":
        status = 422
        throttle = SignupThrottle()
        if not throttle.allow_request(request, None):
            wait = int(throttle.wait() or 1)
            form.add_error(None, _("Too many signups from this address. Try again in "
                                   "%(seconds)d seconds.") % {"seconds": wait})
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            try:
                tenant = tenant_create(
                    business_name=data["business_name"], subdomain=data["subdomain"],
                    owner_email=data["owner_email"], owner_password=data["owner_password"],
                    currency=data["currency"], locale=data["locale"])
            except TenantFieldsInvalid as error:
                for field, messages in error.fields.items():
                    for message in messages:
                        form.add_error(field if field in form.fields else None, message)
            else:
                url = _login_link_url(tenant, data["owner_email"].strip().lower())
                if request.htmx:
                    return HttpResponseClientRedirect(url)
                return redirect(url)
    template = "web/landing.html"
    if request.htmx and request.method == "POST":
        template += "#signup_form"
    response = render(request, template, {"form": form}, status=status)
    if status == 429:
        response["Retry-After"] = str(wait)
    return response
