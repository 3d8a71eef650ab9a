"""One-time, expiring links through which a staff user chooses their own password: the
invite of a new user (STAFF_INVITE_HOURS) and the forgotten-password reset
(PASSWORD_RESET_MINUTES). Nobody but the user ever sees or chooses a password.

A link's token is an HMAC of the tenant's schema, the purpose, the user's id, password
hash, last login and active flag, and its own time: setting the password (or logging in)
changes what it signs, so a link works once; another tenant's host or purpose never
accepts it. Requests for a reset link get the same answer whether the address is known
or not, and are throttled per address typed and per client address.
"""

import hashlib
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes, force_str
from django.utils.http import (
    base36_to_int,
    int_to_base36,
    urlsafe_base64_decode,
    urlsafe_base64_encode,
)
from django.utils.translation import gettext as _

from crm.exceptions import PasswordLinkInvalid, PasswordResetThrottled, StaffFieldsInvalid
from tenants.models import Tenant
from tenants.services import tenant_url

INVITE, RESET = "invite", "reset"
PATHS = {INVITE: "invite", RESET: "password/reset"}
THROTTLE_WINDOW = 3600


def link_seconds(purpose: str) -> int:
    if purpose == INVITE:
        return settings.STAFF_INVITE_HOURS * 3600
    return settings.PASSWORD_RESET_MINUTES * 60


def _signature(user: User, purpose: str, stamp: int) -> str:
    login = user.last_login.replace(microsecond=0, tzinfo=None) if user.last_login else ""
    value = (f"{connection.schema_name}:{purpose}:{user.pk}:{user.password}:{login}:"
             f"{user.is_active}:{stamp}")
    return salted_hmac("chainledger.crm.passwords", value, algorithm="sha256").hexdigest()[:40]


def password_link_token(*, user: User, purpose: str, now: datetime | None = None) -> str:
    stamp = int((now or timezone.now()).timestamp())
    return f"{int_to_base36(stamp)}-{_signature(user, purpose, stamp)}"


def password_link_path(*, user: User, purpose: str, now: datetime | None = None) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/{PATHS[purpose]}/{uid}/{password_link_token(user=user, purpose=purpose, now=now)}"


def password_link_user(*, uid: str, token: str, purpose: str,
                       now: datetime | None = None) -> User:
    """The user the link is for, or PasswordLinkInvalid (used, expired, forged, another
    tenant's or another purpose's)."""
    refused = PasswordLinkInvalid(_("This link is not valid: it was used already, it has "
                                    "expired, or it is incomplete. Ask for a new one."))
    try:
        user = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uid))), is_active=True)
        stamp_text, signature = str(token).split("-", 1)
        stamp = base36_to_int(stamp_text)
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        raise refused from None
    if not constant_time_compare(_signature(user, purpose, stamp), signature):
        raise refused
    age = int((now or timezone.now()).timestamp()) - stamp
    if not 0 <= age <= link_seconds(purpose):
        raise refused
    return user


@transaction.atomic
def password_link_spend(*, uid: str, token: str, purpose: str, password: str,
                        now: datetime | None = None) -> User:
    """Set the password chosen through the link (Django's validators), which spends it."""
    user = password_link_user(uid=uid, token=token, purpose=purpose, now=now)
    user = User.objects.select_for_update().get(pk=user.pk)
    password_link_user(uid=uid, token=token, purpose=purpose, now=now)  # not spent meanwhile
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise StaffFieldsInvalid({"password": list(exc.messages)}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def password_link_send(*, user: User, purpose: str) -> None:
    """E-mail the link after commit (Django's EMAIL_BACKEND), in the tenant's language
    for an invite and in the current one for a reset."""
    tenant = Tenant.objects.get(schema_name=connection.schema_name)
    language = tenant.locale if purpose == INVITE else translation.get_language()
    url = tenant_url(tenant).rstrip("/") + password_link_path(user=user, purpose=purpose)
    with translation.override(language):
        context = {"tenant": tenant.name, "url": url, "user": user,
                   "hours": max(1, link_seconds(purpose) // 3600),
                   "minutes": link_seconds(purpose) // 60, "purpose": purpose}
        subject = (_("You are invited to %(tenant)s") if purpose == INVITE
                   else _("Choose a new password for %(tenant)s")) % {"tenant": tenant.name}
        body = render_to_string("crm/password_link_email.txt", context)
    address = user.email or user.username
    transaction.on_commit(lambda: send_mail(subject, body, None, [address]))


def _throttle_count(key: str, limit: int) -> bool:
    """Count one request under `key`; False once `limit` were made this window."""
    cache.add(key, 0, timeout=THROTTLE_WINDOW)  # the window starts with the first request
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=THROTTLE_WINDOW)
        count = 1
    return count <= limit


def password_reset_request(*, email: str, client: str = "") -> None:
    """Send a reset link if `email` is an active user's; the same outcome either way.
    PasswordResetThrottled when this address or client asked too often this hour."""
    email = str(email or "").strip().lower()[:254]
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    allowed = _throttle_count(f"password-reset:email:{digest}",
                              settings.PASSWORD_RESET_PER_HOUR)
    if client:
        allowed = _throttle_count(f"password-reset:client:{client}",
                                  settings.PASSWORD_RESET_PER_HOUR * 4) and allowed
    if not allowed:
        raise PasswordResetThrottled(_("Too many requests for a new password. Try again "
                                       "later."))
    if not email:
        return
    user = (User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email),
                                is_active=True).order_by("pk").first())
    if user is not None:
        with transaction.atomic():
            password_link_send(user=user, purpose=RESET)
