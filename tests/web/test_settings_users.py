"""Settings › Users and roles, API tokens, and the password links' pages (test client)."""

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from rest_framework.authtoken.models import Token

from crm.models import Branch
from crm.staff import staff_roles
from tests.conftest import PASSWORD, api_client
from tests.web.conftest import english, web_client

LINK = re.compile(r"https?://[^/\s]+(/(?:invite|password/reset)/[^/\s]+/[^/\s]+)")


def _ids(tenant, *codes):
    connection.set_tenant(tenant)
    found = [Branch.objects.get(code=c).pk for c in codes]
    connection.set_schema_to_public()
    return found


def test_settings_are_for_owner_and_manager_only(acme):
    owner = english(web_client(acme, "owner@acme.test"))
    assert owner.get("/settings/").url == "/settings/profile/"
    manager = english(web_client(acme, "manager@acme.test"))
    html = manager.get("/").content.decode()
    assert 'href="/settings/"' in html
    assert manager.get("/settings/").url == "/settings/branches/"
    assert manager.get("/settings/users/").status_code == 403  # DESIGN §3: branches, groups
    for role in ("sales", "cashier"):
        client = web_client(acme, f"{role}@acme.test")
        assert 'href="/settings/"' not in client.get("/").content.decode()
        for path in ("/settings/", "/settings/users/", "/settings/tokens/",
                     "/settings/users/1/"):
            assert client.get(path).status_code == 403, (role, path)
        assert client.post("/settings/users/", {}).status_code == 403


def test_the_owner_invites_a_cashier_and_the_link_lets_them_choose_a_password(
        acme, owner, mailoutbox, django_capture_on_commit_callbacks):
    page = owner.get("/settings/users/").content.decode()
    assert "sales@acme.test" in page and 'id="invite-form"' in page
    b2, = _ids(acme, "B2")
    with django_capture_on_commit_callbacks(execute=True):
        sent = owner.post("/settings/users/", {
            "token": "5b1f0c3e-7f7c-4c59-9a57-0d6b3c1b2a01", "email": "mai@acme.test",
            "roles": ["cashier"], "branches": [str(b2)], "primary_branch": str(b2)})
    assert sent.status_code == 302, sent.content.decode()
    assert "An invite link was sent to mai@acme.test" in owner.get(sent.url).content.decode()
    path = LINK.search(mailoutbox[0].body).group(1)
    visitor = english(web_client(acme))
    form = visitor.get(path)
    assert form.status_code == 200 and "mai@acme.test" in form.content.decode()
    weak = visitor.post(path, {"password": "12345678"})
    assert weak.status_code == 422 and "field-error" in weak.content.decode()
    done = visitor.post(path, {"password": "Mai's own passphrase"})
    assert done.status_code == 302 and done.url == "/"
    assert visitor.get("/customers/").status_code == 200  # logged in
    assert english(web_client(acme)).get(path).status_code == 400  # used


def test_an_invalid_invite_comes_back_with_the_errors_by_the_fields(acme, owner):
    refused = owner.post("/settings/users/", {"token": "5b1f0c3e-7f7c-4c59-9a57-0d6b3c1b2a02",
                                              "email": "sales@acme.test"})
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "A user with this e-mail already exists." in html
    assert "Choose at least one role." in html and "Choose at least one active branch." in html


def test_editing_a_user_sets_roles_branches_and_permissions(acme, owner):
    connection.set_tenant(acme)
    sales = User.objects.get(username="sales@acme.test")
    connection.set_schema_to_public()
    main, b2 = _ids(acme, "MAIN", "B2")
    assert "Extra permissions" in owner.get(f"/settings/users/{sales.pk}/").content.decode()
    saved = owner.post(f"/settings/users/{sales.pk}/", {
        "token": "5b1f0c3e-7f7c-4c59-9a57-0d6b3c1b2a03", "roles": ["salesperson", "cashier"],
        "branches": [str(main), str(b2)], "primary_branch": str(b2),
        "permissions": ["crm.change_other_owner_customer"]})
    assert saved.status_code == 302
    connection.set_tenant(acme)
    fresh = User.objects.get(pk=sales.pk)
    assert staff_roles(fresh) == ["salesperson", "cashier"]
    assert fresh.has_perm("crm.change_other_owner_customer")
    connection.set_schema_to_public()


def test_deactivating_logs_the_user_out_and_revokes_the_token(acme, owner):
    cashier = web_client(acme, "cashier@acme.test")
    api = api_client(acme, "cashier@acme.test")
    connection.set_tenant(acme)
    user = User.objects.get(username="cashier@acme.test")
    connection.set_schema_to_public()
    tokens = owner.get("/settings/tokens/").content.decode()
    assert "cashier@acme.test" in tokens
    assert owner.post(f"/settings/users/{user.pk}/deactivate").status_code == 302
    assert cashier.get("/customers/").status_code == 302
    assert api.get("/api/v1/me").status_code == 401
    page = owner.get(f"/settings/users/{user.pk}/").content.decode()
    assert "Deactivated" in page and "Reactivate" in page


def test_the_owner_cannot_deactivate_themselves(acme, owner):
    connection.set_tenant(acme)
    me = User.objects.get(username="owner@acme.test")
    connection.set_schema_to_public()
    assert f'action="/settings/users/{me.pk}/deactivate"' not in owner.get(
        f"/settings/users/{me.pk}/").content.decode()
    refused = owner.post(f"/settings/users/{me.pk}/deactivate")
    assert refused.status_code == 409 and "You cannot deactivate yourself." in \
        refused.content.decode()


def test_a_token_is_revoked_from_the_tokens_screen(acme, owner):
    api = api_client(acme, "sales@acme.test")
    connection.set_tenant(acme)
    sales = User.objects.get(username="sales@acme.test")
    connection.set_schema_to_public()
    revoked = owner.post(f"/settings/tokens/{sales.pk}/revoke")
    assert revoked.status_code == 302
    assert api.get("/api/v1/me").status_code == 401
    connection.set_tenant(acme)
    assert not Token.objects.filter(user=sales).exists()
    connection.set_schema_to_public()


def test_the_login_page_links_to_a_forgotten_password_form_that_says_the_same_to_all(
        acme, mailoutbox, django_capture_on_commit_callbacks):
    visitor = english(web_client(acme))
    assert 'href="/password/forgot/"' in visitor.get("/login/").content.decode()
    answers = []
    with django_capture_on_commit_callbacks(execute=True):
        for email in ("owner@acme.test", "stranger@acme.test"):
            page = visitor.post("/password/forgot/", {"email": email})
            answers.append((page.status_code, re.sub(r'value="[^"]*"', "", re.search(
                r'<main id="main">.*</main>', page.content.decode(), re.S).group(0))))
    assert answers[0] == answers[1] and answers[0][0] == 200
    path = LINK.search(mailoutbox[0].body).group(1)
    assert visitor.post(path, {"password": "the owner's fresh passphrase"}).status_code == 302
    owner_again = web_client(acme)
    assert owner_again.post("/login/", {"username": "owner@acme.test",
                                        "password": PASSWORD}).status_code == 400
    connection.set_tenant(acme)
    assert User.objects.get(username="owner@acme.test").check_password(
        "the owner's fresh passphrase")
    connection.set_schema_to_public()


@pytest.mark.parametrize("path", ["/invite/MQ/abc-def", "/password/reset/zz/1-2"])
def test_a_forged_link_is_refused(acme, path):
    assert english(web_client(acme)).get(path).status_code == 400
