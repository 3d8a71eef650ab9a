"""Celery tasks of import/export: thin, ids only (sent with transaction.on_commit)."""

from celery import shared_task

from exchange.services import export_run, import_run, jobs_sweep


@shared_task(name="imports.customers")
def import_customers_task(job_id: int) -> None:
    import_run(job_id=job_id)


@shared_task(name="exports.customers")
def export_customers_task(job_id: int) -> None:
    export_run(job_id=job_id)


@shared_task(name="exchange.jobs_sweep")
def jobs_sweep_task() -> int:
    """Beat: fail jobs whose worker died, delete expired files, in every tenant schema."""
    return jobs_sweep()
