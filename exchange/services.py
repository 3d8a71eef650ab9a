"""Import and export jobs: create them (the API), run them (the Celery tasks), sweep the
ones whose worker died (beat)."""

import logging
import shutil
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_context

from exchange import files
from exchange.columns import lang_or_default
from exchange.exceptions import JobNotFinished
from exchange.models import ExportJob, ImportJob, StatementBatchChunk, StatementBatchJob
from exchange.reading import BadFile, problem
from exchange.reporting import Heartbeat
from tenants.current import tenant_current

logger = logging.getLogger(__name__)
ERRORS_KEPT = 1000  # on the job; the error workbook has every failed row


def _on_commit_send(task, job_id: int) -> None:
    transaction.on_commit(lambda: task.delay(job_id))


@transaction.atomic
def import_job_create(*, user, upload, mode: str, match: str, lang: str) -> ImportJob:
    """Store the upload under the tenant and queue its import (the worker does the rest,
    its reasons in `lang`, the language of the request)."""
    from exchange.tasks import import_customers_task

    name = Path(upload.name or "upload").name[-100:]
    relative = files.tenant_relative_path("uploads", name)
    files.file_save(relative, upload.chunks())
    job = ImportJob.objects.create(mode=mode, match=match, original_name=name,
                                   lang=lang_or_default(lang),
                                   upload_path=relative, file_key=files.file_key(),
                                   created_by=user, expires_at=files.file_expiry())
    _on_commit_send(import_customers_task, job.pk)
    return job


