"""One effect per form token for the actions whose service has no idempotency key of its
own (create a customer, cancel a voucher, deactivate, delete): the first request claims
the token, a repeat (a double tap) is sent where the first one went."""

from django.core.cache import cache

DONE_SECONDS = 24 * 3600
PENDING = ""


def _key(token) -> str:
    return f"web:form-token:{token}"


def token_claim(token) -> str | None:
    """None when this request is the first with the token (it goes ahead); otherwise the
    URL the first one ended on, or PENDING while it is still running."""
    if cache.add(_key(token), PENDING, DONE_SECONDS):
        return None
    return cache.get(_key(token), PENDING)


def token_done(token, url: str) -> None:
    cache.set(_key(token), url, DONE_SECONDS)


def token_release(token) -> None:
    """The action was refused: the same form may be sent again once corrected."""
    cache.delete(_key(token))
