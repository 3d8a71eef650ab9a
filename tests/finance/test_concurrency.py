"""Real threads, each with its own database connection, against one committed tenant."""

import threading
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import connection
from django_tenants.utils import schema_context

from finance.checks import balances_mismatched
from finance.exceptions import CreditLimitExceeded
from finance.models import LedgerEntry, Order, Voucher
from finance.orders import order_create
from finance.vouchers import opening_balance_set, payment_record
from tests.finance.factories import customer_make, lines, product_make

THREADS = 32


def _run_together(tenant, work, count=THREADS):
    """Start `count` threads at one barrier; each runs work(i) in the tenant's schema."""
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def target(i):
        try:
            with schema_context(tenant.schema_name):
                barrier.wait(timeout=30)
                outcomes[i] = work(i)
        except Exception as exc:  # the outcome under test: success or a refusal
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return outcomes


def test_simultaneous_orders_never_overshoot_an_enforced_limit(committed):
    with schema_context(committed.schema_name):
        owner = User.objects.get(username=f"owner@{committed.subdomain}.test")
        customer = customer_make(credit_limit_amount=Decimal("1000000"),
                                 credit_limit_enforced=True)
        product = product_make("100000")

    def sell(i):
        return order_create(actor=owner, customer=customer, lines=lines(product), approve=True)

    outcomes = _run_together(committed, sell)
    refused = [o for o in outcomes if isinstance(o, CreditLimitExceeded)]
    sold = [o for o in outcomes if isinstance(o, Order)]
    assert len(sold) == 10 and len(refused) == THREADS - 10, outcomes
    with schema_context(committed.schema_name):
        customer.refresh_from_db()
        assert customer.receivable_amount == Decimal("1000000")
        assert Order.objects.filter(customer=customer).count() == 10  # refusals left nothing
        assert balances_mismatched() == []


def test_simultaneous_payments_leave_the_exact_balance_and_gapless_codes(committed):
    with schema_context(committed.schema_name):
        owner = User.objects.get(username=f"owner@{committed.subdomain}.test")
        customer = customer_make()
        other = customer_make()
        opening_balance_set(customer=customer, amount=Decimal("10000000"), actor=owner)
        opening_balance_set(customer=other, amount=Decimal("10000000"), actor=owner)

    def pay(i):
        # two customers, interleaved, so the counter row is shared across customer locks
        return payment_record(customer=customer if i % 4 else other,
                              amount=Decimal(1000 + i), method="cash", actor=owner)

    outcomes = _run_together(committed, pay)
    assert all(isinstance(o, Voucher) for o in outcomes), outcomes
    with schema_context(committed.schema_name):
        customer.refresh_from_db()
        other.refresh_from_db()
        paid = sum(Decimal(1000 + i) for i in range(THREADS) if i % 4)
        assert customer.receivable_amount == Decimal("10000000") - paid
        assert other.receivable_amount == Decimal("10000000") - (
            sum(Decimal(1000 + i) for i in range(THREADS)) - paid)
        codes = sorted(Voucher.objects.filter(type="receipt").values_list("code", flat=True))
        assert codes == [f"PT{n:06d}" for n in range(1, THREADS + 1)]
        # every balance_after in the chain is the previous one plus the amount
        running = Decimal(0)
        for amount, after in LedgerEntry.objects.filter(
                customer=customer, book="receivable").order_by("id").values_list(
                    "amount", "balance_after"):
            running += amount
            assert after == running
        assert balances_mismatched() == []
