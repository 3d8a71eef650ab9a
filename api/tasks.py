from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from api.models import IdempotencyRecord
from tenants.models import Tenant


def idempotency_records_purge() -> int:
    """Forget keys older than IDEMPOTENCY_KEY_TTL_HOURS, in the public and every tenant schema."""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    schemas = [get_public_schema_name(), *Tenant.objects.filter(
        state__in=[Tenant.State.ACTIVE, Tenant.State.SUSPENDED]).values_list(
        "schema_name", flat=True)]
    removed = 0
    for schema in schemas:
        with schema_context(schema):
            removed += IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()[0]
    return removed


@shared_task(name="api.idempotency_purge", ignore_result=True)
def idempotency_purge_task() -> int:
    return idempotency_records_purge()
