"""A shop owner's first minute in real Chromium: the public landing page, a signup with a
mistake shown at its field, then straight into the new tenant's dashboard, logged in
through the one-time link, and on to the customers; the same screens in Traditional
Chinese hold no English words. Screenshots go to .data/screenshots (ignored by git; CI
may keep the folder as an artefact)."""

import re
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from finance.catalogue import product_create
from finance.models import Order, Voucher
from tenants.models import Tenant
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

SIGNUP_WAIT_MS = 60_000
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"
ENGLISH = ["Dashboard", "Customers", "Sale", "Import", "Statements", "Reports", "Settings",
           "Business name", "Subdomain", "Password", "Currency", "Sign up", "Log out",
           "Total receivable", "Top debtors", "Language"]


def _watch(page, hosts: set[str]) -> tuple[list, list]:
    errors, outside = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: outside.append(r.url)
            if urlsplit(r.url).netloc not in hosts else None)
    return errors, outside


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _no_english(page) -> None:
    text = page.locator("body").inner_text()
    for word in ENGLISH:
        assert not re.search(rf"\b{word}\b", text), word


def _fill_signup(form, *, business: str, subdomain: str, email: str) -> None:
    """The English signup form, filled as a visitor does (VND, English)."""
    form.get_by_label("Business name").fill(business)
    form.get_by_label("Subdomain").fill(subdomain)
    form.get_by_label("E-mail").fill(email)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_label("Currency").select_option("VND")
    form.get_by_label("Language").select_option("en")


def test_sign_up_land_logged_in_on_the_dashboard_then_customers(live_app, browser_page):
    page, subdomain = browser_page, f"shop-{uuid.uuid4().hex[:8]}"
    public, tenant_host = f"localhost:{live_app}", f"{subdomain}.localhost:{live_app}"
    errors, outside = _watch(page, {public, tenant_host})

    page.goto(f"http://{public}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Customers & receivables")
    # "admin" is reserved: refused at the field.
    _fill_signup(page.locator("#signup-form"), business="Cửa hàng Ánh Dương", subdomain="admin",
                 email=f"owner@{subdomain}.test")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator(".field-invalid .field-error")).to_contain_text("reserved")
    # The 422 was swapped in place: the other fields kept what was typed.
    expect(page.locator("#signup-form").get_by_label("Business name")).to_have_value(
        "Cửa hàng Ánh Dương")

    page.locator("#signup-form").get_by_label("Subdomain").fill(subdomain)
    page.locator("#signup-form").get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    # An empty signup pool builds the schema while the user waits: seconds on a busy machine.
    expect(page).to_have_url(f"http://{tenant_host}/", timeout=SIGNUP_WAIT_MS)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.locator(".who")).to_have_text(f"owner@{subdomain}.test")
    expect(page.locator("#receivable-total")).to_have_text("0 ₫")
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link")).to_have_text(
        ["Dashboard", "Customers", "Sale", "Import", "Statements", "Reports", "Settings"])
    _shot(page, "signup-dashboard-en")

    nav.get_by_role("link", name="Customers").click()
    expect(page).to_have_url(f"http://{tenant_host}/customers/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers")

    assert Tenant.objects.filter(subdomain=subdomain).exists()
    assert outside == []
    assert [e for e in errors if "status of 422" not in e] == [], errors


def test_the_same_screens_in_traditional_chinese(live_app, browser_page):
    page, subdomain = browser_page, f"shop-{uuid.uuid4().hex[:8]}"
    public, tenant_host = f"localhost:{live_app}", f"{subdomain}.localhost:{live_app}"
    errors, outside = _watch(page, {public, tenant_host})

    page.goto(f"http://{public}/")
    with page.expect_navigation():
        page.locator("#language").select_option("zh-hant")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hant")
    _no_english(page)
    _shot(page, "landing-zh-hant")
    form = page.locator("#signup-form")
    form.get_by_label("商號名稱").fill("環球小舖")
    form.get_by_label("子網域").fill(subdomain)
    form.get_by_label("電子郵件").fill(f"owner@{subdomain}.test")
    form.get_by_label("密碼").fill(PASSWORD)
    form.get_by_label("幣別").select_option("TWD")
    form.get_by_label("語言").select_option("zh-hant")
    page.get_by_role("button", name="註冊").click()
    expect(page).to_have_url(f"http://{tenant_host}/", timeout=SIGNUP_WAIT_MS)
    expect(page.get_by_role("heading", level=1)).to_have_text("總覽")
    expect(page.locator("#receivable-total")).to_have_text("NT$0")
    _no_english(page)
    _shot(page, "signup-dashboard-zh-hant")
    assert outside == []
    assert errors == [], errors


def test_first_day_signup_first_customer_sale_on_account_then_its_payment(
        live_app, browser_page):
    """Issue 11's whole journey: signup on the public page -> logged in -> first customer ->
    a sale on account -> a payment -> the PT code and the new balance on the Debt tab."""
    page, subdomain = browser_page, f"shop-{uuid.uuid4().hex[:8]}"
    public, tenant_host = f"localhost:{live_app}", f"{subdomain}.localhost:{live_app}"
    errors, outside = _watch(page, {public, tenant_host})

    page.goto(f"http://{public}/")
    _fill_signup(page.locator("#signup-form"), business="Tạp hoá Bình Minh",
                 subdomain=subdomain, email=f"owner@{subdomain}.test")
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(f"http://{tenant_host}/", timeout=SIGNUP_WAIT_MS)

    # The shop's one product (products get their screen in part 2 of the web app).
    tenant = Tenant.objects.get(subdomain=subdomain)
    with schema_context(tenant.schema_name):
        product_create(sku="GAO5", name="Gạo 5 kg", unit="bao",
                       list_price_amount=Decimal("120000"))

    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="New customer").click()
    page.get_by_label("Name", exact=True).fill("Lê Thị Hồng Nhung")
    page.get_by_label("Phone", exact=True).fill("0912 345 678")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("Lê Thị Hồng Nhung")

    nav.get_by_role("link", name="Sale").click()
    page.get_by_label("Find a customer").press_sequentially("hong nhung", delay=40)
    page.locator("#picker-results").get_by_role(
        "button", name=re.compile("Lê Thị Hồng Nhung")).click()
    expect(page.locator("#picked-name")).to_have_text("Lê Thị Hồng Nhung")
    page.get_by_label("Product").select_option(label="GAO5 · Gạo 5 kg")
    page.get_by_label("Quantity").fill("3")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("#sale-total")).to_have_text("360,000 ₫")
    page.get_by_role("button", name="Approve sale").click()
    expect(page.locator("h1")).to_contain_text(re.compile(r"Sale DH\d+ approved"))
    expect(page.locator("#done-receivable")).to_have_text("360,000 ₫")

    page.get_by_role("link", name="Customer's debt").click()
    expect(page.locator("#receivable")).to_have_text("360,000 ₫")
    page.get_by_label("Amount").fill("100000")
    page.get_by_label("Method").select_option("cash")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator("#receivable")).to_have_text("260,000 ₫")
    first = page.locator("#ledger tbody tr").first
    expect(first).to_contain_text(re.compile(r"PT\d+"))
    expect(first).to_contain_text("-100,000 ₫")
    _shot(page, "first-day-debt-en")

    with schema_context(tenant.schema_name):
        assert Voucher.objects.filter(type="receipt").count() == 1
        assert Order.objects.filter(status="approved").count() == 1
    assert outside == []
    assert [e for e in errors if "status of 422" not in e] == [], errors
