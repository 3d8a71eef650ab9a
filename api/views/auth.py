"""Tenant host: token login and the current user."""

from django.contrib.auth import authenticate
from django.db import connection
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from api.base import APIView
from api.throttles import LoginThrottle
from crm.models import StaffBranch
from crm.staff import staff_roles
from crm.tokens import api_token_expires_at, api_token_issue
from saas_platform.login_throttle import login_allowed_check


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]

    def get_authenticate_header(self, request):
        return "Token"  # a failed login is a 401, as for any other bad credentials

    @extend_schema(request=TokenRequestSerializer,
                   responses={200: inline_serializer("Token", {"token": serializers.CharField()})})
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["username"].strip().lower()
        login_allowed_check(username)  # per username, whatever the address
        user = authenticate(request, username=username,
                            password=serializer.validated_data["password"])
        if user is None or not user.is_active:
            raise AuthenticationFailed(_("Wrong username or password."), code="invalid_credentials")
        token = api_token_issue(user=user)
        return Response({"token": token.key, "expires_at": serializers.DateTimeField(
            ).to_representation(api_token_expires_at(token))})


class MeView(APIView):
    @extend_schema(responses={200: dict})
    def get(self, request):
        user = request.user
        tenant = connection.tenant  # the request's Tenant row (its subdomain is shown)
        links = StaffBranch.objects.filter(user=user).select_related("branch").order_by(
            "-primary", "branch__code")
        return Response({
            "id": user.pk,
            "username": user.username,
            "email": user.email,
            "tenant": {"name": tenant.name, "subdomain": tenant.subdomain,
                       "currency": tenant.currency, "locale": tenant.locale,
                       "country": tenant.country, "timezone": tenant.timezone},
            "roles": staff_roles(user),
            "branches": [{"id": link.branch.id, "code": link.branch.code,
                          "name": link.branch.name, "primary": link.primary} for link in links],
        })
