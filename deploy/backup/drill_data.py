"""The restore drill's writes and counts, through the app's own services (drill.sh).

    drill_data.py setup     # migrate, platform, template, tenant `drill` with a product
    drill_data.py write N   # N customers, each with an approved order and a part payment
    drill_data.py count     # "<customers> <ledger entries>" of tenant `drill`
"""

import os
import sys
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from crm.models import Customer  # noqa: E402
from crm.services.customers import customer_create  # noqa: E402
from finance.catalogue import product_create  # noqa: E402
from finance.models import LedgerEntry, Product  # noqa: E402
from finance.orders import LineInput, order_create  # noqa: E402
from finance.vouchers import payment_record  # noqa: E402
from tenants.models import Tenant  # noqa: E402
from tenants.provisioning import signup_pool_fill  # noqa: E402
from tenants.services import tenant_create  # noqa: E402

SUBDOMAIN = "drill"
OWNER = "owner@drill.example"


def setup() -> None:
    call_command("migrate_schemas", interactive=False, verbosity=0)
    call_command("platform_bootstrap")
    signup_pool_fill(target=1)
    tenant = tenant_create(business_name="Cửa hàng diễn tập", subdomain=SUBDOMAIN,
                           owner_email=OWNER, owner_password=uuid.uuid4().hex)
    with schema_context(tenant.schema_name):
        product_create(sku="DRILL", name="Gạo ST25", unit="bao",
                       list_price_amount=Decimal("350000"))


def write(count: int) -> None:
    tenant = Tenant.objects.get(subdomain=SUBDOMAIN)
    with schema_context(tenant.schema_name):
        owner = User.objects.get(username=OWNER)
        product = Product.objects.get(sku="DRILL")
        first = Customer.objects.count()
        for n in range(first, first + count):
            customer = customer_create(actor=owner, name=f"Khách {n}", phone=f"0912{n:06d}")
            order_create(actor=owner, customer=customer, approve=True,
                         lines=[LineInput(product=product, quantity=Decimal(2))])
            payment_record(customer=customer, amount=Decimal("100000"), method="cash",
                           actor=owner)


def count() -> str:
    tenant = Tenant.objects.get(subdomain=SUBDOMAIN)
    with schema_context(tenant.schema_name):
        return f"{Customer.objects.count()} {LedgerEntry.objects.count()}"


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "setup":
        setup()
    elif command == "write":
        write(int(sys.argv[2]))
    elif command == "count":
        print(count())
    else:
        sys.exit(__doc__)
