"""API tokens (DRF's authtoken, one per user, in the tenant's schema): they expire
API_TOKEN_TTL_HOURS after they were issued and can be revoked; deactivating a user
revokes theirs (crm.staff.staff_deactivate)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from crm.exceptions import StaffForbidden


def api_token_expires_at(token: Token) -> datetime:
    return token.created + timedelta(hours=settings.API_TOKEN_TTL_HOURS)


def api_token_expired(token: Token, *, now: datetime | None = None) -> bool:
    return (now or timezone.now()) >= api_token_expires_at(token)


@transaction.atomic
def api_token_issue(*, user: User) -> Token:
    """The user's token; an expired one is replaced by a new key."""
    token = Token.objects.select_for_update().filter(user=user).first()
    if token is not None and api_token_expired(token):
        token.delete()
        token = None
    if token is None:
        token = Token.objects.create(user=user)
    return token


def api_token_list(*, actor: User) -> QuerySet[Token]:
    """Every user's token for those who manage users; otherwise the actor's own."""
    tokens = Token.objects.select_related("user").order_by("-created")
    return tokens if actor.has_perm("auth.change_user") else tokens.filter(user=actor)


@transaction.atomic
def user_tokens_revoke(*, user: User) -> int:
    deleted, _by_model = Token.objects.filter(user=user).delete()
    return deleted


@transaction.atomic
def api_token_revoke(*, actor: User, user: User) -> int:
    """Revoke `user`'s token: one's own, or anyone's for those who manage users."""
    if user.pk != actor.pk and not actor.has_perm("auth.change_user"):
        raise StaffForbidden(_("You may not revoke another user's token."))
    return user_tokens_revoke(user=user)
