"""Posting primitives: ledger entries that move a locked customer's stored balances,
gapless document codes, and settlement of orders by receipts (結算).

Callers hold the customer's row lock (finance.locks) and an open transaction.
"""

from decimal import Decimal
from functools import cache

from django.db import connection
from django.db.models import F
from django.utils.translation import gettext as _

from crm.models import Customer
from finance.exceptions import InsufficientCoins, InsufficientPrepaid
from finance.models import Allocation, DocumentCounter, LedgerEntry, Order
from saas_platform.money import quantize

Book = LedgerEntry.Book
BALANCE_FIELDS = {
    Book.RECEIVABLE: "receivable_amount",
    Book.PREPAID: "prepaid_amount",
    Book.COINS: "coins",
    Book.PURCHASES: "total_purchased_amount",
}


@cache
def _currency_of_schema(schema_name: str) -> str:
    from tenants.models import Tenant

    tenant = Tenant.objects.filter(schema_name=schema_name).only("currency").first()
    return tenant.currency if tenant else "VND"


def tenant_currency() -> str:
    currency = getattr(connection.tenant, "currency", None)
    return currency or _currency_of_schema(connection.schema_name)


def money(amount) -> Decimal:
    return quantize(Decimal(amount), tenant_currency())


def document_code_next(prefix: str) -> str:
    """PT000001, PC000001, DH000001...: gapless, since the counter row stays locked by this
    UPDATE until the document's transaction ends (a rollback gives the number back)."""
    table = DocumentCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (prefix, last) VALUES (%s, 1) ON CONFLICT (prefix) "
            f"DO UPDATE SET last = {table}.last + 1 RETURNING last", [prefix])
        (number,) = cursor.fetchone()
    return f"{prefix}{number:06d}"


def entry_post(*, customer: Customer, book: str, kind: str, amount, key: str, branch, actor,
               order=None, voucher=None, reverses=None, counterpart=None) -> LedgerEntry | None:
    """Append one entry and move the in-memory balance; `balances_save` writes it."""
    if amount == 0:
        return None
    field = BALANCE_FIELDS[book]
    if book == Book.COINS:
        amount = int(amount)
    after = getattr(customer, field) + amount
    if book == Book.PREPAID and after < 0:
        raise InsufficientPrepaid(
            _("The prepaid balance is %(balance)s: not enough for %(amount)s.")
            % {"balance": getattr(customer, field), "amount": -amount},
            {"prepaid_balance": str(getattr(customer, field))})
    if book == Book.COINS and after < 0:
        raise InsufficientCoins(
            _("The customer has %(coins)s coins: not enough for %(amount)s.")
            % {"coins": customer.coins, "amount": -amount}, {"coins": customer.coins})
    setattr(customer, field, after)
    return LedgerEntry.objects.create(
        customer=customer, book=book, kind=kind, amount=amount, balance_after=after,
        order=order, voucher=voucher, reverses=reverses, counterpart=counterpart,
        branch=branch, created_by=actor, idempotency_key=key)


def entries_reverse(*, customer: Customer, entries, branch, actor, order=None,
                    voucher=None) -> None:
    """Post the opposite of each entry (prepaid refunds first so a shortfall fails early)."""
    for entry in sorted(entries, key=lambda e: (e.book != Book.PREPAID, e.id)):
        entry_post(customer=customer, book=entry.book, kind=LedgerEntry.Kind.REVERSAL,
                   amount=-entry.amount, key=f"{entry.idempotency_key}:reversal",
                   branch=branch, actor=actor, order=order, voucher=voucher, reverses=entry)


def balances_save(customer: Customer) -> None:
    Customer.objects.filter(pk=customer.pk).update(
        **{field: getattr(customer, field) for field in BALANCE_FIELDS.values()})


def open_orders(customer: Customer):
    """Approved orders of the customer with something still owed, oldest first."""
    return (Order.objects.filter(customer=customer, status=Order.Status.APPROVED)
            .annotate(open=F("total_amount") - F("paid_amount") - F("settled_amount"))
            .filter(open__gt=0).order_by("created_at", "id"))


def orders_settle(*, customer: Customer, voucher, amount: Decimal, order_ids=()) -> None:
    """Allocate `amount` to the named orders first, then to the oldest open ones."""
    if amount <= 0:
        return
    candidates = list(open_orders(customer))
    named = {pk: i for i, pk in enumerate(order_ids)}
    candidates.sort(key=lambda o: (o.pk not in named, named.get(o.pk, 0)))
    allocations = []
    for order in candidates:
        if amount <= 0:
            break
        share = min(amount, order.open)
        amount -= share
        allocations.append(Allocation(voucher=voucher, order=order, amount=share))
        Order.objects.filter(pk=order.pk).update(settled_amount=F("settled_amount") + share)
    Allocation.objects.bulk_create(allocations)


def allocations_release(*, voucher) -> None:
    """Undo a cancelled voucher's settlement by negative allocation rows."""
    totals: dict[int, Decimal] = {}
    for order_id, amount in Allocation.objects.filter(voucher=voucher).values_list(
            "order_id", "amount"):
        totals[order_id] = totals.get(order_id, Decimal(0)) + amount
    releases = []
    for order_id, amount in totals.items():
        if amount:
            releases.append(Allocation(voucher=voucher, order_id=order_id, amount=-amount))
            Order.objects.filter(pk=order_id).update(settled_amount=F("settled_amount") - amount)
    Allocation.objects.bulk_create(releases)
