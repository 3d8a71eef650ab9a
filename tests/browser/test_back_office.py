"""The back office in real Chromium with a real Celery worker: an import with two bad rows
in valid-rows mode, followed live until Done, its rows and their reasons, the error
workbook downloaded; a month's statement of a Vietnamese and of a Chinese customer as PDF;
a statement batch to its zip; the filtered customer list exported; a cashier's daily
report printed. Every journey: no request outside the app, no console error."""

import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context
from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader

from bench.worker import celery_worker
from crm.roles import CASHIER
from crm.staff import branch_create, staff_create
from finance.vouchers import opening_balance_set, payment_record
from tests.browser.test_customer_screens import Journey
from tests.conftest import PASSWORD
from tests.exchange.factories import customer, workbook_bytes
from tests.finance.factories import customer_make, user

pytestmark = [pytest.mark.browser, pytest.mark.worker]
JOB_TIMEOUT_MS = 90_000  # a shared two-core machine


@pytest.fixture
def back_office_app(request, monkeypatch, tmp_path):
    """gunicorn and a Celery worker sharing one media folder (the job files)."""
    media = tmp_path / "media"
    monkeypatch.setenv("MEDIA_ROOT", str(media))
    monkeypatch.setattr(settings, "MEDIA_ROOT", media)
    port = request.getfixturevalue("live_app")
    with celery_worker(concurrency=1, EXCHANGE_HEARTBEAT_SECONDS=1):
        yield port


