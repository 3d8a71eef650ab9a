"""Screen 3: the dashboard at `/` (its figures from finance.dashboard, for what the user
may see; a cashier's is the daily report of their branch) and the main navigation (what
a role may not use is not shown, and its page is refused)."""

import re
from decimal import Decimal

import pytest

from crm.models import Branch
from finance.vouchers import opening_balance_set, payment_record
from tests.finance.factories import customer_make, user
from tests.web.conftest import web_client

EVERY_SCREEN = ["Dashboard", "Customers", "Sale", "Import", "Statements", "Reports", "Settings"]


@pytest.fixture
def debts(in_acme):
    owner = user("owner@acme.test")
    main, b2 = Branch.objects.get(code="MAIN"), Branch.objects.get(code="B2")
    over = customer_make(name="Khách Vượt Hạn Mức", credit_limit_amount=Decimal("100000"),
                         credit_limit_enforced=True)
    hidden = customer_make(name="Khách Chi Nhánh Hai", branch=b2)
    opening_balance_set(customer=over, amount=Decimal("250000"), actor=owner, branch=main)
    opening_balance_set(customer=hidden, amount=Decimal("400000"), actor=owner, branch=b2)
    payment_record(customer=hidden, amount=Decimal("40000"), method="card", actor=owner,
                   branch=b2)
    return {"over": over, "hidden": hidden}


def _nav(html: str) -> list[str]:
    block = re.search(r'<nav class="main-nav".*?</nav>', html, re.S).group(0)
    return re.findall(r">([^<]+)</a>", block)


def test_the_owners_dashboard_shows_every_figure_and_screen(debts, acme):
    client = web_client(acme, "owner@acme.test", HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    html = client.get("/").content.decode()
    assert _nav(html) == EVERY_SCREEN
    assert re.search(r'id="receivable-total">610,000 ₫<', html)
    assert re.search(r'id="over-limit-count">1<', html)
    assert re.search(r'id="received-today">40,000 ₫<', html)
    assert html.count('<svg viewBox=') == 2 and "<title id=\"aging-title\">" in html
    assert "Khách Vượt Hạn Mức" in html and "Khách Chi Nhánh Hai" in html
    assert re.search(r"<td>Branch two</td><td>Card</td><td class=\"num\">40,000 ₫</td>", html)


def test_a_salesperson_sees_only_their_branchs_figures(debts, acme):
    html = web_client(acme, "sales@acme.test").get("/").content.decode()  # MAIN only
    assert re.search(r'id="receivable-total">250.000 ₫<', html)
    assert "Khách Chi Nhánh Hai" not in html and "Khách Vượt Hạn Mức" in html
    assert "Thẻ" not in html  # B2's card receipt is not counted
    assert _nav(html) == ["Tổng quan", "Khách hàng", "Bán hàng", "Đối chiếu công nợ", "Báo cáo"]


def test_a_cashiers_dashboard_is_their_branchs_daily_report(debts, acme):
    client = web_client(acme, "cashier@acme.test")  # works at B2
    html = client.get("/").content.decode()
    assert 'id="daily-report"' in html and "Branch two" in html
    assert "Đã thu: Thẻ" in html and "40.000 ₫" in html
    assert 'id="receivable-total"' not in html and "Khách Vượt Hạn Mức" not in html
    assert _nav(html) == ["Tổng quan", "Khách hàng", "Bán hàng", "Báo cáo"]
    for refused in ("/import/", "/statements/", "/settings/"):
        assert client.get(refused).status_code == 403
    assert client.get("/reports/", follow=True).redirect_chain == [("/reports/daily", 302)]
    assert client.get("/reports/daily").status_code == 200


def test_the_back_office_screens_send_a_visitor_to_the_login(acme):
    visitor = web_client(acme)
    for path in ("/import/", "/statements/", "/reports/", "/settings/"):
        assert visitor.get(path).status_code == 302, path


@pytest.mark.parametrize("language, english", [("vi", EVERY_SCREEN), ("zh-hant", EVERY_SCREEN)])
def test_the_dashboard_holds_no_english_words(debts, acme, language, english):
    client = web_client(acme, "owner@acme.test")
    client.cookies["django_language"] = language
    html = client.get("/").content.decode()
    text = re.sub(r"<[^>]+>", " ", html)
    for word in english + ["Total receivable", "Top debtors", "Log out", "Language"]:
        assert not re.search(rf"\b{word}\b", text), word


def test_tenant_isolation_another_tenants_dashboard_shows_none_of_it(debts, globex):
    html = web_client(globex, "owner@globex.test").get("/").content.decode()
    assert "Khách Vượt Hạn Mức" not in html and "Khách Chi Nhánh Hai" not in html
    assert re.search(r'id="receivable-total">NT\$0<', html)
