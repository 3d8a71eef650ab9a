"""Screen 1: the public landing page with signup (the API's validation and throttle), and
the one-time login link that lands the new owner logged in on their own host."""

import re
import time

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client
from django_tenants.utils import schema_context

from api.throttles import SignupThrottle as ApiSignupThrottle
from tenants.login_links import LoginLinkInvalid, login_link_create, login_link_redeem
from tenants.models import Tenant
from tests.conftest import PASSWORD
from web.views.public import SignupThrottle

HTMX = {"HTTP_HX_REQUEST": "true"}
GOOD = {"business_name": "Cửa hàng Ánh Dương", "subdomain": "anhduong",
        "owner_email": "Owner@AnhDuong.vn", "owner_password": PASSWORD,
        "currency": "VND", "locale": "vi"}


def public(**headers) -> Client:
    return Client(HTTP_HOST=settings.BASE_DOMAIN, **headers)


def _link_path(location: str) -> tuple[str, str]:
    """(host, path) of a login link URL."""
    found = re.match(r"^https?://([^/:]+)(?::\d+)?(/login/link/[^/]+)$", location)
    assert found, location
    return found.group(1), found.group(2)


@pytest.mark.parametrize("language, words", [
    ("en", ["Business name", "Subdomain", "E-mail", "Password", "Currency", "Sign up"]),
    ("vi", ["Tên cửa hàng", "Tên miền con", "Mật khẩu", "Tiền tệ", "Đăng ký", "Ngôn ngữ"]),
    ("zh-hant", ["商號名稱", "子網域", "密碼", "幣別", "註冊"]),
])
def test_the_landing_page_speaks_the_visitors_language(db, language, words):
    page = public(HTTP_ACCEPT_LANGUAGE=language).get("/")
    html = page.content.decode()
    assert page.status_code == 200 and f'lang="{language}"' in html
    for word in words:
        assert word in html
    assert 'name="language"' in html  # the switcher
    assert "Main navigation" not in html and "Đăng xuất" not in html  # no tenant menu


def test_signup_lands_logged_in_on_the_dashboard_once(db):
    response = public().post("/", GOOD)
    assert response.status_code == 302
    host, path = _link_path(response["Location"])
    assert host == "anhduong." + settings.BASE_DOMAIN
    tenant = Tenant.objects.get(subdomain="anhduong")
    assert tenant.currency == "VND" and tenant.locale == "vi"

    browser = Client(HTTP_HOST=host)
    landed = browser.get(path)
    assert landed.status_code == 302 and landed["Location"] == "/"
    dashboard = browser.get("/")
    assert dashboard.status_code == 200 and "owner@anhduong.vn" in dashboard.content.decode()
    # Single use: the same link again (another browser) is refused, and logs nobody in.
    again = Client(HTTP_HOST=host)
    refused = again.get(path)
    assert refused.status_code == 400 and "/login/" in refused.content.decode()
    assert again.get("/").status_code == 302


def test_htmx_signup_redirects_the_browser_to_the_link(db):
    response = public().post("/", {**GOOD, "subdomain": "shop-htmx"}, **HTMX)
    assert response.status_code == 200
    _link_path(response["HX-Redirect"])


def test_bad_fields_come_back_next_to_each_field_and_nothing_is_made(db):
    bad = {**GOOD, "subdomain": "admin", "owner_email": "not-an-email",
           "owner_password": "123", "business_name": " "}
    response = public(HTTP_ACCEPT_LANGUAGE="en").post("/", bad, **HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith('<form id="signup-form"')  # the form, swapped in place
    for field, message in (("business_name", "Enter the name of your business."),
                           ("subdomain", "This subdomain is reserved."),
                           ("owner_email", "Enter a valid e-mail address."),
                           ("owner_password", "This password is too short.")):
        block = re.search(rf'<div class="field field-invalid">\s*<label for="id_{field}">'
                          rf'.*?</div>', html, re.S)
        assert block and message in block.group(0), field
    assert not Tenant.objects.filter(subdomain="admin").exists()
    taken = public(HTTP_ACCEPT_LANGUAGE="vi").post("/", {**GOOD, "subdomain": "acme"})
    assert taken.status_code == 422 and "Tên miền con này đã có người dùng" in \
        taken.content.decode()


def test_signup_is_throttled_with_the_apis_budget(db, monkeypatch):
    for throttle in (SignupThrottle, ApiSignupThrottle):
        monkeypatch.setattr(throttle, "THROTTLE_RATES", {"signup": "2/min"})
    first = public().post("/api/v1/signup", {**GOOD, "subdomain": "shop-api"},
                          content_type="application/json")
    assert first.status_code == 201
    assert public().post("/", {**GOOD, "subdomain": "shop-web"}).status_code == 302
    refused = public(HTTP_ACCEPT_LANGUAGE="en").post("/", {**GOOD, "subdomain": "shop-3"},
                                                     **HTMX)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many signups" in refused.content.decode()
    assert not Tenant.objects.filter(subdomain="shop-3").exists()
    other = Client(HTTP_HOST=settings.BASE_DOMAIN, REMOTE_ADDR="10.0.0.9")
    assert other.post("/", {**GOOD, "subdomain": "shop-4"}).status_code == 302


def test_a_link_is_refused_on_another_tenants_host(acme, globex):
    token = login_link_create(tenant=acme, username="owner@acme.test")
    with schema_context(globex.schema_name), pytest.raises(LoginLinkInvalid):
        login_link_redeem(token=token)
    from tests.conftest import host_of
    assert Client(HTTP_HOST=host_of(globex)).get(f"/login/link/{token}").status_code == 400
    with schema_context(acme.schema_name):  # not spent by the wrong host's try
        assert login_link_redeem(token=token).username == "owner@acme.test"


def test_an_expired_or_altered_link_is_refused(acme, monkeypatch):
    made_at = int(time.time()) - settings.LOGIN_LINK_SECONDS - 1
    with monkeypatch.context() as past:  # a link made longer ago than it lives
        past.setattr(signing.TimestampSigner, "timestamp",
                     lambda self: signing.b62_encode(made_at))
        old = login_link_create(tenant=acme, username="owner@acme.test")
    fresh = login_link_create(tenant=acme, username="owner@acme.test")
    with schema_context(acme.schema_name):
        for token in (old, fresh[:-2] + "xx", "nonsense"):
            with pytest.raises(LoginLinkInvalid):
                login_link_redeem(token=token)
        assert login_link_redeem(token=fresh).username == "owner@acme.test"
        with pytest.raises(LoginLinkInvalid):
            login_link_redeem(token=fresh)


def test_the_403_page_renders_on_the_public_host_for_a_logged_in_platform_user(db, rf):
    # The public host has none of the staff screens, so the page links none of them.
    from django.contrib.auth import get_user_model
    from django.test import override_settings
    from django.urls import clear_url_caches
    from django.views.defaults import permission_denied

    request = rf.get("/admin/somewhere/")
    request.tenant = Tenant.objects.get(schema_name="public")
    request.user = get_user_model()(username="platform-helper", is_staff=True)
    request.LANGUAGE_CODE = "en"  # as tenants.middleware sets it
    with override_settings(ROOT_URLCONF="config.urls_public"):
        clear_url_caches()
        try:
            response = permission_denied(request, PermissionError("no"))
        finally:
            clear_url_caches()
    page = response.content.decode()
    assert response.status_code == 403 and 'id="refused"' in page
    assert 'class="main-nav"' not in page and "/logout/" not in page
