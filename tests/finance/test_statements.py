"""Statements: the period's arithmetic on random ledgers (boundaries in the tenant's time
zone), cancelled vouchers as pairs, consolidated groups, the PDF's text, the xlsx's cells,
the endpoint's input errors, visibility and tenant isolation."""

import datetime
import io
import itertools
import unicodedata
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.utils import translation
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from crm.models import Branch, Customer, CustomerDepartment
from finance import vouchers
from finance.models import LedgerEntry
from finance.orders import order_approve, order_create
from finance.selectors import payment_method_choices
from finance.statement_formats import statement_pdf, statement_xlsx
from finance.statements import period_bounds, statement_as_dict, statement_build
from tenants.current import tenant_current
from tests.conftest import api_client
from tests.finance.factories import customer_make, lines, product_make, user

_keys = itertools.count(1)
VIETNAMESE = "Nguyễn Thị Ánh Đào ờ ỡ ặ"
CHINESE = "青島市XX建築有限公司"


def _ledger_insert(customer: Customer, moves: list[tuple[datetime.datetime, Decimal]]) -> None:
    """Entries at chosen times (the services stamp the clock's time), oldest first, each
    with the running balance the posting services store."""
    branch_id = customer.home_branch_id
    balance = Decimal(0)
    with connection.cursor() as cursor:
        for at, amount in moves:
            balance += amount
            cursor.execute(
                "INSERT INTO finance_ledgerentry (customer_id, book, kind, amount, "
                "balance_after, branch_id, created_at, idempotency_key) "
                "VALUES (%s, 'receivable', %s, %s, %s, %s, %s, %s)",
                [customer.pk, "adjustment" if amount > 0 else "receipt", amount, balance,
                 branch_id, at, f"test:{next(_keys)}"])


_BASE = datetime.date(2026, 3, 1)
# Times of day around local midnight (and UTC midnight, 07:00/08:00 local) on purpose.
_TIMES = st.sampled_from([datetime.time(0, 0), datetime.time(0, 0, 0, 1),
                          datetime.time(6, 59, 59), datetime.time(7, 0), datetime.time(8, 0),
                          datetime.time(12, 0), datetime.time(23, 59, 59, 999999)])
_MOVES = st.lists(st.tuples(st.integers(0, 40), _TIMES,
                            st.integers(-500, 900).filter(bool)), max_size=25)


@pytest.mark.parametrize("tenant_name", ["acme", "globex"])
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=_MOVES, start=st.integers(0, 45), length=st.integers(0, 20))
def test_opening_plus_entries_is_closing(request, tenant_name, moves, start, length):
    tenant = request.getfixturevalue(tenant_name)
    with schema_context(tenant.schema_name):
        tz = tenant_current().timezone
        customer = customer_make()
        timed = sorted((datetime.datetime.combine(_BASE + datetime.timedelta(days=day), t,
                                                  tzinfo=tz), Decimal(amount * 1000))
                       for day, t, amount in moves)
        _ledger_insert(customer, timed)
        period_from = _BASE + datetime.timedelta(days=start)
        period_to = period_from + datetime.timedelta(days=length)
        statement = statement_build(customer=customer, period_from=period_from,
                                    period_to=period_to)
        lo, hi = period_bounds(period_from, period_to, tz)
        inside = [amount for at, amount in timed if lo <= at < hi]
        assert statement.opening == sum((a for at, a in timed if at < lo), Decimal(0))
        assert statement.closing == sum((a for at, a in timed if at < hi), Decimal(0))
        assert statement.opening + statement.debits - statement.credits == statement.closing
        assert [line.debit - line.credit for line in statement.lines] == inside
        assert all(period_from <= line.date <= period_to for line in statement.lines)
        assert sum(statement.aging.values()) == statement.closing
        if statement.lines:
            assert statement.lines[-1].balance == statement.closing


@pytest.fixture
def shop(acme):
    with schema_context(acme.schema_name):
        yield {"owner": user("owner@acme.test"), "product": product_make("100000")}


def _today():
    return datetime.datetime.now(tenant_current().timezone).date()


def test_cancelled_voucher_is_shown_as_its_pair(acme, shop):
    with schema_context(acme.schema_name):
        owner = shop["owner"]
        customer = customer_make()
        vouchers.opening_balance_set(customer=customer, amount=Decimal(500000), actor=owner)
        kept = vouchers.payment_record(customer=customer, amount=Decimal(100000),
                                       method="cash", actor=owner)
        cancelled = vouchers.payment_record(customer=customer, amount=Decimal(50000),
                                            method="card", actor=owner)
        vouchers.voucher_cancel(voucher=cancelled, actor=owner)
        today = _today()
        statement = statement_build(customer=customer, period_from=today, period_to=today)
        rows = [(line.code, line.debit, line.credit, line.cancelled) for line in statement.lines]
        assert rows[1:] == [(kept.code, 0, 100000, False),
                            (cancelled.code, 0, 50000, True),
                            (cancelled.code, 50000, 0, True)]
        customer.refresh_from_db()
        assert statement.closing == customer.receivable_amount == Decimal(400000)
        assert statement.opening == 0
        with translation.override("en"):
            described = statement_build(customer=customer, period_from=today,
                                        period_to=today).lines[-1].description
        assert described == f"Cancellation of {cancelled.code}"


