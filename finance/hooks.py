"""What finance answers to CRM's hooks (crm/hooks.py), registered in FinanceConfig.ready()."""

from django.utils.translation import gettext as _

from finance.ledger import BALANCE_FIELDS, balances_save, entry_post
from finance.locks import customers_lock
from finance.models import AgreementPrice, LedgerEntry, Order


def customer_delete_guard(customer) -> list[str]:
    reasons = []
    if Order.objects.filter(customer=customer).exists():
        reasons.append(_("The customer has orders."))
    if LedgerEntry.objects.filter(customer=customer).exists():
        reasons.append(_("The customer has ledger entries."))
    if AgreementPrice.objects.filter(customer=customer).exists():
        reasons.append(_("The customer has agreement prices."))
    return reasons


def customer_deactivate_guard(customer) -> list[str]:
    receivable = type(customer).objects.values_list("receivable_amount", flat=True).get(
        pk=customer.pk)
    if receivable != 0:
        return [_("The customer still has a receivable of %(amount)s.") % {"amount": receivable}]
    return []


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
