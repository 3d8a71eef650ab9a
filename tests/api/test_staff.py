"""The users, tokens and password-link endpoints: the services' rules through HTTP."""

import re
from datetime import timedelta

from django.db import connection
from rest_framework.authtoken.models import Token

from crm.models import Branch
from tests.conftest import PASSWORD, api_client


def _branch_id(tenant, code: str) -> int:
    connection.set_tenant(tenant)
    found = Branch.objects.get(code=code).pk
    connection.set_schema_to_public()
    return found


def test_the_owner_invites_a_cashier_who_sets_a_password_through_the_link_and_logs_in(
        acme, acme_owner, mailoutbox, django_capture_on_commit_callbacks):
    b2 = _branch_id(acme, "B2")
    with django_capture_on_commit_callbacks(execute=True):
        made = acme_owner.post("/api/v1/users", {"email": "lan@acme.test", "roles": ["cashier"],
                                                 "branches": [b2]}, format="json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["roles"], body["primary_branch"], body["invite_pending"]) == (
        ["cashier"], b2, True)
    assert "password" not in body
    uid, token = re.search(r"/invite/([^/\s]+)/([^/\s]+)", mailoutbox[0].body).groups()
    client = api_client(acme)
    weak = client.post("/api/v1/auth/password", {"uid": uid, "token": token, "purpose": "invite",
                                                 "password": "123"}, format="json")
    assert weak.status_code == 400 and "password" in weak.json()["fields"]
    chosen = client.post("/api/v1/auth/password", {"uid": uid, "token": token,
                                                   "purpose": "invite",
                                                   "password": "lan's own passphrase"},
                         format="json")
    assert chosen.status_code == 200, chosen.content
    again = client.post("/api/v1/auth/password", {"uid": uid, "token": token, "purpose": "invite",
                                                  "password": "lan's other passphrase"},
                        format="json")
    assert (again.status_code, again.json()["code"]) == (400, "password_link_invalid")
    login = client.post("/api/v1/auth/token", {"username": "lan@acme.test",
                                               "password": "lan's own passphrase"},
                        format="json")
    assert login.status_code == 200 and login.json()["expires_at"]


def test_only_the_owner_manages_users(acme):
    for username in ("manager@acme.test", "sales@acme.test", "cashier@acme.test"):
        client = api_client(acme, username)
        invite = client.post("/api/v1/users", {"email": "z@acme.test", "roles": ["cashier"],
                                               "branches": [1]}, format="json")
        assert invite.status_code == 403, username
    assert api_client(acme, "sales@acme.test").get("/api/v1/users").status_code == 403
    assert api_client(acme, "manager@acme.test").get("/api/v1/users").status_code == 200


def test_bad_input_names_the_fields_and_writes_nothing(acme, acme_owner):
    refused = acme_owner.post("/api/v1/users", {"email": "nope", "roles": "cashier",
                                                "branches": [1]}, format="json")
    assert refused.status_code == 400 and "roles" in refused.json()["fields"]
    refused = acme_owner.post("/api/v1/users", {"email": "nope", "roles": ["chef"],
                                                "branches": [999999]}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()["fields"]) == {"email", "roles", "branches"}
    users = acme_owner.get("/api/v1/users").json()["results"]
    assert "nope" not in {u["username"] for u in users}


def test_patch_roles_branches_permissions_and_deactivate_revokes_token_and_session(acme,
                                                                                  acme_owner):
    from tests.web.conftest import web_client

    users = {u["username"]: u for u in acme_owner.get("/api/v1/users").json()["results"]}
    sales = users["sales@acme.test"]
    main, b2 = _branch_id(acme, "MAIN"), _branch_id(acme, "B2")
    patched = acme_owner.patch(f"/api/v1/users/{sales['id']}", {
        "branches": [main, b2], "primary_branch": b2,
        "permissions": ["crm.view_other_owner_customer"]}, format="json")
    assert patched.status_code == 200, patched.content
    assert patched.json()["primary_branch"] == b2
    assert patched.json()["permissions"] == ["crm.view_other_owner_customer"]
    api = api_client(acme, "sales@acme.test")
    browser = web_client(acme, "sales@acme.test")
    assert api.get("/api/v1/me").status_code == 200
    assert browser.get("/customers/").status_code == 200
    gone = acme_owner.post(f"/api/v1/users/{sales['id']}/deactivate")
    assert gone.status_code == 200 and gone.json()["is_active"] is False
    assert api.get("/api/v1/me").status_code == 401
    assert browser.get("/customers/").status_code == 302  # to the login
    refused = api_client(acme).post("/api/v1/auth/token", {"username": "sales@acme.test",
                                                           "password": PASSWORD},
                                    format="json")
    assert refused.status_code == 401
    assert acme_owner.post(f"/api/v1/users/{sales['id']}/reactivate").json()["is_active"]


