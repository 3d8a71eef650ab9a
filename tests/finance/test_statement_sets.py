"""The set-wise build of many customers' sections gives exactly what statement_build gives
one customer at a time: made by the services (cancelled vouchers and orders, payment
terms, departments, group companies), on ledgers written straight with reversals and long
unpaid histories (aging's walk over several rounds), on random ledgers and periods, with
empty periods; and it reads them in a few queries, not a few per customer."""

import datetime
import itertools
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.models import Customer, CustomerDepartment
from finance import vouchers
from finance.models import Order
from finance.orders import order_approve, order_cancel, order_create
from finance.statement_sets import OLDER_CHUNK, sections_build
from finance.statements import group_members, statement_build, statement_compose
from tenants.current import tenant_current
from tests.finance.factories import customer_make, lines, product_make, user

_keys = itertools.count(1)


def _insert(customer: Customer, at: datetime.datetime, amount: Decimal, *,
            reverses: int | None = None, balance: Decimal) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO finance_ledgerentry (customer_id, book, kind, amount, balance_after, "
            "branch_id, created_at, idempotency_key, reverses_id) "
            "VALUES (%s, 'receivable', %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            [customer.pk, "reversal" if reverses else "adjustment" if amount > 0 else "receipt",
             amount, balance, customer.home_branch_id, at, f"sets:{next(_keys)}", reverses])
        return cursor.fetchone()[0]


def _history(customer: Customer, moves) -> None:
    """moves: (time, amount, cancel the latest debit not cancelled yet) oldest first, with
    the running balance the posting services store."""
    balance, debits = Decimal(0), []
    for at, amount, reverse in moves:
        if reverse and debits:
            original, original_amount = debits.pop()
            balance -= original_amount
            _insert(customer, at, -original_amount, reverses=original, balance=balance)
            continue
        balance += amount
        entry = _insert(customer, at, amount, balance=balance)
        if amount > 0:
            debits.append((entry, amount))


def _same(customers: list[Customer], period_from, period_to) -> int:
    """Assert the set-wise sections equal statement_build's; the queries it took."""
    with CaptureQueriesContext(connection) as queries:
        sections = sections_build(customers=customers, period_from=period_from,
                                  period_to=period_to)
    assert set(sections) == {c.pk for c in customers}
    for customer in customers:
        alone = statement_build(customer=customer, period_from=period_from,
                                period_to=period_to).sections[0]
        assert sections[customer.pk] == alone, (customer.code, period_from, period_to)
    return len(queries)


