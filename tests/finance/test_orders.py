from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from django.utils import translation

from crm import services as crm_services
from crm.hooks import customer_deactivate_blockers, customer_delete_blockers
from crm.models import Branch, Customer
from crm.services import customer_blockers
from finance.catalogue import agreement_price_create, price_resolve, product_delete
from finance.checks import balances_mismatched
from finance.exceptions import (
    CreditLimitExceeded,
    CustomerNotAtBranch,
    CustomerOverCreditLimit,
    InsufficientCoins,
    InUse,
    PaymentRequired,
)
from finance.models import LedgerEntry, Order
from finance.orders import finance_settings, order_approve, order_cancel, order_create
from tests.finance.factories import customer_make, lines, product_make, user


def test_walk_in_must_pay_in_full_and_nothing_is_saved(acme_schema):
    owner = user("owner@acme.test")
    product = product_make("50000")
    with pytest.raises(PaymentRequired):
        order_create(actor=owner, lines=lines(product, "2"), paid_amount=Decimal("90000"),
                     payment_method="cash", approve=True)
    assert not Order.objects.exists()
    order = order_create(actor=owner, lines=lines(product, "2"), paid_amount=Decimal("100000"),
                         payment_method="cash", approve=True)
    assert order.status == "approved" and order.customer is None
    assert not LedgerEntry.objects.exists()


def test_cash_settlement_customer_needs_full_payment(acme_schema):
    owner = user("owner@acme.test")
    customer = customer_make(settlement_method=Customer.Settlement.CASH)
    product = product_make("100000")
    with pytest.raises(PaymentRequired):
        order_create(actor=owner, customer=customer, lines=lines(product), approve=True)
    assert not Order.objects.filter(customer=customer).exists()
    draft = order_create(actor=owner, customer=customer, lines=lines(product))
    with pytest.raises(PaymentRequired):
        order_approve(order=draft, actor=owner)
    customer.refresh_from_db()
    assert customer.receivable_amount == 0


def test_on_account_order_posts_receivable_purchases_and_coins(acme_schema):
    owner = user("owner@acme.test")
    customer = customer_make()
    product = product_make("100000")
    order = order_create(actor=owner, customer=customer, lines=lines(product, "3"),
                         paid_amount=Decimal("50000"), payment_method="card", approve=True)
    customer.refresh_from_db()
    assert customer.receivable_amount == Decimal("250000")
    assert customer.total_purchased_amount == Decimal("300000")
    assert customer.coins == 30 == order.coins_earned
    # redeem 10 coins (worth 100 each by default) on the next order
    second = order_create(actor=owner, customer=customer, lines=lines(product),
                          coins_redeem=10, approve=True)
    assert second.total_amount == Decimal("99000")
    customer.refresh_from_db()
    assert customer.coins == 30 - 10 + 9
    order_cancel(order=second, actor=owner, reason="khách trả hàng")
    customer.refresh_from_db()
    assert customer.receivable_amount == Decimal("250000")
    assert customer.total_purchased_amount == Decimal("300000")
    assert customer.coins == 30
    second.refresh_from_db()
    assert second.cancel_reason == "khách trả hàng" and second.cancelled_by == owner
    assert balances_mismatched() == []


def test_cancel_refused_when_its_coins_were_spent(acme_schema):
    owner = user("owner@acme.test")
    customer = customer_make()
    product = product_make("100000")
    first = order_create(actor=owner, customer=customer, lines=lines(product), approve=True)
    order_create(actor=owner, customer=customer, lines=lines(product), coins_redeem=10,
                 approve=True)
    with pytest.raises(InsufficientCoins):
        order_cancel(order=first, actor=owner, reason="x")
    first.refresh_from_db()
    assert first.status == "approved"


def test_credit_limit_refuses_and_names_the_figures(acme_schema):
    owner = user("owner@acme.test")
    customer = customer_make(credit_limit_amount=Decimal("250000"), credit_limit_enforced=True)
    product = product_make("100000")
    order_create(actor=owner, customer=customer, lines=lines(product, "2"), approve=True)
    with pytest.raises(CreditLimitExceeded) as refused:
        order_create(actor=owner, customer=customer, lines=lines(product), approve=True)
    assert refused.value.fields == {"credit_limit": "250000", "receivable": "200000",
                                    "amount": "100000", "available": "50000"}
    assert Order.objects.filter(customer=customer).count() == 1


def test_customer_already_over_limit_gets_no_draft(acme_schema):
    owner = user("owner@acme.test")
    customer = customer_make(credit_limit_amount=Decimal("100000"))
    product = product_make("300000")
    order_create(actor=owner, customer=customer, lines=lines(product), approve=True)
    Customer.objects.filter(pk=customer.pk).update(credit_limit_enforced=True)
    with pytest.raises(CustomerOverCreditLimit):
        order_create(actor=owner, customer=customer, lines=lines(product))
    assert Order.objects.filter(customer=customer).count() == 1