def test_an_expired_token_is_refused_and_a_new_login_gets_another(acme, settings):
    client = api_client(acme, "cashier@acme.test")
    assert client.get("/api/v1/me").status_code == 200
    connection.set_tenant(acme)
    token = Token.objects.get(user__username="cashier@acme.test")
    Token.objects.filter(pk=token.pk).update(
        created=token.created - timedelta(hours=settings.API_TOKEN_TTL_HOURS))
    connection.set_schema_to_public()
    expired = client.get("/api/v1/me")
    assert (expired.status_code, expired.json()["code"]) == (401, "token_expired")
    fresh = api_client(acme, "cashier@acme.test")
    assert fresh.get("/api/v1/me").status_code == 200


def test_tokens_are_listed_without_keys_and_revoked(acme, acme_owner):
    cashier = api_client(acme, "cashier@acme.test")
    listed = acme_owner.get("/api/v1/auth/tokens").json()["results"]
    row = next(r for r in listed if r["username"] == "cashier@acme.test")
    assert set(row) == {"user", "username", "created", "expires_at"}
    own = cashier.get("/api/v1/auth/tokens").json()["results"]
    assert [r["username"] for r in own] == ["cashier@acme.test"]
    assert acme_owner.delete(f"/api/v1/auth/tokens/{row['user']}").status_code == 204
    assert cashier.get("/api/v1/me").status_code == 401
    assert acme_owner.delete(f"/api/v1/auth/tokens/{row['user']}").status_code == 404


def test_a_cashier_cannot_revoke_someone_elses_token(acme):
    owner = api_client(acme, "owner@acme.test")
    cashier = api_client(acme, "cashier@acme.test")
    owner_id = owner.get("/api/v1/me").json()["id"]
    assert cashier.delete(f"/api/v1/auth/tokens/{owner_id}").status_code == 403
    assert owner.get("/api/v1/me").status_code == 200


def test_a_reset_request_answers_alike_for_known_and_unknown_and_is_throttled(
        acme, settings, mailoutbox, django_capture_on_commit_callbacks):
    settings.PASSWORD_RESET_PER_HOUR = 1
    client = api_client(acme)
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/api/v1/auth/password-reset", {"email": "owner@acme.test"},
                            format="json")
        unknown = client.post("/api/v1/auth/password-reset", {"email": "who@acme.test"},
                              format="json")
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.status_code == 202
    assert [m.to for m in mailoutbox] == [["owner@acme.test"]]
    again = client.post("/api/v1/auth/password-reset", {"email": "who@acme.test"},
                        format="json")
    assert (again.status_code, again.json()["code"]) == (429, "password_reset_throttled")


def test_users_of_one_tenant_are_not_another_tenants(acme, globex):
    listed = api_client(globex, "owner@globex.test").get("/api/v1/users").json()["results"]
    assert all(u["username"].endswith("@globex.test") for u in listed)
    acme_ids = {u["id"] for u in api_client(acme, "owner@acme.test").get(
        "/api/v1/users").json()["results"]}
    missing = max(acme_ids) + 1000
    assert api_client(globex, "owner@globex.test").get(
        f"/api/v1/users/{missing}").status_code == 404


def test_the_business_profile_is_patched_by_the_owner_only(acme, acme_owner):
    from tenants.models import Tenant

    patched = acme_owner.patch("/api/v1/letterhead", {"address": "1 Nguyễn Huệ",
                                                      "tax_code": "0301"}, format="json")
    assert patched.status_code == 200, patched.content
    assert (patched.json()["address"], patched.json()["currency"]) == ("1 Nguyễn Huệ", "VND")
    refused = acme_owner.patch("/api/v1/letterhead", {"name": "", "locale": "fr"},
                               format="json")
    assert refused.status_code == 400 and set(refused.json()["fields"]) == {"name", "locale"}
    manager = api_client(acme, "manager@acme.test")
    assert manager.patch("/api/v1/letterhead", {"tax_code": "9"},
                         format="json").status_code == 403
    assert Tenant.objects.get(pk=acme.pk).tax_code == "0301"
