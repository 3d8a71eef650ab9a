"""Token authentication whose tokens expire (crm.tokens: API_TOKEN_TTL_HOURS)."""

from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from crm.tokens import api_token_expired


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if api_token_expired(token):
            raise AuthenticationFailed(_("The token has expired: log in again."),
                                       code="token_expired")
        return user, token
