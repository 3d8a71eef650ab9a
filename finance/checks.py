"""The ledger invariant, checked in SQL: stored balance == sum of the book's entries."""

from django.db import connection

from crm.models import Customer
from finance.ledger import BALANCE_FIELDS
from finance.models import LedgerEntry, Voucher


def balances_mismatched() -> list[dict]:
    """Every (customer, book) whose stored balance differs from its entries' sum."""
    customer_table = Customer._meta.db_table
    entry_table = LedgerEntry._meta.db_table
    selects = " UNION ALL ".join(
        f"SELECT c.id, c.code, '{book}' AS book, c.{field}::numeric AS stored, "
        f"COALESCE((SELECT SUM(e.amount) FROM {entry_table} e WHERE e.customer_id = c.id "
        f"AND e.book = '{book}'), 0) AS entries FROM {customer_table} c"
        for book, field in BALANCE_FIELDS.items())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, code, book, stored, entries FROM ({selects}) t "
                       "WHERE stored <> entries ORDER BY id, book")
        columns = [c.name for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def voucher_codes_gapped() -> list[dict]:
    """Voucher code series (PT…, PC…) with a gap or a repeat: each must run 1, 2, … n."""
    table = Voucher._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT prefix, count(*), count(DISTINCT number), min(number), max(number) FROM ("
            f"  SELECT substring(code from '^[A-Z]+') AS prefix,"
            f"         substring(code from '[0-9]+$')::bigint AS number FROM {table}"
            f") v GROUP BY prefix HAVING count(*) <> max(number) OR min(number) <> 1 "
            f"OR count(DISTINCT number) <> count(*)")
        return [{"prefix": p, "count": n, "distinct": d, "min": lo, "max": hi}
                for p, n, d, lo, hi in cursor.fetchall()]
