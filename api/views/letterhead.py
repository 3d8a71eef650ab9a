"""The tenant's letterhead (statements): GET shows it; its logo is uploaded with PUT
(multipart `file`), fetched with GET and removed with DELETE, by users who may change
the tenant's settings (the owner role)."""

from django.db import connection
from django.http import FileResponse, Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse

from api.base import APIView
from tenants.current import tenant_current
from tenants.letterhead import MAX_LOGO_BYTES, logo_file, tenant_logo_set
from tenants.services import tenant_profile_update

_CONTENT_TYPES = {".png": "image/png", ".jpg": "image/jpeg"}


class CanChangeSettings(BasePermission):
    def has_permission(self, request, view):
        return request.method == "GET" or request.user.has_perm(
            "finance.change_financesettings")


class LogoUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PNG or JPEG, at most 512 KB and 2000 px a side.")


def _letterhead(request) -> dict:
    tenant = tenant_current()
    has_logo = logo_file(tenant.logo_path, tenant.schema_name) is not None
    return {"name": tenant.name, "address": tenant.address, "tax_code": tenant.tax_code,
            "locale": tenant.locale, "currency": tenant.currency,
            "logo": reverse("letterhead-logo", request=request) if has_logo else None}


class LetterheadView(APIView):
    """The business profile: PATCH {name?, address?, tax_code?, locale?} (the owner role;
    the currency is fixed at signup)."""

    permission_classes = [IsAuthenticated, CanChangeSettings]

    @extend_schema(responses={200: dict})
    def get(self, request):
        return Response(_letterhead(request))

    @extend_schema(request=inline_serializer("TenantProfile", {
        "name": serializers.CharField(required=False),
        "address": serializers.CharField(required=False),
        "tax_code": serializers.CharField(required=False),
        "locale": serializers.CharField(required=False)}), responses={200: dict})
    def patch(self, request):
        data = request.data if hasattr(request.data, "get") else {}
        fields = {k: data.get(k) for k in ("name", "address", "tax_code", "locale") if k in data}
        tenant = tenant_profile_update(tenant=connection.tenant, **fields)
        for name in fields:
            setattr(connection.tenant, name, getattr(tenant, name))
        return Response(_letterhead(request))


class LetterheadLogoView(APIView):
    permission_classes = [IsAuthenticated, CanChangeSettings]

    @extend_schema(responses={(200, "image/png"): bytes, (200, "image/jpeg"): bytes})
    def get(self, request):
        tenant = tenant_current()
        path = logo_file(tenant.logo_path, tenant.schema_name)
        if path is None:
            raise Http404
        return FileResponse(open(path, "rb"), content_type=_CONTENT_TYPES[path.suffix])

    @extend_schema(request={"multipart/form-data": LogoUploadSerializer},
                   responses={200: dict})
    def put(self, request):
        form = LogoUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        # Read one byte past the limit at most: the service refuses what is larger.
        content = upload.read(MAX_LOGO_BYTES + 1)
        self._set(content)
        return Response(_letterhead(request))

    @extend_schema(responses={204: None})
    def delete(self, request):
        self._set(None)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @staticmethod
    def _set(content: bytes | None) -> None:
        tenant = tenant_logo_set(tenant=connection.tenant, content=content)
        connection.tenant.logo_path = tenant.logo_path  # this request reads it next
