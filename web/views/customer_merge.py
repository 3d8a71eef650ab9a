"""Merge two records of one customer (DESIGN §3): from the customer page, type the
survivor's code, see what moves and what stays (crm.services.customer_merge_preview),
confirm (customer_merge, once per form token), then the result."""

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from crm import selectors as crm_selectors
from crm import services as crm_services
from crm.models import Customer, CustomerAudit
from saas_platform.errors import DomainError
from web.tokens import token_claim, token_done, token_release
from web.views.customers import customer_or_404

MOVE_LABELS = {
    "contacts": gettext_lazy("Contacts"),
    "departments": gettext_lazy("Departments"),
    "terminals": gettext_lazy("Terminals"),
    "subsidiaries": gettext_lazy("Subsidiaries"),
    "referrals": gettext_lazy("Referred customers"),
    "receivable": gettext_lazy("Receivable"),
    "prepaid_balance": gettext_lazy("Prepaid balance"),
    "coins": gettext_lazy("Coins"),
}
MONEY_MOVES = {"receivable", "prepaid_balance"}


def merge_allowed(user, customer: Customer) -> bool:
    return (user.has_perm("crm.merge_customer") and crm_selectors.customer_can_edit(
        user, customer) and customer.status == Customer.Status.ACTIVE)


def _moves(preview: dict) -> list[dict]:
    rows = []
    for name, value in preview["moves"].items():
        rows.append({"label": MOVE_LABELS.get(name, name), "money": name in MONEY_MOVES,
                     "value": Decimal(value) if name in MONEY_MOVES else value})
    return rows


@require_http_methods(["GET", "POST"])
@login_required
def customer_merge(request, pk: int):
    source = customer_or_404(request, pk)
    if not merge_allowed(request.user, source):
        raise PermissionDenied
    code = (request.POST.get("target") or request.GET.get("target") or "").strip()
    target = crm_selectors.customer_visible_by_code(user=request.user, code=code) \
        if code else None
    context = {"customer": source, "nav": "customers", "code": code, "target": target}
    status = 200
    if code and target is None:
        context["lookup_error"] = _("No customer you can see has this code.")
        status = 422
    if target is not None:
        preview = crm_services.customer_merge_preview(actor=request.user, source=source,
                                                      target=target)
        context.update(preview=preview, moves=_moves(preview))
    if request.method == "POST" and target is not None:
        token = request.POST.get("token", "")
        done = token_claim(token) if token else ""
        if done:
            return redirect(done)
        if done is None:
            try:
                crm_services.customer_merge(actor=request.user, source=source, target=target,
                                            note=request.POST.get("note", "")[:500])
            except DomainError as error:
                token_release(token)
                context["merge_error"] = error.message
                status = 409
            else:
                url = reverse("web:customer_merge_result", args=[source.pk])
                token_done(token, url)
                return redirect(url)
        else:
            context["merge_error"] = _("This form is already being sent.")
            status = 409
    return render(request, "web/customer_merge.html", context, status=status)


@require_GET
@login_required
def customer_merge_result(request, pk: int):
    source = customer_or_404(request, pk)
    if not request.user.has_perm("crm.merge_customer") or source.merged_into_id is None:
        raise PermissionDenied
    survivor = crm_selectors.customer_visible(request.user).filter(
        pk=source.merged_into_id).first()
    record = crm_selectors.customer_audit_list(customer=source).filter(
        action=CustomerAudit.Action.MERGE).first()
    moved = (record.changes.get("moved") or [None, {}])[1] if record else {}
    return render(request, "web/customer_merge.html", {
        "customer": source, "nav": "customers", "survivor": survivor, "result": True,
        "moves": _moves({"moves": moved or {}})})
