"""The Reports screen: aging by branch or by owner (finance's selector, the customers the
user may see), its drill-down to the customers and its xlsx; the daily report of a branch
and day (a cashier sees only their branch); bad input is a 422 naming the field."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from crm.models import Branch
from finance.selectors import tenant_today
from finance.vouchers import opening_balance_set, payment_record
from tests.finance.factories import customer_make, user
from tests.web.conftest import english, web_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def debts(in_acme):
    owner, sales = user("owner@acme.test"), user("sales@acme.test")
    main, b2 = Branch.objects.get(code="MAIN"), Branch.objects.get(code="B2")
    mine = customer_make(name="Nguyễn Văn Nợ", owner=sales)
    theirs = customer_make(name="Trần Thị Hai", owner=owner)
    far = customer_make(name="Khách Chi Nhánh Hai", branch=b2, owner=owner)
    for customer, amount, branch in ((mine, "300000", main), (theirs, "200000", main),
                                     (far, "400000", b2)):
        opening_balance_set(customer=customer, amount=Decimal(amount), actor=owner,
                            branch=branch)
    payment_record(customer=far, amount=Decimal("40000"), method="card", actor=owner,
                   branch=b2)
    return {"mine": mine, "theirs": theirs, "far": far, "main": main, "b2": b2,
            "sales": sales, "owner": owner}


def _rows(html: str) -> dict[str, str]:
    body = re.search(r'<table class="table" id="aging-report">.*?</table>', html, re.S).group(0)
    return dict(re.findall(r'<tr><td><a href="[^"]+">([^<]+)</a></td>.*?'
                           r'<td class="num">([^<]+)</td></tr>', body, re.S))


def test_aging_by_branch_and_by_owner_sum_to_the_receivable(debts, owner):
    html = owner.get("/reports/").content.decode()
    assert sorted(_rows(html).values()) == ["360,000 ₫", "500,000 ₫"]
    assert "B2 Branch two" in _rows(html)
    assert re.search(r'id="aging-total">860,000 ₫<', html)
    by_owner = owner.get("/reports/?by=owner").content.decode()
    assert re.search(r'id="aging-total">860,000 ₫<', by_owner)
    assert set(_rows(by_owner).values()) == {"300,000 ₫", "560,000 ₫"}


def test_the_drill_down_lists_the_rows_customers(debts, owner):
    main = debts["main"]
    html = owner.get("/reports/").content.decode()
    assert f'/reports/aging/branch/{main.pk}/?' in html
    drill = owner.get(f"/reports/aging/branch/{main.pk}/").content.decode()
    table = re.search(r'id="aging-customers">.*?</table>', drill, re.S).group(0)
    names = re.findall(r"</a></td><td>([^<]+)</td>", table)
    assert names == ["Nguyễn Văn Nợ", "Trần Thị Hai"]  # most owed first
    assert "Khách Chi Nhánh Hai" not in table and "Customers who owe money: 2" in drill
    by_owner = owner.get(f"/reports/aging/owner/{debts['sales'].pk}/").content.decode()
    assert "Nguyễn Văn Nợ" in by_owner and "Trần Thị Hai" not in by_owner
    assert owner.get("/reports/aging/owner/none/").status_code == 200
    assert owner.get("/reports/aging/customer/1/").status_code == 404


def test_the_aging_export_is_a_workbook_of_numbers(debts, owner):
    response = owner.get("/reports/aging.xlsx?by=owner")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('aging-owner.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [row for row in sheet.iter_rows(values_only=True) if row[0]]
    assert values[-1][-1] == 860000


def test_a_salesperson_sees_only_their_customers(debts, acme):
    sales = english(web_client(acme, "sales@acme.test"))
    html = sales.get("/reports/").content.decode()
    assert re.search(r'id="aging-total">300,000 ₫<', html)
    drill = sales.get(f"/reports/aging/branch/{debts['main'].pk}/").content.decode()
    assert "Nguyễn Văn Nợ" in drill and "Trần Thị Hai" not in drill


@pytest.mark.parametrize("query, field, message", [
    ("by=customer", "by", "Select a valid choice."),
    ("branch=999999", "branch", "Select a valid choice."),
    ("group=abc", "group", "Select a valid choice."),
])
def test_bad_aging_input_is_a_422_naming_the_field(debts, owner, query, field, message):
    response = owner.get(f"/reports/?{query}")
    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(rf'(for="id_{field}"|id="id_{field}_0").*?{re.escape(message)}', html, re.S)
    assert owner.get(f"/reports/aging.xlsx?{query}").status_code == 422


def test_the_daily_report_of_a_branch_and_day(debts, owner, acme):
    from finance.vouchers import prepaid_refund, prepaid_topup

    b2 = debts["b2"]
    saver = customer_make(name="Khách Trả Trước", branch=b2, prepaid_allowed=True)
    prepaid_topup(customer=saver, amount=Decimal("15000"), method="cash", actor=debts["owner"],
                  branch=b2)
    prepaid_refund(customer=saver, amount=Decimal("12000"), method="cash", branch=b2,
                   actor=debts["owner"])
    html = owner.get(f"/reports/daily?branch={b2.pk}").content.decode()
    assert "Daily report of Branch two" in html
    assert "Received: Card" in html and "40,000 ₫" in html
    assert re.search(r"Refunded: Cash</th><td class=\"num\">12,000 ₫<", html)
    assert re.search(r'id="daily-collected">40,000 ₫<', html)
    day = (tenant_today() - datetime.timedelta(days=1)).isoformat()
    quiet = owner.get(f"/reports/daily?branch={b2.pk}&day={day}").content.decode()
    assert re.search(r'id="daily-collected">0 ₫<', quiet)


def test_a_cashier_sees_only_their_branchs_daily_report(debts, acme):
    cashier = english(web_client(acme, "cashier@acme.test"))
    response = cashier.get("/reports/")
    assert response.status_code == 302 and response["Location"] == "/reports/daily"
    html = cashier.get("/reports/daily").content.decode()
    assert "Daily report of Branch two" in html
    options = re.search(r'<select name="branch".*?</select>', html, re.S).group(0)
    assert "Chi nhánh chính" not in options and "Main" not in options
    refused = cashier.get(f"/reports/daily?branch={debts['main'].pk}")
    assert refused.status_code == 422 and "Select a valid choice." in refused.content.decode()
    for path in ("/reports/aging.xlsx", f"/reports/aging/branch/{debts['b2'].pk}/"):
        assert cashier.get(path).status_code == 403


def test_a_bad_day_is_a_422_in_the_users_language(debts, acme):
    client = web_client(acme, "owner@acme.test")
    response = client.get("/reports/daily?day=2026-02-30")
    assert response.status_code == 422
    assert re.search(r'for="id_day".*?Nhập một ngày hợp lệ', response.content.decode(), re.S)


def test_tenant_isolation_another_tenants_reports_show_none_of_it(debts, globex):
    html = web_client(globex, "owner@globex.test").get("/reports/").content.decode()
    assert re.search(r'id="aging-total">NT\$0<', html)
    assert "Nguyễn Văn Nợ" not in html


@pytest.mark.parametrize("language", ["vi", "zh-hant"])
def test_the_report_pages_hold_no_english_words(debts, owner, language):
    owner.cookies["django_language"] = language
    for path in ("/reports/", f"/reports/aging/branch/{debts['main'].pk}/", "/reports/daily"):
        text = re.sub(r"<[^>]+>", " ", owner.get(path).content.decode()).replace("English", "")
        text = text.replace("Branch two", "")
        for word in ("Aging", "Daily", "Report", "Branch", "Salesperson", "Receivable", "Total",
                     "Export", "Show", "Sales", "Received", "customers", "Day", "Cashier"):
            assert not re.search(rf"\b{word}\b", text), (path, word)
