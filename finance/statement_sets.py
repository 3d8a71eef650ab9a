"""Many customers' statement sections at once (a batch chunk): the same data as
finance.statements.section_build gives one at a time, read in a few queries for the whole
set instead of a handful per customer.

- the period's entries of every customer, with their documents: one query;
- the balance before the period of customers with no entry in it: one query (the last
  entry before the period per customer, found through the period index, never a scan of
  a history);
- aging of the closing balances: one query for the moment before which every debit is
  over 90 days past due, then the walk back over the latest debits starts with the
  period's own entries (already read) and reads older ones only for customers whose
  period does not cover what they owe, all such customers in one query per round.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.db.models import Min

from crm.models import Customer
from finance.ledger import Book
from finance.models import LedgerEntry, Order
from finance.selectors import BUCKETS, aging_bucket
from finance.statements import (
    LINE_COLUMNS,
    OLDEST_BUCKET_DAYS,
    ROW_AMOUNT,
    ROW_AT,
    ROW_BALANCE,
    ROW_ID,
    ROW_KIND,
    ROW_REVERSES,
    StatementSection,
    line_maker,
    party_of,
    period_bounds,
    period_check,
)
from tenants.current import tenant_current

Kind = LedgerEntry.Kind
OLDER_CHUNK = 500  # older debits read per customer and round


def _balances_before(customer_ids: list[int], start: datetime.datetime) -> dict:
    """customer id -> (balance_after, id) of its last entry before `start`."""
    if not customer_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT c.id, e.balance_after, e.id
            FROM unnest(%s::bigint[]) AS c(id)
            CROSS JOIN LATERAL (
                SELECT balance_after, id FROM {LedgerEntry._meta.db_table}
                WHERE customer_id = c.id AND book = %s AND created_at < %s
                ORDER BY created_at DESC, id DESC LIMIT 1) e""",
            [customer_ids, Book.RECEIVABLE, start])
        return {customer_id: (balance, entry_id) for customer_id, balance, entry_id in cursor}


def _older_debits(uppers: dict[int, int]) -> dict[int, list[tuple]]:
    """customer id -> up to OLDER_CHUNK of its receivable debits (not reversals) with id
    <= its upper bound, newest first: (id, amount, created_at, due date or None)."""
    found: dict[int, list[tuple]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT b.customer_id, d.id, d.amount, d.created_at, d.due_date
            FROM unnest(%s::bigint[], %s::bigint[]) AS b(customer_id, upper)
            CROSS JOIN LATERAL (
                SELECT e.id, e.amount, e.created_at, o.due_date
                FROM {LedgerEntry._meta.db_table} e
                LEFT JOIN {Order._meta.db_table} o ON o.id = e.order_id
                WHERE e.customer_id = b.customer_id AND e.book = %s AND e.id <= b.upper
                  AND e.amount > 0 AND e.kind <> %s
                ORDER BY e.id DESC LIMIT %s) d
            ORDER BY b.customer_id, d.id DESC""",
            [list(uppers), list(uppers.values()), Book.RECEIVABLE, Kind.REVERSAL,
             OLDER_CHUNK])
        for customer_id, *debit in cursor:
            found[customer_id].append(tuple(debit))
    return found


def _reversed_between(bounds: dict[int, tuple[int, int]]) -> dict[int, set[int]]:
    """customer id -> the entries reversed by its reversals with low <= id < high."""
    found: dict[int, set[int]] = defaultdict(set)
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT e.customer_id, e.reverses_id
            FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS b(customer_id, low, high)
            JOIN {LedgerEntry._meta.db_table} e ON e.customer_id = b.customer_id
             AND e.book = %s AND e.id >= b.low AND e.id < b.high
             AND e.reverses_id IS NOT NULL""",
            [list(bounds), [b[0] for b in bounds.values()], [b[1] for b in bounds.values()],
             Book.RECEIVABLE])
        for customer_id, reversed_id in cursor:
            found[customer_id].add(reversed_id)
    return found


class _AgingWalk:
    """One customer's closing balance split by days past due (statements._aging's rule):
    the latest debits not reversed cover what is owed, newest first, each due on its
    order's due date (other debits on their local day); a debit older than `since` is over
    90 days past due, and so is all that it and older ones would cover."""

    def __init__(self, closing: Decimal, since: datetime.datetime, as_of: datetime.date,
                 tz, reversed_ids: set[int]):
        self.buckets = dict.fromkeys(BUCKETS, Decimal(0))
        self.remaining, self.since, self.as_of, self.tz = closing, since, as_of, tz
        self.reversed = reversed_ids
        self.done = False

    def take(self, debits) -> None:
        """debits: (id, amount, created_at, due date or None), newest first."""
        for entry_id, amount, created_at, due_date in debits:
            if created_at < self.since:
                self.finish()
                return
            if entry_id in self.reversed:
                continue
            share = min(amount, self.remaining)
            due = due_date or created_at.astimezone(self.tz).date()
            self.buckets[aging_bucket(due, self.as_of)] += share
            self.remaining -= share
            if self.remaining <= 0:
                self.finish()
                return

    def finish(self) -> None:
        if self.remaining > 0:  # owed on older debits (or more than the debits found)
            self.buckets["90_plus"] += self.remaining
            self.remaining = Decimal(0)
        self.done = True


