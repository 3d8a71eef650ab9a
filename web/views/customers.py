"""The customer screens: the list (search as you type, keyset pages), the customer page
with its Info and Debt tabs, and Record payment. Reads through crm/finance selectors,
the payment through finance.vouchers.payment_record."""

import uuid

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from crm import selectors as crm_selectors
from crm.models import Customer
from finance import selectors as finance_selectors
from finance import vouchers
from finance.models import LedgerEntry, Order, Voucher
from saas_platform.errors import DomainError
from saas_platform.money import InvalidAmount, amount_parse
from tenants.current import tenant_current
from web.errors import form_errors
from web.keyset import keyset_page

PAGE_SIZE = 20
DEFAULT_ORDERING = "-created"


def _customer(request, pk) -> Customer:
    """A customer this user may see; any other is a 404 (its existence is not revealed)."""
    try:
        return crm_selectors.customer_get(user=request.user, customer_id=pk)
    except Customer.DoesNotExist:
        raise Http404 from None


def _fragment(request) -> bool:
    """htmx asks for the part it swaps; a history restore or a boosted link, the page."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


@require_GET
@login_required
@permission_required("crm.view_customer", raise_exception=True)
def customer_list(request):
    filters = crm_selectors.customer_list_filters(request.GET)
    raw_ordering = request.GET.get("ordering") or DEFAULT_ORDERING
    if raw_ordering.lstrip("-") not in crm_selectors.CUSTOMER_ORDERINGS:
        raw_ordering = DEFAULT_ORDERING
    field = crm_selectors.CUSTOMER_ORDERINGS[raw_ordering.lstrip("-")]
    invalid = False
    try:
        qs, search = crm_selectors.customer_list_parts(user=request.user, filters=filters)
    except ValueError:
        qs, search, invalid = Customer.objects.none(), None, True

    def fetch(queryset, order, limit):
        return crm_selectors.customer_rows(queryset, search, order=order, limit=limit)

    rows, next_cursor = keyset_page(
        qs,
        field=field,
        descending=raw_ordering.startswith("-"),
        cursor=request.GET.get("cursor"),
        size=PAGE_SIZE,
        fetch=fetch,
    )
    params = request.GET.copy()
    params.pop("cursor", None)
    first_query = params.urlencode() if request.GET.get("cursor") else None
    next_query = None
    if next_cursor:
        params["cursor"] = next_cursor
        next_query = params.urlencode()
    context = {
        "customers": rows,
        "search": filters.get("search", ""),
        "invalid": invalid,
        "next_query": next_query,
        "first_query": first_query,
        "ordering": raw_ordering,
        "nav": "customers",
    }
    template = "web/customer_list.html"
    if _fragment(request):
        template += "#results"
    return render(request, template, context)


class PaymentForm(forms.Form):
    """Shapes the fields; every rule is the service's (amounts, methods, prepaid)."""

    amount = forms.CharField(
        label=gettext_lazy("Amount"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    method = forms.ChoiceField(label=gettext_lazy("Method"))
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = finance_selectors.payment_method_choices()
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4())

    def clean_amount(self):
        try:
            return amount_parse(self.cleaned_data["amount"], tenant_current().currency)
        except InvalidAmount:
            raise forms.ValidationError(_("Not a valid amount.")) from None


def _tabs(customer, user) -> list[dict]:
    tabs = [
        {
            "name": "info",
            "label": _("Info"),
            "url": reverse("web:customer_detail", args=[customer.pk]),
        }
    ]
    if user.has_perm("finance.view_voucher"):
        tabs.append(
            {
                "name": "debt",
                "label": _("Debt"),
                "url": reverse("web:customer_debt", args=[customer.pk]),
            }
        )
    return tabs


def _page(request, customer, tab: str, *, form=None, status=200, partial=None):
    context = {
        "customer": customer,
        "tab": tab,
        "nav": "customers",
        "tabs": _tabs(customer, request.user),
        "can_pay": request.user.has_perm("finance.add_voucher"),
    }
    if tab == "debt":
        types = {**dict(LedgerEntry.Kind.choices), **dict(Voucher.Type.choices)}
        statuses = {**dict(Order.Status.choices), **dict(Voucher.Status.choices)}
        rows = [
            finance_selectors.ledger_row(e)
            for e in finance_selectors.customer_entries_list(customer=customer)
        ]
        for row in rows:
            row["type_label"] = types.get(row["type"], row["type"])
            row["status_label"] = statuses.get(row["status"], row["status"])
        context["entries"] = rows[::-1]  # newest first, as the seed's debt tab
        if context["can_pay"]:
            context["form"] = form or PaymentForm()
    template = "web/customer_detail.html"
    if partial:
        template += f"#{partial}"
    elif _fragment(request):
        template += "#customer"
    return render(request, template, context, status=status)


@require_GET
@login_required
@permission_required("crm.view_customer", raise_exception=True)
def customer_detail(request, pk: int):
    return _page(request, _customer(request, pk), "info")


@require_GET
@login_required
@permission_required("finance.view_voucher", raise_exception=True)
def customer_debt(request, pk: int):
    return _page(request, _customer(request, pk), "debt")


@require_POST
@login_required
def customer_payment(request, pk: int):
    if not request.user.has_perm("finance.add_voucher"):
        raise PermissionDenied
    customer = _customer(request, pk)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            vouchers.payment_record(
                customer=customer,
                amount=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                note=form.cleaned_data["note"],
                actor=request.user,
                idempotency_key=f"web:{form.cleaned_data['token']}",
            )
        except DomainError as error:
            for field, messages in form_errors(error, form.fields).items():
                for message in messages:
                    form.add_error(None if field == "__all__" else field, message)
        else:
            if not request.htmx:
                return redirect("web:customer_debt", pk=customer.pk)
            return _page(request, _customer(request, pk), "debt")
    if request.htmx:
        response = _page(request, customer, "debt", form=form, status=422, partial="payment_form")
        return reswap(retarget(response, "#payment-form"), "outerHTML")
    return _page(request, customer, "debt", form=form, status=422)
