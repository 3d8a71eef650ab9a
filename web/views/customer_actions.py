"""The customer page's actions. Each checks the permission the API checks (what a role
may not do is hidden on the page and refused here), posts a token (a double tap has one
effect: the voucher services take it as their idempotency key, the others claim it in
web.tokens) and answers an invalid form with 422 and the errors next to the fields."""

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from crm import services as crm_services
from finance import selectors as finance_selectors
from finance import vouchers
from finance.models import Voucher
from saas_platform.errors import DomainError
from web.errors import form_errors
from web.forms import DebtAdjustForm, PaymentForm, PrepaidForm, ReasonForm, amount_clean
from web.tokens import token_claim, token_done, token_release
from web.views.customers import customer_or_404, customer_page


def _voucher_action(request, pk: int, *, perm: str, tab: str, key: str, form, service,
                    arguments, receipt: bool = False):
    """Run `service(customer=, actor=, idempotency_key=, **arguments(cleaned_data))`; on
    success the tab (or its URL), else the form back with its errors (422)."""
    if not request.user.has_perm(perm):
        raise PermissionDenied
    customer = customer_or_404(request, pk)
    if form.is_valid():
        try:
            voucher = service(customer=customer, actor=request.user,
                              idempotency_key=f"web:{form.cleaned_data['token']}",
                              **arguments(form.cleaned_data))
        except DomainError as error:
            for field, messages in form_errors(error, form.fields).items():
                for message in messages:
                    form.add_error(None if field == "__all__" else field, message)
        else:
            url = reverse(f"web:customer_{tab}", args=[customer.pk])
            if not request.htmx:
                return redirect(f"{url}?receipt={voucher.pk}" if receipt else url)
            extra = {"receipt_voucher": voucher} if receipt else None
            return customer_page(request, customer_or_404(request, pk), tab, extra=extra)
    forms_ = {key: form}
    if request.htmx:
        response = customer_page(request, customer, tab, forms_=forms_, status=422,
                                 partial=f"{key}_form")
        return reswap(retarget(response, f"#{key}-form"), "outerHTML")
    return customer_page(request, customer, tab, forms_=forms_, status=422)


def _money_arguments(data) -> dict:
    return {"amount": data["amount"], "method": data["method"], "note": data["note"]}


@require_POST
@login_required
def customer_payment(request, pk: int):
    return _voucher_action(request, pk, perm="finance.add_voucher", tab="debt", key="payment",
                           form=PaymentForm(request.POST), service=vouchers.payment_record,
                           arguments=_money_arguments, receipt=True)


@require_GET
@login_required
def customer_payment_preview(request, pk: int):
    """The receivable after the amount being typed in Record payment (htmx, as it changes);
    an empty or unreadable amount shows the receivable as it is."""
    if not request.user.has_perm("finance.add_voucher"):
        raise PermissionDenied
    customer = customer_or_404(request, pk)
    try:
        amount = amount_clean(request.GET.get("amount", "").strip() or "0")
    except ValidationError:
        amount = None
    preview = finance_selectors.payment_preview(customer=customer, amount=amount or Decimal(0))
    return render(request, "web/customer_detail.html#payment_preview",
                  {"customer": customer, "preview": preview, "unreadable": amount is None})


@require_POST
@login_required
def customer_debt_adjust(request, pk: int):
    form = DebtAdjustForm(request.POST, write_off=request.user.has_perm("finance.write_off_debt"))
    return _voucher_action(
        request, pk, perm="finance.adjust_debt", tab="debt", key="adjust", form=form,
        service=vouchers.debt_adjust,
        arguments=lambda data: {"target_receivable": data["target_receivable"],
                                "write_off": bool(data.get("write_off")), "note": data["note"]})


@require_POST
@login_required
def customer_prepaid_topup(request, pk: int):
    return _voucher_action(request, pk, perm="finance.add_voucher", tab="prepaid", key="topup",
                           form=PrepaidForm(request.POST, prefix="topup"),
                           service=vouchers.prepaid_topup, arguments=_money_arguments,
                           receipt=True)


@require_POST
@login_required
def customer_prepaid_refund(request, pk: int):
    return _voucher_action(request, pk, perm="finance.refund_prepaid", tab="prepaid",
                           key="refund", form=PrepaidForm(request.POST, prefix="refund"),
                           service=vouchers.prepaid_refund, arguments=_money_arguments)


def _once(request, pk: int, *, tab: str, run) -> object:
    """A plain form (token, reason) whose action `run(customer, reason)` returns the URL to
    go to; a repeated token goes where the first went; a refusal is shown on the tab."""
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return customer_page(request, customer_or_404(request, pk), tab, status=422,
                             extra={"action_error": _("The form has expired; try again.")})
    token = form.cleaned_data["token"]
    done = token_claim(token)
    if done:
        return redirect(done)  # before the look-up: a deleted customer is gone by now
    customer = customer_or_404(request, pk)
    if done is not None:
        return customer_page(request, customer, tab, status=409,
                             extra={"action_error": _("This form is already being sent.")})
    try:
        url = run(customer, form.cleaned_data["reason"])
    except DomainError as error:
        token_release(token)
        return customer_page(request, customer_or_404(request, pk), tab, status=422,
                             extra={"action_error": error.message})
    token_done(token, url)
    return redirect(url)


def _voucher_of(request, customer, voucher_id: int) -> Voucher:
    voucher = finance_selectors.voucher_list(user=request.user, customer_id=customer.pk).filter(
        pk=voucher_id).first()
    if voucher is None:
        raise Http404
    return voucher


@require_POST
@login_required
def voucher_cancel(request, pk: int, voucher_id: int):
    if not request.user.has_perm("finance.cancel_voucher"):
        raise PermissionDenied
    tab = "prepaid" if request.POST.get("tab") == "prepaid" else "debt"

    def run(customer, reason):
        vouchers.voucher_cancel(voucher=_voucher_of(request, customer, voucher_id),
                                actor=request.user, note=reason)
        return reverse(f"web:customer_{tab}", args=[customer.pk])

    return _once(request, pk, tab=tab, run=run)


def _status_action(service):
    @require_POST
    @login_required
    def view(request, pk: int):
        def run(customer, reason):
            service(actor=request.user, customer=customer, note=reason)
            return reverse("web:customer_detail", args=[customer.pk])

        return _once(request, pk, tab="info", run=run)

    view.__name__ = service.__name__
    return view


customer_deactivate = _status_action(crm_services.customer_deactivate)
customer_reactivate = _status_action(crm_services.customer_reactivate)


@require_POST
@login_required
def customer_delete(request, pk: int):
    if not request.user.has_perm("crm.delete_customer"):
        raise PermissionDenied

    def run(customer, reason):
        crm_services.customer_delete(actor=request.user, customer=customer)
        return reverse("web:customer_list")

    return _once(request, pk, tab="info", run=run)


@require_GET
@login_required
def voucher_receipt(request, pk: int, voucher_id: int):
    """A printable receipt: A4, or the 80 mm thermal printer's roll (`?layout=thermal`)."""
    if not request.user.has_perm("finance.view_voucher"):
        raise PermissionDenied
    customer = customer_or_404(request, pk)
    voucher = _voucher_of(request, customer, voucher_id)
    methods = dict(finance_selectors.payment_method_choices())
    layout = "thermal" if request.GET.get("layout") == "thermal" else "a4"
    return render(request, "web/receipt.html", {
        "customer": customer, "voucher": voucher, "layout": layout,
        "method_label": methods.get(voucher.method, voucher.method),
        "tenant": request.tenant,
    })
