from api.throttles import LoginThrottle
from tests.conftest import PASSWORD, api_client


def test_me_lists_roles_and_branches(acme):
    me = api_client(acme, "manager@acme.test").get("/api/v1/me").json()
    assert me["roles"] == ["manager"]
    assert [(b["code"], b["primary"]) for b in me["branches"]] == [("MAIN", True), ("B2", False)]
    assert me["tenant"]["currency"] == "VND"


def test_me_needs_authentication(acme):
    response = api_client(acme).get("/api/v1/me")
    assert response.status_code == 401
    assert set(response.json()) >= {"code", "detail"}


def test_wrong_password_is_a_clear_401(acme):
    response = api_client(acme).post("/api/v1/auth/token",
                                     {"username": "owner@acme.test", "password": "nope"},
                                     format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_login_is_throttled_per_address_and_username(acme, monkeypatch):
    monkeypatch.setattr(LoginThrottle, "THROTTLE_RATES", {"login": "3/min"})
    client = api_client(acme)
    wrong = {"username": "owner@acme.test", "password": "guess"}
    codes = [client.post("/api/v1/auth/token", wrong, format="json").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    # The right password is throttled too while the limit holds...
    right = {"username": "owner@acme.test", "password": PASSWORD}
    assert client.post("/api/v1/auth/token", right, format="json").status_code == 429
    # ...but another user at the same address is not locked out.
    other = {"username": "sales@acme.test", "password": PASSWORD}
    assert client.post("/api/v1/auth/token", other, format="json").status_code == 200


def test_openapi_schema_and_docs_are_served(acme, public_client):
    tenant_schema = api_client(acme).get("/api/schema/?format=json")
    assert tenant_schema.status_code == 200
    assert "/api/v1/auth/token" in tenant_schema.json()["paths"]
    public_schema = public_client.get("/api/schema/?format=json")
    assert "/api/v1/signup" in public_schema.json()["paths"]
    docs = public_client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()  # the UI's files are ours (sidecar)


def test_openapi_schema_has_no_warnings(tmp_path, db):
    from django.core.management import call_command

    for urlconf in ("config.urls_tenant", "config.urls_public"):
        call_command("spectacular", "--fail-on-warn", "--urlconf", urlconf,
                     "--file", str(tmp_path / "schema.yaml"))


def test_a_forged_forwarded_header_does_not_buy_more_guesses(acme, monkeypatch):
    """Before: with NUM_PROXIES unset DRF took the whole X-Forwarded-For as the client's
    address, so a new header each request gave unlimited guesses."""
    monkeypatch.setattr(LoginThrottle, "THROTTLE_RATES", {"login": "3/min"})
    client = api_client(acme)
    wrong = {"username": "owner@acme.test", "password": "guess"}
    codes = [client.post("/api/v1/auth/token", wrong, format="json",
                         HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code for i in range(4)]
    assert codes == [401, 401, 401, 429]


def test_failed_logins_are_limited_per_username_from_any_address(acme, settings):
    settings.LOGIN_FAILURES_PER_MINUTE = 3
    wrong = {"username": "manager@acme.test", "password": "guess"}
    codes = [api_client(acme).post("/api/v1/auth/token", wrong, format="json",
                                   REMOTE_ADDR=f"10.1.0.{i}").status_code for i in range(4)]
    assert codes == [401, 401, 401, 429]
    right = {"username": "manager@acme.test", "password": PASSWORD}
    response = api_client(acme).post("/api/v1/auth/token", right, format="json",
                                     REMOTE_ADDR="10.1.9.9")
    assert response.status_code == 429
    assert response.json()["code"] == "login_throttled"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Other users of the tenant are not affected.
    other = {"username": "sales@acme.test", "password": PASSWORD}
    assert api_client(acme).post("/api/v1/auth/token", other, format="json").status_code == 200


def test_the_platform_admin_login_is_throttled_too(db, settings, public_client):
    from django.contrib.auth import authenticate
    from django.contrib.auth.models import User

    settings.LOGIN_FAILURES_PER_MINUTE = 2
    User.objects.create_superuser("root@platform.test", "root@platform.test", PASSWORD)
    for _ in range(2):
        response = public_client.post("/admin/login/", {"username": "root@platform.test",
                                                        "password": "guess"})
        assert response.status_code == 200  # the form again, with its error
    assert authenticate(username="root@platform.test", password=PASSWORD) is None
    response = public_client.post("/admin/login/?next=/admin/", {
        "username": "root@platform.test", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in public_client.session
