"""crm.staff (invite, roles, branches, permissions, deactivate), crm.passwords (one-time
invite and reset links) and crm.tokens (expiry, revocation)."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from crm import passwords, staff, tokens
from crm.exceptions import (
    PasswordLinkInvalid,
    PasswordResetThrottled,
    StaffFieldsInvalid,
    StaffForbidden,
    StaffRuleBroken,
)
from crm.models import StaffBranch
from crm.roles import CASHIER, MANAGER, OWNER, SALESPERSON
from tests.crm.factories import branch, user

LINK = re.compile(r"https?://[^/\s]+(/(invite|password/reset)/([^/\s]+)/([^/\s]+))")


def _link(message) -> tuple[str, str]:
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(3), found.group(4)


def _invite(email="new.cashier@acme.test", **fields):
    fields.setdefault("roles", [CASHIER])
    fields.setdefault("branches", [branch("B2").pk])
    return staff.staff_invite(actor=user("owner"), email=email, **fields)


def test_an_invite_makes_a_user_without_a_password_and_mails_a_one_time_link(
        in_acme, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invited = _invite(email=" New.Cashier@ACME.test ",
                          permissions=["crm.view_all_branches_customer"])
    assert (invited.username, invited.email) == ("new.cashier@acme.test",
                                                 "new.cashier@acme.test")
    assert not invited.has_usable_password()
    assert staff.staff_roles(invited) == [CASHIER]
    assert invited.has_perm("crm.view_all_branches_customer")
    assert staff.staff_primary_branch(invited).code == "B2"
    assert [m.to for m in mailoutbox] == [["new.cashier@acme.test"]]
    uid, token = _link(mailoutbox[0])
    chosen = passwords.password_link_spend(uid=uid, token=token, purpose="invite",
                                           password="cashier's own secret 42")
    assert chosen.pk == invited.pk and chosen.check_password("cashier's own secret 42")
    with pytest.raises(PasswordLinkInvalid):  # single use
        passwords.password_link_spend(uid=uid, token=token, purpose="invite",
                                      password="another secret 4242")


def test_an_invite_link_expires_and_is_no_reset_link(in_acme, settings):
    invited = _invite(email="late@acme.test")
    issued = timezone.now()
    path = passwords.password_link_path(user=invited, purpose="invite", now=issued)
    uid, token = path.split("/")[-2:]
    later = issued + timedelta(hours=settings.STAFF_INVITE_HOURS)
    assert passwords.password_link_user(uid=uid, token=token, purpose="invite",
                                        now=later).pk == invited.pk
    with pytest.raises(PasswordLinkInvalid):
        passwords.password_link_user(uid=uid, token=token, purpose="invite",
                                     now=later + timedelta(seconds=1))
    with pytest.raises(PasswordLinkInvalid):
        passwords.password_link_user(uid=uid, token=token, purpose="reset", now=issued)
    with pytest.raises(PasswordLinkInvalid):
        passwords.password_link_user(uid=uid, token=token[:-1] + ("1" if token[-1] == "0" else "0"),
                                     purpose="invite",
                                     now=issued)


def test_an_invite_link_of_one_tenant_is_refused_by_another(acme, globex):
    connection.set_tenant(acme)
    invited = _invite(email="roamer@acme.test")
    uid, token = passwords.password_link_path(user=invited, purpose="invite").split("/")[-2:]
    connection.set_tenant(globex)
    # Whoever holds that id in globex, the link is acme's.
    User.objects.filter(pk=invited.pk).exists() or User.objects.create(pk=invited.pk,
                                                                       username="same-id")
    with pytest.raises(PasswordLinkInvalid):
        passwords.password_link_user(uid=uid, token=token, purpose="invite")
    assert not User.objects.filter(username="roamer@acme.test").exists()


def test_a_weak_password_is_refused_by_field_and_the_link_still_works(in_acme):
    invited = _invite(email="weak@acme.test")
    uid, token = passwords.password_link_path(user=invited, purpose="invite").split("/")[-2:]
    with pytest.raises(StaffFieldsInvalid) as refused:
        passwords.password_link_spend(uid=uid, token=token, purpose="invite", password="123456")
    assert list(refused.value.fields) == ["password"]
    assert passwords.password_link_user(uid=uid, token=token, purpose="invite")


def test_invite_checks_every_field_and_who_invites(in_acme):
    with pytest.raises(StaffFieldsInvalid) as refused:
        staff.staff_invite(actor=user("owner"), email="not an e-mail", roles=["boss"],
                           branches=[])
    assert set(refused.value.fields) == {"email", "roles", "branches"}
    with pytest.raises(StaffFieldsInvalid) as taken:
        _invite(email="SALES@acme.test")
    assert list(taken.value.fields) == ["email"]
    with pytest.raises(StaffFieldsInvalid) as primary:
        _invite(email="p@acme.test", branches=[branch("B2").pk],
                primary_branch=branch("MAIN").pk)
    assert list(primary.value.fields) == ["primary_branch"]
    with pytest.raises(StaffFieldsInvalid):
        _invite(email="q@acme.test", permissions=["auth.change_user"])  # not grantable
    for role in ("manager", "sales", "cashier"):  # DESIGN §3: users are the owner's
        with pytest.raises(StaffForbidden):
            staff.staff_invite(actor=user(role), email="x@acme.test", roles=[CASHIER],
                               branches=[branch("MAIN").pk])
    assert not User.objects.filter(username__in=["p@acme.test", "q@acme.test",
                                                 "x@acme.test"]).exists()


def test_update_sets_roles_branches_primary_and_permissions(in_acme):
    sales = user("sales")
    assert not sales.has_perm("crm.view_other_owner_customer")
    staff.staff_update(actor=user("owner"), user=sales, roles=[SALESPERSON],
                       branches=[branch("MAIN").pk, branch("B2").pk],
                       primary_branch=branch("B2").pk,
                       permissions=["crm.view_other_owner_customer"])
    fresh = User.objects.get(pk=sales.pk)
    assert staff.staff_roles(fresh) == [SALESPERSON]
    assert fresh.has_perm("crm.view_other_owner_customer")
    assert staff.staff_primary_branch(fresh).code == "B2"
    assert StaffBranch.objects.filter(user=fresh).count() == 2
    profile = staff.staff_profile(staff.staff_get(actor=user("owner"), user_id=fresh.pk))
    assert profile["permissions"] == ["crm.view_other_owner_customer"]
    assert [b["code"] for b in profile["branches"]] == ["B2", "MAIN"]
    staff.staff_update(actor=user("owner"), user=fresh, permissions=[])
    assert not User.objects.get(pk=sales.pk).has_perm("crm.view_other_owner_customer")


def test_the_business_keeps_an_owner_and_nobody_locks_themselves_out(in_acme):
    owner = user("owner")
    with pytest.raises(StaffRuleBroken):
        staff.staff_deactivate(actor=owner, user=owner)
    with pytest.raises(StaffRuleBroken):
        staff.staff_update(actor=owner, user=owner, roles=[MANAGER])
    second = _invite(email="owner2@acme.test", roles=[OWNER], branches=[branch("MAIN").pk])
    staff.staff_deactivate(actor=second, user=owner)  # another owner is left: allowed
    with pytest.raises(StaffForbidden):  # a deactivated owner manages nobody
        staff.staff_update(actor=user("owner"), user=second, roles=[MANAGER])
    with pytest.raises(StaffRuleBroken):  # the last active owner stays one
        staff.staff_update(actor=second, user=second, roles=[MANAGER])


def test_deactivate_ends_the_users_sessions_and_api_token_at_once(in_acme):
    cashier = user("cashier")
    session = SessionStore()
    session["_auth_user_id"] = str(cashier.pk)
    session.create()
    other = SessionStore()
    other["_auth_user_id"] = str(user("sales").pk)
    other.create()
    tokens.api_token_issue(user=cashier)
    staff.staff_deactivate(actor=user("owner"), user=cashier)
    assert not User.objects.get(pk=cashier.pk).is_active
    assert not SessionStore().exists(session.session_key)
    assert SessionStore().exists(other.session_key)
    assert not Token.objects.filter(user=cashier).exists()
    staff.staff_reactivate(actor=user("owner"), user=cashier)
    assert User.objects.get(pk=cashier.pk).is_active


def test_a_token_expires_after_the_setting_and_a_new_login_gets_a_new_key(in_acme, settings):
    cashier = user("cashier")
    token = tokens.api_token_issue(user=cashier)
    assert tokens.api_token_issue(user=cashier).key == token.key
    expiry = token.created + timedelta(hours=settings.API_TOKEN_TTL_HOURS)
    assert tokens.api_token_expires_at(token) == expiry
    assert not tokens.api_token_expired(token, now=expiry - timedelta(seconds=1))
    assert tokens.api_token_expired(token, now=expiry)
    Token.objects.filter(pk=token.pk).update(created=token.created - timedelta(
        hours=settings.API_TOKEN_TTL_HOURS))
    assert tokens.api_token_issue(user=cashier).key != token.key


def test_tokens_are_listed_and_revoked_by_the_owner_only_for_others(in_acme):
    for role in ("cashier", "sales"):
        tokens.api_token_issue(user=user(role))
    assert {t.user.username for t in tokens.api_token_list(actor=user("owner"))} >= {
        "cashier@acme.test", "sales@acme.test"}
    assert [t.user.username for t in tokens.api_token_list(actor=user("sales"))] == [
        "sales@acme.test"]
    with pytest.raises(StaffForbidden):
        tokens.api_token_revoke(actor=user("sales"), user=user("cashier"))
    assert tokens.api_token_revoke(actor=user("owner"), user=user("cashier")) == 1
    assert tokens.api_token_revoke(actor=user("sales"), user=user("sales")) == 1
    assert not Token.objects.filter(user__username__in=["cashier@acme.test",
                                                        "sales@acme.test"]).exists()


def test_a_reset_link_is_mailed_only_to_a_known_address_and_works_once(
        in_acme, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        passwords.password_reset_request(email="nobody@acme.test")
        passwords.password_reset_request(email=" OWNER@acme.test ")
    assert [m.to for m in mailoutbox] == [["owner@acme.test"]]
    uid, token = _link(mailoutbox[0])
    passwords.password_link_spend(uid=uid, token=token, purpose="reset",
                                  password="the owner's new passphrase")
    assert user("owner").check_password("the owner's new passphrase")
    with pytest.raises(PasswordLinkInvalid):
        passwords.password_link_user(uid=uid, token=token, purpose="reset")


def test_a_reset_link_expires(in_acme, settings):
    owner = user("owner")
    issued = timezone.now()
    uid, token = passwords.password_link_path(user=owner, purpose="reset",
                                              now=issued).split("/")[-2:]
    with pytest.raises(PasswordLinkInvalid):
        passwords.password_link_user(
            uid=uid, token=token, purpose="reset",
            now=issued + timedelta(minutes=settings.PASSWORD_RESET_MINUTES, seconds=1))


def test_reset_requests_are_throttled_alike_for_known_and_unknown_addresses(in_acme, settings):
    settings.PASSWORD_RESET_PER_HOUR = 2
    for email in ("owner@acme.test", "ghost@acme.test"):
        for _ in range(2):
            passwords.password_reset_request(email=email)
        with pytest.raises(PasswordResetThrottled) as throttled:
            passwords.password_reset_request(email=email)
        assert throttled.value.http_status == 429
