"""Finance API shapes (DESIGN §6): amounts are decimal strings out, Decimal in."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.models import Branch, Customer, CustomerDepartment, CustomerGroup, Terminal
from crm.validation import MAX_PAYMENT_TERMS_DAYS
from finance.models import (
    AgreementPrice,
    FinanceSettings,
    Order,
    OrderLine,
    PaymentMethod,
    Product,
    Voucher,
)
from saas_platform.money import InvalidAmount, amount_parse
from tenants.current import tenant_current, tenant_money


class AmountField(serializers.DecimalField):
    """An amount typed as a JSON number or a string in the tenant's currency
    ("1.500.000" in VND); too many decimals for the currency is an error."""

    default_error_messages = {"invalid": _("Not a valid amount.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            amount = amount_parse(data, tenant_current().currency)
        except (InvalidAmount, TypeError):
            self.fail("invalid")
        return super().to_internal_value(amount)

    def to_representation(self, value):
        return None if value is None else _amount_text(value)


def _amount_text(value: Decimal) -> str:
    """The amount as the currency writes it: "1500000" for VND, "12.50" for USD."""

    return str(tenant_money(value))


@extend_schema_field(OpenApiTypes.STR)
class MoneyOut(serializers.Field):
    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return _amount_text(value)


class ProductSerializer(serializers.ModelSerializer):
    list_price = AmountField(source="list_price_amount", min_value=Decimal(0))

    class Meta:
        model = Product
        fields = ["id", "sku", "name", "unit", "list_price", "active"]


class AgreementPriceSerializer(serializers.ModelSerializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    group = serializers.PrimaryKeyRelatedField(queryset=CustomerGroup.objects.all(),
                                               allow_null=True, required=False)
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all(),
                                                  allow_null=True, required=False)
    price = AmountField(source="price_amount", min_value=Decimal(0))

    class Meta:
        model = AgreementPrice
        fields = ["id", "product", "group", "customer", "price", "valid_from", "valid_to"]


class PaymentMethodSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentMethod
        fields = ["id", "code", "name", "active"]


class OrderLineSerializer(serializers.ModelSerializer):
    unit_price = MoneyOut(source="unit_price_amount")
    amount = MoneyOut(source="line_amount")

    class Meta:
        model = OrderLine
        fields = ["product", "quantity", "unit_price", "amount"]


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)
    subtotal = MoneyOut(source="subtotal_amount")
    coin_discount = MoneyOut(source="coin_discount_amount")
    total = MoneyOut(source="total_amount")
    paid_amount = MoneyOut()
    settled_amount = MoneyOut()
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)
    cancelled_by = serializers.CharField(source="cancelled_by.username", default=None,
                                         read_only=True)

    class Meta:
        model = Order
        fields = ["id", "code", "customer", "branch", "channel", "department", "terminal",
                  "lines", "subtotal", "coins_redeemed", "coin_discount", "total",
                  "paid_amount", "payment_method", "settled_amount", "coins_earned",
                  "payment_terms_days", "due_date", "status", "note", "created_at",
                  "created_by", "approved_at", "cancelled_at", "cancelled_by", "cancel_reason"]
        read_only_fields = fields


class LineInputSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3,
                                        min_value=Decimal("0.001"))
    unit_price = AmountField(required=False, allow_null=True, min_value=Decimal(0))


class OrderCreateSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all(),
                                                  allow_null=True, required=False)
    new_customer = serializers.DictField(required=False, help_text=_(
        "Create the customer inline (the customer fields); instead of `customer`."))
    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects.filter(active=True),
                                                required=False, allow_null=True)
    channel = serializers.ChoiceField(choices=Order.Channel.choices, default="counter")
    department = serializers.PrimaryKeyRelatedField(
        queryset=CustomerDepartment.objects.all(), required=False, allow_null=True)
    terminal = serializers.PrimaryKeyRelatedField(queryset=Terminal.objects.all(),
                                                  required=False, allow_null=True)
    lines = LineInputSerializer(many=True, allow_empty=False)
    paid_amount = AmountField(required=False, default=Decimal(0), min_value=Decimal(0))
    payment_method = serializers.CharField(required=False, allow_blank=True, default="")
    coins_redeem = serializers.IntegerField(required=False, default=0, min_value=0,
                                            max_value=10 ** 15)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    approve = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if attrs.get("paid_amount") and not attrs.get("payment_method"):
            raise serializers.ValidationError(
                {"payment_method": [_("Required when paid_amount is more than zero.")]})
        if attrs.get("customer") and attrs.get("new_customer"):
            raise serializers.ValidationError(
                {"new_customer": [_("Give either customer or new_customer.")]})
        return attrs


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class OrderCancelSerializer(ReasonSerializer):
    # Needed only when receipts paid the order and the customer may not keep prepaid.
    refund_method = serializers.CharField(required=False, allow_blank=True, default="",
                                          max_length=32)


class VoucherSerializer(serializers.ModelSerializer):
    amount = MoneyOut()
    receivable_after = MoneyOut()
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)
    cancelled_by = serializers.CharField(source="cancelled_by.username", default=None,
                                         read_only=True)

    class Meta:
        model = Voucher
        fields = ["id", "code", "type", "customer", "amount", "method", "purpose",
                  "receivable_after", "status", "created_at", "created_by", "branch", "note",
                  "cancelled_at", "cancelled_by"]
        read_only_fields = fields


class _VoucherInput(serializers.Serializer):
    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects.filter(active=True),
                                                required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PaymentInputSerializer(_VoucherInput):
    amount = AmountField(min_value=Decimal("0.01"))
    method = serializers.CharField()
    orders = serializers.ListField(child=serializers.IntegerField(), required=False,
                                   default=list, source="order_ids",
                                   help_text=_("Orders to settle first (結算)."))


class DebtAdjustInputSerializer(_VoucherInput):
    target_receivable = AmountField(min_value=Decimal(0))
    purpose = serializers.ChoiceField(choices=["adjustment", "write_off"], default="adjustment")


class PrepaidInputSerializer(_VoucherInput):
    amount = AmountField(min_value=Decimal("0.01"))
    method = serializers.CharField()


class OpeningBalanceInputSerializer(_VoucherInput):
    amount = AmountField(min_value=Decimal("0.01"))


class LedgerRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    type = serializers.CharField()
    kind = serializers.CharField()
    amount = MoneyOut()
    balance_after = MoneyOut()
    created_at = serializers.DateTimeField()
    status = serializers.CharField()
    branch = serializers.IntegerField()
    created_by = serializers.CharField(allow_null=True)
    order = serializers.IntegerField(allow_null=True)
    voucher = serializers.IntegerField(allow_null=True)


class CoinRowSerializer(LedgerRowSerializer):
    amount = serializers.SerializerMethodField()
    balance_after = serializers.SerializerMethodField()

    def get_amount(self, row) -> int:
        return int(row["amount"])

    def get_balance_after(self, row) -> int:
        return int(row["balance_after"])


def buckets_out(buckets: dict) -> dict:
    return {name: _amount_text(amount) for name, amount in buckets.items()}


class FinanceSettingsSerializer(serializers.ModelSerializer):
    coin_earn_step = AmountField(source="coin_earn_step_amount", min_value=Decimal(0),
                                 required=False, help_text=_("One coin per this amount."))
    coin_value = AmountField(source="coin_value_amount", min_value=Decimal(0), required=False)
    payment_terms_days = serializers.IntegerField(
        min_value=0, max_value=MAX_PAYMENT_TERMS_DAYS, required=False,
        help_text=_("Default terms of customers without their own; 0: due on the order's date."))

    class Meta:
        model = FinanceSettings
        fields = ["coin_earn_step", "coin_value", "payment_terms_days"]
