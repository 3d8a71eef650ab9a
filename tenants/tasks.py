from celery import shared_task

from tenants.provisioning import signup_pool_fill


@shared_task(name="tenants.signup_pool_refill", acks_late=True,
             ignore_result=True)
def signup_pool_refill_task() -> int:
    """Top the signup pool up, one batch at a time (beat also runs this every minute)."""
    from django.conf import settings

    return signup_pool_fill(batch=settings.SIGNUP_POOL_BATCH)


@shared_task(name="tenants.tenant_census")
def tenant_census_task() -> dict:
    """Which schema the task ran in and whose staff it sees (used to check task routing)."""
    from django.contrib.auth.models import User
    from django.db import connection

    return {
        "schema": connection.schema_name,
        "usernames": sorted(User.objects.values_list("username", flat=True)),
    }


@shared_task(name="tenants.deleting_sweep", acks_late=True, ignore_result=True)
def tenants_deleting_sweep_task() -> int:
    """Drop the tenants whose deletion grace period has passed (beat runs this hourly)."""
    from tenants.services import tenants_deleting_sweep

    return tenants_deleting_sweep()
