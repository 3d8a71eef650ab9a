"""Shared parts of `manage.py bench import` and `bench export`: a scratch tenant (removed
afterwards) and a generated customers + contacts workbook in the template's shape."""

import shutil
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.db import connection
from django_tenants.utils import schema_context

from exchange.columns import CONTACT_TEMPLATE_COLUMNS, CUSTOMER_TEMPLATE_COLUMNS, CUSTOMERS
from exchange.columns import CONTACTS as CONTACTS_SHEET
from exchange.xlsx import workbook_write

GROUPS = ["Bán lẻ", "Bán sỉ", "Đại lý cấp 1", "Đại lý cấp 2", "Khách VIP", "Công ty",
          "Trường học", "Bệnh viện", "Nhà hàng", "Khách online"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
GIVEN = ["Thị Ánh", "Văn Minh", "Thị Lan", "Quốc Bảo", "Ngọc Hà", "Đức Anh", "Thu Trang",
         "Hữu Phước", "Minh Châu", "Thanh Tùng"]


def _phone(prefix: str, i: int) -> str:
    digits = f"{prefix}{i:07d}"  # 09x + 7 digits: a valid Vietnamese mobile
    shape = i % 4
    if shape == 0:
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    if shape == 1:
        return f"+84 {digits[1:4]} {digits[4:7]} {digits[7:]}"
    if shape == 2:
        return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
    return digits


def customer_rows(count: int, start: int = 0) -> list[list]:
    keys = [c.key for c in CUSTOMER_TEMPLATE_COLUMNS]
    rows = []
    for i in range(start, start + count):
        values = {
            "code": f"KH{i + 1:06d}",
            "name": f"{FAMILY[i % 10]} {GIVEN[(i // 10) % 10]} {i:06d}",
            "phone": _phone("091", i),
            "email": f"khach{i}@example.vn" if i % 3 == 0 else "",
            "address": f"{i % 300 + 1} Lê Lợi, Quận {i % 12 + 1}, TP. Hồ Chí Minh",
            "group": GROUPS[i % len(GROUPS)],
            "role": ("Khách lẻ", "Cộng tác viên", "Đại lý")[i % 3],
            "settlement_method": "Ghi nợ" if i % 5 else "Tiền mặt",
            "prepaid_allowed": "có" if i % 2 else "không",
            "credit_limit": f"{(i % 50 + 1) * 1_000_000:,}".replace(",", "." if i % 2 else ","),
            "credit_limit_enforced": "có" if i % 4 == 0 else "không",
            "home_branch": "MAIN",
            "shared": "có" if i % 3 == 0 else "không",
            "status": "Hoạt động",
            "tax_code": f"{3000000000 + i}" if i % 7 == 0 else "",
            "note": "=khách quen" if i % 1000 == 0 else "",
        }
        rows.append([values.get(k, "") for k in keys])
    return rows


def contact_rows(count: int, start: int = 0) -> list[list]:
    keys = [c.key for c in CONTACT_TEMPLATE_COLUMNS]
    rows = []
    for i in range(start, start + count):
        values = {"customer_code": f"KH{i + 1:06d}", "name": f"Kế toán {GIVEN[i % 10]} {i}",
                  "phone": _phone("098", i), "email": f"ketoan{i}@example.vn",
                  "position": "Kế toán", "primary": "có", "note": ""}
        rows.append([values.get(k, "") for k in keys])
    return rows


def workbook_generate(path: Path, count: int, start: int = 0) -> tuple[list, list]:
    customers, contacts = customer_rows(count, start), contact_rows(count, start)
    workbook_write(path, [
        (CUSTOMERS.name("vi"), [c.header("vi") for c in CUSTOMER_TEMPLATE_COLUMNS], customers),
        (CONTACTS_SHEET.name("vi"), [c.header("vi") for c in CONTACT_TEMPLATE_COLUMNS],
         contacts),
    ])
    return customers, contacts


@contextmanager
def scratch_tenant():
    """A throw-away tenant (VND, Vietnam); schema, rows and files removed on exit."""
    from tenants.services import tenant_create, tenant_delete

    name = f"bench{uuid.uuid4().hex[:8]}"
    tenant = tenant_create(business_name=name, subdomain=name, owner_email=f"owner@{name}.test",
                           owner_password=uuid.uuid4().hex, currency="VND", locale="vi",
                           scratch=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        with schema_context(tenant.schema_name):
            connection.tenant = tenant
            yield tenant, workdir
    finally:
        connection.set_schema_to_public()
        shutil.rmtree(workdir, ignore_errors=True)
        tenant_delete(tenant=tenant)  # schema, rows and files
