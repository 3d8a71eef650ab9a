"""The customer form (New customer, Edit) through crm.services.customer_create/update, with
the service's errors next to the fields, and the live duplicate warning as the user types
(crm.selectors.customer_duplicates: it names an existing customer only to a user who may
see it)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from crm import selectors as crm_selectors
from crm import services as crm_services
from saas_platform.errors import DomainError
from web.errors import form_errors_add
from web.forms import CustomerForm
from web.tokens import token_claim, token_done, token_release
from web.views.customers import customer_or_404, fragment_wanted

BOOLEANS = ("prepaid_allowed", "credit_limit_enforced", "shared")


def _service_fields(request, form: CustomerForm, *, creating: bool) -> dict:
    """The form's values as the service takes them (typed text; booleans as given; the
    parent by its code among the customers the user sees)."""
    data = {name: value for name, value in form.cleaned_data.items()
            if name not in ("token", "parent")}
    for name in BOOLEANS:
        data[name] = bool(form.cleaned_data.get(name))
    if creating:
        data = {k: v for k, v in data.items() if v not in ("", None) or k in BOOLEANS}
    code = form.cleaned_data.get("parent", "")
    if code:
        parent = crm_selectors.customer_visible_by_code(user=request.user, code=code)
        if parent is None:
            form.add_error("parent", _("No customer has this code."))
        else:
            data["parent"] = parent.pk
    elif not creating:
        data["parent"] = None
    if not data.get("referrer_phone"):
        data.pop("referrer_phone", None)
    return data


def _go(request, url: str):
    """To the saved customer's page: htmx is told to load it as a page, not to swap it."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _render(request, form, customer=None, status=200):
    context = {"form": form, "customer": customer, "nav": "customers"}
    template = "web/customer_form.html"
    if status == 422 and fragment_wanted(request):
        template += "#form"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("crm.add_customer", raise_exception=True)
def customer_create(request):
    if request.method == "GET":
        return _render(request, CustomerForm(user=request.user))
    form = CustomerForm(request.POST, user=request.user)
    if form.is_valid():
        token = form.cleaned_data["token"]
        done = token_claim(token)
        if done:
            return _go(request, done)
        if done is None:
            fields = _service_fields(request, form, creating=True)
            if not form.errors:
                try:
                    customer = crm_services.customer_create(actor=request.user, **fields)
                except DomainError as error:
                    form_errors_add(error, form, {"referrer": "referrer_phone"})
                else:
                    url = reverse("web:customer_detail", args=[customer.pk])
                    token_done(token, url)
                    return _go(request, url)
            token_release(token)
        else:
            form.add_error(None, _("This form is already being saved."))
    return _render(request, form, status=422)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("crm.change_customer", raise_exception=True)
def customer_edit(request, pk: int):
    customer = customer_or_404(request, pk)
    if not crm_selectors.customer_can_edit(request.user, customer):
        raise PermissionDenied
    if request.method == "GET":
        return _render(request, CustomerForm(user=request.user,
                                             initial=CustomerForm.initial_of(customer)),
                       customer)
    form = CustomerForm(request.POST, user=request.user)
    if form.is_valid():
        fields = _service_fields(request, form, creating=False)
        if not form.errors:
            try:
                crm_services.customer_update(actor=request.user, customer=customer, **fields)
            except DomainError as error:
                form_errors_add(error, form, {"referrer": "referrer_phone"})
            else:
                return _go(request, reverse("web:customer_detail", args=[customer.pk]))
    return _render(request, form, customer, status=422)


@require_GET
@login_required
@permission_required("crm.view_customer", raise_exception=True)
def customer_duplicates(request):
    """The duplicate warning's fragment for the name and phone typed so far."""
    exclude = request.GET.get("exclude", "")
    found = crm_selectors.customer_duplicates(
        user=request.user, name=request.GET.get("name", "")[:255],
        phone=request.GET.get("phone", "")[:64],
        exclude_id=int(exclude) if exclude.isdigit() else None)
    return render(request, "web/customer_duplicates.html", {"duplicates": found})
