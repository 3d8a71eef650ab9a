"""Row-level rules (the CRM's own, plus references and uniqueness in bulk), the two
modes, and the error workbook."""

import io

import pytest
import python_calamine
from django.db import connection
from django_tenants.utils import schema_context

from crm.models import Contact, Customer
from exchange.models import ImportJob
from tests.conftest import api_client
from tests.exchange.factories import (
    contact,
    customer,
    import_through_api,
    workbook_bytes,
)


@pytest.fixture
def owner(acme):
    return api_client(acme, "owner@acme.test")


def _saved(tenant, **filters):
    with schema_context(tenant.schema_name):
        return Customer.objects.filter(**filters).count()


def _errors_by_row(job):
    found = {}
    for error in job["errors"]:
        found.setdefault((error["sheet"], error["row"]), set()).add(error["code"])
    return found


RULES = [
    # (rows, expected {(sheet, row): codes})
    ([customer(name="", phone="0912600001")], {("Customers", 2): {"required"}}),
    ([customer(name="Không số", phone="")], {("Customers", 2): {"required"}}),
    ([customer(name="Số sai", phone="12345")], {("Customers", 2): {"invalid_phone"}}),
    ([customer(name="Thư sai", phone="0912600002", email="not-an-email")],
     {("Customers", 2): {"invalid_email"}}),
    ([customer(name="Tiền sai", phone="0912600003", credit_limit="five")],
     {("Customers", 2): {"invalid_amount"}}),
    ([customer(name="Hạn mức", phone="0912600004", credit_limit_enforced="yes")],
     {("Customers", 2): {"required"}}),
    ([customer(name="Vai trò", phone="0912600005", role="emperor")],
     {("Customers", 2): {"invalid_choice"}}),
    ([customer(name="Cờ", phone="0912600006", shared="maybe")],
     {("Customers", 2): {"invalid_boolean"}}),
    ([customer(name="Trùng tên", phone="0912600007"),
      customer(name="  TRÙNG   tên ", phone="0912600008")],
     {("Customers", 3): {"duplicate_in_file"}}),
    ([customer(name="Trùng số A", phone="0912600009"),
      customer(name="Trùng số B", phone="+84 912 600 009")],
     {("Customers", 3): {"duplicate_in_file"}}),
    ([customer(code="TK880001", name="Mã A", phone="0912600010"),
      customer(code="tk880001", name="Mã B", phone="0912600011")],
     {("Customers", 3): {"duplicate_in_file"}}),
    ([customer(name="Mồ côi", phone="0912600012", parent_code="TK999999")],
     {("Customers", 2): {"unknown_parent"}}),
    ([customer(code="TK880002", name="Tự mẹ", phone="0912600013", parent_code="TK880002")],
     {("Customers", 2): {"own_parent"}}),
    ([customer(name="Người lạ giới thiệu", phone="0912600014", referrer_phone="0912699999")],
     {("Customers", 2): {"unknown_referrer"}}),
    ([customer(name="Âm", phone="0912600015", opening_receivable="-5")],
     {("Customers", 2): {"invalid_amount"}}),
]


@pytest.mark.parametrize(("rows", "expected"), RULES)
def test_each_row_rule_fails_the_row_and_writes_nothing(acme, owner, rows, expected):
    before = _saved(acme)
    job = import_through_api(owner, acme, workbook_bytes(rows))
    assert job["status"] == "failed"
    assert _errors_by_row(job) == expected
    assert job["failed"] == len(expected)
    assert all(e["column"] and e["detail"] for e in job["errors"])
    assert _saved(acme) == before


def test_name_and_phone_already_used_in_the_tenant(acme, owner):
    assert import_through_api(owner, acme, workbook_bytes(
        [customer(code="TK880010", name="Đã có", phone="0912600020")]))["status"] == "done"
    job = import_through_api(owner, acme, workbook_bytes(
        [customer(name="đã CÓ", phone="0912600021"),
         customer(name="Khác tên", phone="+84912600020")]))
    assert _errors_by_row(job) == {("Customers", 2): {"name_taken"},
                                   ("Customers", 3): {"phone_taken"}}
    assert "TK880010" in job["errors"][0]["detail"]


