"""Payment terms: each order's due date is stamped from the customer's terms (or the
tenant's default) and never moves; aging everywhere counts days past the due date, in the
tenant's time zone; the statement's bounded aging equals the full first-in-first-out rule
on random ledgers."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crm.models import Customer
from finance.models import Order
from finance.orders import finance_settings_update, order_create
from finance.selectors import BUCKETS, aging_bucket, customer_aging, tenant_aging
from finance.statements import statement_build
from finance.vouchers import payment_record
from tenants.current import tenant_current
from tests.conftest import api_client
from tests.finance.factories import customer_make, lines, product_make, user

_keys = itertools.count(1)
DAY = datetime.timedelta(days=1)


def _today() -> datetime.date:
    return datetime.datetime.now(tenant_current().timezone).date()


@pytest.fixture
def shop(acme):
    with schema_context(acme.schema_name):
        yield {"owner": user("owner@acme.test"), "product": product_make("100000")}


def _sale(shop, customer, quantity="1") -> Order:
    return order_create(actor=shop["owner"], customer=customer,
                        lines=lines(shop["product"], quantity), approve=True)


def test_due_date_from_the_customer_else_the_tenant_default_and_it_never_moves(acme, shop):
    with schema_context(acme.schema_name):
        today = _today()
        finance_settings_update(payment_terms_days=10)
        by_default, own, cash_now = (customer_make(), customer_make(payment_terms_days=30),
                                     customer_make(payment_terms_days=0))
        orders = [_sale(shop, c) for c in (by_default, own, cash_now)]
        assert [(o.payment_terms_days, o.due_date) for o in orders] == [
            (10, today + 10 * DAY), (30, today + 30 * DAY), (0, today)]
        Customer.objects.filter(pk=own.pk).update(payment_terms_days=0)
        finance_settings_update(payment_terms_days=0)
        assert Order.objects.get(pk=orders[1].pk).due_date == today + 30 * DAY
        assert Order.objects.get(pk=orders[0].pk).due_date == today + 10 * DAY
        assert _sale(shop, own).due_date == today
        walk_in = order_create(actor=shop["owner"], lines=lines(shop["product"]),
                               paid_amount=Decimal(100000), payment_method="cash",
                               approve=True)
        assert walk_in.due_date == today


def test_aging_counts_days_past_the_due_date(acme, shop):
    with schema_context(acme.schema_name):
        today = _today()
        customer = customer_make(payment_terms_days=30)
        _sale(shop, customer, "2")
        payment_record(customer=customer, amount=Decimal(50000), method="cash",
                       actor=shop["owner"])
        for days_on, bucket in ((0, "not_due"), (29, "not_due"), (30, "0_30"), (60, "0_30"),
                                (61, "31_60"), (91, "61_90"), (120, "61_90"), (121, "90_plus")):
            on = today + days_on * DAY
            aging = customer_aging(customer=customer, today=on)["buckets"]
            assert aging == {**dict.fromkeys(BUCKETS, Decimal(0)), bucket: Decimal(150000)}
            rows = tenant_aging(by="branch", today=on,
                                customers=Customer.objects.filter(pk=customer.pk))
            assert rows[0]["buckets"] == aging
            section = statement_build(customer=customer, period_from=on, period_to=on)
            assert section.aging == aging, days_on


def test_terms_on_the_customer_api_and_the_tenant_default(acme):
    owner = api_client(acme, "owner@acme.test")
    created = owner.post("/api/v1/customers", {"name": "Khách có kỳ hạn", "phone": "0912 555 001",
                                               "payment_terms_days": 45}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["payment_terms_days"] == 45
    url = f"/api/v1/customers/{created.json()['id']}"
    assert owner.patch(url, {"payment_terms_days": None}, format="json").json()[
        "payment_terms_days"] is None
    assert owner.get(url).json()["payment_terms_days"] is None
    for bad in (-1, 366, "abc", "1.5", True):
        response = owner.patch(url, {"payment_terms_days": bad}, format="json",
                               HTTP_ACCEPT_LANGUAGE="vi")
        assert response.status_code == 400, (bad, response.content)
        assert "payment_terms_days" in response.json()["fields"], bad
    assert owner.patch("/api/v1/finance-settings", {"payment_terms_days": 15},
                       format="json").json()["payment_terms_days"] == 15
    assert owner.patch("/api/v1/finance-settings", {"payment_terms_days": 400},
                       format="json").status_code == 400
    manager = api_client(acme, "manager@acme.test")
    assert manager.patch("/api/v1/finance-settings", {"payment_terms_days": 1},
                         format="json").status_code == 403


# --- the statement's bounded aging against the whole rule --------------------------------

def _insert(customer: Customer, moves) -> None:
    """Debits on orders (with their terms) and credits at chosen local times, oldest first,
    each with its running balance, as the services would have posted them."""
    tz = tenant_current().timezone
    balance = Decimal(0)
    with connection.cursor() as cursor:
        for at, amount, terms in moves:
            balance += amount
            order_id = None
            if amount > 0 and terms is not None:
                order = Order.objects.create(
                    code=f"TT{next(_keys):07d}", customer=customer, branch=customer.home_branch,
                    status=Order.Status.APPROVED, total_amount=amount, payment_terms_days=terms,
                    due_date=at.astimezone(tz).date() + terms * DAY)
                Order.objects.filter(pk=order.pk).update(created_at=at)
                order_id = order.pk
            cursor.execute(
                "INSERT INTO finance_ledgerentry (customer_id, book, kind, amount, "
                "balance_after, branch_id, created_at, idempotency_key, order_id) "
                "VALUES (%s, 'receivable', %s, %s, %s, %s, %s, %s, %s)",
                [customer.pk, "order" if order_id else "adjustment" if amount > 0 else "receipt",
                 amount, balance, customer.home_branch_id, at, f"terms:{next(_keys)}", order_id])


def _fifo_aging(moves, as_of: datetime.date, tz) -> dict:
    """The rule read over the whole history: the closing balance covered by the latest
    debits, each aged from its due date; what is left over 90 days."""
    end = datetime.datetime.combine(as_of + DAY, datetime.time.min, tzinfo=tz)
    upto = [m for m in moves if m[0] < end]
    remaining = sum((amount for _at, amount, _t in upto), Decimal(0))
    buckets = dict.fromkeys(BUCKETS, Decimal(0))
    if remaining <= 0:
        buckets["not_due"] += remaining
        return buckets
    for at, amount, terms in reversed(upto):
        if amount <= 0 or remaining <= 0:
            continue
        share = min(amount, remaining)
        buckets[aging_bucket(at.astimezone(tz).date() + (terms or 0) * DAY, as_of)] += share
        remaining -= share
    buckets["90_plus"] += remaining
    return buckets


_BASE = datetime.date(2025, 1, 1)
# Around local midnight and UTC midnight on purpose: the due date is a local date.
_TIMES = st.sampled_from([datetime.time(0, 0), datetime.time(0, 0, 0, 1), datetime.time(7, 0),
                          datetime.time(16, 59, 59), datetime.time(23, 59, 59, 999999)])
_MOVES = st.lists(st.tuples(st.integers(0, 400), _TIMES, st.integers(-900, 900).filter(bool),
                            st.sampled_from([None, 0, 15, 30, 45, 90, 180])), max_size=30)


@pytest.mark.breaks_money_invariants  # entries written straight to the ledger
@pytest.mark.parametrize("tenant_name", ["acme", "globex"])
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=_MOVES, as_of_day=st.integers(0, 420))
@example(moves=[(0, datetime.time(0, 0), 1, None), (0, datetime.time(0, 0), 1, 0)], as_of_day=0)
def test_statement_aging_is_the_whole_rule_and_sums_to_the_closing(request, tenant_name,
                                                                   moves, as_of_day):
    tenant = request.getfixturevalue(tenant_name)
    with schema_context(tenant.schema_name):
        tz = tenant_current().timezone
        customer = customer_make()
        # By time only (ties keep their drawn order): terms may be None, which never compares.
        timed = sorted(((datetime.datetime.combine(_BASE + day * DAY, t, tzinfo=tz),
                         Decimal(amount * 1000), terms) for day, t, amount, terms in moves),
                       key=lambda move: move[0])
        _insert(customer, timed)
        as_of = _BASE + as_of_day * DAY
        statement = statement_build(customer=customer, period_from=as_of - 20 * DAY,
                                    period_to=as_of)
        assert sum(statement.aging.values()) == statement.closing
        assert statement.aging == _fifo_aging(timed, as_of, tz)
