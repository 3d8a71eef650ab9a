import pytest
from django.contrib.auth.models import User
from django_tenants.utils import schema_context
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from api.throttles import SignupThrottle
from crm.models import Branch, StaffBranch
from tenants.models import Domain, Tenant
from tests.conftest import api_client

GOOD = {
    "business_name": "Cửa hàng Ánh Dương",
    "subdomain": "anhduong",
    "owner_email": "Owner@AnhDuong.vn",
    "owner_password": "a long passphrase here",
    "currency": "VND",
    "locale": "vi",
}


def signup(client, **changes):
    return client.post("/api/v1/signup", {**GOOD, **changes}, format="json")


def test_signup_creates_a_usable_tenant(public_client):
    pool_before = Tenant.objects.filter(state=Tenant.State.POOL).count()
    response = signup(public_client)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["tenant"]["subdomain"] == "anhduong"
    assert body["tenant"]["url"] == "http://anhduong.localhost:8000/"
    assert body["tenant"]["country"] == "VN"
    assert body["tenant"]["timezone"] == "Asia/Ho_Chi_Minh"
    tenant = Tenant.objects.get(subdomain="anhduong")
    # The schema is a claimed pool member: an internal id, not the subdomain.
    assert tenant.schema_name.startswith("t_")
    assert tenant.state == Tenant.State.ACTIVE
    assert Tenant.objects.filter(state=Tenant.State.POOL).count() == pool_before - 1
    assert Domain.objects.get(tenant=tenant).domain == "anhduong.localhost"

    client = api_client(tenant)
    token = client.post("/api/v1/auth/token",
                        {"username": "owner@anhduong.vn", "password": GOOD["owner_password"]},
                        format="json")
    assert token.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    me = client.get("/api/v1/me").json()
    assert me["username"] == "owner@anhduong.vn"
    assert me["roles"] == ["owner"]
    assert [b["code"] for b in me["branches"]] == ["MAIN"]
    assert me["branches"][0]["primary"] is True
    assert me["tenant"]["subdomain"] == "anhduong"
    with schema_context(tenant.schema_name):
        owner = User.objects.get()
        assert owner.password.startswith("argon2")
        assert Branch.objects.get().name == "Chi nhánh chính"  # the tenant's language
        assert StaffBranch.objects.get().user == owner


def test_country_and_timezone_follow_the_currency(public_client):
    response = signup(public_client, subdomain="taipei-print", currency="TWD", locale="zh-hant")
    assert response.status_code == 201
    assert response.json()["tenant"]["country"] == "TW"
    assert response.json()["tenant"]["timezone"] == "Asia/Taipei"


@pytest.mark.parametrize(("changes", "field"), [
    ({"subdomain": "Bad_Name"}, "subdomain"),
    ({"subdomain": "-abc"}, "subdomain"),
    ({"subdomain": "ab"}, "subdomain"),
    ({"subdomain": "www"}, "subdomain"),
    ({"subdomain": "admin"}, "subdomain"),
    ({"subdomain": "acme"}, "subdomain"),  # taken
    ({"owner_password": "123456"}, "owner_password"),
    ({"owner_password": "short"}, "owner_password"),
    ({"owner_email": "not-an-email"}, "owner_email"),
    ({"currency": "EUR"}, "currency"),
    ({"locale": "fr"}, "locale"),
    ({"business_name": "   "}, "business_name"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
])
def test_signup_rejects_bad_fields_by_name(public_client, changes, field):
    tenants_before = Tenant.objects.count()
    response = signup(public_client, **changes)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"]
    assert body["detail"]
    assert Tenant.objects.count() == tenants_before


def test_signup_errors_are_translated(public_client):
    response = public_client.post("/api/v1/signup", {**GOOD, "subdomain": "www"}, format="json",
                                  HTTP_ACCEPT_LANGUAGE="vi")
    assert "dành riêng" in response.json()["fields"]["subdomain"][0]


def test_missing_fields_are_named(public_client):
    response = public_client.post("/api/v1/signup", {"business_name": "x"}, format="json")
    assert response.status_code == 400
    assert {"subdomain", "owner_email", "owner_password"} <= set(response.json()["fields"])


def test_malformed_json_is_a_400(public_client):
    response = public_client.post("/api/v1/signup", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_signup_throttle_default_allows_sixty_a_minute():
    rate = api_settings.DEFAULT_THROTTLE_RATES["signup"]
    num, duration = SimpleRateThrottle.parse_rate(None, rate)
    assert num / duration * 60 >= 60


def test_signup_throttle_limits_one_address(public_client, monkeypatch):
    monkeypatch.setattr(SignupThrottle, "THROTTLE_RATES", {"signup": "2/min"})
    statuses = [signup(public_client, subdomain=f"shop-{i}").status_code for i in range(3)]
    assert statuses == [201, 201, 429]
    other_address = public_client.post("/api/v1/signup", {**GOOD, "subdomain": "shop-x"},
                                       format="json", REMOTE_ADDR="10.0.0.9")
    assert other_address.status_code == 201


def test_signup_is_idempotent_with_a_key(public_client):
    first = public_client.post("/api/v1/signup", GOOD, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = public_client.post("/api/v1/signup", GOOD, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Tenant.objects.filter(subdomain="anhduong").count() == 1
    other = public_client.post("/api/v1/signup", {**GOOD, "subdomain": "other-shop"},
                               format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert not Tenant.objects.filter(subdomain="other-shop").exists()
