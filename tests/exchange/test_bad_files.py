"""Every kind of bad file ends the job `failed` with a clear file-level error, and
nothing is written."""

import io
import zipfile

import pytest
from django_tenants.utils import schema_context

from crm.models import Customer
from tests.conftest import api_client
from tests.exchange.factories import (
    CONTACT_HEADERS,
    CUSTOMER_HEADERS,
    customer,
    import_through_api,
    vn_customers,
    workbook_bytes,
)


def _failed_with(job, code):
    assert job["status"] == "failed", job
    assert code in {e["code"] for e in job["errors"]}, job["errors"]
    assert job["created"] == job["updated"] == 0
    assert all(e["detail"] for e in job["errors"])
    return next(e for e in job["errors"] if e["code"] == code)


@pytest.fixture
def owner(acme):
    return api_client(acme, "owner@acme.test")


def _count(tenant):
    with schema_context(tenant.schema_name):
        return Customer.objects.count()


def test_not_an_xlsx(acme, owner):
    before = _count(acme)
    _failed_with(import_through_api(owner, acme, b"hello, I am a PDF", name="x.pdf"), "not_xlsx")
    _failed_with(import_through_api(owner, acme, b"PK\x03\x04broken zip"), "not_xlsx")
    fake = io.BytesIO()
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    _failed_with(import_through_api(owner, acme, fake.getvalue()), "not_xlsx")
    assert _count(acme) == before


def test_zip_bomb(acme, owner, settings):
    settings.IMPORT_MAX_UNZIPPED_MB = 1
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (3 * 1024 * 1024))
    assert len(bomb.getvalue()) < 20_000
    _failed_with(import_through_api(owner, acme, bomb.getvalue()), "zip_bomb")


def test_password_protected(acme, owner):
    # An encrypted OOXML file is an OLE2 container holding an EncryptionInfo stream.
    encrypted = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
                 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 1000)
    _failed_with(import_through_api(owner, acme, encrypted), "password_protected")
    old_xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000
    assert "xls" in _failed_with(import_through_api(owner, acme, old_xls), "not_xlsx")["detail"]


def test_missing_and_unexpected_sheets(acme, owner):
    job = import_through_api(owner, acme, workbook_bytes(vn_customers(2), sheets=("Customers",)))
    assert _failed_with(job, "missing_sheet")["sheet"] == "Contacts"
    job = import_through_api(owner, acme, workbook_bytes(vn_customers(2),
                                                         sheets=("Sheet1", "Contacts")))
    _failed_with(job, "unexpected_sheet")
    _failed_with(job, "missing_sheet")


def test_wrong_and_missing_headers(acme, owner):
    headers = list(CUSTOMER_HEADERS)
    headers[1] = "Full name please"
    job = import_through_api(owner, acme, workbook_bytes(vn_customers(2), customer_headers=headers))
    error = _failed_with(job, "unknown_header")
    assert (error["row"], error["column"]) == (1, "B1")
    assert "Full name please" in error["detail"]
    _failed_with(job, "missing_header")
    job = import_through_api(owner, acme, workbook_bytes(
        [], contact_headers=CONTACT_HEADERS[:-2], customer_headers=CUSTOMER_HEADERS))
    assert _failed_with(job, "missing_header")["sheet"] == "Contacts"


def test_more_rows_than_the_cap(acme, owner, settings):
    settings.IMPORT_ROW_CAP = 3
    job = import_through_api(owner, acme, workbook_bytes(vn_customers(4)))
    assert "3" in _failed_with(job, "too_many_rows")["detail"]


def test_formulas(acme, owner):
    def formula(book):
        book["Customers"]["S2"] = "=1+1"

    job = import_through_api(owner, acme, workbook_bytes(vn_customers(2), edit=formula))
    assert _failed_with(job, "formula")["column"] == "S2"


def test_dates_typed_into_text_columns(acme, owner):
    import datetime

    rows = vn_customers(2)
    rows[1][0] = datetime.datetime(2024, 3, 4)  # Excel turned a code "3-4" into a date
    job = import_through_api(owner, acme, workbook_bytes(rows))
    error = _failed_with(job, "date_cell")
    assert (error["row"], error["column"]) == (3, "A3")


def test_empty_rows_between_data(acme, owner):
    rows = vn_customers(3)
    rows.insert(1, [None] * len(rows[0]))
    job = import_through_api(owner, acme, workbook_bytes(rows))
    assert _failed_with(job, "empty_row")["row"] == 3
    # Trailing empty rows are no problem.
    rows = vn_customers(2, start=50) + [[None] * len(rows[0])] * 3
    assert import_through_api(owner, acme, workbook_bytes(rows))["status"] == "done"


def test_merged_cells(acme, owner):
    def merge(book):
        book["Customers"].merge_cells("D2:E2")

    job = import_through_api(owner, acme, workbook_bytes(vn_customers(2), edit=merge))
    assert "D2:E2" in _failed_with(job, "merged_cells")["detail"]


def test_a_value_outside_the_columns(acme, owner):
    rows = vn_customers(1)
    rows[0] = rows[0] + [None, "stray"]
    job = import_through_api(owner, acme, workbook_bytes(rows))
    _failed_with(job, "cell_outside_columns")


def test_csv_is_read_as_the_customers_sheet(acme, owner):
    lines = [",".join(CUSTOMER_HEADERS),
             ",".join(str(v or "") for v in customer(name="Từ CSV", phone="0912 555 001"))]
    job = import_through_api(owner, acme, "\n".join(lines).encode("utf-8-sig"), name="a.csv")
    assert job["status"] == "done", job["errors"]
    assert job["created"] == 1


def test_a_malformed_request_is_a_400_not_a_job(acme, owner):
    response = owner.post("/api/v1/imports/customers", {"mode": "sometimes"}, format="multipart")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"file", "mode"}


def test_huge_numbers_in_cells_are_row_errors_not_an_internal_error(acme):
    owner = api_client(acme, "owner@acme.test")
    rows = [customer(code="TKH00001", name="Số lớn", phone="0912 555 001", credit_limit=1e30),
            customer(code="TKH00002", name="Số lớn 2", phone="0912 555 002",
                     opening_receivable=1e30),
            customer(code="TKH00003", name="Số lớn 3", phone="0912 555 003",
                     credit_limit="1" * 31)]
    job = import_through_api(owner, acme, workbook_bytes(rows))
    assert job["status"] == "failed"
    codes = {(e["row"], e["code"]) for e in job["errors"]}
    assert codes == {(2, "invalid_amount"), (3, "invalid_amount"), (4, "invalid_amount")}
    assert all(e["column"] for e in job["errors"])
