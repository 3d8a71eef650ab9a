"""Celery tasks of the CRM: thin, sent with transaction.on_commit."""

from celery import shared_task


@shared_task(name="crm.name_buckets_refresh", ignore_result=True)
def name_buckets_refresh_task() -> int:
    """Recompute the name buckets written since the last refresh (crm.name_buckets)."""
    from crm.name_buckets import name_buckets_refresh

    return name_buckets_refresh()
