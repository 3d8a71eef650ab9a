from django.db import connection
from django.shortcuts import render
from django.utils import translation
from django_tenants.utils import get_public_schema_name


def home(request):
    """Landing page: the platform on the public host, the business on a tenant host."""
    if connection.schema_name == get_public_schema_name():
        return render(request, "platform_home.html")
    return render(request, "tenant_home.html", {"tenant": connection.tenant})


def tenant_not_found(request):
    """Unknown host: a clean 404 in the visitor's language (no tenant to take one from)."""
    with translation.override(translation.get_language_from_request(request)):
        return render(request, "404.html", status=404)
