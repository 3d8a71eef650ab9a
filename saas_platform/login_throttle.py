"""Failed logins are counted per username, whatever the address they come from: after
LOGIN_FAILURES_PER_MINUTE failures in a minute, that username cannot log in (not even with
the right password) until the minute is over.

One rule for every login: an authentication backend placed first refuses a throttled
username for Django's `authenticate()` -- the API's token login, the platform admin's
login form, the staff web app -- and a `user_login_failed` receiver counts the failures.
The counter lives in the cache, whose keys carry the schema: one tenant's users never
throttle another's.
"""

import hashlib
import time

from django.conf import settings
from django.contrib.auth.backends import BaseBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from saas_platform.errors import DomainError

WINDOW_SECONDS = 60


def _normal(username) -> str:
    return str(username or "").strip().lower()[:150]


def username_digest(username) -> str:
    """A cache-safe stand-in for a typed username (any characters, any length)."""
    return hashlib.sha256(_normal(username).encode()).hexdigest()[:32]


def _key(username) -> str:
    return f"login-failures:{username_digest(username)}"


def login_retry_after(username) -> int:
    """Seconds until `username` may try again; 0 when it may now."""
    found = cache.get_many([_key(username), _key(username) + ":since"])
    failures, since = found.get(_key(username), 0), found.get(_key(username) + ":since")
    if failures < settings.LOGIN_FAILURES_PER_MINUTE or since is None:
        return 0
    return max(1, int(since + WINDOW_SECONDS - time.time()) + 1)


class LoginThrottled(DomainError):
    code, http_status = "login_throttled", 429


def login_allowed_check(username) -> None:
    """Raise LoginThrottled (429, Retry-After) when `username` may not try now."""
    wait = login_retry_after(username)
    if wait:
        error = LoginThrottled(_("Too many failed logins for this user. Try again in "
                                 "%(seconds)d seconds.") % {"seconds": wait})
        error.retry_after = wait
        raise error


def login_failure_count(username) -> None:
    """Count one failure; the count lives WINDOW_SECONDS from the first failure (a window
    that starts with the first guess, so no boundary halves the limit)."""
    key = _key(username)
    if cache.add(key, 0, timeout=WINDOW_SECONDS):
        cache.set(key + ":since", time.time(), timeout=WINDOW_SECONDS)
    try:
        cache.incr(key)  # Redis keeps the key's expiry
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS)
        cache.set(key + ":since", time.time(), timeout=WINDOW_SECONDS)


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    """Receiver of django.contrib.auth.signals.user_login_failed."""
    username = credentials.get("username")
    if username:
        login_failure_count(username)


class LoginThrottleBackend(BaseBackend):
    """First in AUTHENTICATION_BACKENDS: a throttled username is refused before any
    password is checked (PermissionDenied stops `authenticate()`)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and login_retry_after(username):
            raise PermissionDenied
        return None
