"""Merge in real Chromium: from the customer page, the survivor by code, the preview of
what moves and what stays, confirm, the result, the survivor's balance."""

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from finance.vouchers import opening_balance_set
from tests.browser.test_customer_screens import Journey
from tests.finance.factories import customer_make, user

pytestmark = pytest.mark.browser


def _two_records(tenant):
    """Two records of one person; the one to merge owes 70,000."""
    with schema_context(tenant.schema_name):
        records = (customer_make(name="Phạm Thị Hai Hồ Sơ"), customer_make(name="Phạm Thị Hai"))
        opening_balance_set(customer=records[0], amount=Decimal("70000"),
                            actor=user(f"owner@{tenant.subdomain}.test"))
    return records


def test_merge_two_records_of_one_customer_with_the_preview(live_app, browser_page,
                                                            committed_tenant):
    duplicate, survivor = _two_records(committed_tenant)
    journey = Journey(browser_page, committed_tenant, live_app)
    journey.log_in(f"owner@{committed_tenant.subdomain}.test")
    page = journey.page
    page.goto(journey.url(f"/customers/{duplicate.pk}/"))
    page.get_by_role("link", name="Merge", exact=True).click()
    page.get_by_label("Code of the customer that stays").fill(survivor.code)
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#merge-preview")
    expect(preview).to_contain_text(f"Moves to {survivor.code}")
    expect(preview).to_contain_text("70,000 ₫")
    expect(preview).to_contain_text(f"Stays with {duplicate.code}")
    page.screenshot(path=str(_shot("merge-preview")), full_page=True)
    page.get_by_role("button", name=f"Merge {duplicate.code} into {survivor.code}").click()
    expect(page.locator("#merge-result")).to_contain_text("is now inactive")
    page.get_by_role("link", name=f"Open {survivor.code}").click()
    expect(page.locator("#receivable")).to_have_text("70,000 ₫")
    journey.done("merge-result")


def _shot(name):
    from tests.browser.test_customer_screens import SHOTS

    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / f"{name}.png"
