"""The Statements screen: the customer picker (visible customers only), the preview of a
month or a custom period from statement_build's data, PDF and Excel, a group company's own
and consolidated statements, the batch's start and job page; bad input is a 422 naming
the field; who may see what (404 otherwise)."""

import io
import re
import uuid
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context
from openpyxl import load_workbook
from pypdf import PdfReader

from crm.models import Branch
from exchange.models import StatementBatchJob
from finance.selectors import tenant_today
from finance.vouchers import opening_balance_set, payment_record
from tests.finance.factories import customer_make, user
from tests.web.conftest import HTMX, english, web_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def debtors(in_acme):
    owner = user("owner@acme.test")
    group = customer_make(name="Tập đoàn Ánh Dương", owner=owner)
    child = customer_make(name="Công ty con Ánh Dương", parent=group, owner=owner)
    hidden = customer_make(name="Khách Chi Nhánh Hai", branch=Branch.objects.get(code="B2"),
                           owner=owner)
    for customer, amount in ((group, "500000"), (child, "300000"), (hidden, "70000")):
        opening_balance_set(customer=customer, amount=Decimal(amount), actor=owner,
                            branch=customer.home_branch)
    receipt = payment_record(customer=group, amount=Decimal("200000"), method="cash",
                             actor=owner)
    return {"group": group, "child": child, "hidden": hidden, "receipt": receipt}


def _month() -> str:
    return tenant_today().strftime("%Y-%m")


def test_the_picker_finds_visible_customers_only(debtors, owner, acme):
    html = owner.get("/statements/customers?search=anh duong", **HTMX).content.decode()
    assert "Tập đoàn Ánh Dương" in html and "Công ty con Ánh Dương" in html
    assert f'/statements/customers/{debtors["group"].pk}/?month={_month()}' in html
    sales = english(web_client(acme, "sales@acme.test"))  # sees only their own customers
    assert "Ánh Dương" not in sales.get("/statements/customers?search=anh duong").content.decode()


def test_a_months_preview_holds_the_statement(debtors, owner):
    group, receipt = debtors["group"], debtors["receipt"]
    html = owner.get(f"/statements/customers/{group.pk}/?month={_month()}").content.decode()
    assert re.search(r'id="statement-customer">Tập đoàn Ánh Dương', html)
    assert re.search(r'id="statement-opening">0 ₫<', html)
    assert re.search(r'id="statement-closing">300,000 ₫<', html)
    assert receipt.code in html and "500,000 ₫" in html
    assert "Tax code" not in html or "Công ty Acme" in html
    assert "Công ty Acme" in html  # the letterhead
    assert f"/statements/customers/{group.pk}/statement.pdf?month={_month()}" in html


def test_the_pdf_and_the_excel_hold_the_customer(debtors, owner):
    group = debtors["group"]
    pdf = owner.get(f"/statements/customers/{group.pk}/statement.pdf?month={_month()}&lang=vi")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Tập đoàn Ánh Dương" in text and debtors["receipt"].code in text
    xlsx = owner.get(f"/statements/customers/{group.pk}/statement.xlsx?month={_month()}")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    cells = [c for row in book.active.iter_rows(values_only=True) for c in row]
    assert "Tập đoàn Ánh Dương" in " ".join(str(c) for c in cells if c)
    assert owner.get(f"/statements/customers/{group.pk}/statement.docx?month={_month()}"
                     ).status_code == 404


def test_a_group_company_own_or_consolidated(debtors, owner):
    group, child = debtors["group"], debtors["child"]
    own = owner.get(f"/statements/customers/{group.pk}/?month={_month()}").content.decode()
    assert "Consolidated, a subtotal per subsidiary" in own
    assert f"/statements/customers/{child.pk}/" in own  # the subsidiary's own statement
    both = owner.get(f"/statements/customers/{group.pk}/?month={_month()}&consolidated=1"
                     ).content.decode()
    assert re.findall(r"<caption>([^<]+)</caption>", both)[:2] == [
        f"Tập đoàn Ánh Dương ({group.code})", f"Công ty con Ánh Dương ({child.code})"]
    assert re.search(r'id="statement-closing">600,000 ₫<', both)
    alone = owner.get(f"/statements/customers/{child.pk}/?month={_month()}&consolidated=1")
    assert alone.status_code == 422
    assert f"Customer {child.code} has no subsidiaries to consolidate." in alone.content.decode()


def test_a_custom_period(debtors, owner):
    today = tenant_today()
    group = debtors["group"]
    html = owner.get(f"/statements/customers/{group.pk}/?period_from={today}&period_to={today}"
                     ).content.decode()
    assert re.search(r'id="statement-closing">300,000 ₫<', html)
    before = today.replace(year=today.year - 1)
    html = owner.get(f"/statements/customers/{group.pk}/?period_from={before}"
                     f"&period_to={before}").content.decode()
    assert "Nothing moved in this period." in html and re.search(
        r'id="statement-closing">0 ₫<', html)


