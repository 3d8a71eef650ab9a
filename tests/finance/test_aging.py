"""The tenant's aging report: customer_aging's rule for every customer, summed, in a fixed
number of queries (the report ran one query per customer before)."""

from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Customer
from finance.orders import order_create
from finance.selectors import BUCKETS, customer_aging, tenant_aging
from finance.vouchers import opening_balance_set, payment_record
from tests.finance.factories import customer_make, lines, product_make, user


def _shop(n: int) -> None:
    owner = user("owner@acme.test")
    product = product_make("120000")
    for i in range(n):
        customer = customer_make()
        if i % 3 != 1:
            order_create(actor=owner, customer=customer, lines=lines(product, str(i % 4 + 1)),
                         approve=True)
        if i % 3 != 0:
            opening_balance_set(customer=customer, amount=Decimal(50000 * (i + 1)),
                                actor=owner)
        if i % 2:
            payment_record(customer=customer, amount=Decimal("30000"), method="cash",
                           actor=owner)


def _expected(by: str) -> dict:
    field = {"branch": "home_branch_id", "owner": "owner_id"}[by]
    totals = defaultdict(lambda: dict.fromkeys(BUCKETS, Decimal(0)))
    for customer in Customer.objects.exclude(receivable_amount=0):
        for bucket, amount in customer_aging(customer=customer)["buckets"].items():
            totals[getattr(customer, field)][bucket] += amount
    return dict(totals)


def test_the_report_is_every_customers_aging_summed(acme_schema):
    _shop(9)
    for by in ("branch", "owner"):
        rows = tenant_aging(by=by)
        assert {row[by]: row["buckets"] for row in rows} == _expected(by)
        receivable = sum(Customer.objects.values_list("receivable_amount", flat=True))
        assert sum(row["receivable"] for row in rows) == receivable


def test_the_report_costs_the_same_queries_for_many_customers(acme_schema):
    _shop(3)
    with CaptureQueriesContext(connection) as few:
        tenant_aging()
    _shop(12)
    with CaptureQueriesContext(connection) as many:
        tenant_aging()
    assert len(many) == len(few) <= 4