def _young_since(customer_ids: list[int], as_of: datetime.date, end: datetime.datetime,
                 tz) -> dict[int, datetime.datetime]:
    """statements._young_since for every customer in one query."""
    old_due = as_of - datetime.timedelta(days=OLDEST_BUCKET_DAYS + 1)
    since = datetime.datetime.combine(old_due + datetime.timedelta(days=1), datetime.time.min,
                                      tzinfo=tz)
    oldest = dict(Order.objects.filter(customer_id__in=customer_ids, due_date__gt=old_due,
                                       created_at__lt=end)
                  .values("customer_id").annotate(first=Min("created_at"))
                  .values_list("customer_id", "first"))
    return {pk: min(since, oldest[pk]) if pk in oldest else since for pk in customer_ids}


def _agings(owing: dict[int, tuple[Decimal, int, list]], as_of: datetime.date,
            end: datetime.datetime, tz) -> dict[int, dict[str, Decimal]]:
    """owing: customer id -> (closing > 0, last entry id, the period's rows)."""
    if not owing:
        return {}
    since = _young_since(list(owing), as_of, end, tz)
    walks, uppers, reversals_from = {}, {}, {}
    for pk, (closing, last_id, rows) in owing.items():
        reversed_ids = {row[ROW_REVERSES] for row in rows if row[ROW_REVERSES] is not None}
        walk = walks[pk] = _AgingWalk(closing, since[pk], as_of, tz, reversed_ids)
        walk.take(sorted(((row[ROW_ID], row[ROW_AMOUNT], row[ROW_AT], row[-1])
                          for row in rows
                          if row[ROW_AMOUNT] > 0 and row[ROW_KIND] != Kind.REVERSAL),
                         reverse=True))
        if not walk.done:  # what the period's debits do not cover: older ones
            low = min((row[ROW_ID] for row in rows), default=last_id + 1)
            uppers[pk], reversals_from[pk] = low - 1, low
    while uppers:
        older = _older_debits(uppers)
        for pk in [pk for pk in uppers if not older.get(pk)]:
            walks[pk].finish()
            del uppers[pk]
        if not uppers:
            break
        bounds = {pk: (older[pk][-1][0], reversals_from[pk]) for pk in uppers}
        for pk, ids in _reversed_between(bounds).items():
            walks[pk].reversed |= ids
        for pk in list(uppers):
            walks[pk].take(older[pk])
            if walks[pk].done:
                del uppers[pk]
            else:
                uppers[pk] = bounds[pk][0] - 1
                reversals_from[pk] = bounds[pk][0]
    return {pk: walk.buckets for pk, walk in walks.items()}


def sections_build(*, customers: list[Customer], period_from: datetime.date,
                   period_to: datetime.date) -> dict[int, StatementSection]:
    """customer id -> its StatementSection for the period, for every customer given."""
    period_check(period_from, period_to)
    tz = tenant_current().timezone
    start, end = period_bounds(period_from, period_to, tz)
    customers = list({c.pk: c for c in customers}.values())
    rows_of: dict[int, list] = defaultdict(list)
    # The due date rides at the end of each row for aging (orders' debits).
    for row in (LedgerEntry.objects
                .filter(customer_id__in=[c.pk for c in customers], book=Book.RECEIVABLE,
                        created_at__gte=start, created_at__lt=end)
                .order_by("customer_id", "created_at", "id")
                .values_list(*LINE_COLUMNS, "order__due_date")):
        rows_of[row[1]].append(row)
    before = _balances_before([c.pk for c in customers if c.pk not in rows_of], start)
    line = line_maker(tz)
    sections, owing = {}, {}
    for customer in customers:
        rows = rows_of.get(customer.pk, [])
        if rows:
            opening = rows[0][ROW_BALANCE] - rows[0][ROW_AMOUNT]
            closing, last_id = rows[-1][ROW_BALANCE], rows[-1][ROW_ID]
        else:
            balance, last_id = before.get(customer.pk, (Decimal(0), None))
            opening = closing = balance
        section = sections[customer.pk] = StatementSection(
            customer=party_of(customer), opening=opening, closing=closing,
            lines=[line(row) for row in rows])
        if closing > 0 and last_id is not None:
            owing[customer.pk] = (closing, last_id, rows)
        else:  # nothing owed (or a credit): all of it "not yet due", as statements._aging
            section.aging = dict.fromkeys(BUCKETS, Decimal(0))
            section.aging[BUCKETS[0]] += closing
    for pk, buckets in _agings(owing, period_to, end, tz).items():
        sections[pk].aging = buckets
    return sections
