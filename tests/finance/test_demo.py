from finance.checks import balances_mismatched
from finance.demo import demo_seed
from finance.models import LedgerEntry, Order, Product, Voucher
from tests.finance.factories import customer_make


def test_demo_seed_is_idempotent(acme_schema):
    buyers = [customer_make() for _ in range(3)]
    demo_seed()
    counts = (Product.objects.count(), Order.objects.count(), Voucher.objects.count(),
              LedgerEntry.objects.count())
    assert counts[1] >= 3 and counts[2] >= 2
    assert Order.objects.filter(customer__in=buyers).count() == 3
    demo_seed()
    assert (Product.objects.count(), Order.objects.count(), Voucher.objects.count(),
            LedgerEntry.objects.count()) == counts
    assert balances_mismatched() == []
