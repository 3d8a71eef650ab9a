"""Public host: signup."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from api.base import APIView
from api.throttles import SignupThrottle
from tenants.models import Currency, Locale
from tenants.services import tenant_create, tenant_url


class SignupSerializer(serializers.Serializer):
    business_name = serializers.CharField(max_length=200)
    subdomain = serializers.CharField(max_length=63)
    owner_email = serializers.CharField(max_length=254)
    owner_password = serializers.CharField(max_length=128, write_only=True,
                                           trim_whitespace=False)
    currency = serializers.ChoiceField(choices=Currency.values, default=Currency.VND)
    locale = serializers.ChoiceField(choices=Locale.values, default=Locale.VI)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    timezone = serializers.CharField(max_length=64, required=False, allow_blank=True)


class SignupView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [SignupThrottle]

    @extend_schema(
        request=SignupSerializer,
        responses={201: dict},
        examples=[OpenApiExample("Hanoi shop", value={
            "business_name": "Cửa hàng Ánh Dương", "subdomain": "anhduong",
            "owner_email": "owner@anhduong.vn", "owner_password": "a long passphrase",
            "currency": "VND", "locale": "vi"})],
    )
    def post(self, request):
        serializer = SignupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        tenant = tenant_create(
            business_name=data["business_name"], subdomain=data["subdomain"],
            owner_email=data["owner_email"], owner_password=data["owner_password"],
            currency=data["currency"], locale=data["locale"],
            country=data.get("country") or None, timezone_name=data.get("timezone") or None)
        return Response({
            "tenant": {
                "name": tenant.name, "subdomain": tenant.subdomain, "url": tenant_url(tenant),
                "currency": tenant.currency, "locale": tenant.locale,
                "country": tenant.country, "timezone": tenant.timezone,
            },
            "owner": {"username": data["owner_email"].strip().lower()},
        }, status=status.HTTP_201_CREATED)
