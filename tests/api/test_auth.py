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
