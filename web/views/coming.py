"""Screens of the navigation that are not built yet: a translated "coming" page, shown only
to users whose role may use the screen (the same rights as the menu)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from web.navigation import MAIN_NAVIGATION, screen_allowed

LABELS = {name: label for name, label, _url, _rights in MAIN_NAVIGATION}


@require_GET
@login_required
def coming(request, screen: str):
    if not screen_allowed(request.user, screen):
        raise PermissionDenied
    return render(request, "web/coming.html", {"nav": screen, "screen": LABELS[screen]})
