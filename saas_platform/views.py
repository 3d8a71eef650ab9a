from django.db import connection
from django.shortcuts import render
from django_tenants.utils import get_public_schema_name


def home(request):
    """Landing page: the platform on the public host, the business on a tenant host."""
    if connection.schema_name == get_public_schema_name():
        return render(request, "platform_home.html")
    return render(request, "tenant_home.html", {"tenant": connection.tenant})
