"""Finance's domain errors; api/errors.py turns each into {"code", "detail", "fields"}."""

from django.utils.translation import gettext as _

from saas_platform.errors import DomainError
from tenants.current import tenant_money


def _amount(value) -> str:

    return str(tenant_money(value))


class FinanceError(DomainError):
    """A rule of money refused the request; `fields` may carry the figures."""

    def __init__(self, message: str | None = None, fields: dict | None = None):
        super().__init__(message, fields=fields)


class CreditLimitExceeded(FinanceError):
    code, http_status = "credit_limit_exceeded", 409

    def __init__(self, *, limit, receivable, amount):
        # `available`: the most this customer can still buy on account.
        figures = {"credit_limit": _amount(limit), "receivable": _amount(receivable),
                   "amount": _amount(amount), "available": _amount(max(limit - receivable, 0))}
        super().__init__(
            _("Credit limit %(credit_limit)s would be exceeded: current receivable "
              "%(receivable)s, this order adds %(amount)s; at most %(available)s can be sold "
              "on account.") % figures, figures)


class CustomerOverCreditLimit(FinanceError):
    code, http_status = "customer_over_credit_limit", 409

    def __init__(self, *, limit, receivable):
        figures = {"credit_limit": _amount(limit), "receivable": _amount(receivable)}
        super().__init__(
            _("This customer is over the enforced credit limit %(credit_limit)s (receivable "
              "%(receivable)s): no new order can be made.") % figures, figures)


class PaymentRequired(FinanceError):
    """Cash-settlement customers and walk-ins pay in full before approval."""
    code, http_status = "payment_required", 409


class WriteOffForbidden(FinanceError):
    """Writing off bad debt needs its own permission beyond adjusting debt."""
    code, http_status = "permission_denied", 403


class PaymentExceedsReceivable(FinanceError):
    code, http_status = "payment_exceeds_receivable", 409


class PrepaidNotAllowed(FinanceError):
    code, http_status = "prepaid_not_allowed", 409


class InsufficientPrepaid(FinanceError):
    code, http_status = "insufficient_prepaid", 409


class InsufficientCoins(FinanceError):
    code, http_status = "insufficient_coins", 409


class CustomerNotAtBranch(FinanceError):
    code, http_status = "customer_not_at_branch", 409


class InvalidStatus(FinanceError):
    code, http_status = "invalid_status", 409


class CustomerClosed(FinanceError):
    """An inactive or merged customer's balances no longer move: nobody collects there."""
    code, http_status = "customer_closed", 409


class RefundRequired(FinanceError):
    """Cancelling a paid order would leave a credit the customer may not keep."""
    code, http_status = "refund_required", 409


class SettledByAdjustment(FinanceError):
    """Cancelling the order would turn debt adjustments into a credit nobody paid."""
    code, http_status = "settled_by_adjustment", 409


class OpeningBalanceExists(FinanceError):
    code, http_status = "opening_balance_exists", 409


class InUse(FinanceError):
    code, http_status = "in_use", 409


class InvalidFinanceInput(FinanceError):
    """Bad input found by a service (names the field in `fields`)."""
    code, http_status = "invalid", 400

    def __init__(self, field: str, message: str):
        super().__init__(message, {field: [message]})


class GroupNotVisible(FinanceError):
    """A consolidated statement shows every company of the group: all must be visible."""
    code, http_status = "group_not_visible", 403