def test_non_shared_customer_only_at_home_branch(acme_schema):
    manager = user("manager@acme.test")
    b2 = Branch.objects.get(code="B2")
    product = product_make()
    local = customer_make()
    with pytest.raises(CustomerNotAtBranch):
        order_create(actor=manager, customer=local, branch=b2, lines=lines(product))
    shared = customer_make(shared=True)
    assert order_create(actor=manager, customer=shared, branch=b2, lines=lines(product)).pk


def test_price_resolution_customer_over_group_over_list(acme_schema):
    from crm.models import CustomerGroup

    group = CustomerGroup.objects.create(code="VIP", name="VIP")
    customer = customer_make(group=group)
    other = customer_make(group=group)
    product = product_make("100")
    import datetime

    today = datetime.date.today()
    assert price_resolve(product=product, customer=customer, on=today) == Decimal("100")
    agreement_price_create(product=product, group=group, price_amount=Decimal("90"))
    agreement_price_create(product=product, customer=customer, price_amount=Decimal("80"),
                           valid_to=today - datetime.timedelta(days=1))
    assert price_resolve(product=product, customer=customer, on=today) == Decimal("90")
    agreement_price_create(product=product, customer=customer, price_amount=Decimal("70"))
    assert price_resolve(product=product, customer=customer, on=today) == Decimal("70")
    assert price_resolve(product=product, customer=other, on=today) == Decimal("90")
    with pytest.raises(InUse):
        product_delete(product=product)


def test_ledger_rejects_update_and_delete(acme_schema):
    owner = user("owner@acme.test")
    customer = customer_make()
    order_create(actor=owner, customer=customer, lines=lines(product_make()), approve=True)
    entry = LedgerEntry.objects.filter(customer=customer).first()
    for attempt in (lambda: LedgerEntry.objects.filter(pk=entry.pk).update(amount=1),
                    lambda: LedgerEntry.objects.filter(pk=entry.pk).delete()):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()


def test_crm_guards_fed_by_orders_and_receivable(acme_schema):
    owner = user("owner@acme.test")
    customer = customer_make()
    assert customer_delete_blockers(customer) == []
    assert customer_deactivate_blockers(customer) == []
    order_create(actor=owner, customer=customer, lines=lines(product_make()), approve=True)
    assert len(customer_delete_blockers(customer)) == 2
    assert len(customer_deactivate_blockers(customer)) == 1


def test_customer_blockers_answer_every_guard_in_one_query(acme_schema,
                                                          django_assert_num_queries):
    owner = user("owner@acme.test")
    customer = customer_make()
    with django_assert_num_queries(1):
        assert customer_blockers(customer, deactivate=True, delete=True) == {
            "deactivate": [], "delete": []}
    product = product_make()
    order_create(actor=owner, customer=customer, lines=lines(product), approve=True)
    agreement_price_create(product=product, customer=customer, price_amount=Decimal("90"))
    customer_make(referrer=customer)
    codes = sorted(customer_make(parent=customer).code for _n in range(2))
    customer_make(parent=customer, status=Customer.Status.INACTIVE)
    with django_assert_num_queries(1), translation.override("en"):
        found = customer_blockers(customer, deactivate=True, delete=True)
    # The stored receivable (the order's), read in that query, not the stale object's zero.
    assert customer.receivable_amount == 0
    assert found["deactivate"] == [
        "The customer still has a receivable of 100000.00.",
        f"Subsidiaries are still active: {codes[0]}, {codes[1]}."]
    assert found["delete"] == [
        "The customer has orders.", "The customer has ledger entries.",
        "The customer has agreement prices.",
        "Other customers name it as referrer, parent company or merge survivor."]
    with translation.override("en"):
        assert crm_services.customer_delete_blockers(customer) == found["delete"]
        assert crm_services.customer_deactivate_blockers(customer) == found["deactivate"]
        assert customer_blockers(customer, delete=True) == {"delete": found["delete"]}


def test_coin_rule_is_the_tenants(acme_schema):
    owner = user("owner@acme.test")
    rule = finance_settings()
    rule.coin_earn_step_amount = Decimal("1000")
    rule.save()
    customer = customer_make()
    order = order_create(actor=owner, customer=customer, lines=lines(product_make("5500")),
                         approve=True)
    assert order.coins_earned == 5


def _paid_order(customer, owner, price="100000"):
    from finance.vouchers import payment_record

    order = order_create(actor=owner, customer=customer, lines=lines(product_make(price)),
                         approve=True)
    receipt = payment_record(customer=customer, amount=order.total_amount, method="cash",
                             actor=owner, order_ids=[order.pk])
    return order, receipt


def test_cancel_refused_on_a_merged_customer(acme_schema):
    """Issue 9 #5, order side: the reversal would land on the merged record."""
    from crm.services import customer_merge
    from finance.exceptions import CustomerClosed

    owner = user("owner@acme.test")
    source, survivor = customer_make(), customer_make()
    order = order_create(actor=owner, customer=source, lines=lines(product_make()),
                         approve=True)
    customer_merge(actor=owner, source=source, target=survivor)
    with pytest.raises(CustomerClosed, match=survivor.code):
        order_cancel(order=order, actor=owner, reason="wrong customer")
    order.refresh_from_db()
    survivor.refresh_from_db()
    assert order.status == "approved" and survivor.receivable_amount == Decimal("100000")


