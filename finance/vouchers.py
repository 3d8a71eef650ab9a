"""Voucher services: payments, debt adjustments and write-offs, opening balances,
prepaid top-ups and refunds, cancellation by reversal. Each is atomic, locks the customer
through finance.locks first, and returns the existing voucher for a repeated key."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Branch, Customer
from finance.codes import VOUCHER_PREFIXES
from finance.exceptions import (
    InvalidFinanceInput,
    InvalidStatus,
    OpeningBalanceExists,
    PaymentExceedsReceivable,
    PrepaidNotAllowed,
    WriteOffForbidden,
)
from finance.ledger import (
    allocations_release,
    balances_save,
    entries_reverse,
    orders_settle,
    voucher_post,
)
from finance.locks import customer_lock
from finance.models import LedgerEntry, Voucher
from finance.rules import (
    PREPAID,
    amount_check,
    branch_resolve,
    customer_branch_check,
    customer_open_check,
    payment_method_check,
)

Book, Kind = LedgerEntry.Book, LedgerEntry.Kind
Type, Purpose = Voucher.Type, Voucher.Purpose


def _begin(*, customer: Customer, actor, branch: Branch | None,
           idempotency_key: str | None) -> tuple[Voucher | None, Customer, Branch]:
    """Resolve the branch, then lock the customer (after which a voucher already made under
    this key is returned instead of a new one)."""
    branch = branch_resolve(actor=actor, branch=branch)
    customer = customer_lock(customer.pk)
    if idempotency_key:
        existing = Voucher.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, customer, branch
    customer_branch_check(customer, branch)
    return None, customer, branch


def _post(*, customer: Customer, actor, branch: Branch, type: str, purpose: str,
          amount: Decimal, entries, method: str = "", note: str = "",
          idempotency_key: str | None = None, settle: Decimal = Decimal(0),
          order_ids=()) -> Voucher:
    voucher = Voucher(type=type, customer=customer, branch=branch, method=method,
                      purpose=purpose, amount=amount, note=note,
                      idempotency_key=idempotency_key or None, created_by=actor)
    voucher, has_open_orders = voucher_post(customer=customer, voucher=voucher,
                                            prefix=VOUCHER_PREFIXES[type], entries=entries)
    if settle > 0 and has_open_orders:
        orders_settle(customer=customer, voucher=voucher, amount=settle, order_ids=order_ids)
    return voucher


@transaction.atomic
def payment_record(*, customer: Customer, amount: Decimal, method: str, actor,
                   branch: Branch | None = None, order_ids=(), note: str = "",
                   idempotency_key: str | None = None) -> Voucher:
    """A receipt (PT) lowering the receivable; the excess goes to prepaid when allowed.
    Paid from the prepaid balance (method prepaid) it moves prepaid to the receivable."""
    amount = amount_check(amount, field="amount")
    method = payment_method_check(method)
    existing, customer, branch = _begin(customer=customer, actor=actor, branch=branch,
                                        idempotency_key=idempotency_key)
    if existing is not None:
        return existing
    receivable = customer.receivable_amount
    applied = min(amount, max(receivable, Decimal(0)))
    excess = amount - applied
    if excess > 0 and (method == PREPAID or not customer.prepaid_allowed):
        raise PaymentExceedsReceivable(
            _("The payment %(amount)s is more than the receivable %(receivable)s and this "
              "customer has no prepaid balance to take the rest.")
            % {"amount": amount, "receivable": receivable},
            {"amount": [str(amount)], "receivable": str(receivable)})
    prepaid = ((Book.PREPAID, Kind.PREPAID_SPEND, -amount) if method == PREPAID
               else (Book.PREPAID, Kind.PREPAID_TOPUP, excess))
    return _post(customer=customer, actor=actor, branch=branch, type=Type.RECEIPT,
                 purpose=Purpose.DEBT_PAYMENT, amount=amount, method=method, note=note,
                 idempotency_key=idempotency_key, settle=applied, order_ids=order_ids,
                 entries=[prepaid, (Book.RECEIVABLE, Kind.RECEIPT, -applied)])


@transaction.atomic
def debt_adjust(*, customer: Customer, target_receivable: Decimal, actor,
                branch: Branch | None = None, note: str = "", write_off: bool = False,
                idempotency_key: str | None = None) -> Voucher:
    """Make the receivable exactly `target_receivable` with a payment voucher (PC) whose
    amount is the signed change (purpose adjustment, or write_off for bad debt, which
    needs `finance.write_off_debt`)."""
    if write_off and not actor.has_perm("finance.write_off_debt"):
        raise WriteOffForbidden(_("You may not write off debt."))
    target = amount_check(target_receivable, field="target_receivable", positive=False)
    if target < 0:
        raise InvalidFinanceInput("target_receivable", _("The receivable cannot be negative."))
    existing, customer, branch = _begin(customer=customer, actor=actor, branch=branch,
                                        idempotency_key=idempotency_key)
    if existing is not None:
        return existing
    change = target - customer.receivable_amount
    if change == 0:
        raise InvalidFinanceInput("target_receivable", _("The receivable is already %(amount)s.")
                                  % {"amount": target})
    if write_off and change > 0:
        raise InvalidFinanceInput("target_receivable", _("A write-off can only lower the debt."))
    purpose, kind = ((Purpose.WRITE_OFF, Kind.WRITE_OFF) if write_off
                     else (Purpose.ADJUSTMENT, Kind.ADJUSTMENT))
    return _post(customer=customer, actor=actor, branch=branch, type=Type.PAYMENT,
                 purpose=purpose, amount=change, note=note, idempotency_key=idempotency_key,
                 settle=-change, entries=[(Book.RECEIVABLE, kind, change)])


@transaction.atomic
def opening_balance_set(*, customer: Customer, amount: Decimal, actor,
                        branch: Branch | None = None, note: str = "",
                        idempotency_key: str | None = None) -> Voucher:
    """The receivable a customer brings when the tenant moves in; once per customer."""
    amount = amount_check(amount, field="amount")
    existing, customer, branch = _begin(customer=customer, actor=actor, branch=branch,
                                        idempotency_key=idempotency_key)
    if existing is not None:
        return existing
    if Voucher.objects.filter(customer=customer, purpose=Purpose.OPENING,
                              status=Voucher.Status.COMPLETED).exists():
        raise OpeningBalanceExists(_("Customer %(code)s already has an opening balance.")
                                   % {"code": customer.code})
    return _post(customer=customer, actor=actor, branch=branch, type=Type.PAYMENT,
                 purpose=Purpose.OPENING, amount=amount, note=note,
                 idempotency_key=idempotency_key,
                 entries=[(Book.RECEIVABLE, Kind.OPENING, amount)])


def _prepaid_move(*, customer: Customer, amount: Decimal, method: str, actor, branch, note: str,
                  idempotency_key: str | None, refund: bool) -> Voucher:
    amount = amount_check(amount, field="amount")
    method = payment_method_check(method, prepaid_ok=False)
    existing, customer, branch = _begin(customer=customer, actor=actor, branch=branch,
                                        idempotency_key=idempotency_key)
    if existing is not None:
        return existing
    if not refund and not customer.prepaid_allowed:
        raise PrepaidNotAllowed(_("Customer %(code)s may not keep a prepaid balance.")
                                % {"code": customer.code})
    entry = ((Book.PREPAID, Kind.PREPAID_REFUND, -amount) if refund
             else (Book.PREPAID, Kind.PREPAID_TOPUP, amount))
    return _post(customer=customer, actor=actor, branch=branch,
                 type=Type.PAYMENT if refund else Type.RECEIPT,
                 purpose=Purpose.REFUND if refund else Purpose.PREPAID_TOPUP, amount=amount,
                 method=method, note=note, idempotency_key=idempotency_key, entries=[entry])


@transaction.atomic
def prepaid_topup(*, customer: Customer, amount: Decimal, method: str, actor,
                  branch: Branch | None = None, note: str = "",
                  idempotency_key: str | None = None) -> Voucher:
    return _prepaid_move(customer=customer, amount=amount, method=method, actor=actor,
                         branch=branch, note=note, idempotency_key=idempotency_key, refund=False)


@transaction.atomic
def prepaid_refund(*, customer: Customer, amount: Decimal, method: str, actor,
                   branch: Branch | None = None, note: str = "",
                   idempotency_key: str | None = None) -> Voucher:
    return _prepaid_move(customer=customer, amount=amount, method=method, actor=actor,
                         branch=branch, note=note, idempotency_key=idempotency_key, refund=True)


@transaction.atomic
def voucher_cancel(*, voucher: Voucher, actor, note: str = "") -> Voucher:
    """Cancelled status plus reversing entries that restore every balance it moved."""
    customer = customer_lock(voucher.customer_id)
    voucher = Voucher.objects.select_for_update().get(pk=voucher.pk)
    if voucher.status != Voucher.Status.COMPLETED:
        raise InvalidStatus(_("Voucher %(code)s is already cancelled.") % {"code": voucher.code})
    if voucher.purpose == Purpose.TRANSFER:
        raise InvalidStatus(_("A merge transfer cannot be cancelled."))
    customer_open_check(customer, document=voucher.code)
    posted = list(LedgerEntry.objects.filter(voucher=voucher, reverses__isnull=True))
    entries_reverse(customer=customer, entries=posted, branch=voucher.branch, actor=actor,
                    voucher=voucher)
    allocations_release(voucher=voucher)
    balances_save(customer)
    voucher.status = Voucher.Status.CANCELLED
    voucher.cancelled_at = timezone.now()
    voucher.cancelled_by = actor
    if note:
        voucher.note = f"{voucher.note}\n{note}".strip()
    voucher.save(update_fields=["status", "cancelled_at", "cancelled_by", "note"])
    return voucher
