"""Products and agreement prices: services and price resolution."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from crm.models import Customer
from finance.exceptions import InUse, InvalidFinanceInput
from finance.models import AgreementPrice, OrderLine, PaymentMethod, Product
from finance.rules import BUILTIN_METHODS


def price_resolve(*, product: Product, customer: Customer | None,
                  on: datetime.date) -> Decimal:
    """Customer price > group price > list price, each only within its validity."""
    if customer is not None:
        valid = (Q(valid_from__isnull=True) | Q(valid_from__lte=on)) & (
            Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        prices = AgreementPrice.objects.filter(valid, product=product)
        own = prices.filter(customer=customer).order_by("-id").first()
        if own is not None:
            return own.price_amount
        if customer.group_id:
            group = prices.filter(group_id=customer.group_id).order_by("-id").first()
            if group is not None:
                return group.price_amount
    return product.list_price_amount


@transaction.atomic
def product_create(*, sku: str, name: str, list_price_amount: Decimal, unit: str = "",
                   active: bool = True) -> Product:
    sku = sku.strip()
    if Product.objects.filter(sku=sku).exists():
        raise InvalidFinanceInput("sku", _("SKU %(sku)s is already used.") % {"sku": sku})
    return Product.objects.create(sku=sku, name=name.strip(), unit=unit.strip(),
                                  list_price_amount=list_price_amount, active=active)


@transaction.atomic
def product_update(*, product: Product, **fields) -> Product:
    if "sku" in fields and Product.objects.filter(sku=fields["sku"]).exclude(
            pk=product.pk).exists():
        raise InvalidFinanceInput("sku", _("SKU %(sku)s is already used.") % {"sku": fields["sku"]})
    for name, value in fields.items():
        setattr(product, name, value)
    product.save()
    return product


@transaction.atomic
def product_delete(*, product: Product) -> None:
    if OrderLine.objects.filter(product=product).exists() or product.agreement_prices.exists():
        raise InUse(_("Product %(sku)s is used by orders or agreement prices: deactivate it "
                      "instead.") % {"sku": product.sku})
    product.delete()


def _price_check(*, group, customer, valid_from, valid_to) -> None:
    if (group is None) == (customer is None):
        raise InvalidFinanceInput("group", _("Give either a customer group or a customer."))
    if valid_from and valid_to and valid_to < valid_from:
        raise InvalidFinanceInput("valid_to", _("Ends before it starts."))


@transaction.atomic
def agreement_price_create(*, product: Product, price_amount: Decimal, group=None,
                           customer=None, valid_from=None, valid_to=None) -> AgreementPrice:
    _price_check(group=group, customer=customer, valid_from=valid_from, valid_to=valid_to)
    return AgreementPrice.objects.create(product=product, group=group, customer=customer,
                                         price_amount=price_amount, valid_from=valid_from,
                                         valid_to=valid_to)


@transaction.atomic
def agreement_price_update(*, price: AgreementPrice, **fields) -> AgreementPrice:
    for name, value in fields.items():
        setattr(price, name, value)
    _price_check(group=price.group, customer=price.customer, valid_from=price.valid_from,
                 valid_to=price.valid_to)
    price.save()
    return price


def _price_in_use(price: AgreementPrice) -> bool:
    lines = OrderLine.objects.filter(product_id=price.product_id,
                                     unit_price_amount=price.price_amount)
    if price.customer_id:
        return lines.filter(order__customer_id=price.customer_id).exists()
    return lines.filter(order__customer__group_id=price.group_id).exists()


@transaction.atomic
def agreement_price_delete(*, price: AgreementPrice) -> None:
    if _price_in_use(price):
        raise InUse(_("This agreement price was used by orders: end its validity instead."))
    price.delete()


@transaction.atomic
def payment_method_save(*, method: PaymentMethod | None = None, **fields) -> PaymentMethod:
    """Create or change one of the tenant's own payment methods (never a built-in code)."""
    method = method or PaymentMethod()
    for name, value in fields.items():
        setattr(method, name, value)
    if method.code in BUILTIN_METHODS:
        raise InvalidFinanceInput("code", _("“%(code)s” is a built-in method.")
                                  % {"code": method.code})
    if PaymentMethod.objects.filter(code=method.code).exclude(pk=method.pk).exists():
        raise InvalidFinanceInput("code", _("Code %(code)s is already used.")
                                  % {"code": method.code})
    method.save()
    return method
