"""Small builders for finance tests (customers are created directly: CRM's services own
validation, these tests need balances)."""

import itertools
from decimal import Decimal

from django.contrib.auth.models import User

from crm.codes import customer_codes_next
from crm.models import Branch, Customer
from crm.normalize import name_key
from finance.catalogue import product_create
from finance.models import Product
from finance.orders import LineInput

_seq = itertools.count(1)


def customer_make(*, branch: Branch | None = None, **fields) -> Customer:
    n = next(_seq)
    code = customer_codes_next()[0]
    name = fields.pop("name", f"Khách {code} {n}")
    return Customer.objects.create(
        code=code, name=name, name_key=name_key(name),
        home_branch=branch or Branch.objects.get(code="MAIN"), **fields)


def product_make(price="100000", sku=None) -> Product:
    return product_create(sku=sku or f"SKU{next(_seq):05d}", name="Hàng", unit="cái",
                          list_price_amount=Decimal(price))


def lines(product: Product, quantity="1") -> list[LineInput]:
    return [LineInput(product=product, quantity=Decimal(quantity))]


def user(username: str) -> User:
    return User.objects.get(username=username)
