"""Import and export jobs as their reader may see them (crm.jobs says who may), and how far
along a job is (the API and the web app show the same figure)."""

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


FINISHED = ("done", "failed")


def import_job_progress(job: ImportJob) -> int:
    """Percent: validating counts for the first half, writing for the second."""
    if job.status in FINISHED:
        return 100
    if not job.rows_total:
        return 0
    done = job.rows_processed + (job.rows_total if job.status == "writing" else 0)
    return min(99, int(done * 50 / job.rows_total))


def export_job_progress(job: ExportJob) -> int:
    """An export is one write: 0 until it is done (or failed)."""
    return 100 if job.status in FINISHED else 0


def statement_batch_progress(job: StatementBatchJob) -> int:
    if job.status in FINISHED:
        return 100
    return min(99, int(job.processed * 100 / job.total)) if job.total else 0


def import_job_list(*, user):
    return jobs_visible(ImportJob.objects.all(), user=user).order_by("-id")


def export_job_list(*, user):
    return jobs_visible(ExportJob.objects.all(), user=user).order_by("-id")


def statement_batch_list(*, user):
    return jobs_visible(StatementBatchJob.objects.all(), user=user).order_by("-id")
