"""A cashier's task in real Chromium: log in, find a customer as you type, open it,
record a payment, see the new balance on the Debt tab."""

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from finance.models import Voucher
from finance.vouchers import opening_balance_set
from tests.conftest import PASSWORD
from tests.finance.factories import customer_make, user

pytestmark = pytest.mark.browser


def test_log_in_search_open_and_record_a_payment(live_app, browser_page, committed_tenant):
    tenant = committed_tenant
    owner_email = f"owner@{tenant.subdomain}.test"
    with schema_context(tenant.schema_name):
        debtor = customer_make(name="Nguyễn Thị Ánh Đào")
        customer_make(name="Trần Văn Khác")
        opening_balance_set(customer=debtor, amount=Decimal("500000"), actor=user(owner_email))

    page, host = browser_page, f"{tenant.subdomain}.localhost:{live_app}"
    errors, outside = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: outside.append(r.url)
            if urlsplit(r.url).netloc != host else None)

    page.goto(f"http://{host}/")
    expect(page).to_have_url(re.compile(r"/login/$"))
    # The switcher posts on change and the answer reloads the page (Playwright fires change
    # even when English is already selected): type into the reloaded page, not the old one.
    with page.expect_navigation():
        page.get_by_label("Language").select_option("en")  # the tenant's locale is Vietnamese
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("E-mail").fill(owner_email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/customers/$"))

    # Typed without diacritics; the list narrows as the user types (no submit).
    page.get_by_label("Search").press_sequentially("anh dao", delay=40)
    results = page.locator("#results tbody tr")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Nguyễn Thị Ánh Đào")
    expect(page).to_have_url(re.compile(r"search=anh(\+|%20)dao"))

    page.get_by_role("link", name="Nguyễn Thị Ánh Đào").click()
    expect(page.locator("h1")).to_have_text("Nguyễn Thị Ánh Đào")
    page.get_by_role("tab", name="Debt").click()
    expect(page).to_have_url(re.compile(r"/debt$"))
    expect(page.locator("#receivable")).to_have_text("500,000 ₫")

    page.get_by_label("Amount").fill("150000")
    page.get_by_label("Method").select_option("cash")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator("#receivable")).to_have_text("350,000 ₫")
    expect(page.locator("#ledger tbody tr").first).to_contain_text(re.compile(r"PT\d+"))
    expect(page.locator("#ledger tbody tr").first).to_contain_text("-150,000 ₫")

    # A bad amount comes back next to the field (422 swapped in place), nothing posted.
    page.get_by_label("Amount").fill("abc")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator(".field-invalid .field-error")).to_have_text("Not a valid amount.")

    # A reload lands on the same tab with the same balance.
    page.reload()
    expect(page.get_by_role("tab", name="Debt")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#receivable")).to_have_text("350,000 ₫")

    with schema_context(tenant.schema_name):
        assert Voucher.objects.filter(customer=debtor, type="receipt").count() == 1
    assert outside == []
    # Chromium reports the 422 of the invalid form as a failed resource; nothing else.
    assert [e for e in errors if "status of 422" not in e] == [], errors
