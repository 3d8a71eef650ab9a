"""Hypothesis: any sequence of finance operations keeps every stored balance equal to the
sum of its ledger entries, and prepaid never negative."""

from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from finance.checks import balances_mismatched
from finance.exceptions import FinanceError
from finance.ledger import Book
from finance.models import LedgerEntry, Order, Voucher
from finance.orders import order_approve, order_cancel, order_create
from finance.selectors import customer_aging
from finance.vouchers import (
    debt_adjust,
    payment_record,
    prepaid_refund,
    prepaid_topup,
    voucher_cancel,
)
from tests.finance.factories import customer_make, lines, product_make, user

amounts = st.integers(min_value=1, max_value=50).map(lambda n: Decimal(n * 10000))


class Ledger(RuleBasedStateMachine):
    orders = Bundle("orders")
    vouchers = Bundle("vouchers")

    def __init__(self):
        super().__init__()
        self.actor = user("owner@acme.test")
        self.product = product_make("30000")

    @initialize(prepaid=st.booleans(), limit=st.sampled_from([None, Decimal("500000")]))
    def customer(self, prepaid, limit):
        self.customer = customer_make(prepaid_allowed=prepaid, credit_limit_amount=limit,
                                      credit_limit_enforced=limit is not None)

    def _try(self, action):
        try:
            return action()
        except FinanceError:
            return None

    @rule(target=orders, quantity=st.integers(1, 5), paid=st.integers(0, 2),
          method=st.sampled_from(["cash", "prepaid"]), approve=st.booleans(),
          coins=st.integers(0, 3))
    def order(self, quantity, paid, method, approve, coins):
        paid_amount = Decimal(min(paid, quantity) * 30000) - Decimal(coins * 100) * (paid > 0)
        return self._try(lambda: order_create(
            actor=self.actor, customer=self.customer, lines=lines(self.product, str(quantity)),
            paid_amount=max(paid_amount, Decimal(0)), payment_method=method,
            coins_redeem=coins, approve=approve))

    @rule(order=orders)
    def approve(self, order):
        if order is not None:
            self._try(lambda: order_approve(order=order, actor=self.actor))

    @rule(order=orders)
    def cancel(self, order):
        if order is not None:
            self._try(lambda: order_cancel(order=order, actor=self.actor, reason="test"))

    @rule(target=vouchers, amount=amounts, method=st.sampled_from(["cash", "prepaid"]))
    def pay(self, amount, method):
        return self._try(lambda: payment_record(customer=self.customer, amount=amount,
                                                method=method, actor=self.actor))

    @rule(target=vouchers, target_receivable=st.integers(0, 40).map(lambda n: Decimal(n * 5000)),
          write_off=st.booleans())
    def adjust(self, target_receivable, write_off):
        return self._try(lambda: debt_adjust(customer=self.customer,
                                             target_receivable=target_receivable,
                                             actor=self.actor, write_off=write_off))

    @rule(target=vouchers, amount=amounts)
    def topup(self, amount):
        return self._try(lambda: prepaid_topup(customer=self.customer, amount=amount,
                                               method="cash", actor=self.actor))

    @rule(target=vouchers, amount=amounts)
    def refund(self, amount):
        return self._try(lambda: prepaid_refund(customer=self.customer, amount=amount,
                                                method="cash", actor=self.actor))

    @rule(voucher=vouchers)
    def cancel_voucher(self, voucher):
        if voucher is not None:
            self._try(lambda: voucher_cancel(voucher=voucher, actor=self.actor))

    @invariant()
    def balances_equal_their_entries(self):
        if not hasattr(self, "customer"):
            return
        assert [r for r in balances_mismatched() if r["id"] == self.customer.pk] == []
        self.customer.refresh_from_db()
        assert self.customer.prepaid_amount >= 0
        assert self.customer.coins >= 0
        limit = self.customer.credit_limit_amount
        if limit is not None:
            # Only adjustments and cancellations (deliberate acts) lift it over the limit.
            raised_by_orders = LedgerEntry.objects.filter(
                customer=self.customer, book=Book.RECEIVABLE,
                kind__in=["adjustment", "reversal"]).exists()
            assert raised_by_orders or self.customer.receivable_amount <= limit
        aging = customer_aging(customer=self.customer)
        assert sum(aging["buckets"].values()) == self.customer.receivable_amount
        cancelled = Voucher.objects.filter(customer=self.customer, status="cancelled")
        for voucher in cancelled:
            assert sum(e.amount for e in voucher.ledger_entries.all()) == 0
        for order in Order.objects.filter(customer=self.customer, status="cancelled"):
            assert sum(e.amount for e in order.ledger_entries.filter(book="receivable")) == 0


def test_any_sequence_keeps_balances_equal_to_entries(acme_schema):
    run_state_machine_as_test(Ledger, settings=settings(
        max_examples=25, stateful_step_count=20, deadline=None,
        suppress_health_check=list(HealthCheck)))
