"""Celery tasks of import/export and statement batches: thin, ids only (sent with
transaction.on_commit). Statement batches go to the default queue, which every worker
process takes, so their chunks spread over all of them."""

from celery import shared_task

from exchange import statement_batch as batch
from exchange.services import export_run, import_run, jobs_sweep


@shared_task(name="imports.customers")
def import_customers_task(job_id: int) -> None:
    import_run(job_id=job_id)


@shared_task(name="exports.customers")
def export_customers_task(job_id: int) -> None:
    export_run(job_id=job_id)


@shared_task(name="statements.batch_plan")
def statement_batch_plan_task(job_id: int) -> None:
    batch.statement_batch_step(batch.statement_batch_plan, job_id=job_id)


@shared_task(name="statements.batch_chunk")
def statement_batch_chunk_task(job_id: int, index: int) -> None:
    batch.statement_batch_step(batch.statement_batch_chunk, job_id=job_id, index=index)


@shared_task(name="statements.batch_assemble")
def statement_batch_assemble_task(job_id: int) -> None:
    batch.statement_batch_step(batch.statement_batch_assemble, job_id=job_id)


@shared_task(name="exchange.jobs_sweep")
def jobs_sweep_task() -> int:
    """Beat: fail jobs whose worker died, delete expired files, in every tenant schema."""
    return jobs_sweep()
