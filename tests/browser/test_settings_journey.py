"""Settings in real Chromium: the owner invites a cashier, who chooses a password through
the e-mailed link (read from the served app's mail folder), logs in and sees only their
branch; a forgotten password is reset through its mailed link; a salesperson has no
Settings (the app's own 403 page); every Settings screen in the three languages.
Every journey: no request outside the app, no console error."""

import email
import re
from email import policy

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from crm.models import Branch, CustomerGroup
from crm.roles import SALESPERSON
from crm.staff import branch_create, staff_create
from finance.models import Product
from tests.browser.test_customer_screens import ENGLISH_UI, Journey
from tests.conftest import PASSWORD
from tests.finance.factories import customer_make

pytestmark = pytest.mark.browser
SETTINGS_ENGLISH = re.compile(r"\b(Settings|Users|Roles|Invite|Business|profile|Branches|Groups|"
                              r"Products|Prices?|Payment|methods|Opening|balances|Tokens?|"
                              r"Revoke|Upload|Unit|Valid|from|to|Extra|permissions|Primary|"
                              r"Send|Add|group|product|method|Coin|rule|Merge|Preview)\b")


def _mail_link(folder, kind: str = "invite") -> str:
    """The one-time link (`/invite/...` or `/password/reset/...`) of the one mail sent."""
    files = sorted(folder.glob("*.log"))
    assert len(files) == 1, files
    message = email.message_from_string(files[0].read_text(encoding="utf-8"),
                                        policy=policy.default)
    body = message.get_body(("plain",)).get_content()
    found = re.search(rf"https?://[^/\s]+(/{kind}/[^/\s]+/[^/\s]+)", body)
    assert found, body
    return found.group(1)


def test_an_invited_cashier_chooses_a_password_logs_in_and_sees_only_their_branch(
        live_app, live_mail, browser_page, committed_tenant):
    tenant = committed_tenant
    with schema_context(tenant.schema_name):
        branch_create(code="B2", name="Chi nhánh Hai")
        customer_make(name="Khách Chi Nhánh Chính")
        customer_make(name="Khách Chi Nhánh Hai", branch=Branch.objects.get(code="B2"))
    journey = Journey(browser_page, tenant, live_app)
    page = journey.page
    journey.log_in(f"owner@{tenant.subdomain}.test")
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Users and roles").click()
    invite = page.locator("#invite-form")
    invite.get_by_label("E-mail").fill("thu.ngan@example.test")
    invite.get_by_label("Cashier").check()
    invite.get_by_label("B2 · Chi nhánh Hai").check()
    invite.get_by_label("Primary branch").select_option(label="B2 · Chi nhánh Hai")
    invite.get_by_role("button", name="Send invite").click()
    expect(page.get_by_role("status")).to_contain_text("thu.ngan@example.test")
    page.screenshot(path=str(journey_shot("settings-invite-sent")), full_page=True)
    page.get_by_role("button", name="Log out").click()

    link = _mail_link(live_mail)
    page.goto(journey.url(link))
    expect(page.locator("main")).to_contain_text("thu.ngan@example.test")
    page.get_by_label("New password").fill("Thu ngân tự chọn 2026")
    page.get_by_role("button", name="Set password and log in").click()
    expect(page.locator(".who")).to_have_text("thu.ngan@example.test")
    page.get_by_role("button", name="Log out").click()
    page.goto(journey.url(link))  # the link worked once
    expect(page.locator("h1")).to_have_text("Link not valid")

    page.goto(journey.url("/login/"))
    page.locator("#id_username").fill("thu.ngan@example.test")
    page.locator("#id_password").fill("Thu ngân tự chọn 2026")
    page.locator("form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Customers")
    expect(page.locator("#results tbody")).to_contain_text("Khách Chi Nhánh Hai")
    expect(page.locator("#results tbody")).not_to_contain_text("Khách Chi Nhánh Chính")
    expect(page.get_by_role("link", name="Settings")).to_have_count(0)
    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator("main")).to_contain_text("Daily report of Chi nhánh Hai")
    journey.done("settings-invited-cashier", expected=("status of 400",))


