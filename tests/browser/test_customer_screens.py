"""The customer screens in real Chromium: a new customer with the duplicate warning, a
double-tapped payment and its receipt, a cashier of another branch, the pages in
Vietnamese and Traditional Chinese, a tablet. Every journey: no request outside the app,
no console error."""

import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from crm.models import Customer
from crm.roles import CASHIER
from crm.staff import branch_create, staff_create
from finance.models import Voucher
from finance.vouchers import opening_balance_set
from tests.conftest import PASSWORD
from tests.finance.factories import customer_make, user

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"
OVERFLOWING = """[...document.querySelectorAll('body *')]
  .filter(e => !e.closest('.table-wrap') && e.getBoundingClientRect().right > innerWidth + 1)
  .slice(0, 8).map(e => `${e.tagName}.${e.className}#${e.id}`)"""
TABS = ("Info", "Debt", "Purchase history", "Prepaid", "Coins", "Aging", "Audit")


class Journey:
    """The page on a tenant host, watched for console errors and outside requests."""

    def __init__(self, page, tenant, port: int, language: str = "en"):
        self.page, self.host = page, f"{tenant.subdomain}.localhost:{port}"
        self.errors, self.outside = [], []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.context.on("request", lambda r: self.outside.append(r.url)
                        if urlsplit(r.url).netloc != self.host else None)
        page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language,
                                   "url": self.url("/")}])

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def log_in(self, email: str) -> None:
        self.page.goto(self.url("/login/"))
        self.page.locator("#id_username").fill(email)
        self.page.locator("#id_password").fill(PASSWORD)
        self.page.locator("form button[type=submit]").click()
        expect(self.page).to_have_url(re.compile(r"/customers/$"))

    def done(self, name: str, expected: tuple[str, ...] = ("status of 422",)) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        assert self.outside == []
        # Chromium reports an invalid form's 422 (or a page's expected status) as a failed
        # resource; nothing else.
        unexpected = [e for e in self.errors if not any(code in e for code in expected)]
        assert unexpected == [], self.errors


def test_new_customer_warns_of_a_duplicate_then_saves_and_opens_its_page(
        live_app, browser_page, committed_tenant):
    tenant = committed_tenant
    with schema_context(tenant.schema_name):
        existing = customer_make(name="Nguyễn Thị Ánh Đào", phone="+84912000111")
    journey = Journey(browser_page, tenant, live_app)
    page = journey.page
    journey.log_in(f"owner@{tenant.subdomain}.test")
    page.get_by_role("link", name="New customer").click()
    page.get_by_label("Name", exact=True).fill("Khách Mới Tinh")
    page.get_by_label("Phone", exact=True).press_sequentially("0912 000 111", delay=20)
    warning = page.locator("#duplicates .warning")
    expect(warning).to_contain_text(existing.code)
    expect(page.locator("#duplicates a")).to_have_attribute("href", f"/customers/{existing.pk}/")
    page.get_by_label("Phone", exact=True).fill("0912 999 888")
    page.get_by_label("Phone", exact=True).press("End")
    expect(warning).to_have_count(0)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("Khách Mới Tinh")
    expect(page.get_by_role("tab", name="Info")).to_have_attribute("aria-selected", "true")
    with schema_context(tenant.schema_name):
        assert Customer.objects.filter(name="Khách Mới Tinh", phone="+84912999888").count() == 1
    journey.done("customer-new")


def test_a_double_tapped_payment_makes_one_voucher_and_prints_its_receipt(
        live_app, browser_page, committed_tenant):
    tenant = committed_tenant
    with schema_context(tenant.schema_name):
        debtor = customer_make(name="Trần Văn Nợ")
        opening_balance_set(customer=debtor, amount=Decimal("500000"),
                            actor=user(f"owner@{tenant.subdomain}.test"))
    journey = Journey(browser_page, tenant, live_app)
    page = journey.page
    journey.log_in(f"owner@{tenant.subdomain}.test")
    page.goto(journey.url(f"/customers/{debtor.pk}/debt"))
    page.get_by_label("Amount").fill("200000")
    page.get_by_label("Method").select_option("cash")
    page.get_by_role("button", name="Record payment").dblclick()
    expect(page.locator("#receivable")).to_have_text("300,000 ₫")
    expect(page.locator("#receipt-ready")).to_contain_text(re.compile(r"PT\d+"))
    with schema_context(tenant.schema_name):
        receipts = list(Voucher.objects.filter(customer=debtor, type="receipt"))
    assert len(receipts) == 1
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Print receipt (80 mm)").click()
    receipt = opened.value
    expect(receipt.locator("#receipt-code")).to_have_text(receipts[0].code)
    expect(receipt.locator("#receipt-amount")).to_have_text("200,000 ₫")
    expect(receipt.locator(".receipt-thermal")).to_be_visible()
    width = receipt.locator(".receipt-thermal").evaluate("e => e.getBoundingClientRect().width")
    assert 270 < width < 300  # 76 mm at 96 dpi
    receipt.close()
    journey.done("payment-double-tap")


