"""What finance answers to CRM's hooks (crm/hooks.py), registered in FinanceConfig.ready()."""

from django.db.models import Exists, F, OuterRef
from django.utils.translation import gettext as _

from crm.hooks import RowGuard
from finance.ledger import BALANCE_FIELDS, balances_save, entry_post
from finance.locks import customers_lock
from finance.models import AgreementPrice, LedgerEntry, Order


def _delete_columns() -> dict:
    return {"orders": Exists(Order.objects.filter(customer=OuterRef("pk"))),
            "entries": Exists(LedgerEntry.objects.filter(customer=OuterRef("pk"))),
            "prices": Exists(AgreementPrice.objects.filter(customer=OuterRef("pk")))}


def _delete_reasons(found: dict) -> list[str]:
    reasons = []
    if found["orders"]:
        reasons.append(_("The customer has orders."))
    if found["entries"]:
        reasons.append(_("The customer has ledger entries."))
    if found["prices"]:
        reasons.append(_("The customer has agreement prices."))
    return reasons


def _deactivate_reasons(found: dict) -> list[str]:
    receivable = found["receivable"]  # as stored now, not as the caller last read it
    if receivable != 0:
        return [_("The customer still has a receivable of %(amount)s.") % {"amount": receivable}]
    return []


customer_delete_guard = RowGuard(columns=_delete_columns, reasons=_delete_reasons)
customer_deactivate_guard = RowGuard(columns=lambda: {"receivable": F("receivable_amount")},
                                     reasons=_deactivate_reasons)


def customer_merge_step(*, source, target, actor) -> None:
    """Move every open balance to the survivor by a transfer pair (out of the source,
    into the target); ledger rows are never re-pointed."""
    locked = customers_lock([source.pk, target.pk])
    source, target = locked[source.pk], locked[target.pk]
    for book, field in BALANCE_FIELDS.items():
        balance = getattr(source, field)
        if not balance:
            continue
        key = f"M{source.pk}>{target.pk}:{book}"
        entry_post(customer=source, book=book, kind=LedgerEntry.Kind.TRANSFER, amount=-balance,
                   key=f"{key}:out", branch=source.home_branch, actor=actor, counterpart=target)
        entry_post(customer=target, book=book, kind=LedgerEntry.Kind.TRANSFER, amount=balance,
                   key=f"{key}:in", branch=source.home_branch, actor=actor, counterpart=source)
    balances_save(source)
    balances_save(target)