def test_an_import_with_two_bad_rows_in_valid_rows_mode(back_office_app, browser_page,
                                                        committed_tenant, tmp_path):
    tenant = committed_tenant
    upload = tmp_path / "khach-hang.xlsx"
    upload.write_bytes(workbook_bytes([
        customer(code="BJ000001", name="Nguyễn Thị Ánh", phone="0912800001"),
        customer(code="BJ000002", name="Số Sai", phone="not a phone"),
        customer(code="BJ000003", name="", phone="0912800003"),
        customer(code="BJ000004", name="青島市XX建築有限公司", phone="0912800004")]))
    journey = Journey(browser_page, tenant, back_office_app)
    page = journey.page
    journey.log_in(f"owner@{tenant.subdomain}.test")
    page.get_by_role("link", name="Import").click()
    page.get_by_label("File").set_input_files(str(upload))
    page.get_by_label("Valid rows").check()
    page.get_by_label("Code", exact=True).check()
    page.get_by_role("button", name="Upload").click()
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    expect(page.locator("#job-status")).to_have_text("Done", timeout=JOB_TIMEOUT_MS)
    expect(page.locator("#job-progress")).to_have_attribute("value", "100")
    expect(page.locator("#count-created")).to_have_text("2")
    expect(page.locator("#count-failed")).to_have_text("2")
    rows = page.locator("#row-errors tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#row-errors thead th")).to_have_text(
        ["Sheet", "Row", "Column", "Reason"])
    expect(rows.nth(0)).to_contain_text("not a phone")
    expect(page.locator("#row-errors")).to_contain_text("Customers")
    reasons = rows.locator("td:nth-child(4)").all_inner_texts()
    assert all(reason.strip() for reason in reasons)
    with page.expect_download() as download:
        page.locator("#error-file").click()
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True)
    codes = [row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert codes == ["BJ000002", "BJ000003"]
    journey.done("import-valid-rows")


def _pdf_text(path) -> str:
    return "".join(page.extract_text() for page in PdfReader(str(path)).pages)


def test_month_statements_of_a_vietnamese_and_a_chinese_customer_and_a_batch(
        back_office_app, browser_page, committed_tenant):
    tenant = committed_tenant
    with schema_context(tenant.schema_name):
        connection.tenant = tenant
        owner = user(f"owner@{tenant.subdomain}.test")
        made = [customer_make(name=name) for name in ("Nguyễn Thị Ánh Đào",
                                                      "青島市XX建築有限公司")]
        for debtor in made:
            opening_balance_set(customer=debtor, amount=Decimal("1250000"), actor=owner)
    journey = Journey(browser_page, tenant, back_office_app)
    page = journey.page
    journey.log_in(f"owner@{tenant.subdomain}.test")
    for debtor, typed in zip(made, ("nguyen thi anh", "青島"), strict=True):
        page.goto(journey.url("/statements/"))
        page.get_by_label("Customer", exact=True).press_sequentially(typed, delay=30)
        page.locator("#picked").get_by_role("link", name=re.compile(debtor.code)).click()
        expect(page.locator("#statement-customer")).to_contain_text(debtor.name)
        expect(page.locator("#statement-closing")).to_have_text("1,250,000 ₫")
        with page.expect_download() as download:
            page.get_by_role("link", name="PDF").click()
        assert download.value.suggested_filename.startswith(f"statement-{debtor.code}-")
        text = _pdf_text(download.value.path())
        assert debtor.name in text and debtor.code in text
    journey.done("statement-preview")
    page.goto(journey.url("/statements/"))
    page.get_by_role("button", name="Make the statements").click()
    expect(page).to_have_url(re.compile(r"/statements/batch/\d+/$"))
    expect(page.locator("#job-status")).to_have_text("Done", timeout=JOB_TIMEOUT_MS)
    expect(page.locator("#batch-statements")).to_have_text("2")
    with page.expect_download() as download:
        page.locator("#batch-file").click()
    names = set(zipfile.ZipFile(download.value.path()).namelist())
    assert {f"{debtor.code}.pdf" for debtor in made} | {"summary.xlsx"} <= names
    journey.done("statement-batch")


def test_the_filtered_customer_list_is_exported(back_office_app, browser_page,
                                                committed_tenant):
    tenant = committed_tenant
    with schema_context(tenant.schema_name):
        for name in ("Lê Văn Xuất", "Lê Thị Xuất", "Phạm Không Xuất"):
            customer_make(name=name)
    journey = Journey(browser_page, tenant, back_office_app)
    page = journey.page
    journey.log_in(f"owner@{tenant.subdomain}.test")
    page.get_by_label("Search").press_sequentially("le xuat", delay=30)
    expect(page.locator("#results tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Export the list").click()
    expect(page).to_have_url(re.compile(r"/exports/\d+/$"))
    expect(page.locator("#job-status")).to_have_text("Done", timeout=JOB_TIMEOUT_MS)
    expect(page.locator("#export-rows")).to_have_text("2")
    with page.expect_download() as download:
        page.locator("#export-file").click()
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True)
    names = [row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["Lê Thị Xuất", "Lê Văn Xuất"]
    journey.done("export-filtered")


def test_a_cashier_prints_the_daily_report_of_their_branch(live_app, browser_page,
                                                           committed_tenant):
    tenant = committed_tenant
    with schema_context(tenant.schema_name):
        connection.tenant = tenant
        second = branch_create(code="B2", name="Chi nhánh 2")
        staff_create(username=f"cashier@{tenant.subdomain}.test", password=PASSWORD,
                     roles=[CASHIER], branches=[second])
        owner = user(f"owner@{tenant.subdomain}.test")
        debtor = customer_make(name="Võ Thị Ca", branch=second)
        opening_balance_set(customer=debtor, amount=Decimal("90000"), actor=owner,
                            branch=second)
        payment_record(customer=debtor, amount=Decimal("30000"), method="cash", actor=owner,
                       branch=second)
    journey = Journey(browser_page, tenant, live_app, language="zh-hant")
    page = journey.page
    journey.log_in(f"cashier@{tenant.subdomain}.test")
    page.get_by_role("link", name="報表").click()
    expect(page).to_have_url(re.compile(r"/reports/daily$"))
    expect(page.locator("#daily-heading")).to_contain_text("Chi nhánh 2")
    expect(page.locator("#daily-collected")).to_contain_text("30,000")
    assert page.locator("#id_branch option").all_inner_texts() == ["我的分店", "Chi nhánh 2"]
    page.emulate_media(media="print")
    expect(page.locator("#daily-form")).to_be_hidden()
    expect(page.locator("#daily-report")).to_be_visible()
    journey.done("daily-report-cashier")
