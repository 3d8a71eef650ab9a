"""An import obeys the API's rules for what its user may see and for a customer's life
cycle, row by row, with row errors (each case wrote before the fix)."""

from decimal import Decimal

from django.db import connection
from django_tenants.utils import schema_context

from crm.models import Branch, Contact, Customer
from crm.staff import branch_create
from finance.vouchers import opening_balance_set
from tests.conftest import api_client
from tests.crm.factories import customer as saved_customer
from tests.crm.factories import user
from tests.exchange.factories import contact, customer, import_through_api, workbook_bytes


def _codes(job) -> set[tuple[int, str]]:
    return {(e["row"], e["code"]) for e in job["errors"]}


def test_an_invisible_customer_is_unknown_to_the_import(acme):
    with schema_context(acme.schema_name):
        far = branch_create(code="B9", name="Far branch")
        hidden = saved_customer(code="TKV00001", home_branch=far, shared=False)
        hidden_phone, hidden_name = hidden.phone, hidden.name
    manager = api_client(acme, "manager@acme.test")  # branches MAIN and B2 only
    rows = [customer(code="TKV00002", name="Con", phone="0912 700 002",
                     parent_code="TKV00001"),
            customer(code="TKV00003", name="Được giới thiệu", phone="0912 700 003",
                     referrer_phone=hidden_phone)]
    book = workbook_bytes(rows, [contact(customer_code="TKV00001", name="Lén",
                                         phone="0912 700 004")])
    job = import_through_api(manager, acme, book, mode="valid_rows")
    codes = _codes(job)
    assert (2, "unknown_parent") in codes and (3, "unknown_referrer") in codes
    assert any(e["code"] == "unknown_customer" and e["sheet"] == "Contacts"
               for e in job["errors"])
    with schema_context(acme.schema_name):
        assert not Contact.objects.filter(customer__code="TKV00001").exists()
        assert not Customer.objects.filter(code__in=["TKV00002", "TKV00003"],
                                           parent__isnull=False).exists()
        assert not Customer.objects.filter(code="TKV00003", referrer__isnull=False).exists()
    # Told exactly what a code or phone that does not exist would tell.
    assert hidden_name not in str(job["errors"])


def test_an_import_cannot_deactivate_a_debtor_nor_revive_a_merged_customer(acme):
    with schema_context(acme.schema_name):
        connection.tenant = acme
        debtor = saved_customer(code="TKL00001")
        opening_balance_set(customer=debtor, amount=Decimal("500000"), actor=user("owner"),
                            branch=Branch.objects.get(code="MAIN"))
        source = saved_customer(code="TKL00002")
        target = saved_customer(code="TKL00003")
        from crm.services import customer_merge

        customer_merge(actor=user("owner"), source=source, target=target)
    owner = api_client(acme, "owner@acme.test")
    rows = [customer(code="TKL00001", name=debtor.name, phone=debtor.phone, status="inactive"),
            customer(code="TKL00002", name=source.name, phone=source.phone, status="active")]
    job = import_through_api(owner, acme, workbook_bytes(rows), mode="valid_rows")
    assert _codes(job) >= {(2, "status_change_refused"), (3, "status_change_refused")}
    with schema_context(acme.schema_name):
        assert Customer.objects.get(code="TKL00001").status == "active"
        assert Customer.objects.get(code="TKL00002").status == "inactive"


def test_an_import_cannot_make_a_parent_cycle(acme):
    with schema_context(acme.schema_name):
        parent = saved_customer(code="TKP00001")
        child = saved_customer(code="TKP00002", parent=parent)
    owner = api_client(acme, "owner@acme.test")
    # The saved link says P2's parent is P1; the file says P1's parent is P2.
    rows = [customer(code="TKP00001", name=parent.name, phone=parent.phone,
                     parent_code="TKP00002"),
            # And a cycle inside the file alone: P3 -> P4 -> P3.
            customer(code="TKP00003", name="Ba", phone="0912 710 003", parent_code="TKP00004"),
            customer(code="TKP00004", name="Bốn", phone="0912 710 004", parent_code="TKP00003")]
    job = import_through_api(owner, acme, workbook_bytes(rows), mode="valid_rows")
    codes = _codes(job)
    assert {(2, "parent_cycle"), (3, "parent_cycle"), (4, "parent_cycle")} <= codes
    with schema_context(acme.schema_name):
        assert Customer.objects.get(code="TKP00001").parent_id is None
        assert Customer.objects.get(pk=child.pk).parent_id == parent.pk