def test_contact_rules(acme, owner):
    job = import_through_api(owner, acme, workbook_bytes(
        [customer(code="TK880020", name="Có liên hệ", phone="0912600030")],
        [contact(customer_code="TK000000X", name="Lạc"),
         contact(customer_code="TK880020", name=""),
         contact(customer_code="TK880020", name="Chính 1", primary="yes"),
         contact(customer_code="TK880020", name="Chính 2", primary="yes")]))
    assert _errors_by_row(job) == {("Contacts", 2): {"unknown_customer"},
                                   ("Contacts", 3): {"required"},
                                   ("Contacts", 5): {"duplicate_primary"}}
    assert job["failed"] == 0  # `failed` counts customer rows


def test_valid_rows_mode_writes_the_good_rows_and_returns_the_bad_ones(acme, owner):
    rows = [customer(code="TK880030", name="Tốt một", phone="0912600040"),
            customer(code="TK880031", name="Xấu", phone="bad phone", note="=SUM(A1)"),
            customer(code="TK880032", name="Con của xấu", phone="0912600042",
                     parent_code="TK880031"),
            customer(code="TK880033", name="Tốt hai", phone="0912600043")]
    contacts = [contact(customer_code="TK880031", name="Liên hệ của xấu"),
                contact(customer_code="TK880033", name="Liên hệ tốt")]
    content = workbook_bytes(rows, contacts)

    strict = import_through_api(owner, acme, content)
    assert strict["status"] == "failed" and strict["created"] == 0
    assert _saved(acme, code__startswith="TK88003") == 0

    job = import_through_api(owner, acme, content, mode="valid_rows")
    assert job["status"] == "done", job["errors"]
    assert (job["created"], job["failed"]) == (2, 2)
    assert _errors_by_row(job) == {("Customers", 3): {"invalid_phone"},
                                   ("Customers", 4): {"row_failed"},
                                   ("Contacts", 2): {"row_failed"}}
    with schema_context(acme.schema_name):
        assert set(Customer.objects.filter(code__startswith="TK88003")
                   .values_list("code", flat=True)) == {"TK880030", "TK880033"}
        assert list(Contact.objects.filter(customer__code="TK880033")
                    .values_list("name", flat=True)) == ["Liên hệ tốt"]

    # The error workbook: the failed rows as uploaded plus a reason, ready to re-upload.
    response = owner.get(job["error_file"])
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert book.sheet_names[:2] == ["Customers", "Contacts"]
    sheet = book.get_sheet_by_name("Customers").to_python()
    assert sheet[0][-1] == "Lý do"
    assert [r[0] for r in sheet[1:]] == ["TK880031", "TK880032"]
    assert sheet[1][18] == "=SUM(A1)"  # text that looks like a formula stays text
    assert "bad phone" in sheet[1][-1]
    # Fixed and uploaded again, it goes through.
    fixed = [list(r[:-1]) for r in sheet[1:]]
    fixed[0][2] = "0912600041"
    contacts_sheet = book.get_sheet_by_name("Contacts").to_python()
    again = import_through_api(owner, acme, workbook_bytes(
        fixed, [list(r[:-1]) for r in contacts_sheet[1:]],
        customer_headers=sheet[0], contact_headers=contacts_sheet[0]))
    assert again["status"] == "done", again["errors"]
    assert again["created"] == 2 and again["contacts_created"] == 1


def test_the_error_file_needs_the_key_and_a_user_of_the_tenant(acme, globex, owner):
    job = import_through_api(owner, acme, workbook_bytes([customer(name="x", phone="1")]))
    url = job["error_file"]
    assert owner.get(url).status_code == 200
    assert owner.get(url.split("?")[0] + "?key=wrong").status_code == 404
    assert api_client(acme).get(url).status_code == 401
    assert api_client(acme, "sales@acme.test").get(url).status_code == 403
    other = api_client(globex, "owner@globex.test")
    assert other.get(f"/api/v1/imports/{job['id']}").status_code == 404
    assert other.get(url.replace("acme", "globex")).status_code == 404


def test_import_jobs_are_not_visible_to_another_tenant(acme, globex, owner):
    job = import_through_api(owner, acme, workbook_bytes(
        [customer(name="Riêng acme", phone="0912600050")]))
    with schema_context(globex.schema_name):
        assert not ImportJob.objects.filter(pk=job["id"], original_name="customers.xlsx",
                                            created=1).exists()
        assert connection.schema_name == globex.schema_name
