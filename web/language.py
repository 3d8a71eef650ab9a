"""The web app's language (DESIGN §7): the user's choice (a cookie, so it is remembered on
this device, logged in or not), else the browser's Accept-Language for visitors who are
not logged in, else the tenant's locale. The API keeps tenants.middleware's rule."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST


def _supported(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def language_for(request) -> str:
    chosen = _supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
    if chosen:
        return chosen
    if not request.user.is_authenticated and "HTTP_ACCEPT_LANGUAGE" in request.META:
        browser = _supported(translation.get_language_from_request(request))
        if browser:
            return browser
    tenant = getattr(request, "tenant", None)
    return _supported(getattr(tenant, "locale", None)) or settings.LANGUAGE_CODE


class WebLanguageMiddleware:
    """After AuthenticationMiddleware (it needs to know who is logged in)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(("/api/", "/admin/")) and "lang" not in request.GET:
            translation.activate(language_for(request))
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


@require_POST
def language_set(request):
    """The switcher posts here; the choice is kept in a cookie for a year."""
    code = _supported(request.POST.get("language"))
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
    else:
        response = redirect(target)
    if code:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, code, max_age=365 * 24 * 3600,
                            samesite="Lax", secure=request.is_secure(), httponly=True)
    return response
