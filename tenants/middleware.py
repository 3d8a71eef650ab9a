import zoneinfo

from django.conf import settings
from django.http import HttpResponseForbidden, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from tenants.models import Tenant


class TenantStatusMiddleware:
    """A suspended tenant keeps its data but answers 403 with a clear message; the hosts of
    a tenant marked for deletion answer as an unknown host does (404)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if isinstance(tenant, Tenant) and tenant.state == Tenant.State.DELETING:
            return import_string(settings.DEFAULT_NOT_FOUND_TENANT_VIEW)(request)
        if isinstance(tenant, Tenant) and tenant.state == Tenant.State.SUSPENDED:
            with translation.override(tenant.locale):
                detail = _("This account is suspended. Its data is kept; contact support "
                           "to reactivate it.")
                if request.path.startswith("/api/"):
                    return JsonResponse({"code": "tenant_suspended", "detail": detail},
                                        status=403)
                return HttpResponseForbidden(
                    render_to_string("suspended.html", {"detail": detail}, request=request))
        return self.get_response(request)


class TenantLocaleMiddleware:
    """Language: the request's explicit choice (?lang=, Accept-Language), else the tenant's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.GET.get("lang") or None
        if language is None and "HTTP_ACCEPT_LANGUAGE" in request.META:
            language = translation.get_language_from_request(request)
        if language is None:
            tenant = getattr(request, "tenant", None)
            language = getattr(tenant, "locale", None) or "vi"
        try:
            supported = translation.get_supported_language_variant(language)
        except LookupError:  # ?lang=fr: the tenant's language; the view may refuse the value
            tenant_locale = getattr(getattr(request, "tenant", None), "locale", None) or "vi"
            supported = translation.get_supported_language_variant(tenant_locale)
        translation.activate(supported)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        translation.deactivate()
        return response


class TenantTimezoneMiddleware:
    """A tenant's requests count days in the tenant's time zone: "today", a report's day,
    a date filter (`created_at__date`) mean the shop's day, not the server's (UTC)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        name = getattr(tenant, "timezone", None) if isinstance(tenant, Tenant) else None
        if not name or tenant.schema_name == "public":
            return self.get_response(request)
        try:
            zone = zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return self.get_response(request)
        with timezone.override(zone):
            return self.get_response(request)
