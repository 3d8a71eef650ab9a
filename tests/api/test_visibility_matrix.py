"""The visibility matrix, generated from the tenant URL conf: for every endpoint that names
a customer, an order, a voucher or a job in its path, a user who may not see that object
gets no 2xx, none of its data, and changes nothing -- whatever the method. A new endpoint
is covered without being listed here."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import get_resolver
from django.urls.resolvers import URLResolver
from django_tenants.utils import schema_context

from crm.models import Contact, Customer, CustomerDepartment, Terminal
from crm.services import contact_create, department_create, terminal_create
from crm.staff import branch_create
from exchange.models import ExportJob, ImportJob, StatementBatchJob
from finance.models import Order, Voucher
from finance.orders import order_create
from finance.vouchers import payment_record
from tests.conftest import api_client
from tests.crm.factories import user
from tests.finance.factories import lines, product_make

ID = r"\(\?P<(\w+)>[^)]*\)|<(?:int:)?(\w+)>"
GUARDED = {"customers", "orders", "vouchers", "imports", "exports", "statements"}


def _tenant_paths() -> list[str]:
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    paths = []
    for raw in walk(get_resolver("config.urls_tenant").url_patterns):
        path = re.sub(r"(^|/)\^", r"\1", raw).removesuffix("$")
        if "format" in path or not re.search(ID, path):
            continue
        segment = path.removeprefix("api/v1/").split("/")[0]
        if segment in GUARDED:
            paths.append(path)
    return sorted(set(paths))


@pytest.fixture
def hidden(acme):
    """Objects of a branch the manager (MAIN and B2) does not have."""
    with schema_context(acme.schema_name):
        connection.tenant = acme
        owner = user("owner")
        far = branch_create(code="B6", name="Chi nhánh xa")
        customer = Customer.objects.create(code="KHMTX01", name="Khách Ẩn Danh",
                                           name_key="khach an danh", phone="+84912777001",
                                           home_branch=far, shared=False, owner=owner)
        children = {
            "contacts": contact_create(actor=owner, customer=customer, name="Người liên hệ ẩn",
                                       phone="0912 777 002").pk,
            "departments": department_create(actor=owner, customer=customer,
                                             name="Phòng ẩn").pk,
            "terminals": terminal_create(actor=owner, customer=customer, name="Điểm ẩn").pk,
        }
        order = order_create(actor=owner, customer=customer, branch=far,
                             lines=lines(product_make("50000")), approve=True)
        voucher = payment_record(customer=customer, amount=Decimal("10000"), method="cash",
                                 actor=owner, branch=far)
        import_job = ImportJob.objects.create(upload_path="x", file_key="k", created_by=owner,
                                              expires_at=order.created_at, status="failed")
        export_job = ExportJob.objects.create(file_key="k", created_by=owner,
                                              expires_at=order.created_at, status="failed")
        statement_batch = StatementBatchJob.objects.create(
            file_key="k", created_by=owner, expires_at=order.created_at, status="failed",
            period_from=order.created_at.date(), period_to=order.created_at.date())
    return {"customers": customer.pk, "orders": order.pk, "vouchers": voucher.pk,
            "imports": import_job.pk, "exports": export_job.pk,
            "statements": statement_batch.pk, "children": children,
            "secrets": ["KHMTX01", "Khách Ẩn Danh", "912777001", "Người liên hệ ẩn",
                        "Phòng ẩn", "Điểm ẩn", order.code, voucher.code]}


def _url(path: str, hidden: dict) -> str:
    segment = path.removeprefix("api/v1/").split("/")[0]

    def value(match):
        name = match.group(1) or match.group(2)
        if name == "child_id":
            kind = next(k for k in hidden["children"] if f"/{k}/" in path)
            return str(hidden["children"][kind])
        return str(hidden[segment])

    return "/" + re.sub(ID, value, path)


def _state(acme) -> tuple:
    with schema_context(acme.schema_name):
        customer = Customer.objects.get(code="KHMTX01")
        return (customer.status, customer.name, customer.receivable_amount,
                Contact.objects.filter(customer=customer).count(),
                CustomerDepartment.objects.filter(customer=customer).count(),
                Terminal.objects.filter(customer=customer).count(),
                tuple(Order.objects.filter(customer=customer).values_list("status", flat=True)),
                tuple(Voucher.objects.filter(customer=customer).values_list("status",
                                                                            flat=True)))


def test_the_matrix_covers_every_guarded_endpoint():
    paths = _tenant_paths()
    assert len(paths) >= 30  # customers/… , orders/…, vouchers/…, imports/…, exports/…
    assert any("statement" in p for p in paths) and any("contacts" in p for p in paths)


@pytest.mark.parametrize("username", ["manager@acme.test", "sales@acme.test",
                                      "cashier@acme.test"])
def test_nobody_reaches_what_they_may_not_see(acme, hidden, username):
    client = api_client(acme, username)
    before = _state(acme)
    for path in _tenant_paths():
        url = _url(path, hidden)
        for method in ("get", "post", "patch", "put", "delete"):
            response = getattr(client, method)(url, {}, format="json")
            assert response.status_code not in range(200, 300), (method, url, response.content)
            assert response.status_code < 500, (method, url, response.content)
            body = response.content.decode(errors="replace")
            leaked = [s for s in hidden["secrets"] if s in body]
            assert leaked == [], (method, url, leaked)
    assert _state(acme) == before


def test_another_tenant_reaches_nothing(acme, globex, hidden):
    client = api_client(globex, "owner@globex.test")
    for path in _tenant_paths():
        response = client.get(_url(path, hidden))
        assert response.status_code not in range(200, 300), path
        assert not [s for s in hidden["secrets"] if s in response.content.decode()], path


def test_the_urls_are_real_ones_the_owner_can_read(acme, hidden):
    """The control: the same URLs answer the owner (who sees every branch), so a 404 above
    is the rule working, not a wrong URL."""
    owner = api_client(acme, "owner@acme.test")
    readable = [p for p in _tenant_paths() if owner.get(_url(p, hidden)).status_code == 200]
    assert len(readable) >= 12, readable
    for expected in ("customers/(?P<pk>[^/.]+)", "orders/(?P<pk>[^/.]+)",
                     "vouchers/(?P<pk>[^/.]+)", "imports/<int:pk>", "exports/<int:pk>",
                     "statements/batch/<int:pk>"):
        assert f"api/v1/{expected}" in readable, expected