def _group(owner, product):
    group = customer_make(name="Tập đoàn Ánh Dương")
    subs = [customer_make(name=f"Công ty con {n}", parent=group) for n in (1, 2)]
    department = CustomerDepartment.objects.create(customer=subs[0], name="Phòng kế toán")
    for customer, quantity in ((group, "1"), (subs[0], "2"), (subs[1], "3")):
        order = order_create(customer=customer, lines=lines(product, quantity), actor=owner,
                             department=department if customer == subs[0] else None)
        order_approve(order=order, actor=owner)
    vouchers.payment_record(customer=subs[1], amount=Decimal(120000), method="cash",
                            actor=owner)
    return group, subs


def test_consolidated_totals_are_the_sum_of_the_subsidiaries(acme, shop):
    with schema_context(acme.schema_name):
        group, subs = _group(shop["owner"], shop["product"])
        today = _today()
        period = {"period_from": today - datetime.timedelta(days=30), "period_to": today}
        whole = statement_build(customer=group, consolidated=True, **period)
        alone = [statement_build(customer=c, **period) for c in (group, *subs)]
        assert [s.customer.id for s in whole.sections] == [group.pk, subs[0].pk, subs[1].pk]
        for attr in ("opening", "debits", "credits", "closing"):
            assert getattr(whole, attr) == sum(getattr(s, attr) for s in alone)
        assert whole.closing == Decimal(100000 + 200000 + 300000 - 120000)
        assert whole.aging == {b: sum(s.aging[b] for s in alone) for b in whole.aging}
        assert [line.department for line in whole.sections[1].lines] == ["Phòng kế toán"]
        body = statement_as_dict(whole)
        assert body["closing"] == "480000" and len(body["sections"]) == 3
        with pytest.raises(Exception) as refused:
            statement_build(customer=subs[0], consolidated=True, **period)
        assert refused.value.fields == {"consolidated": [str(refused.value)]}


def _named_customer(owner, product, name):
    customer = customer_make(name=name, address="12 Lê Lợi, Quận 1", tax_code="0312345678")
    order = order_create(customer=customer, lines=lines(product, "4"), actor=owner)
    order_approve(order=order, actor=owner)
    return customer


@pytest.mark.parametrize("lang", ["vi", "zh-hant"])
def test_pdf_text_extracts_names_exactly(acme, shop, lang):
    with schema_context(acme.schema_name):
        decomposed = unicodedata.normalize("NFD", f"{VIETNAMESE} {CHINESE}")
        customer = _named_customer(shop["owner"], shop["product"], decomposed)
        today = _today()
        with translation.override(lang):
            pdf = statement_pdf(statement_build(customer=customer, period_from=today,
                                                period_to=today))
            title = {"vi": "Bảng đối chiếu công nợ", "zh-hant": "對賬單"}[lang]
        assert pdf.startswith(b"%PDF")
        reader = PdfReader(io.BytesIO(pdf))
        text = "".join(page.extract_text() for page in reader.pages)
        assert VIETNAMESE in text and CHINESE in text and title in text
        assert ("400.000" if lang == "vi" else "400,000") in text
        assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.01)


def test_xlsx_numbers_are_numbers_and_dates_are_dates(acme, shop):
    with schema_context(acme.schema_name):
        customer = _named_customer(shop["owner"], shop["product"], f"{CHINESE} 2")
        vouchers.payment_record(customer=customer, amount=Decimal(150000), method="cash",
                                actor=shop["owner"])
        today = _today()
        statement = statement_build(customer=customer, period_from=today, period_to=today)
        cash_label = dict(payment_method_choices())["cash"]
        assert cash_label != "cash"
        sheet = openpyxl.load_workbook(io.BytesIO(statement_xlsx(statement))).active
    rows = list(sheet.iter_rows(values_only=False))
    header = next(i for i, row in enumerate(rows) if row[4].value in ("Debit", "Nợ", "借方"))
    sale, receipt = rows[header + 2], rows[header + 3]
    assert isinstance(sale[0].value, datetime.datetime) and sale[0].value.date() == today
    assert (sale[4].value, receipt[5].value, receipt[6].value) == (400000, 150000, 250000)
    assert receipt[3].value.endswith(" · " + cash_label)  # the method's label, not its code
    assert all(isinstance(cell.value, int | float) for cell in (sale[4], sale[6], receipt[5]))
    assert sale[4].number_format == "#,##0"


