"""finance.dashboard: each figure of the dashboard covers only the customers and branches
the user may see (another branch's data is not counted), and agrees with the rules it
repeats set-wise (aging sums to the receivable; receipts per day = the daily report)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import Branch
from finance.dashboard import (
    aging_total,
    customers_over_limit,
    dashboard_get,
    receipts_by_day,
    receipts_today,
    receivable_total,
    top_debtors,
)
from finance.selectors import daily_report
from finance.vouchers import opening_balance_set, payment_record
from tests.finance.factories import customer_make, user


@pytest.fixture
def shop(acme_schema):
    """MAIN: a debtor over its enforced limit and a smaller one; B2: a bigger debtor (not
    shared) with a receipt by card; a MAIN receipt in cash."""
    owner = user("owner@acme.test")
    main, b2 = Branch.objects.get(code="MAIN"), Branch.objects.get(code="B2")
    over = customer_make(branch=main, name="Quá Hạn Mức", credit_limit_amount=Decimal("100000"),
                         credit_limit_enforced=True)
    small = customer_make(branch=main, name="Nợ Ít")
    far = customer_make(branch=b2, name="Chi Nhánh Hai", credit_limit_amount=Decimal("1000"))
    for customer, amount, branch in ((over, "300000", main), (small, "50000", main),
                                     (far, "900000", b2)):
        opening_balance_set(customer=customer, amount=Decimal(amount), actor=owner,
                            branch=branch)
    payment_record(customer=small, amount=Decimal("20000"), method="cash", actor=owner,
                   branch=main)
    payment_record(customer=far, amount=Decimal("100000"), method="card", actor=owner,
                   branch=b2)
    return {"main": main, "b2": b2, "over": over, "small": small, "far": far}


def test_receivable_and_aging_count_only_visible_customers(shop):
    owner, sales = user("owner@acme.test"), user("sales@acme.test")  # sales: MAIN only
    assert receivable_total(user=owner) == Decimal("330000") + Decimal("800000")
    assert receivable_total(user=sales) == Decimal("330000")  # B2's debtor is not counted
    for who in (owner, sales):
        assert sum(aging_total(user=who).values()) == receivable_total(user=who)
    assert aging_total(user=sales)["0_30"] == Decimal("330000")


def test_over_limit_and_top_debtors_follow_visibility(shop):
    owner, sales = user("owner@acme.test"), user("sales@acme.test")
    assert [c.pk for c in customers_over_limit(user=owner)] == [shop["far"].pk,
                                                                shop["over"].pk]
    assert [c.pk for c in customers_over_limit(user=sales)] == [shop["over"].pk]
    assert [c.pk for c in top_debtors(user=owner)] == [shop["far"].pk, shop["over"].pk,
                                                       shop["small"].pk]
    assert [c.pk for c in top_debtors(user=sales, limit=1)] == [shop["over"].pk]


def test_receipts_today_per_branch_and_method(shop):
    owner, sales = user("owner@acme.test"), user("sales@acme.test")
    rows = {(r["branch"], r["method"]): r["amount"] for r in receipts_today(user=owner)}
    assert rows == {(shop["main"].name, "cash"): Decimal("20000"),
                    (shop["b2"].name, "card"): Decimal("100000")}
    assert [(r["branch"], r["amount"]) for r in receipts_today(user=sales)] == [
        (shop["main"].name, Decimal("20000"))]


def test_receipts_by_day_equal_the_daily_reports(shop):
    owner, sales = user("owner@acme.test"), user("sales@acme.test")
    today = timezone.localdate()
    days = receipts_by_day(user=owner, today=today)
    assert len(days) == 30 and days[-1]["day"] == today
    assert days[0]["day"] == today - datetime.timedelta(days=29)
    for row in days[-3:]:
        expected = sum((sum(daily_report(branch=b, day=row["day"])["receipts_by_method"]
                            .values(), Decimal(0)) for b in (shop["main"], shop["b2"])),
                       Decimal(0))
        assert row["amount"] == expected
    assert days[-1]["amount"] == Decimal("120000")
    assert receipts_by_day(user=sales, today=today)[-1]["amount"] == Decimal("20000")


def test_a_user_without_reports_gets_their_branchs_daily_report(shop):
    figures = dashboard_get(user=user("cashier@acme.test"))  # works at B2
    assert figures["kind"] == "daily" and "receivable" not in figures
    assert figures["daily"]["branch"] == shop["b2"].pk
    assert [(r["method"], r["amount"]) for r in figures["daily"]["receipts"]] == [
        ("card", Decimal("100000"))]
    full = dashboard_get(user=user("owner@acme.test"))
    assert full["kind"] == "full" and full["over_limit_count"] == 2
    assert full["receipts_today_total"] == Decimal("120000")


def test_tenant_isolation_another_tenant_counts_none_of_it(shop, globex):
    with schema_context(globex.schema_name):
        other = user("owner@globex.test")
        assert receivable_total(user=other) == 0
        assert list(top_debtors(user=other)) == []
        assert receipts_today(user=other) == []
        assert sum(row["amount"] for row in receipts_by_day(user=other)) == 0
