"""Two tenants never see each other's users, tokens, sessions or cache entries."""

from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD, api_client, host_of


def test_users_live_in_their_own_schema(acme, globex):
    with schema_context(acme.schema_name):
        acme_users = set(User.objects.values_list("username", flat=True))
    with schema_context(globex.schema_name):
        globex_users = set(User.objects.values_list("username", flat=True))
    assert "owner@acme.test" in acme_users
    assert not acme_users & globex_users


def test_a_token_of_one_tenant_is_a_401_on_another(acme, globex):
    client = api_client(acme, "owner@acme.test")
    assert client.get("/api/v1/me").status_code == 200
    token = client._credentials["HTTP_AUTHORIZATION"]
    other = api_client(globex)
    other.credentials(HTTP_AUTHORIZATION=token)
    response = other.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_user_cannot_log_in_on_another_tenant(globex):
    response = api_client(globex).post(
        "/api/v1/auth/token", {"username": "owner@acme.test", "password": PASSWORD},
        format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_a_session_of_one_tenant_is_unknown_on_another(acme, globex):
    browser = Client(HTTP_HOST=host_of(acme))
    with schema_context(acme.schema_name):
        assert browser.login(username="owner@acme.test", password=PASSWORD)
    session_cookie = browser.cookies["sessionid"]
    assert not session_cookie["domain"]  # host-only: never sent to a sibling subdomain
    assert browser.get("/api/v1/me").status_code == 200
    # Even a stolen cookie replayed on another tenant's host finds no session there.
    thief = Client(HTTP_HOST=host_of(globex))
    thief.cookies["sessionid"] = session_cookie.value
    assert thief.get("/api/v1/me").status_code in (401, 403)


def test_cache_keys_carry_the_tenant(acme, globex):
    with schema_context(acme.schema_name):
        cache.set("greeting", "xin chào")
    with schema_context(globex.schema_name):
        assert cache.get("greeting") is None
        cache.set("greeting", "你好")
    with schema_context(acme.schema_name):
        assert cache.get("greeting") == "xin chào"


def test_unknown_host_is_a_clean_404(db):
    response = Client(HTTP_HOST="nobody.localhost").get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert b"nothing at this address" in response.content
    in_chinese = Client(HTTP_HOST="nobody.localhost").get("/", HTTP_ACCEPT_LANGUAGE="zh-Hant")
    assert "此網址沒有內容" in in_chinese.content.decode()


def test_pool_members_are_unreachable(db):
    # A pool member has no domain; its schema name is not a host.
    from tenants.models import Tenant

    member = Tenant.objects.filter(state=Tenant.State.POOL).first()
    assert Client(HTTP_HOST=f"{member.schema_name}.localhost").get("/").status_code == 404
