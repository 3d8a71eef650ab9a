"""Tasks of the platform itself."""

from celery import shared_task
from django.contrib.auth.models import User
from django.db import connection


@shared_task(name="workers.tenant_census")
def tenant_census_task() -> dict:
    """Which schema the task ran in and whose staff it sees (used to check task routing)."""
    return {
        "schema": connection.schema_name,
        "usernames": sorted(User.objects.values_list("username", flat=True)),
    }
