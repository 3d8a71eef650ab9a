"""Checks shared by the finance services: branches, payment methods, amounts."""

from decimal import Decimal

from django.utils.translation import gettext as _

from crm.models import Branch, Customer, StaffBranch
from crm.roles import OWNER
from crm.selectors import staff_branch_ids
from finance.exceptions import CustomerClosed, CustomerNotAtBranch, InvalidFinanceInput
from finance.models import PaymentMethod
from tenants.current import tenant_money

CASH, CARD, TRANSFER, PREPAID = "cash", "card", "transfer", "prepaid"
BUILTIN_METHODS = (CASH, CARD, TRANSFER, PREPAID)


def payment_method_check(code: str, *, field: str = "method", prepaid_ok: bool = True) -> str:
    code = (code or "").strip()
    if code in BUILTIN_METHODS and (prepaid_ok or code != PREPAID):
        return code
    if code != PREPAID and PaymentMethod.objects.filter(code=code, active=True).exists():
        return code
    raise InvalidFinanceInput(field, _("Unknown payment method “%(method)s”.") % {"method": code})


def amount_check(value, *, field: str, positive: bool = True) -> Decimal:
    amount = Decimal(value)
    if amount != tenant_money(amount):
        raise InvalidFinanceInput(field, _("Too many decimals for this currency."))
    if positive and amount <= 0:
        raise InvalidFinanceInput(field, _("Must be greater than zero."))
    return amount


def branch_resolve(*, actor, branch: Branch | None) -> Branch:
    """The acting user's primary branch by default; otherwise one they work at."""
    if branch is None:
        link = StaffBranch.objects.filter(user=actor, primary=True).select_related(
            "branch").first()
        if link is None:
            raise InvalidFinanceInput("branch", _("You have no primary branch: choose one."))
        return link.branch
    if (branch.pk not in staff_branch_ids(actor)
            and not actor.groups.filter(name=OWNER).exists()):
        raise InvalidFinanceInput("branch", _("You do not work at branch %(code)s.")
                                  % {"code": branch.code})
    return branch


def customer_branch_check(customer: Customer, branch: Branch) -> None:
    """A customer not shared across branches buys and pays only at its home branch."""
    if not customer.shared and customer.home_branch_id != branch.pk:
        raise CustomerNotAtBranch(
            _("Customer %(code)s is not shared across branches: only its home branch can "
              "sell to it or take its payments.") % {"code": customer.code},
            {"branch": [str(branch.pk)]})
    if customer.status != Customer.Status.ACTIVE:
        raise InvalidFinanceInput("customer", _("Customer %(code)s is inactive.")
                                  % {"code": customer.code})


def customer_open_check(customer: Customer, *, document: str) -> None:
    """Cancelling `document` moves the customer's balances: refused on an inactive record
    (reactivate it first) and on a merged one, whose balances went to the survivor."""
    if customer.status == Customer.Status.ACTIVE:
        return
    if customer.merged_into_id:
        survivor, seen = Customer.objects.only("code", "merged_into_id").get(
            pk=customer.merged_into_id), {customer.pk}
        while survivor.merged_into_id and survivor.merged_into_id not in seen:
            seen.add(survivor.pk)
            survivor = Customer.objects.only("code", "merged_into_id").get(
                pk=survivor.merged_into_id)
        raise CustomerClosed(
            _("Customer %(code)s was merged into %(survivor)s: %(document)s cannot be "
              "cancelled on the merged record. Record the correction on %(survivor)s "
              "(adjust its debt).")
            % {"code": customer.code, "survivor": survivor.code, "document": document},
            {"survivor": survivor.code})
    raise CustomerClosed(
        _("Customer %(code)s is inactive: reactivate it before cancelling %(document)s.")
        % {"code": customer.code, "document": document})