@pytest.mark.breaks_money_invariants  # histories written straight to the ledger
def test_a_chunk_of_customers_gives_what_statement_build_gives(acme):
    with schema_context(acme.schema_name), translation.override("vi"):
        tz = tenant_current().timezone
        owner, product = user("owner@acme.test"), product_make("100000")
        today = datetime.datetime.now(tz).date()
        made = []
        # by the services: a cancelled receipt (its pair), a cancelled order, a department,
        # payment terms, orders whose due dates fall in every aging bucket
        paying = customer_make(name="Nguyễn Thị Ánh Đào", payment_terms_days=30)
        department = CustomerDepartment.objects.create(customer=paying, name="Phòng kế toán")
        for days_ago, quantity in ((0, "1"), (20, "2"), (45, "3"), (75, "4"), (200, "5")):
            order = order_create(customer=paying, lines=lines(product, quantity), actor=owner,
                                 department=department if days_ago == 20 else None,
                                 note="giao hàng\nlần 2")
            order_approve(order=order, actor=owner)
            back = datetime.timedelta(days=days_ago)
            Order.objects.filter(pk=order.pk).update(created_at=order.created_at - back,
                                                     due_date=order.due_date - back)
        cancelled = vouchers.payment_record(customer=paying, amount=Decimal(50000),
                                            method="card", actor=owner, note="chuyển khoản")
        vouchers.voucher_cancel(voucher=cancelled, actor=owner)
        vouchers.payment_record(customer=paying, amount=Decimal(120000), method="cash",
                                actor=owner)
        undone = order_create(customer=paying, lines=lines(product, "1"), actor=owner)
        order_approve(order=undone, actor=owner)
        order_cancel(order=undone, actor=owner, reason="khách đổi ý")
        opening = customer_make(name="青島市XX建築有限公司")
        vouchers.opening_balance_set(customer=opening, amount=Decimal(700000), actor=owner)
        vouchers.debt_adjust(customer=opening, target_receivable=Decimal(650000), actor=owner,
                             note="làm tròn")
        made += [paying, opening]
        # a group company with subsidiaries
        group = customer_make(name="Tập đoàn Ánh Dương")
        subs = [customer_make(name=f"Công ty con {n}", parent=group) for n in (1, 2)]
        for company, quantity in ((group, "1"), (subs[0], "2"), (subs[1], "3")):
            order_approve(order=order_create(customer=company, lines=lines(product, quantity),
                                             actor=owner), actor=owner)
        made += [group, *subs]
        # written straight: random histories with reversals over 300 days
        rng = random.Random(10)
        start = datetime.datetime.combine(today - datetime.timedelta(days=300),
                                          datetime.time(9), tzinfo=tz)
        for _n in range(30):
            customer = customer_make()
            moves = sorted((start + datetime.timedelta(hours=rng.randrange(300 * 24)),
                            Decimal(rng.choice([-1, 1, 1, 2]) * rng.randrange(1, 90) * 1000),
                            rng.random() < 0.1) for _m in range(rng.randrange(0, 40)))
            _history(customer, moves)
            made.append(customer)
        # never pays: more unpaid debits in its last 80 days than one round of the walk
        debtor = customer_make(name="Khách nợ lâu")
        recent = datetime.datetime.combine(today - datetime.timedelta(days=80),
                                           datetime.time(0), tzinfo=tz)
        _history(debtor, [(recent + datetime.timedelta(minutes=90 * i), Decimal(1000),
                           i % 97 == 5) for i in range(OLDER_CHUNK * 2 + 300)])
        # nothing at all; only before the periods; only after them
        quiet = customer_make()
        early = customer_make()
        _history(early, [(start - datetime.timedelta(days=30), Decimal(5000), False)])
        made += [debtor, quiet, early]
        month = today.replace(day=1)
        last_month_end = month - datetime.timedelta(days=1)
        days = datetime.timedelta
        periods = [(month, today), (last_month_end.replace(day=1), last_month_end),
                   (today, today), (today - days(365), today),
                   (start.date() - days(20), start.date() - days(10)),  # before all but one
                   (today - days(40), today - days(35))]
        for period_from, period_to in periods:
            queries = _same(made, period_from, period_to)
            # a constant few, plus two a round of older debits (the debtor needs three)
            assert queries <= 4 + 2 * 3, (period_from, period_to, queries)
        # each bucket is reached and the debtor's walk went past one round
        aging = sections_build(customers=made, period_from=month, period_to=today)
        assert all(any(s.aging[b] for s in aging.values()) for b in ("0_30", "31_60",
                                                                      "61_90", "90_plus"))
        assert aging[debtor.pk].closing > OLDER_CHUNK * 1000
        # the consolidated statement from the set-wise sections
        members = group_members(group)
        sections = sections_build(customers=[*made, *members], period_from=month,
                                  period_to=today)
        whole = statement_compose(customer=group, consolidated=True, period_from=month,
                                  period_to=today, sections=[sections[m.pk] for m in members])
        alone = statement_build(customer=group, consolidated=True, period_from=month,
                                period_to=today)
        assert whole.sections == alone.sections
        assert (whole.opening, whole.debits, whole.credits, whole.closing, whole.aging) == (
            alone.opening, alone.debits, alone.credits, alone.closing, alone.aging)


_TIMES = st.sampled_from([datetime.time(0, 0), datetime.time(6, 59, 59), datetime.time(7, 0),
                          datetime.time(23, 59, 59, 999999)])
_MOVES = st.lists(st.tuples(st.integers(0, 200), _TIMES, st.integers(-500, 900).filter(bool),
                            st.booleans()), max_size=30)


@pytest.mark.breaks_money_invariants
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories=st.lists(_MOVES, min_size=1, max_size=4), start=st.integers(0, 220),
       length=st.integers(0, 60))
def test_random_ledgers_and_periods_give_the_same_sections(acme, histories, start, length):
    with schema_context(acme.schema_name):
        tz = tenant_current().timezone
        base = datetime.date(2026, 1, 1)
        customers = []
        for moves in histories:
            customer = customer_make()
            _history(customer, sorted(
                (datetime.datetime.combine(base + datetime.timedelta(days=day), t, tzinfo=tz),
                 Decimal(amount * 1000), reverse) for day, t, amount, reverse in moves))
            customers.append(customer)
        period_from = base + datetime.timedelta(days=start)
        _same(customers, period_from, period_from + datetime.timedelta(days=length))
