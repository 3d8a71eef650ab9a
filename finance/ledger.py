"""Posting primitives: ledger entries that move a locked customer's stored balances,
vouchers posted in one statement (their codes drawn as finance.codes says), and settlement
of orders by receipts (結算).

Callers hold the customer's row lock (finance.locks) and an open transaction.
"""

from decimal import Decimal
from functools import cache

import psycopg
from django.db import connection
from django.db.models import F
from django.utils.translation import gettext as _

from crm.models import Customer
from finance.codes import COUNTER_NEXT_SQL, document_code_sql
from finance.exceptions import InsufficientCoins, InsufficientPrepaid
from finance.models import Allocation, LedgerEntry, Order, Voucher
from tenants.current import tenant_money

Book = LedgerEntry.Book
BALANCE_FIELDS = {
    Book.RECEIVABLE: "receivable_amount",
    Book.PREPAID: "prepaid_amount",
    Book.COINS: "coins",
    Book.PURCHASES: "total_purchased_amount",
}


def _balance_move(customer: Customer, book: str, amount):
    """Move the locked customer's in-memory balance; refuse a negative prepaid or coins."""
    field = BALANCE_FIELDS[book]
    before = getattr(customer, field)
    after = before + amount
    if book == Book.PREPAID and after < 0:
        raise InsufficientPrepaid(
            _("The prepaid balance is %(balance)s: not enough for %(amount)s.")
            % {"balance": tenant_money(before), "amount": tenant_money(-amount)},
            {"prepaid_balance": str(tenant_money(before))})
    if book == Book.COINS and after < 0:
        raise InsufficientCoins(
            _("The customer has %(coins)s coins: not enough for %(amount)s.")
            % {"coins": before, "amount": -amount}, {"coins": before})
    setattr(customer, field, after)
    return after


def entry_post(*, customer: Customer, book: str, kind: str, amount, key: str, branch, actor,
               order=None, voucher=None, reverses=None, counterpart=None) -> LedgerEntry | None:
    """Append one entry and move the in-memory balance; `balances_save` writes it."""
    if amount == 0:
        return None
    if book == Book.COINS:
        amount = int(amount)
    after = _balance_move(customer, book, amount)
    return LedgerEntry.objects.create(
        customer=customer, book=book, kind=kind, amount=amount, balance_after=after,
        order=order, voucher=voucher, reverses=reverses, counterpart=counterpart,
        branch=branch, created_by=actor, idempotency_key=key)


@cache
def _voucher_post_sql(moves: int) -> str:
    """voucher_post's statement for a voucher of `moves` entries (one text per count, so
    psycopg prepares each once per connection)."""
    vouchers, ledger = Voucher._meta.db_table, LedgerEntry._meta.db_table
    customers, orders = Customer._meta.db_table, Order._meta.db_table
    values = ", ".join(["(%s, %s, %s::numeric, %s::numeric)"] * moves)
    code = document_code_sql(number="n.last")
    # The entries' time is the database clock once the customer is locked (not now(), the
    # transaction's start): per customer, time order is then posting order, which a
    # statement's period relies on (finance/statements.py).
    return f"""
        WITH t AS (SELECT clock_timestamp() AS at),
        n AS ({COUNTER_NEXT_SQL}),
        v AS (
            INSERT INTO {vouchers} (code, type, customer_id, branch_id, method, purpose, amount,
                                    receivable_after, status, note, idempotency_key,
                                    created_at, created_by_id)
            SELECT {code}, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, t.at, %s FROM n, t
            RETURNING id, code, created_at),
        e AS (
            INSERT INTO {ledger} (customer_id, book, kind, amount, balance_after, voucher_id,
                                  branch_id, created_by_id, created_at, idempotency_key)
            SELECT %s, x.book, x.kind, x.amount, x.after, v.id, %s, %s, v.created_at,
                   'V' || v.id || ':' || x.book
            FROM v, (VALUES {values}) AS x (book, kind, amount, after)),
        u AS (
            UPDATE {customers} SET receivable_amount = %s, prepaid_amount = %s, coins = %s,
                                   total_purchased_amount = %s WHERE id = %s)
        SELECT v.id, v.code, v.created_at, EXISTS (
            SELECT 1 FROM {orders} o WHERE o.customer_id = %s AND o.status = 'approved'
            AND o.total_amount - o.paid_amount - o.settled_amount > 0) FROM v"""


