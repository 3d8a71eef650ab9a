"""Log in and out on a tenant host: Django's session (host-only cookie), CSRF on, the
one login throttle of saas_platform.login_throttle; the one-time login link that signup
on the public host sends the new owner to (tenants.login_links)."""

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from saas_platform.login_throttle import LoginThrottled, login_allowed_check
from tenants.login_links import LoginLinkInvalid, login_link_redeem


class LoginForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("E-mail"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "username",
                                                             "autofocus": True}))
    password = forms.CharField(label=gettext_lazy("Password"), strip=False,
                               widget=forms.PasswordInput(
                                   attrs={"autocomplete": "current-password"}))


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return settings.LOGIN_REDIRECT_URL


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    status = 200
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip()
        try:
            login_allowed_check(username)
        except LoginThrottled as error:
            form.add_error(None, error.message)
            status = error.http_status
        else:
            user = authenticate(request, username=username,
                                password=form.cleaned_data["password"])
            if user is None:
                form.add_error(None, _("The e-mail or the password is wrong."))
                status = 400
            else:
                login(request, user)
                return redirect(_next_url(request))
    elif request.method == "POST":
        status = 400
    return render(request, "web/login.html",
                  {"form": form, "next": request.GET.get("next", request.POST.get("next", "")),
                   "tenant": request.tenant}, status=status)


@require_POST
def logout_view(request):
    logout(request)
    return redirect("web:login")


@never_cache
def login_link(request, token: str):
    """Spend a one-time link: logged in and on the dashboard, or told to log in."""
    try:
        user = login_link_redeem(token=token)
    except LoginLinkInvalid as error:
        return render(request, "web/login_link_refused.html", {"message": error.message},
                      status=error.http_status)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("web:home")
