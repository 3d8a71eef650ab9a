"""The customer page's credit meter, full-debt button with the live receivable-after,
Aging tab and Sell link in real Chromium, in Vietnamese (its money format is what the
full-debt button puts in Amount and what the server reads back)."""

import re
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from crm.models import Customer
from finance.vouchers import opening_balance_set
from tests.browser.test_customer_screens import SHOTS, Journey
from tests.finance.factories import customer_make, user

pytestmark = pytest.mark.browser


def test_full_debt_then_the_aging_tab_and_sell(live_app, browser_page, committed_tenant):
    tenant = committed_tenant
    with schema_context(tenant.schema_name):
        debtor = customer_make(name="Lê Thị Trả Đủ", phone="+84912000555",
                               credit_limit_amount=Decimal("1000000"),
                               credit_limit_enforced=True)
        opening_balance_set(customer=debtor, amount=Decimal("250000"),
                            actor=user(f"owner@{tenant.subdomain}.test"))
    journey = Journey(browser_page, tenant, live_app, language="vi")
    page = journey.page
    journey.log_in(f"owner@{tenant.subdomain}.test")
    page.goto(journey.url(f"/customers/{debtor.pk}/debt"))
    meter = page.get_by_role("meter")
    expect(meter).to_have_attribute("aria-valuenow", "250000.00")
    expect(page.locator("#credit-meter-label")).to_contain_text("250.000")
    preview = page.locator("#payment-preview")
    expect(preview).to_contain_text("250.000")
    page.get_by_role("button", name="Trả hết nợ").click()
    expect(page.get_by_label("Số tiền")).to_have_value(re.compile(r"^250\.000"))
    expect(preview.locator("strong")).to_have_text(re.compile(r"^0\s?₫$"))
    page.get_by_label("Số tiền").fill("100000")
    expect(preview.locator("strong")).to_have_text(re.compile(r"^150\.000\s?₫$"))
    page.screenshot(path=str(SHOTS / "customer-credit-meter.png"), full_page=True)
    page.get_by_role("button", name="Trả hết nợ").click()
    expect(preview.locator("strong")).to_have_text(re.compile(r"^0\s?₫$"))
    page.get_by_role("button", name="Ghi nhận thanh toán").click()
    expect(page.locator("#receipt-ready")).to_be_visible()
    expect(page.locator("#receivable")).to_have_text(re.compile(r"^0\s?₫$"))
    with schema_context(tenant.schema_name):
        assert Customer.objects.get(pk=debtor.pk).receivable_amount == 0
    page.get_by_role("tab", name="Tuổi nợ").click()
    expect(page).to_have_url(re.compile(r"/aging$"))
    expect(page.locator("#aging")).to_contain_text("Chưa đến hạn")
    expect(page.locator("#open-orders")).to_contain_text("Không có đơn hàng nào còn nợ.")
    page.locator("#sell").click()
    expect(page).to_have_url(re.compile(rf"/sale/\?customer={debtor.pk}$"))
    expect(page.locator("main")).to_contain_text("Lê Thị Trả Đủ")
    journey.done("customer-page-parts")