@transaction.atomic
def import_job_rerun(*, job: ImportJob, user, lang: str) -> ImportJob:
    """A failed import, queued again from the same stored file (e.g. after its worker died),
    its reasons in `lang`, the language of the rerun's request."""
    from exchange.tasks import import_customers_task

    if job.status != ImportJob.Status.FAILED:
        raise JobNotFinished()
    relative = files.tenant_relative_path("uploads", job.original_name or "upload")
    source = files.absolute(job.upload_path)
    if not source.exists():
        from exchange.exceptions import FileExpired

        raise FileExpired()
    target = files.absolute(relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    new = ImportJob.objects.create(mode=job.mode, match=job.match,
                                   original_name=job.original_name, upload_path=relative,
                                   lang=lang_or_default(lang),
                                   file_key=files.file_key(), rerun_of=job, created_by=user,
                                   expires_at=files.file_expiry())
    _on_commit_send(import_customers_task, new.pk)
    return new


@transaction.atomic
def export_job_create(*, user, filters: dict, lang: str) -> ExportJob:
    from exchange.tasks import export_customers_task

    job = ExportJob.objects.create(filters=filters, lang=lang, file_key=files.file_key(),
                                   created_by=user, expires_at=files.file_expiry())
    _on_commit_send(export_customers_task, job.pk)
    return job


@transaction.atomic
def export_job_rerun(*, job: ExportJob, user) -> ExportJob:
    """A failed export, queued again with the same filters and language."""
    if job.status != ExportJob.Status.FAILED:
        raise JobNotFinished()
    return export_job_create(user=user, filters=job.filters, lang=job.lang)


def _claim(model, job_id: int, status: str) -> bool:
    """Only a queued job starts: a redelivered message of a finished or swept job does not."""
    now = timezone.now()
    return bool(model.objects.filter(pk=job_id, status="queued").update(
        status=status, started_at=now, heartbeat_at=now))


def _finish(model, job_id: int, **fields) -> None:
    model.objects.filter(pk=job_id, status__in=model.RUNNING).update(
        finished_at=timezone.now(), **fields)


def import_run(*, job_id: int) -> None:
    """Run an import job: read, validate everything, then write in one transaction."""
    from exchange.importing import JobSwept, import_execute, import_job_lang

    if not _claim(ImportJob, job_id, ImportJob.Status.VALIDATING):
        return
    job = ImportJob.objects.get(pk=job_id)
    with translation.override(import_job_lang(job)), \
            Heartbeat(ImportJob, job_id) as heartbeat:
        try:
            fields = import_execute(job, heartbeat=heartbeat)
        except JobSwept:
            return  # the job already says failed, and nothing was written
        except BadFile as exc:
            fields = {"status": ImportJob.Status.FAILED, "errors": exc.problems[:ERRORS_KEPT]}
        except Exception:
            logger.exception("import job %s failed", job_id)
            fields = {"status": ImportJob.Status.FAILED, "errors": [problem(
                "internal_error", _("The import stopped on an unexpected error; nothing was "
                                    "written. Try again or contact support."))]}
    _finish(ImportJob, job_id, **fields)


def export_run(*, job_id: int) -> None:
    from exchange.exporting import export_execute

    if not _claim(ExportJob, job_id, ExportJob.Status.WRITING):
        return
    job = ExportJob.objects.get(pk=job_id)
    with Heartbeat(ExportJob, job_id) as heartbeat:
        try:
            fields = export_execute(job, heartbeat=heartbeat)
        except Exception:
            logger.exception("export job %s failed", job_id)
            fields = {"status": ExportJob.Status.FAILED, "errors": [problem(
                "internal_error", _("The export stopped on an unexpected error."))]}
    _finish(ExportJob, job_id, **fields)


def jobs_sweep_schema(*, now=None) -> int:
    """In the current schema: fail running jobs whose heartbeat stopped and queued jobs no
    worker picked up in time; delete expired files. Returns how many jobs were failed."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.EXCHANGE_HEARTBEAT_TIMEOUT)
    unclaimed = now - timedelta(seconds=settings.EXCHANGE_QUEUED_TIMEOUT)
    swept = 0
    with translation.override(tenant_current().locale):
        lost = [problem("worker_lost", _(
            "The worker running this job stopped. Nothing was written; run the job again."))]
        minutes = max(1, round(settings.EXCHANGE_QUEUED_TIMEOUT / 60))
        never_started = [problem("not_picked_up", _(
            "No worker picked this job up within %(minutes)d minutes, so it was stopped. "
            "Nothing was written; run the job again, and if it happens again ask your "
            "administrator to check the background workers.") % {"minutes": minutes})]
        for model in (ImportJob, ExportJob):
            swept += model.objects.filter(status__in=model.RUNNING, heartbeat_at__lt=stale) \
                .update(status="failed", errors=lost, finished_at=now)
            swept += model.objects.filter(status="queued", created_at__lt=unclaimed) \
                .update(status="failed", errors=never_started, finished_at=now)
        silent = [problem("worker_lost", _(
            "No worker has worked on this statement batch for %(seconds)d seconds, so it "
            "was stopped. Run it again.") % {"seconds": settings.EXCHANGE_HEARTBEAT_TIMEOUT})]
        # A batch whose worker went silent on a chunk is lost; one whose chunks all wait
        # in the queue (the workers busy with other jobs) only when none was taken for as
        # long as a queued job may wait.
        working = StatementBatchChunk.objects.filter(job=OuterRef("pk"), done=False,
                                                     started_at__isnull=False)
        silent_batches = StatementBatchJob.objects.filter(
            status__in=StatementBatchJob.RUNNING, heartbeat_at__lt=stale)
        swept += silent_batches.filter(Exists(working)).update(
            status="failed", errors=silent, finished_at=now)
        swept += silent_batches.filter(heartbeat_at__lt=unclaimed).exclude(
            Exists(working)).update(status="failed", errors=never_started, finished_at=now)
        swept += StatementBatchJob.objects.filter(status="queued", created_at__lt=unclaimed) \
            .update(status="failed", errors=never_started, finished_at=now)
    for job in ImportJob.objects.filter(expires_at__lt=now).exclude(upload_path=""):
        files.file_delete(job.upload_path)
        files.file_delete(job.error_file_path)
    ImportJob.objects.filter(expires_at__lt=now).exclude(upload_path="").update(
        upload_path="", error_file_path="")
    for job in ExportJob.objects.filter(expires_at__lt=now).exclude(file_path=""):
        files.file_delete(job.file_path)
    ExportJob.objects.filter(expires_at__lt=now).exclude(file_path="").update(file_path="")
    expired = StatementBatchJob.objects.filter(expires_at__lt=now, files_deleted=False)
    for job_id in expired.values_list("pk", flat=True):
        files.tree_delete(files.tenant_job_path("statements", job_id))
    expired.update(file_path="", files_deleted=True)
    return swept


def jobs_sweep(*, now=None) -> int:
    """Every tenant schema (beat runs in the public schema)."""
    from tenants.models import Tenant

    swept = 0
    for tenant in Tenant.objects.exclude(schema_name=get_public_schema_name()):
        with schema_context(tenant.schema_name):
            connection.tenant = tenant
            try:
                swept += jobs_sweep_schema(now=now)
            except Exception:  # one broken schema must not stop the sweep of the others
                logger.exception("sweep of %s failed", tenant.schema_name)
    return swept
