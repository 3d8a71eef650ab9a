"""Order services: create (optionally approving in the same transaction), approve, cancel."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Branch, Customer
from crm.selectors import customer_visible_check
from crm.services import customer_create
from crm.validation import MAX_PAYMENT_TERMS_DAYS
from finance.catalogue import price_resolve
from finance.codes import ORDER_PREFIX, VOUCHER_PREFIXES, document_code_next
from finance.credit import credit_limit_check, credit_limit_over_check
from finance.exceptions import (
    InvalidFinanceInput,
    InvalidStatus,
    PaymentRequired,
    RefundRequired,
    SettledByAdjustment,
)
from finance.ledger import (
    allocations_release,
    balances_save,
    entries_reverse,
    entry_post,
    orders_settle,
    voucher_post,
)
from finance.locks import customer_lock
from finance.models import FinanceSettings, LedgerEntry, Order, OrderLine, Product, Voucher
from finance.rules import (
    PREPAID,
    branch_resolve,
    customer_branch_check,
    customer_open_check,
    payment_method_check,
)
from saas_platform.money import AMOUNT_LIMIT
from tenants.current import tenant_current, tenant_money

Book, Kind = LedgerEntry.Book, LedgerEntry.Kind


@dataclass(frozen=True)
class LineInput:
    product: Product
    quantity: Decimal
    unit_price: Decimal | None = None


def finance_settings() -> FinanceSettings:
    found, _created = FinanceSettings.objects.get_or_create(pk=1)
    return found


@transaction.atomic
def finance_settings_update(*, coin_earn_step_amount: Decimal | None = None,
                            coin_value_amount: Decimal | None = None,
                            payment_terms_days: int | None = None) -> FinanceSettings:
    found = FinanceSettings.objects.select_for_update().get(pk=finance_settings().pk)
    if payment_terms_days is not None:
        if not 0 <= payment_terms_days <= MAX_PAYMENT_TERMS_DAYS:
            raise InvalidFinanceInput("payment_terms_days",
                                      _("Payment terms are 0 to %(max)s days.")
                                      % {"max": MAX_PAYMENT_TERMS_DAYS})
        found.payment_terms_days = payment_terms_days
    for field, value in (("coin_earn_step_amount", coin_earn_step_amount),
                         ("coin_value_amount", coin_value_amount)):
        if value is not None:
            if value < 0 or value != tenant_money(value):
                raise InvalidFinanceInput(field, _("Not a valid amount."))
            setattr(found, field, value)
    found.save()
    return found


def payment_terms_of(customer: Customer | None) -> int:
    """The customer's own terms, else the tenant's default; a walk-in pays at once."""
    if customer is None:
        return 0
    if customer.payment_terms_days is not None:
        return customer.payment_terms_days
    return finance_settings().payment_terms_days


def _terms_due(customer: Customer | None, day: datetime.date) -> tuple[int, datetime.date]:
    """(terms, due date) of an order of `day` (its local date) for the customer as it is now."""
    terms = payment_terms_of(customer)
    return terms, day + datetime.timedelta(days=terms)


def _lines_build(*, lines, customer, actor) -> list[OrderLine]:
    if not lines:
        raise InvalidFinanceInput("lines", _("An order needs at least one line."))
    today = timezone.localdate()
    built = []
    for i, line in enumerate(lines):
        if not line.product.active:
            raise InvalidFinanceInput(f"lines[{i}].product", _("Product %(sku)s is inactive.")
                                      % {"sku": line.product.sku})
        if line.quantity <= 0:
            raise InvalidFinanceInput(f"lines[{i}].quantity", _("Must be greater than zero."))
        price = price_resolve(product=line.product, customer=customer, on=today)
        if line.unit_price is not None and line.unit_price != price:
            if not actor.has_perm("finance.override_price_order"):
                raise InvalidFinanceInput(f"lines[{i}].unit_price",
                                          _("You may not change the price of a line."))
            if line.unit_price < 0 or line.unit_price != tenant_money(line.unit_price):
                raise InvalidFinanceInput(f"lines[{i}].unit_price", _("Not a valid price."))
            price = line.unit_price
        amount = tenant_money(line.quantity * price)
        if amount >= AMOUNT_LIMIT:
            raise InvalidFinanceInput(f"lines[{i}].quantity", _("The amount is too large."))
        built.append(OrderLine(product=line.product, quantity=line.quantity,
                               unit_price_amount=price, line_amount=amount))
    if sum((line.line_amount for line in built), Decimal(0)) >= AMOUNT_LIMIT:
        raise InvalidFinanceInput("lines", _("The amount is too large."))
    return built


@dataclass(frozen=True)
class OrderQuote:
    lines: list[OrderLine]  # unsaved, priced
    subtotal_amount: Decimal
    coin_discount_amount: Decimal
    total_amount: Decimal


def order_quote(*, actor, lines: list[LineInput], customer: Customer | None = None,
                coins_redeem: int = 0) -> OrderQuote:
    """What these lines cost this customer (the resolved prices, the coins taken off),
    writing nothing: the counter shows it while the order is built, and order_create
    prices the order with it."""
    if coins_redeem < 0 or (coins_redeem and customer is None):
        raise InvalidFinanceInput("coins_redeem", _("Only a customer can redeem coins."))
    if coins_redeem > (customer.coins if customer is not None else 0):
        raise InvalidFinanceInput("coins_redeem", _("The customer has only %(coins)s coins.")
                                  % {"coins": customer.coins})
    built = _lines_build(lines=lines, customer=customer, actor=actor)
    subtotal = sum((line.line_amount for line in built), Decimal(0))
    discount = tenant_money(coins_redeem * finance_settings().coin_value_amount)
    if discount > subtotal:
        raise InvalidFinanceInput("coins_redeem", _("The coins are worth more than the order."))
    return OrderQuote(lines=built, subtotal_amount=subtotal, coin_discount_amount=discount,
                      total_amount=subtotal - discount)


@transaction.atomic
def order_create(
    *,
    actor,
    lines: list[LineInput],
    customer: Customer | None = None,
    new_customer: dict | None = None,
    branch: Branch | None = None,
    channel: str = Order.Channel.COUNTER,
    paid_amount: Decimal = Decimal(0),
    payment_method: str = "",
    coins_redeem: int = 0,
    department=None,
    terminal=None,
    note: str = "",
    approve: bool = False,
    idempotency_key: str | None = None,
) -> Order:
    """A draft order, approved in the same transaction when `approve`: if approval is
    refused the exception leaves nothing behind, not even the draft. `new_customer` creates
    the customer inline (CRM's service) in the same transaction. A customer the actor may
    not see is unknown (CustomerUnknown)."""
    customer_visible_check(user=actor, customer=customer)
    branch = branch_resolve(actor=actor, branch=branch)
    if customer is not None:
        customer = customer_lock(customer.pk)  # a repeat with the same key waits here
    if idempotency_key:
        existing = Order.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    if new_customer:
        customer = customer_create(actor=actor, **{"home_branch": branch, **new_customer})
        customer = customer_lock(customer.pk)
    if channel not in Order.Channel.values:
        raise InvalidFinanceInput("channel", _("Unknown channel."))
    if customer is not None:
        customer_branch_check(customer, branch)
        credit_limit_over_check(customer=customer)
    for field, value in (("department", department), ("terminal", terminal)):
        if value is not None and (customer is None or value.customer_id != customer.pk):
            raise InvalidFinanceInput(field, _("Does not belong to this order's customer."))
    if paid_amount < 0 or paid_amount != tenant_money(paid_amount):
        raise InvalidFinanceInput("paid_amount", _("Not a valid amount."))
    if paid_amount > 0:
        payment_method = payment_method_check(payment_method, field="payment_method",
                                              prepaid_ok=customer is not None)
    elif payment_method:
        payment_method = payment_method_check(payment_method, field="payment_method")
    quote = order_quote(actor=actor, lines=lines, customer=customer, coins_redeem=coins_redeem)
    if paid_amount > quote.total_amount:
        raise InvalidFinanceInput("paid_amount", _("More than the order's total %(total)s.")
                                  % {"total": quote.total_amount})
    terms, due = _terms_due(customer, timezone.now().astimezone(tenant_current().timezone).date())
    order = Order.objects.create(
        code=document_code_next(ORDER_PREFIX), customer=customer, branch=branch, channel=channel,
        department=department, terminal=terminal, subtotal_amount=quote.subtotal_amount,
        coins_redeemed=coins_redeem, coin_discount_amount=quote.coin_discount_amount,
        total_amount=quote.total_amount, paid_amount=paid_amount,
        payment_method=payment_method, note=note, idempotency_key=idempotency_key or None,
        created_by=actor, payment_terms_days=terms, due_date=due)
    for line in quote.lines:
        line.order = order
    OrderLine.objects.bulk_create(quote.lines)
    if approve:
        order = order_approve(order=order, actor=actor)
    return order


def _order_locked(order: Order) -> tuple[Order, Customer | None]:
    customer = customer_lock(order.customer_id) if order.customer_id else None
    return Order.objects.select_for_update().get(pk=order.pk), customer


@transaction.atomic
def order_approve(*, order: Order, actor) -> Order:
    order, customer = _order_locked(order)
    if order.status != Order.Status.DRAFT:
        raise InvalidStatus(_("Order %(code)s is %(status)s, not a draft.")
                            % {"code": order.code, "status": order.get_status_display()})
    unpaid = order.unpaid_amount
    if customer is None:
        if unpaid > 0:
            raise PaymentRequired(_("A walk-in sale must be paid in full (%(total)s).")
                                  % {"total": order.total_amount}, {"paid_amount": [str(unpaid)]})
    else:
        customer_branch_check(customer, order.branch)
        if customer.settlement_method == Customer.Settlement.CASH and unpaid > 0:
            raise PaymentRequired(
                _("Customer %(code)s settles in cash: the order must be paid in full "
                  "(%(total)s) before approval.") % {"code": customer.code,
                                                     "total": order.total_amount},
                {"paid_amount": [str(unpaid)]})
        credit_limit_check(customer=customer, adding=unpaid)
        _order_post(order=order, customer=customer, actor=actor)
    # The debt is born now: the terms as they are today, from the order's own date.
    order.payment_terms_days, order.due_date = _terms_due(
        customer, order.created_at.astimezone(tenant_current().timezone).date())
    order.status = Order.Status.APPROVED
    order.approved_at = timezone.now()
    order.approved_by = actor
    order.save(update_fields=["status", "approved_at", "approved_by", "coins_earned",
                              "payment_terms_days", "due_date"])
    return order


def _order_post(*, order: Order, customer: Customer, actor) -> None:
    step = finance_settings().coin_earn_step_amount
    order.coins_earned = int(order.total_amount // step) if step > 0 else 0
    common = {"customer": customer, "order": order, "branch": order.branch, "actor": actor}
    key = f"O{order.pk}"
    if order.payment_method == PREPAID:
        entry_post(book=Book.PREPAID, kind=Kind.PREPAID_SPEND, amount=-order.paid_amount,
                   key=f"{key}:prepaid", **common)
    entry_post(book=Book.COINS, kind=Kind.COIN_REDEEM, amount=-order.coins_redeemed,
               key=f"{key}:coin_redeem", **common)
    entry_post(book=Book.RECEIVABLE, kind=Kind.ORDER, amount=order.unpaid_amount,
               key=f"{key}:receivable", **common)
    entry_post(book=Book.PURCHASES, kind=Kind.ORDER, amount=order.total_amount,
               key=f"{key}:purchases", **common)
    entry_post(book=Book.COINS, kind=Kind.COIN_EARN, amount=order.coins_earned,
               key=f"{key}:coin_earn", **common)
    balances_save(customer)


@transaction.atomic
def order_cancel(*, order: Order, actor, reason: str, refund_method: str = "") -> Order:
    """Cancel a draft, or an approved order by reversing everything it posted. Receipts
    allocated to it are released: they settle the customer's other open orders, and what
    is left beyond the receivable goes to prepaid when the customer may keep one, else
    out in a refund voucher (PC) paid by `refund_method`; without one it is refused."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidFinanceInput("reason", _("Say why the order is cancelled."))
    if refund_method:
        refund_method = payment_method_check(refund_method, field="refund_method",
                                             prepaid_ok=False)
    order, customer = _order_locked(order)
    if order.status == Order.Status.CANCELLED:
        raise InvalidStatus(_("Order %(code)s is already cancelled.") % {"code": order.code})
    posting = order.status == Order.Status.APPROVED and customer is not None
    if posting:
        customer_open_check(customer, document=order.code)
    order.status = Order.Status.CANCELLED
    order.cancelled_at = timezone.now()
    order.cancelled_by = actor
    order.cancel_reason = reason
    # Saved first, so that re-settling the released receipts passes over this order.
    order.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    if posting:
        posted = list(LedgerEntry.objects.filter(order=order, reverses__isnull=True))
        entries_reverse(customer=customer, entries=posted, branch=order.branch, actor=actor,
                        order=order)
        released = allocations_release(order=order)
        if released:
            _released_move(order=order, customer=customer, released=released, actor=actor,
                           refund_method=refund_method)
        balances_save(customer)
        order.settled_amount -= sum(released.values(), Decimal(0))
    return order


def _released_move(*, order: Order, customer: Customer, released: dict, actor,
                   refund_method: str) -> None:
    """Money that settled a cancelled order: first onto the customer's other debts, the
    rest (a credit, now a negative receivable) to prepaid or refunded (DESIGN §3: an
    excess payment goes to prepaid when allowed, otherwise it is not kept)."""
    total = sum(released.values(), Decimal(0))
    credit = min(total, max(Decimal(0), -customer.receivable_amount))
    resettle = total - credit
    # Debt adjustments re-settle first: only money a receipt brought in can be kept or paid
    # back; a credit made of adjustments nobody paid must be undone by cancelling them.
    vouchers = sorted(Voucher.objects.filter(pk__in=released),
                      key=lambda v: (v.type == Voucher.Type.RECEIPT, v.pk))
    for voucher in vouchers:
        share = min(resettle, released[voucher.pk])
        if share > 0:
            orders_settle(customer=customer, voucher=voucher, amount=share)
            resettle -= share
    if credit <= 0:
        return
    paid_in = sum((released[v.pk] for v in vouchers if v.type == Voucher.Type.RECEIPT),
                  Decimal(0))
    if credit > paid_in:
        adjustments = [v.code for v in vouchers if v.type != Voucher.Type.RECEIPT]
        raise SettledByAdjustment(
            _("Order %(code)s was settled by debt adjustments (%(vouchers)s): cancel them "
              "first, or the customer would keep a credit of %(amount)s nobody paid.")
            % {"code": order.code, "vouchers": ", ".join(adjustments),
               "amount": tenant_money(credit - paid_in)},
            {"vouchers": adjustments})
    key = f"O{order.pk}:cancel:credit"
    if customer.prepaid_allowed:
        common = {"customer": customer, "order": order, "branch": order.branch,
                  "actor": actor}
        entry_post(book=Book.RECEIVABLE, kind=Kind.PREPAID_TOPUP, amount=credit,
                   key=f"{key}:receivable", **common)
        entry_post(book=Book.PREPAID, kind=Kind.PREPAID_TOPUP, amount=credit,
                   key=f"{key}:prepaid", **common)
        return
    if not refund_method:
        raise RefundRequired(
            _("Order %(code)s was paid %(amount)s by receipts and customer %(customer)s may "
              "not keep a prepaid balance: choose a refund method to pay it back with a "
              "payment voucher, or cancel the receipts first.")
            % {"code": order.code, "amount": tenant_money(credit), "customer": customer.code},
            {"refund_method": [_("Required to refund %(amount)s.")
                               % {"amount": tenant_money(credit)}],
             "amount": str(tenant_money(credit))})
    refund = Voucher(type=Voucher.Type.PAYMENT, customer=customer, branch=order.branch,
                     method=refund_method, purpose=Voucher.Purpose.REFUND, amount=credit,
                     note=_("Refund of cancelled order %(code)s") % {"code": order.code},
                     created_by=actor)
    voucher_post(customer=customer, voucher=refund, prefix=VOUCHER_PREFIXES[Voucher.Type.PAYMENT],
                 entries=[(Book.RECEIVABLE, Kind.PAYMENT, credit)])
