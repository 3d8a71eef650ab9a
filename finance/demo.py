"""Demo data for finance (called by `seed_demo` inside the demo tenant's schema).

Idempotent: products by SKU, the tenant's QR-wallet methods by code, and orders and
payments by idempotency keys, so a second run adds nothing.
"""

from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction

from crm.models import Customer
from crm.roles import OWNER
from finance.catalogue import payment_method_save, product_create
from finance.exceptions import FinanceError
from finance.models import PaymentMethod, Product
from finance.orders import LineInput, order_create
from finance.vouchers import payment_record

PRODUCTS = [
    ("GIAY-A4", "Giấy A4 Double A (ram)", "ram", "85000"),
    ("MUC-HP", "Mực in HP 12A", "hộp", "350000"),
    ("BUT-TL", "Bút bi Thiên Long (hộp 20)", "hộp", "60000"),
    ("BANG-KEO", "Băng keo trong 5cm", "cuộn", "15000"),
    ("IN-NAME", "In danh thiếp (hộp 100)", "hộp", "120000"),
]
METHODS = [("momo", "MoMo"), ("zalopay", "ZaloPay")]


@transaction.atomic
def demo_seed(*, customers: int = 5) -> None:
    for sku, name, unit, price in PRODUCTS:
        if not Product.objects.filter(sku=sku).exists():
            product_create(sku=sku, name=name, unit=unit, list_price_amount=Decimal(price))
    for code, name in METHODS:
        if not PaymentMethod.objects.filter(code=code).exists():
            payment_method_save(code=code, name=name)
    owner = User.objects.filter(groups__name=OWNER).order_by("id").first()
    if owner is None:
        return
    products = list(Product.objects.filter(sku__in=[p[0] for p in PRODUCTS]).order_by("sku"))
    buyers = Customer.objects.filter(status=Customer.Status.ACTIVE,
                                     settlement_method=Customer.Settlement.ON_ACCOUNT,
                                     credit_limit_enforced=False).order_by("id")[:customers]
    for i, customer in enumerate(buyers):
        lines = [LineInput(product=products[(i + k) % len(products)], quantity=Decimal(k + 1))
                 for k in range(2)]
        try:
            with transaction.atomic():
                order = order_create(actor=owner, customer=customer,
                                     branch=customer.home_branch, lines=lines, approve=True,
                                     idempotency_key=f"demo:order:{customer.code}")
                if i % 2 == 0:
                    payment_record(customer=customer, amount=order.total_amount / 2,
                                   method="cash", actor=owner, branch=customer.home_branch,
                                   idempotency_key=f"demo:payment:{customer.code}")
        except FinanceError:
            continue  # someone changed this demo customer (limit, status): leave it be