def voucher_post(*, customer: Customer, voucher: Voucher, prefix: str,
                 entries: list[tuple[str, str, Decimal]]) -> tuple[Voucher, bool]:
    """Write a voucher, its entries (book, kind, amount) and the customer's new balances in
    ONE statement, drawing the voucher's gapless code inside it: the hot rows (customer,
    counter) stay locked for one round trip and the commit. Returns the saved voucher and
    whether the customer has open orders (to settle)."""
    moves = [(book, kind, amount, _balance_move(customer, book, amount))
             for book, kind, amount in entries if amount]
    voucher.receivable_after = customer.receivable_amount
    sql = _voucher_post_sql(len(moves))
    params = [prefix, prefix, voucher.type, customer.pk, voucher.branch_id, voucher.method,
              voucher.purpose, voucher.amount, voucher.receivable_after, voucher.status,
              voucher.note, voucher.idempotency_key, voucher.created_by_id,
              customer.pk, voucher.branch_id, voucher.created_by_id]
    for book, kind, amount, after in moves:
        params += [book, kind, amount, after]
    params += [customer.receivable_amount, customer.prepaid_amount, customer.coins,
               customer.total_purchased_amount, customer.pk, customer.pk]
    # A server-side prepared statement: planned once per connection (PostgreSQL re-plans it
    # when search_path, i.e. the tenant, changes). Django's cursor first: it is what sets
    # the tenant's search_path on the connection.
    with connection.cursor(), psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        voucher.id, voucher.code, voucher.created_at, has_open = cursor.fetchone()
    voucher._state.adding = False
    voucher._state.db = connection.alias
    return voucher, has_open


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
    """Approved orders of the customer with something still owed, the first to fall due
    first (then by creation): the order settlement pays (DESIGN §3 "Settle")."""
    return (Order.objects.filter(customer=customer, status=Order.Status.APPROVED)
            .annotate(open=F("total_amount") - F("paid_amount") - F("settled_amount"))
            .filter(open__gt=0).order_by("due_date", "created_at", "id"))


def orders_settle(*, customer: Customer, voucher, amount: Decimal, order_ids=()) -> None:
    """Allocate `amount` to the named orders first, then to the open ones by due date
    (the oldest debt first), then by creation."""
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


def allocations_release(*, voucher=None, order=None) -> dict[int, Decimal]:
    """Undo the settlement of a cancelled voucher, or of a cancelled order, by negative
    allocation rows; returns what was released per voucher id (oldest voucher first)."""
    allocations = (Allocation.objects.filter(voucher=voucher) if voucher is not None
                   else Allocation.objects.filter(order=order))
    totals: dict[tuple[int, int], Decimal] = {}
    for voucher_id, order_id, amount in allocations.values_list("voucher_id", "order_id",
                                                                "amount"):
        totals[voucher_id, order_id] = totals.get((voucher_id, order_id), Decimal(0)) + amount
    releases, released = [], {}
    for (voucher_id, order_id), amount in sorted(totals.items()):
        if amount:
            releases.append(Allocation(voucher_id=voucher_id, order_id=order_id,
                                       amount=-amount))
            Order.objects.filter(pk=order_id).update(settled_amount=F("settled_amount") - amount)
            released[voucher_id] = released.get(voucher_id, Decimal(0)) + amount
    Allocation.objects.bulk_create(releases)
    return released
