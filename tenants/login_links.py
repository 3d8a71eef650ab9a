"""One-time login links from the public host to a tenant's host: signup sends the new
owner to their own address already logged in, although sessions are per host.

The link carries a signed token (the tenant's schema, a random nonce, the time it was
made). Only a hash of the nonce is kept, in the cache, whose keys carry the tenant's
schema, for LOGIN_LINK_SECONDS. Redeeming deletes it first: of two uses, one wins, and
an expired, altered or other host's token finds nothing.
"""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.db import connection
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from saas_platform.errors import DomainError
from tenants.models import Tenant

SALT = "tenants.login_links"


class LoginLinkInvalid(DomainError):
    code, http_status = "login_link_invalid", 400


def _key(nonce: str) -> str:
    return "login-link:" + hashlib.sha256(nonce.encode()).hexdigest()


def login_link_create(*, tenant: Tenant, username: str) -> str:
    """A token that logs `username` in on `tenant`'s host once, within LOGIN_LINK_SECONDS."""
    nonce = secrets.token_urlsafe(32)
    with schema_context(tenant.schema_name):
        cache.set(_key(nonce), username, timeout=settings.LOGIN_LINK_SECONDS)
    return signing.dumps({"schema": tenant.schema_name, "nonce": nonce}, salt=SALT)


def login_link_redeem(*, token: str):
    """The active user the token was made for, in the current tenant's schema; the token
    is spent. LoginLinkInvalid when it is expired, spent, altered or for another host."""
    refused = LoginLinkInvalid(_("This login link has expired or was already used. "
                                 "Log in with your e-mail and password."))
    try:
        payload = signing.loads(token, salt=SALT, max_age=settings.LOGIN_LINK_SECONDS)
    except signing.BadSignature:  # SignatureExpired too
        raise refused from None
    if not isinstance(payload, dict) or payload.get("schema") != connection.schema_name:
        raise refused
    key = _key(str(payload.get("nonce", "")))
    username = cache.get(key)
    if username is None or not cache.delete(key):  # a concurrent use deleted it first
        raise refused
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise refused
    return user