@pytest.mark.parametrize("query, field, message", [
    ("period_from=2026-13-01&period_to=2026-12-31", "period_from", "Enter a valid date."),
    ("period_from=2026-12-01&period_to=2026-11-01", "period_to",
     "The end of the period is before its start."),
    ("period_from=2025-01-01&period_to=2026-12-31", "period_to",
     "A statement covers at most 366 days."),
    ("period_from=2026-12-01", "period_to", "Choose a month or give both dates."),
    ("month=1999-01", "month", "Select a valid choice."),
])
def test_a_bad_period_is_a_422_naming_the_field(debtors, owner, query, field, message):
    response = owner.get(f"/statements/customers/{debtors['group'].pk}/?{query}")
    assert response.status_code == 422
    block = re.search(rf'<div class="field field-invalid">\s*<label for="id_{field}">.*?</div>',
                      response.content.decode(), re.S)
    assert block and message in block.group(0)


def test_the_error_is_in_the_users_language(debtors, acme):
    client = web_client(acme, "owner@acme.test")
    response = client.get(f"/statements/customers/{debtors['group'].pk}/"
                          "?period_from=2026-12-01&period_to=2026-11-01")
    assert response.status_code == 422
    assert "Ngày kết thúc kỳ trước ngày bắt đầu." in response.content.decode()


def test_who_may_see_a_statement(debtors, acme, globex):
    group, hidden = debtors["group"], debtors["hidden"]
    sales = web_client(acme, "sales@acme.test")
    assert sales.get(f"/statements/customers/{group.pk}/").status_code == 404
    manager = web_client(acme, "manager@acme.test")
    assert manager.get(f"/statements/customers/{hidden.pk}/").status_code == 200
    cashier = web_client(acme, "cashier@acme.test")
    for path in ("/statements/", f"/statements/customers/{hidden.pk}/",
                 "/statements/customers?search=a"):
        assert cashier.get(path).status_code == 403
    other = web_client(globex, "owner@globex.test")
    assert other.get(f"/statements/customers/{group.pk}/statement.pdf").status_code == 404


def _batch(client, **data):
    return client.post("/statements/batch", {"month": _month(), "token": str(uuid.uuid4()),
                                             "lang": "vi", **data})


def test_a_batch_starts_once_and_its_page_polls(debtors, owner, acme):
    token = str(uuid.uuid4())
    main = Branch.objects.get(code="MAIN")
    first = _batch(owner, token=token, branch=main.pk, nonzero_only="on")
    assert first.status_code == 302
    assert _batch(owner, token=token, branch=main.pk)["Location"] == first["Location"]
    job_id = int(re.search(r"/statements/batch/(\d+)/$", first["Location"]).group(1))
    with schema_context(acme.schema_name):
        job = StatementBatchJob.objects.get(pk=job_id)
        assert job.filters == {"branch": main.pk, "nonzero_only": True}
        assert job.period_from == tenant_today().replace(day=1) and job.lang == "vi"
        key = job.file_key
    page = owner.get(first["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page and 'id="job-status">Queued<' in page
    manager = web_client(acme, "manager@acme.test")
    for path in (first["Location"], f"/statements/batch/{job_id}/file?key={key}"):
        assert manager.get(path).status_code == 404
    assert owner.get(f"/statements/batch/{job_id}/file?key={key}").status_code == 404  # no zip yet
    listing = owner.get("/statements/").content.decode()
    assert f"/statements/batch/{job_id}/" in listing


@pytest.mark.parametrize("data, field, message", [
    ({"owner": "999999"}, "owner", "Select a valid choice."),
    ({"month": "", "period_from": "2026-12-01", "period_to": "2026-11-01"}, "period_to",
     "The end of the period is before its start."),
])
def test_a_bad_batch_is_a_422_naming_the_field(debtors, owner, acme, data, field, message):
    with schema_context(acme.schema_name):
        before = StatementBatchJob.objects.count()
    response = _batch(owner, **data)
    assert response.status_code == 422
    block = re.search(rf'<div class="field field-invalid">\s*<label for="id_{field}">.*?</div>',
                      response.content.decode(), re.S)
    assert block and message in block.group(0)
    with schema_context(acme.schema_name):
        assert StatementBatchJob.objects.count() == before


@pytest.mark.parametrize("language", ["vi", "zh-hant"])
def test_the_statement_pages_hold_no_english_words(debtors, owner, language):
    owner.cookies["django_language"] = language
    for path in ("/statements/", f"/statements/customers/{debtors['group'].pk}/"):
        text = re.sub(r"<[^>]+>", " ", owner.get(path).content.decode()).replace("English", "")
        for word in ("Statement", "Statements", "Batch", "Month", "From", "Opening", "Closing",
                     "Debit", "Credit", "Balance", "Customer", "Recent", "Consolidated",
                     "Show"):
            assert not re.search(rf"\b{word}\b", text), (path, word)
