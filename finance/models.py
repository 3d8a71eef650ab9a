"""Finance (tenant schema): catalogue, orders, vouchers and the append-only ledger.

Every balance stored on a customer row (receivable, prepaid, coins, total purchased) is
the sum of that customer's ledger entries in the matching book; only finance services
write those columns, under the customer's row lock (finance/locks.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models import Branch, Customer, CustomerDepartment, CustomerGroup, Terminal

MONEY = {"max_digits": 18, "decimal_places": 2}


class FinanceSettings(models.Model):
    """One row per tenant schema (pk=1): the coin rule and the default payment terms."""

    coin_earn_step_amount = models.DecimalField(
        _("amount per coin earned"), **MONEY, default=10000,
        help_text=_("An approved order earns one coin per this amount; 0 turns earning off."))
    coin_value_amount = models.DecimalField(_("value of one coin"), **MONEY, default=100)
    payment_terms_days = models.PositiveSmallIntegerField(
        _("default payment terms (days)"), default=0,
        help_text=_("For customers without their own terms; 0: due on the order's date."))

    class Meta:
        verbose_name = _("finance settings")
        constraints = [
            models.CheckConstraint(condition=Q(coin_earn_step_amount__gte=0)
                                   & Q(coin_value_amount__gte=0), name="finsettings_not_negative"),
        ]

    def __str__(self):
        return str(_("finance settings"))


class PaymentMethod(models.Model):
    """A tenant's own payment method (QR wallets...) next to the built-in ones."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("payment method")
        ordering = ["code"]

    def __str__(self):
        return self.name


class DocumentCounter(models.Model):
    """Gapless numbering: the row is locked by its UPDATE until the document commits."""

    prefix = models.CharField(max_length=8, primary_key=True)
    last = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.prefix} {self.last}"


class Product(models.Model):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    unit = models.CharField(_("unit"), max_length=32, blank=True)
    list_price_amount = models.DecimalField(_("list price"), **MONEY)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("product")
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(list_price_amount__gte=0),
                                   name="product_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.sku} {self.name}"


