"""Settings (DESIGN §7): one URL per section, each behind the right the API checks for
the same work; the menu shows only the sections this user may open, and Settings itself
only to roles the main navigation allows (a salesperson never sees it: 403)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from saas_platform.errors import DomainError
from web.errors import form_errors_add
from web.navigation import SETTINGS_SECTIONS, screen_allowed
from web.tokens import token_claim, token_done, token_release


def sections_of(user) -> list[dict]:
    if not screen_allowed(user, "settings"):
        return []
    return [{"name": name, "label": label, "url": reverse(url_name)}
            for name, label, url_name, right in SETTINGS_SECTIONS if user.has_perm(right)]


def section_check(request, name: str) -> None:
    if not any(s["name"] == name for s in sections_of(request.user)):
        raise PermissionDenied


def section_render(request, name: str, template: str, context: dict, status: int = 200):
    sections = sections_of(request.user)
    url = next((s["url"] for s in sections if s["name"] == name), "")
    return render(request, template, {"nav": "settings", "section": name, "section_url": url,
                                      "sections": sections, **context}, status=status)


def form_run(request, form, run, *, aliases=None):
    """A posted settings form: once per token (a double tap goes where the first went);
    `run(cleaned_data)` calls the service and returns the URL to go to. Returns a redirect,
    or None with the errors on the form (the caller answers 422)."""
    if not form.is_valid():
        return None
    token = str(form.cleaned_data["token"])
    done = token_claim(token)
    if done:
        return redirect(done)
    if done is not None:
        form.add_error(None, _("This form is already being sent."))
        return None
    try:
        url = run(form.cleaned_data)
    except DomainError as error:
        token_release(token)
        form_errors_add(error, form, aliases)
        return None
    token_done(token, url)
    return redirect(url)


@require_GET
@login_required
def settings_home(request):
    sections = sections_of(request.user)
    if not sections:
        raise PermissionDenied
    return redirect(sections[0]["url"])