def test_a_branch_b_cashier_neither_finds_nor_opens_branch_as_customer(
        live_app, browser_page, committed_tenant):
    tenant = committed_tenant
    with schema_context(tenant.schema_name):
        second = branch_create(code="B2", name="Chi nhánh 2")
        staff_create(username=f"cashier@{tenant.subdomain}.test", password=PASSWORD,
                     roles=[CASHIER], branches=[second])
        private = customer_make(name="Lý Thị Riêng")
        customer_make(name="Lý Thị Chung", shared=True)
    journey = Journey(browser_page, tenant, live_app)
    page = journey.page
    journey.log_in(f"cashier@{tenant.subdomain}.test")
    page.get_by_label("Search").press_sequentially("ly thi", delay=30)
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results tbody")).to_contain_text("Lý Thị Chung")
    expect(page.locator("#results tbody")).not_to_contain_text("Lý Thị Riêng")
    for path in ("/", "/debt", "/purchases"):
        response = page.goto(journey.url(f"/customers/{private.pk}{path}"))
        assert response.status == 404, path
    journey.done("cashier-other-branch", expected=("status of 404",))


ENGLISH_UI = re.compile(r"\b(Info|Debt|Purchase|history|Prepaid|Coins|Audit|Customer|Customers|"
                        r"Receivable|Amount|Method|Record|payment|Adjust|Save|Edit|Delete|"
                        r"Deactivate|Search|Name|Phone|Code|Status|Created|Branch|Note|Role|"
                        r"Language|Log|out|Receipt|Cancel|voucher|Contacts|Departments|"
                        r"Terminals|None|yet|Total|Retail|Active|On|account|Cash|Card|Bank|"
                        r"transfer|Yes|No|Filters|All|Page|Next|New|Top|up|Refund)\b")


@pytest.mark.parametrize("language", ["vi", "zh-hant"])
def test_the_customer_page_holds_no_english_words(live_app, browser_page, committed_tenant,
                                                   language):
    tenant = committed_tenant
    with schema_context(tenant.schema_name):
        owner = user(f"owner@{tenant.subdomain}.test")
        debtor = customer_make(name="Đỗ Văn Dịch", phone="+84912000333")
        opening_balance_set(customer=debtor, amount=Decimal("120000"), actor=owner)
    journey = Journey(browser_page, tenant, live_app, language=language)
    page = journey.page
    journey.log_in(f"owner@{tenant.subdomain}.test")
    expect(page.locator("html")).to_have_attribute("lang", language)
    pages = ["/customers/", "/customers/new", f"/customers/{debtor.pk}/edit"]
    pages += [f"/customers/{debtor.pk}/{tab}" for tab in
              ("", "debt", "purchases", "prepaid", "coins", "aging", "audit")]
    for path in pages:
        page.goto(journey.url(path))
        expect(page.locator("main")).to_be_visible()
        text = page.locator("body").inner_text()
        for option in page.locator("option").all_inner_texts():
            text += " " + option
        found = set(ENGLISH_UI.findall(text.replace("English", "")))
        assert not found, (path, found)
    journey.done(f"customer-page-{language}")


def test_the_customer_page_on_a_tablet(live_app, browser_page, committed_tenant):
    tenant = committed_tenant
    with schema_context(tenant.schema_name):
        debtor = customer_make(name="Hoàng Thị Máy Tính Bảng")
        opening_balance_set(customer=debtor, amount=Decimal("90000"),
                            actor=user(f"owner@{tenant.subdomain}.test"))
    page = browser_page
    page.set_viewport_size({"width": 820, "height": 1180})
    journey = Journey(page, tenant, live_app)
    journey.log_in(f"owner@{tenant.subdomain}.test")
    page.goto(journey.url(f"/customers/{debtor.pk}/debt"))
    for name in TABS:
        expect(page.get_by_role("tab", name=name)).to_be_visible()
    for target in (page.get_by_role("button", name="Record payment"),
                   page.get_by_role("button", name="Adjust debt"),
                   page.get_by_role("tab", name="Debt"), page.get_by_label("Amount")):
        assert target.bounding_box()["height"] >= 44
    # Nothing sticks out sideways (tables scroll inside their own box).
    wide = page.evaluate(OVERFLOWING)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), wide
    page.get_by_role("tab", name="Purchase history").click()
    expect(page).to_have_url(re.compile(r"/purchases$"))
    expect(page.get_by_role("tab", name="Purchase history")).to_have_attribute(
        "aria-selected", "true")
    journey.done("customer-tablet")
