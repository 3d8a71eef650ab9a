"""The credit limit (hạn mức công nợ / 信用額度): how much receivable a customer may carry.

A limit binds only when it is set and enforced. Order creation refuses a customer already
over it; approval refuses an order whose unpaid part would take the receivable past it.
Callers hold the customer's row lock (finance.locks), so the receivable read is current.
"""

from dataclasses import dataclass
from decimal import Decimal

from crm.models import Customer
from finance.exceptions import CreditLimitExceeded, CustomerOverCreditLimit


def _enforced_limit(customer: Customer) -> Decimal | None:
    if not customer.credit_limit_enforced:
        return None
    return customer.credit_limit_amount


def credit_limit_check(*, customer: Customer, adding: Decimal) -> None:
    """Refuse `adding` more receivable when it would take the customer past the limit."""
    limit = _enforced_limit(customer)
    if limit is not None and customer.receivable_amount + adding > limit:
        raise CreditLimitExceeded(limit=limit, receivable=customer.receivable_amount,
                                  amount=adding)


def credit_limit_over_check(*, customer: Customer) -> None:
    """Refuse any new order of a customer whose receivable is already over the limit."""
    limit = _enforced_limit(customer)
    if limit is not None and customer.receivable_amount > limit:
        raise CustomerOverCreditLimit(limit=limit, receivable=customer.receivable_amount)


# An enforced limit is "near" (the counter's amber banner) when less than this share of it
# is left to sell on account.
NEAR_SHARE = Decimal("0.2")


@dataclass(frozen=True)
class CreditStanding:
    """Where a customer stands against the limit, for the counter's banner. `state` is
    "none" (no limit), "reference" (a limit not enforced), "blocked" (over an enforced
    limit: no new order), "near" or "ok"; `available` is what can still be sold on
    account under an enforced limit (None when nothing binds)."""

    state: str
    limit: Decimal | None
    receivable: Decimal
    available: Decimal | None

    @property
    def used_percent(self) -> int:
        """How much of the limit the receivable uses, 0 to 100 (the meter's bar)."""
        if not self.limit or self.limit <= 0:
            return 100 if self.limit is not None and self.receivable > 0 else 0
        return int(min(max(self.receivable / self.limit * 100, Decimal(0)), Decimal(100)))


def credit_standing(*, customer: Customer) -> CreditStanding:
    limit, receivable = customer.credit_limit_amount, customer.receivable_amount
    if limit is None:
        return CreditStanding("none", None, receivable, None)
    if not customer.credit_limit_enforced:
        return CreditStanding("reference", limit, receivable, None)
    available = max(limit - receivable, Decimal(0))
    if receivable > limit:
        state = "blocked"
    elif available < limit * NEAR_SHARE:
        state = "near"
    else:
        state = "ok"
    return CreditStanding(state, limit, receivable, available)