# --- the endpoint ------------------------------------------------------------------------

def test_statement_endpoint_formats_and_bad_input(acme, shop):
    with schema_context(acme.schema_name):
        customer = _named_customer(shop["owner"], shop["product"], f"{VIETNAMESE} API")
    owner = api_client(acme, "owner@acme.test")
    url = f"/api/v1/customers/{customer.pk}/statement"
    body = owner.get(url).json()
    assert (body["closing"], body["currency"]) == ("400000", "VND")
    assert body["sections"][0]["entries"][0]["debit"] == "400000"
    pdf = owner.get(url, {"format": "pdf", "lang": "zh-hant"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "對賬單" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    xlsx = owner.get(url, {"format": "xlsx", "lang": "en"})
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    for params, field in (({"from": "2026-13-01"}, "from"), ({"to": "yesterday"}, "to"),
                          ({"from": "2026-02-01", "to": "2026-01-01"}, "to"),
                          ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),
                          ({"to": "9999-12-31"}, "to"), ({"format": "docx"}, "format"),
                          ({"lang": "fr"}, "lang"), ({"consolidated": "maybe"}, "consolidated"),
                          ({"consolidated": "1"}, "consolidated")):
        response = owner.get(url, params, HTTP_ACCEPT_LANGUAGE="vi")
        assert response.status_code == 400, (params, response.content)
        assert field in response.json()["fields"], (params, response.json())


def test_statement_endpoint_visibility_and_isolation(acme, globex, shop):
    with schema_context(acme.schema_name):
        customer = _named_customer(shop["owner"], shop["product"], "Khách chỉ ở MAIN")
        group, subs = _group(shop["owner"], shop["product"])
        b2 = Branch.objects.get(code="B2")
        hidden_sub = customer_make(name="Công ty con ở B2", parent=group, branch=b2)
    url = f"/api/v1/customers/{customer.pk}/statement"
    assert api_client(acme, "manager@acme.test").get(url).status_code == 200
    # the cashier works at B2 and may not see statements at all; the salesperson sees
    # only their own (and unowned) customers
    assert api_client(acme, "cashier@acme.test").get(url).status_code in (403, 404)
    sales = api_client(acme, "sales@acme.test")
    assert sales.get(url).status_code == 200
    with schema_context(acme.schema_name):
        Customer.objects.filter(pk=customer.pk).update(owner=shop["owner"])
    assert sales.get(url).status_code == 404
    # consolidated needs every company of the group to be visible
    group_url = f"/api/v1/customers/{group.pk}/statement"
    assert sales.get(group_url, {"consolidated": "1"}).status_code == 403
    whole = api_client(acme, "owner@acme.test").get(group_url, {"consolidated": "1"}).json()
    assert [s["customer"]["id"] for s in whole["sections"]] == [group.pk, *[c.pk for c in subs],
                                                                hidden_sub.pk]
    # another tenant's host never shows acme's statement
    other = api_client(globex, "owner@globex.test").get(url)
    assert "Khách chỉ ở MAIN" not in other.content.decode()
    assert other.status_code in (404, 200)
    with schema_context(globex.schema_name):
        exists = Customer.objects.filter(pk=customer.pk).exists()
    assert other.status_code == (200 if exists else 404)


@pytest.mark.breaks_money_invariants  # 2,000 entries written straight to the ledger
def test_period_index_finds_the_first_entry(acme, shop):
    """The period's rows come from the index, not from reading the history."""
    with schema_context(acme.schema_name):
        customer = customer_make()
        tz = tenant_current().timezone
        start = datetime.datetime(2025, 1, 1, tzinfo=tz)
        _ledger_insert(customer, [(start + datetime.timedelta(hours=6 * i), Decimal(1000))
                                  for i in range(2000)])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE finance_ledgerentry")
            cursor.execute(
                "EXPLAIN SELECT * FROM finance_ledgerentry WHERE customer_id = %s AND "
                "book = 'receivable' AND created_at >= %s AND created_at < %s "
                "ORDER BY created_at, id",
                [customer.pk, start + datetime.timedelta(days=300),
                 start + datetime.timedelta(days=331)])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "ledgerentry_period" in plan, plan
        statement = statement_build(customer=customer, period_from=datetime.date(2025, 10, 28),
                                    period_to=datetime.date(2025, 11, 27))
        assert len(statement.lines) == 31 * 4
        assert statement.opening == Decimal(300 * 4 * 1000)
        assert LedgerEntry.objects.filter(customer=customer).count() == 2000
