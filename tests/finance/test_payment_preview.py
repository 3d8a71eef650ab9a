"""What the customer page shows before anything is written: the credit meter's share of
the limit (finance.credit.CreditStanding.used_percent) and Record payment's preview
(finance.selectors.payment_preview, payment_record's rule)."""

from decimal import Decimal

import pytest

from finance.credit import CreditStanding
from finance.selectors import payment_preview
from tests.finance.factories import customer_make


@pytest.mark.parametrize("limit, receivable, percent", [
    ("1000", "250", 25), ("1000", "1500", 100), ("1000", "-50", 0), ("0", "10", 100),
    ("0", "0", 0), (None, "10", 0)])
def test_the_meter_share_stays_between_0_and_100(limit, receivable, percent):
    standing = CreditStanding("ok", None if limit is None else Decimal(limit),
                              Decimal(receivable), None)
    assert standing.used_percent == percent


@pytest.mark.breaks_money_invariants  # customers made with a receivable, no ledger
@pytest.mark.parametrize("receivable, amount, after, to_prepaid", [
    ("500", "200", "300", "0"), ("500", "500", "0", "0"), ("500", "700", "0", "200"),
    ("-100", "50", "-100", "50"), ("500", "0", "500", "0")])
def test_the_preview_follows_payment_records_rule(acme_schema, receivable, amount, after,
                                                  to_prepaid):
    customer = customer_make(receivable_amount=Decimal(receivable))
    preview = payment_preview(customer=customer, amount=Decimal(amount))
    assert preview["receivable_after"] == Decimal(after)
    assert preview["to_prepaid"] == Decimal(to_prepaid)
    # The page that has just read the customer passes its receivable: the same answer.
    assert payment_preview(customer=customer, amount=Decimal(amount),
                           receivable=Decimal(receivable)) == preview
