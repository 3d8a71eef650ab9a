"""finance.credit: the one credit-limit rule that order creation and approval share."""

from decimal import Decimal

import pytest

from finance.credit import credit_limit_check, credit_limit_over_check
from finance.exceptions import CreditLimitExceeded, CustomerOverCreditLimit
from finance.orders import order_approve, order_create
from tests.finance.factories import customer_make, lines, product_make, user


def _customer(*, limit, receivable, enforced=True):
    return customer_make(credit_limit_amount=None if limit is None else Decimal(limit),
                         credit_limit_enforced=enforced, receivable_amount=Decimal(receivable))


@pytest.mark.breaks_money_invariants  # customers made with a receivable, no ledger
def test_adding_up_to_the_limit_passes_one_more_unit_does_not(acme_schema):
    customer = _customer(limit="250000", receivable="200000")
    credit_limit_check(customer=customer, adding=Decimal("50000"))
    with pytest.raises(CreditLimitExceeded) as refused:
        credit_limit_check(customer=customer, adding=Decimal("50001"))
    assert refused.value.fields == {"credit_limit": "250000", "receivable": "200000",
                                    "amount": "50001", "available": "50000"}


@pytest.mark.breaks_money_invariants  # customers made with a receivable, no ledger
@pytest.mark.parametrize("limit, enforced", [("100", False), (None, True)])
def test_an_unenforced_or_missing_limit_binds_nothing(acme_schema, limit, enforced):
    customer = _customer(limit=limit, receivable="500000", enforced=enforced)
    credit_limit_check(customer=customer, adding=Decimal("1000000"))
    credit_limit_over_check(customer=customer)


@pytest.mark.breaks_money_invariants  # customers made with a receivable, no ledger
def test_over_check_refuses_only_a_receivable_past_the_limit(acme_schema):
    credit_limit_over_check(customer=_customer(limit="100000", receivable="100000"))
    with pytest.raises(CustomerOverCreditLimit) as refused:
        credit_limit_over_check(customer=_customer(limit="100000", receivable="100001"))
    assert refused.value.fields == {"credit_limit": "100000", "receivable": "100001"}


def test_order_create_and_approve_apply_the_same_rule(acme_schema):
    owner = user("owner@acme.test")
    product = product_make("100000")
    customer = _customer(limit="150000", receivable="0")
    draft = order_create(actor=owner, customer=customer, lines=lines(product))
    order_create(actor=owner, customer=customer, lines=lines(product), approve=True)
    with pytest.raises(CreditLimitExceeded):  # 100000 owed + 100000 > 150000
        order_approve(order=draft, actor=owner)
    customer.refresh_from_db()
    customer.credit_limit_amount = Decimal("50000")
    customer.save(update_fields=["credit_limit_amount"])
    with pytest.raises(CustomerOverCreditLimit):  # already over: not even a draft
        order_create(actor=owner, customer=customer, lines=lines(product))
