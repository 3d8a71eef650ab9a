"""A platform admin onboards a tenant through the real admin UI; its owner then logs in."""

import pytest
from django.contrib.auth.models import User

from tenants.models import Tenant

pytestmark = pytest.mark.browser
ADMIN_PASSWORD = "platform admin passphrase"


def test_admin_onboards_a_tenant_in_the_browser(live_app, browser_page):
    User.objects.create_superuser("root@platform.test", "root@platform.test", ADMIN_PASSWORD)
    page, base = browser_page, f"http://localhost:{live_app}"

    page.goto(f"{base}/admin/")
    page.fill("#id_username", "root@platform.test")
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{base}/admin/tenants/tenant/add/")
    page.fill("#id_name", "Nhà sách Hòa Bình")
    page.fill("#id_subdomain", "hoabinh-ui")
    page.fill("#id_owner_email", "owner@hoabinh.vn")
    page.fill("#id_owner_password", "owner passphrase long")
    page.select_option("#id_currency", "VND")
    page.select_option("#id_locale", "vi")
    page.click("input[name=_save]")
    page.wait_for_url(f"{base}/admin/tenants/tenant/")
    assert "hoabinh-ui" in page.content()
    assert Tenant.objects.get(subdomain="hoabinh-ui").state == Tenant.State.ACTIVE

    # A bad subdomain shows the error next to the field, and nothing is created.
    page.goto(f"{base}/admin/tenants/tenant/add/")
    page.fill("#id_name", "Reserved")
    page.fill("#id_subdomain", "www")
    page.fill("#id_owner_email", "o@reserved.vn")
    page.fill("#id_owner_password", "owner passphrase long")
    page.click("input[name=_save]")
    page.wait_for_selector(".field-subdomain .errorlist")
    assert not Tenant.objects.filter(name="Reserved").exists()

    # The new tenant answers at its own host with its name.
    page.goto(f"http://hoabinh-ui.localhost:{live_app}/")
    assert page.locator("h1").inner_text() == "Nhà sách Hòa Bình"
