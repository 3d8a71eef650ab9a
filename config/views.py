from django.shortcuts import render
from django.utils import translation


def tenant_not_found(request):
    """Unknown host: a clean 404 in the visitor's language (no tenant to take one from)."""
    with translation.override(translation.get_language_from_request(request)):
        return render(request, "404.html", status=404)