class AgreementPrice(models.Model):
    """A product's price for one customer group or one customer, within validity."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="agreement_prices")
    group = models.ForeignKey(CustomerGroup, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="agreement_prices")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="agreement_prices")
    price_amount = models.DecimalField(_("price"), **MONEY)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("agreement price")
        ordering = ["product_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(group__isnull=False) & Q(customer__isnull=True))
                | (Q(group__isnull=True) & Q(customer__isnull=False)),
                name="agreementprice_group_xor_customer"),
            models.CheckConstraint(condition=Q(price_amount__gte=0),
                                   name="agreementprice_not_negative"),
            models.CheckConstraint(condition=Q(valid_from__isnull=True) | Q(valid_to__isnull=True)
                                   | Q(valid_to__gte=models.F("valid_from")),
                                   name="agreementprice_valid_range"),
        ]

    def __str__(self):
        return f"{self.product_id} {self.price_amount}"


class Order(models.Model):
    """A sales invoice. Walk-in sales have no customer; cancelled orders stay listed."""

    class Channel(models.TextChoices):
        COUNTER = "counter", _("Counter")
        ADMIN = "admin", _("Admin")
        WEBSITE = "website", _("Website")
        FACEBOOK = "facebook", _("Facebook")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        CANCELLED = "cancelled", _("Cancelled")

    code = models.CharField(_("code"), max_length=32, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="orders")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="orders")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices,
                               default=Channel.COUNTER)
    department = models.ForeignKey(CustomerDepartment, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="orders")
    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="orders")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.DRAFT)
    subtotal_amount = models.DecimalField(**MONEY, default=0)
    coins_redeemed = models.BigIntegerField(default=0)
    coin_discount_amount = models.DecimalField(**MONEY, default=0)
    total_amount = models.DecimalField(**MONEY, default=0)
    paid_amount = models.DecimalField(**MONEY, default=0)
    payment_method = models.CharField(_("payment method"), max_length=32, blank=True)
    # Receipts and negative adjustments allocated to this order (結算); drives aging.
    settled_amount = models.DecimalField(**MONEY, default=0)
    coins_earned = models.BigIntegerField(default=0)
    # The customer's terms when the order was made (approval re-reads them): a later
    # change of terms never moves an existing order's due date.
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=0)
    due_date = models.DateField(_("due date"))  # the order's local date + its terms
    note = models.TextField(_("note"), blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)

    class Meta:
        verbose_name = _("order")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("cancel_order", _("Can cancel orders")),
            ("override_price_order", _("Can change a line's price")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(paid_amount__gte=0) & Q(total_amount__gte=0)
                                   & Q(coins_redeemed__gte=0),
                                   name="order_amounts_not_negative"),
        ]
        indexes = [models.Index(fields=["customer", "status", "created_at"]),
                   # A statement's aging finds the orders not long past due (statements.py).
                   models.Index(fields=["customer", "due_date"], name="order_customer_due")]

    def __str__(self):
        return self.code

    @property
    def unpaid_amount(self):
        return self.total_amount - self.paid_amount

    @property
    def open_amount(self):
        """What is still owed on this order (aging)."""
        return self.total_amount - self.paid_amount - self.settled_amount


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit_price_amount = models.DecimalField(_("unit price"), **MONEY)
    line_amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0) & Q(unit_price_amount__gte=0),
                                   name="orderline_positive"),
        ]

    def __str__(self):
        return f"{self.product_id} x {self.quantity}"


class Voucher(models.Model):
    """A receipt (PT, money in) or payment (PC, money out / adjustment) document."""

    class Type(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        PAYMENT = "payment", _("Payment")

    class Purpose(models.TextChoices):
        DEBT_PAYMENT = "debt_payment", _("Debt payment")
        ADJUSTMENT = "adjustment", _("Adjustment")
        WRITE_OFF = "write_off", _("Write-off")
        REFUND = "refund", _("Refund")
        PREPAID_TOPUP = "prepaid_topup", _("Prepaid top-up")
        OPENING = "opening", _("Opening balance")
        TRANSFER = "transfer", _("Transfer (merge)")

    class Status(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    code = models.CharField(_("code"), max_length=32, unique=True)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="vouchers",
                                 db_index=False)  # (customer, created_at) index below
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="vouchers",
                               db_index=False)
    method = models.CharField(_("payment method"), max_length=32, blank=True)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    # Signed for adjustments (the seed's "amount changed"); positive otherwise.
    amount = models.DecimalField(_("amount"), **MONEY)
    receivable_after = models.DecimalField(**MONEY)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.COMPLETED)
    note = models.TextField(_("note"), blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, related_name="+", db_index=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+", db_index=False)

    class Meta:
        verbose_name = _("voucher")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("adjust_debt", _("Can adjust a customer's debt")),
            ("write_off_debt", _("Can write off bad debt")),
            ("cancel_voucher", _("Can cancel vouchers")),
            ("set_opening_balance", _("Can set opening balances")),
            ("refund_prepaid", _("Can refund prepaid balances")),
            ("view_report", _("Can see aging and daily reports")),
        ]
        indexes = [models.Index(fields=["customer", "created_at"])]

    def __str__(self):
        return self.code


class Allocation(models.Model):
    """Part of a voucher settling part of an order (結算). Negative rows release it."""

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="allocations")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(**MONEY)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.voucher_id}>{self.order_id} {self.amount}"


class LedgerEntry(models.Model):
    """Append-only (a trigger rejects UPDATE and DELETE). One book per stored balance."""

    class Book(models.TextChoices):
        RECEIVABLE = "receivable", _("Receivable")
        PREPAID = "prepaid", _("Prepaid")
        COINS = "coins", _("Coins")
        PURCHASES = "purchases", _("Total purchased")

    class Kind(models.TextChoices):
        ORDER = "order", _("Order")
        RECEIPT = "receipt", _("Receipt")
        PAYMENT = "payment", _("Payment")
        ADJUSTMENT = "adjustment", _("Adjustment")
        WRITE_OFF = "write_off", _("Write-off")
        OPENING = "opening", _("Opening balance")
        REVERSAL = "reversal", _("Reversal")
        PREPAID_TOPUP = "prepaid_topup", _("Prepaid top-up")
        PREPAID_SPEND = "prepaid_spend", _("Prepaid spend")
        PREPAID_REFUND = "prepaid_refund", _("Prepaid refund")
        COIN_EARN = "coin_earn", _("Coins earned")
        COIN_REDEEM = "coin_redeem", _("Coins redeemed")
        TRANSFER = "transfer", _("Transfer (merge)")

    # Few indexes: every posting writes them. (customer, book, id) serves the customer FK.
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT,
                                 related_name="ledger_entries", db_index=False)
    book = models.CharField(max_length=16, choices=Book.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.DecimalField(**MONEY)
    balance_after = models.DecimalField(**MONEY)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="ledger_entries")
    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="ledger_entries")
    reverses = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", db_index=False)
    counterpart = models.ForeignKey(Customer, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", db_index=False)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", db_index=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Natural key of the posting ("V12:receivable", "O5:cancel:coins"): nothing posts twice.
    idempotency_key = models.CharField(max_length=255, unique=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledgerentry_not_zero"),
            models.CheckConstraint(condition=~Q(book="prepaid") | Q(balance_after__gte=0),
                                   name="ledgerentry_prepaid_not_negative"),
        ]
        indexes = [
            models.Index(fields=["customer", "book", "id"]),
            # A statement's period: its first entry and the last one before it, found
            # without reading the customer's history (finance/statements.py).
            models.Index(fields=["customer", "book", "created_at", "id"],
                         name="ledgerentry_period"),
        ]

    def __str__(self):
        return self.idempotency_key