def journey_shot(name):
    from tests.browser.test_customer_screens import SHOTS

    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / f"{name}.png"


def test_a_forgotten_password_is_reset_through_the_mailed_link(live_app, live_mail,
                                                                browser_page, committed_tenant):
    tenant = committed_tenant
    owner = f"owner@{tenant.subdomain}.test"
    journey = Journey(browser_page, tenant, live_app)
    page = journey.page
    page.goto(journey.url("/login/"))
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail").fill(owner)
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator("#reset-sent")).to_be_visible()
    link = _mail_link(live_mail, "password/reset")
    page.goto(journey.url(link))
    expect(page.locator("h1")).to_have_text("Choose a new password")
    expect(page.locator("main")).to_contain_text(owner)
    page.get_by_label("New password").fill("Mật khẩu mới 新密碼 2026")
    page.get_by_role("button", name="Set password and log in").click()
    expect(page).to_have_url(journey.url("/"))  # logged in: the owner's dashboard
    expect(page.locator(".who")).to_have_text(owner)
    page.get_by_role("button", name="Log out").click()
    page.goto(journey.url(link))  # the link worked once
    expect(page.locator("h1")).to_have_text("Link not valid")

    page.goto(journey.url("/login/"))
    page.locator("#id_username").fill(owner)
    page.locator("#id_password").fill("Mật khẩu mới 新密碼 2026")
    page.locator("form button[type=submit]").click()
    expect(page.locator(".who")).to_have_text(owner)
    journey.done("password-reset", expected=("status of 400",))


def test_a_salesperson_does_not_see_the_settings(live_app, browser_page, committed_tenant):
    tenant = committed_tenant
    with schema_context(tenant.schema_name):
        staff_create(username=f"sales@{tenant.subdomain}.test", password=PASSWORD,
                     roles=[SALESPERSON], branches=[Branch.objects.get(code="MAIN")])
    journey = Journey(browser_page, tenant, live_app)
    page = journey.page
    journey.log_in(f"sales@{tenant.subdomain}.test")
    expect(page.locator(".main-nav")).to_be_visible()
    expect(page.get_by_role("link", name="Settings")).to_have_count(0)
    for path in ("/settings/", "/settings/users/", "/settings/profile/"):
        assert page.goto(journey.url(path)).status == 403, path
    expect(page.locator("#refused")).to_be_visible()
    journey.done("settings-salesperson-refused", expected=("status of 403",))


SECTIONS = ("profile", "users", "tokens", "branches", "groups", "products", "payment-methods",
            "coins", "opening-balances")


@pytest.mark.parametrize("language", ["en", "vi", "zh-hant"])
def test_every_settings_screen_in_each_language(live_app, browser_page, committed_tenant,
                                                language):
    tenant = committed_tenant
    with schema_context(tenant.schema_name):
        group = CustomerGroup.objects.create(code="SI", name="Khách sỉ 批發")
        Product.objects.create(sku="A4", name="Giấy A4 紙", list_price_amount=50000)
    journey = Journey(browser_page, tenant, live_app, language=language)
    page = journey.page
    journey.log_in(f"owner@{tenant.subdomain}.test")
    expect(page.locator("html")).to_have_attribute("lang", language)
    paths = [f"/settings/{name}/" for name in SECTIONS] + [f"/settings/groups/{group.pk}/"]
    for path in paths:
        page.goto(journey.url(path))
        expect(page.locator(".settings-nav a[aria-current=page]")).to_have_count(1)
        for label in page.locator("main input:not([type=hidden]), main select").all():
            input_id = label.get_attribute("id")
            assert input_id and page.locator(f"label[for='{input_id}']").count() == 1, (
                path, input_id)
        if language != "en":
            text = page.locator("body").inner_text()
            for option in page.locator("option").all_inner_texts():
                text += " " + option
            text = text.replace("English", "")
            found = set(ENGLISH_UI.findall(text)) | set(SETTINGS_ENGLISH.findall(text))
            assert not found, (path, found)
        page.screenshot(path=str(journey_shot(f"settings-{path.strip('/').replace('/', '-')}"
                                              f"-{language}")), full_page=True)
    journey.done(f"settings-{language}")
