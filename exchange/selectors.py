"""Import and export jobs as their reader may see them (crm.jobs says who may)."""

from crm.jobs import jobs_visible
from exchange.exceptions import JobNotFound
from exchange.models import ExportJob, ImportJob, StatementBatchJob


def import_job_get(*, user, pk: int) -> ImportJob:
    job = jobs_visible(ImportJob.objects.all(), user=user).filter(pk=pk).first()
    if job is None:
        raise JobNotFound()
    return job


def export_job_get(*, user, pk: int) -> ExportJob:
    job = jobs_visible(ExportJob.objects.all(), user=user).filter(pk=pk).first()
    if job is None:
        raise JobNotFound()
    return job


def statement_batch_get(*, user, pk: int) -> StatementBatchJob:
    job = (jobs_visible(StatementBatchJob.objects.all(), user=user).filter(pk=pk).first())
    if job is None:
        raise JobNotFound()
    return job
