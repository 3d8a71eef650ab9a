"""Finance's domain errors; api/errors.py turns each into {"code", "detail", "fields"}."""

from django.utils.translation import gettext as _

from api.errors import domain_error


def _amount(value) -> str:
    from finance.ledger import money  # late: ledger imports these exceptions

    return str(money(value))


class FinanceError(Exception):
    fields: dict | None = None

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message)
        self.fields = fields


@domain_error(409, "credit_limit_exceeded")
class CreditLimitExceeded(FinanceError):
    def __init__(self, *, limit, receivable, amount):
        figures = {"credit_limit": _amount(limit), "receivable": _amount(receivable),
                   "amount": _amount(amount)}
        super().__init__(
            _("Credit limit %(credit_limit)s would be exceeded: current receivable "
              "%(receivable)s, this order adds %(amount)s.") % figures, figures)


@domain_error(409, "customer_over_credit_limit")
class CustomerOverCreditLimit(FinanceError):
    def __init__(self, *, limit, receivable):
        figures = {"credit_limit": _amount(limit), "receivable": _amount(receivable)}
        super().__init__(
            _("This customer is over the enforced credit limit %(credit_limit)s (receivable "
              "%(receivable)s): no new order can be made.") % figures, figures)


@domain_error(409, "payment_required")
class PaymentRequired(FinanceError):
    """Cash-settlement customers and walk-ins pay in full before approval."""


@domain_error(409, "payment_exceeds_receivable")
class PaymentExceedsReceivable(FinanceError):
    pass


@domain_error(409, "prepaid_not_allowed")
class PrepaidNotAllowed(FinanceError):
    pass


@domain_error(409, "insufficient_prepaid")
class InsufficientPrepaid(FinanceError):
    pass


@domain_error(409, "insufficient_coins")
class InsufficientCoins(FinanceError):
    pass


@domain_error(409, "customer_not_at_branch")
class CustomerNotAtBranch(FinanceError):
    pass


@domain_error(409, "invalid_status")
class InvalidStatus(FinanceError):
    pass


@domain_error(409, "opening_balance_exists")
class OpeningBalanceExists(FinanceError):
    pass


@domain_error(409, "in_use")
class InUse(FinanceError):
    pass


@domain_error(400, "invalid")
class InvalidFinanceInput(FinanceError):
    """Bad input found by a service (names the field in `fields`)."""

    def __init__(self, field: str, message: str):
        super().__init__(message, {field: [message]})
