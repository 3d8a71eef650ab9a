"""Screen 1: login, logout, the throttle, the language switcher."""

from django.conf import settings

from tests.conftest import PASSWORD
from tests.web.conftest import web_client


def test_root_sends_a_visitor_to_the_login_page(acme):
    client = web_client(acme)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Công ty Acme" in html and 'name="csrfmiddlewaretoken"' in html
    assert '<label for="id_username">E-mail</label>' in html
    assert '<label for="language">Language</label>' in html


def test_login_logout_and_a_translated_error(acme):
    client = web_client(acme, HTTP_ACCEPT_LANGUAGE="vi")
    wrong = client.post("/login/", {"username": "owner@acme.test", "password": "nope"})
    assert wrong.status_code == 400
    assert "E-mail hoặc mật khẩu không đúng." in wrong.content.decode()
    good = client.post("/login/", {"username": "owner@acme.test", "password": PASSWORD,
                                   "next": "/customers/"})
    assert good.status_code == 302 and good["Location"] == "/customers/"
    assert client.get("/customers/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/customers/")["Location"].startswith("/login/")


def test_login_is_csrf_protected(acme):
    from django.test import Client

    from tests.conftest import host_of

    client = Client(HTTP_HOST=host_of(acme), enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "owner@acme.test", "password": PASSWORD})
    assert response.status_code == 403


def test_login_is_throttled_per_username(acme, settings):
    settings.LOGIN_FAILURES_PER_MINUTE = 2
    client = web_client(acme, HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(2):
        client.post("/login/", {"username": "sales@acme.test", "password": "wrong"})
    # Even the right password is refused now, with the reason.
    response = client.post("/login/", {"username": "sales@acme.test", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_language_accept_language_then_choice_then_tenant_locale(acme):
    client = web_client(acme)
    assert "Đăng nhập" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "登入" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-Hant").content.decode()
    response = client.post("/language/", {"language": "en", "next": "/login/"},
                           HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    # The choice wins over the browser's language, and is remembered.
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Log in" in page and "Đăng nhập" not in page
    # A logged-in user without a choice gets the tenant's locale (acme: vi), not the browser's.
    member = web_client(acme, "owner@acme.test")
    page = member.get("/customers/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Khách hàng" in page


def test_language_switch_by_htmx_refreshes_the_page(acme):
    client = web_client(acme)
    response = client.post("/language/", {"language": "zh-hant"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hant"


def test_the_session_of_one_tenant_does_not_open_another(acme, globex):
    client = web_client(acme, "owner@acme.test")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    other = web_client(globex)
    other.cookies[settings.SESSION_COOKIE_NAME] = cookie
    assert other.get("/customers/").status_code == 302