def test_cancel_of_a_paid_order_moves_the_payment_to_prepaid(acme_schema):
    """Issue 9 #6: no negative receivable; the paid part becomes prepaid when allowed."""
    from finance.models import Allocation

    owner = user("owner@acme.test")
    customer = customer_make(prepaid_allowed=True)
    order, receipt = _paid_order(customer, owner)
    order_cancel(order=order, actor=owner, reason="returned")
    customer.refresh_from_db()
    order.refresh_from_db()
    assert (customer.receivable_amount, customer.prepaid_amount) == (0, Decimal("100000"))
    assert order.settled_amount == 0
    assert sum(Allocation.objects.filter(voucher=receipt).values_list("amount", flat=True)) == 0


def test_cancel_of_a_paid_order_without_prepaid_needs_a_refund(acme_schema):
    """Issue 9 #6: without prepaid, refused unless a refund method is given (a PC voucher)."""
    from finance.exceptions import RefundRequired
    from finance.models import Voucher

    owner = user("owner@acme.test")
    customer = customer_make()
    order, _receipt = _paid_order(customer, owner)
    with pytest.raises(RefundRequired, match="100000") as refused:
        order_cancel(order=order, actor=owner, reason="returned")
    assert refused.value.http_status == 409 and "refund_method" in refused.value.fields
    order.refresh_from_db()
    customer.refresh_from_db()
    assert order.status == "approved" and customer.receivable_amount == 0
    order_cancel(order=order, actor=owner, reason="returned", refund_method="cash")
    customer.refresh_from_db()
    assert (customer.receivable_amount, customer.prepaid_amount) == (0, 0)
    refund = Voucher.objects.get(customer=customer, purpose="refund")
    assert (refund.code[:2], refund.type, refund.amount, refund.method) == (
        "PC", "payment", Decimal("100000"), "cash")
    assert refund.receivable_after == 0


def test_cancel_of_a_paid_order_settles_the_other_open_orders_first(acme_schema):
    """Issue 9 #6: released receipts pay the customer's other open orders first; only
    what is left beyond the receivable needs prepaid or a refund."""
    from finance.selectors import customer_aging

    owner = user("owner@acme.test")
    customer = customer_make()
    order, _receipt = _paid_order(customer, owner)
    other = order_create(actor=owner, customer=customer, lines=lines(product_make()),
                         approve=True)
    order_cancel(order=order, actor=owner, reason="returned")
    customer.refresh_from_db()
    other.refresh_from_db()
    assert customer.receivable_amount == 0 and other.settled_amount == Decimal("100000")
    assert sum(customer_aging(customer=customer)["buckets"].values()) == 0


def test_cancel_of_an_order_settled_by_an_adjustment_is_refused(acme_schema):
    """Issue 9 #6: a debt adjustment is no money in: it is neither kept nor refunded."""
    from finance.exceptions import SettledByAdjustment
    from finance.vouchers import debt_adjust, voucher_cancel

    owner = user("owner@acme.test")
    customer = customer_make(prepaid_allowed=True)
    order = order_create(actor=owner, customer=customer, lines=lines(product_make()),
                         approve=True)
    adjustment = debt_adjust(customer=customer, target_receivable=Decimal("70000"), actor=owner)
    with pytest.raises(SettledByAdjustment, match=adjustment.code):
        order_cancel(order=order, actor=owner, reason="returned")
    voucher_cancel(voucher=adjustment, actor=owner)
    order_cancel(order=order, actor=owner, reason="returned")
    customer.refresh_from_db()
    assert (customer.receivable_amount, customer.prepaid_amount) == (0, 0)


def test_a_receipt_settles_the_order_due_first_then_the_oldest(acme_schema):
    """Settlement pays the oldest debt: by due date, orders due the same day by creation;
    an order made earlier on longer terms waits."""
    import datetime

    from finance.vouchers import payment_record

    owner = user("owner@acme.test")
    customer = customer_make()
    product = product_make()
    made = [order_create(actor=owner, customer=customer, lines=lines(product), approve=True)
            for _n in range(3)]
    long_terms, due_first, due_same_day = made
    today = long_terms.due_date
    for order, due in ((long_terms, today + datetime.timedelta(days=30)),
                       (due_first, today - datetime.timedelta(days=5)),
                       (due_same_day, today - datetime.timedelta(days=5))):
        Order.objects.filter(pk=order.pk).update(due_date=due)
    payment_record(customer=customer, amount=Decimal("150000"), method="cash", actor=owner)
    settled = {o.pk: o.settled_amount for o in Order.objects.filter(customer=customer)}
    assert settled == {due_first.pk: Decimal("100000"), due_same_day.pk: Decimal("50000"),
                       long_terms.pk: Decimal("0")}
