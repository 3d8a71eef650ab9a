"""Statement batches (DESIGN §6, issue 10): a zip of one statement PDF per customer plus a
summary workbook, rendered on Celery.

Three tasks, ids only: `plan` claims the job and cuts the customers its creator may see
(at run time, with the job's filters) into chunks; one `chunk` task per chunk renders its
statements into the job's own folder under the tenant (a fixed file per customer, so a
redelivered chunk overwrites rather than duplicates) and then, in one transaction, marks
the chunk done and counts it into the job; the chunk that completes the job sends
`assemble`, which writes the zip. With acks_late a chunk whose worker died is delivered
again and only that chunk is rendered again: finished chunks are never redone. A batch
whose worker goes silent on a chunk past the heartbeat timeout is failed by the sweeper
(exchange.services.jobs_sweep_schema); one whose chunks only wait in the queue, behind
other jobs, waits as long as a queued job may. A failed batch can be run again.
"""

from __future__ import annotations

import datetime
import io
import logging
import os
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.models import Contact, Customer
from crm.selectors import customer_list, customer_visible
from exchange import files
from exchange.exceptions import JobNotFinished
from exchange.models import StatementBatchChunk, StatementBatchJob
from exchange.reading import problem
from exchange.reporting import Heartbeat
from finance.selectors import BUCKETS
from finance.statement_sets import sections_build
from finance.statements import Statement, group_members, period_check, statement_compose
from saas_platform.errors import FieldsInvalid
from tenants.current import tenant_current

logger = logging.getLogger(__name__)
Status = StatementBatchJob.Status
FILTERS = ("branch", "owner", "group")
KIND = "statements"
SUMMARY_NAME = "summary.xlsx"


def _send(task, *args) -> None:
    transaction.on_commit(lambda: task.delay(*args))


@transaction.atomic
def statement_batch_create(*, user, period_from: datetime.date, period_to: datetime.date,
                           filters: dict, lang: str, consolidated: bool = False,
                           email: bool = False, rerun_of=None,
                           chunk_size: int | None = None) -> StatementBatchJob:
    """Queue a batch (the worker finds the customers when it runs). `filters`: branch,
    owner, group (ids) and nonzero_only (skip customers with nothing in the period and
    nothing owed at its end)."""
    from exchange.tasks import statement_batch_plan_task

    period_check(period_from, period_to)
    _filters_check(filters)
    job = StatementBatchJob.objects.create(
        period_from=period_from, period_to=period_to, filters=filters, lang=lang,
        consolidated=consolidated, email=email, created_by=user, rerun_of=rerun_of,
        chunk_size=chunk_size or settings.STATEMENT_BATCH_CHUNK, file_key=files.file_key(),
        expires_at=files.file_expiry())
    _send(statement_batch_plan_task, job.pk)
    return job


def _filters_check(filters: dict) -> None:
    """A branch, owner or group that does not exist is bad input, not an empty batch."""
    from django.contrib.auth import get_user_model

    from crm.models import Branch, CustomerGroup

    known = {"branch": (Branch, _("There is no branch with this id.")),
             "owner": (get_user_model(), _("There is no user with this id.")),
             "group": (CustomerGroup, _("There is no customer group with this id."))}
    for name, (model, message) in known.items():
        value = filters.get(name)
        if value not in (None, "") and not model.objects.filter(pk=value).exists():
            raise FieldsInvalid({name: [message]})


@transaction.atomic
def statement_batch_rerun(*, job: StatementBatchJob, user) -> StatementBatchJob:
    """A failed batch, queued again with the same period, filters and options."""
    if job.status != Status.FAILED:
        raise JobNotFinished()
    return statement_batch_create(
        user=user, period_from=job.period_from, period_to=job.period_to,
        filters=job.filters, lang=job.lang, consolidated=job.consolidated, email=job.email,
        rerun_of=job, chunk_size=job.chunk_size)


def _scope(job: StatementBatchJob) -> list[int] | None:
    """The ids, by code, of the customers the creator may see now with the job's filters;
    None when who may see what cannot be worked out (no creator, or a deactivated one)."""
    user = job.created_by
    if user is None or not user.is_active:
        return None
    filters = {k: job.filters[k] for k in FILTERS if job.filters.get(k) not in (None, "")}
    return list(customer_list(user=user, filters=filters).order_by("code")
                .values_list("id", flat=True))


CHUNKS_AT_LEAST = 16  # so the last chunks spread over the worker processes too
CHUNK_SMALLEST = 10  # below that a task costs more than it renders


def chunk_size_for(total: int, largest: int) -> int:
    """At most `largest` customers a chunk, and small enough for CHUNKS_AT_LEAST chunks
    (three chunks on two processes would wait for the third one alone), but not tiny."""
    largest = max(1, largest)
    return max(min(largest, CHUNK_SMALLEST), min(largest, -(-total // CHUNKS_AT_LEAST)))


def statement_batch_plan(*, job_id: int) -> None:
    """Claim the job and cut it into chunks; a redelivered plan re-sends the chunks that
    are not done yet (chunks are idempotent) and never plans twice."""
    from exchange.tasks import statement_batch_assemble_task, statement_batch_chunk_task

    with transaction.atomic():
        job = (StatementBatchJob.objects.select_for_update(of=("self",))
               .select_related("created_by")
               .filter(pk=job_id, status__in=(Status.QUEUED, Status.RUNNING)).first())
        if job is None:
            return
        now = timezone.now()
        if job.status == Status.QUEUED:
            job.status, job.started_at, job.heartbeat_at = Status.RUNNING, now, now
            job.save(update_fields=["status", "started_at", "heartbeat_at"])
        if not job.chunks.exists():
            ids = _scope(job)
            if ids is None:
                with translation.override(job.lang):
                    reason = problem("scope_unavailable", _(
                        "The batch was stopped: the customers its creator may see could not "
                        "be determined (the user may have been deactivated)."))
                StatementBatchJob.objects.filter(pk=job_id).update(
                    status=Status.FAILED, errors=[reason], finished_at=now)
                return
            size = chunk_size_for(len(ids), job.chunk_size)
            StatementBatchChunk.objects.bulk_create([
                StatementBatchChunk(job=job, index=i, customer_ids=ids[start:start + size])
                for i, start in enumerate(range(0, len(ids), size))])
            StatementBatchJob.objects.filter(pk=job_id).update(
                total=len(ids), chunks_total=-(-len(ids) // size), heartbeat_at=now)
        pending = list(job.chunks.filter(done=False).values_list("index", flat=True))
        for index in pending:
            _send(statement_batch_chunk_task, job_id, index)
        if not pending:
            _send(statement_batch_assemble_task, job_id)


@dataclass
class ChunkOutput:
    summary: list[dict]
    files: dict[str, str]  # customer id (str) -> relative path of its PDF


def _is_empty(statement: Statement) -> bool:
    return not statement.lines and statement.opening == 0 and statement.closing == 0


def _summary_row(statement: Statement, money) -> dict:
    party = statement.customer
    return {"customer_id": party.id, "code": party.code, "name": party.name,
            "opening": str(money(statement.opening)), "debits": str(money(statement.debits)),
            "credits": str(money(statement.credits)), "closing": str(money(statement.closing)),
            "aging": {b: str(money(v)) for b, v in statement.aging.items()}}


def _file_name(code: str, suffix: str = "") -> str:
    return re.sub(r"[^\w.-]+", "_", code) + suffix + ".pdf"


def _job_folder(job: StatementBatchJob) -> Path:
    """The job's folder, checked to be this tenant's once (file names from `_file_name`
    never leave it: no separators)."""
    return files.absolute(files.tenant_job_path(KIND, job.pk))


def _pdf_write(folder: Path, name: str, content: bytes) -> None:
    """Replace the file whole (write aside, then rename): a chunk killed mid-write and
    rendered again never leaves half a PDF, nor a second one."""
    path = folder / name
    partial = path.with_suffix(".part")
    partial.write_bytes(content)
    os.replace(partial, path)


def chunk_render(job: StatementBatchJob, customers: list[Customer], *,
                 render=None) -> ChunkOutput:
    """Every statement of the chunk as a PDF file of the job; `render` is the PDF engine
    (finance.statement_formats.statement_pdf unless a test wraps it)."""
    from finance.statement_formats import statement_pdf

    render = render or statement_pdf
    money = tenant_current().money
    nonzero_only = bool(job.filters.get("nonzero_only"))
    folder = files.tenant_job_path(KIND, job.pk)
    place = _job_folder(job)
    place.mkdir(parents=True, exist_ok=True)
    output = ChunkOutput(summary=[], files={})
    groups = _visible_groups(job, customers) if job.consolidated else {}
    # Every section of the chunk (and of its groups' members) in a few queries.
    period = {"period_from": job.period_from, "period_to": job.period_to}
    sections = sections_build(
        customers=[*customers, *(m for members in groups.values() for m in members)], **period)
    for customer in customers:
        statement = statement_compose(customer=customer, sections=[sections[customer.pk]],
                                      **period)
        if nonzero_only and _is_empty(statement):
            continue
        relative = f"{folder}/{_file_name(customer.code)}"
        _pdf_write(place, _file_name(customer.code), render(statement))
        output.summary.append(_summary_row(statement, money))
        output.files[str(customer.pk)] = relative
        if customer.pk in groups:
            group = statement_compose(customer=customer, consolidated=True, **period,
                                      sections=[sections[m.pk] for m in groups[customer.pk]])
            _pdf_write(place, _file_name(customer.code, "-group"), render(group))
    return output


def _visible_groups(job: StatementBatchJob, customers: list[Customer]) -> dict:
    """Group companies of the chunk whose every member the creator may see -> members
    (a consolidated statement shows them all, so it is made only then)."""
    parents = set(Customer.objects.filter(parent_id__in=[c.pk for c in customers])
                  .values_list("parent_id", flat=True))
    groups = {}
    for customer in customers:
        if customer.pk not in parents:
            continue
        members = group_members(customer)
        seen = customer_visible(job.created_by).filter(pk__in=[m.pk for m in members])
        if seen.count() == len(members):
            groups[customer.pk] = members
    return groups


def statement_batch_chunk(*, job_id: int, index: int, render=None) -> None:
    """Render one chunk unless it is done (a redelivery of a finished chunk does nothing
    but make sure the job goes on)."""
    from exchange.tasks import statement_batch_assemble_task

    job = (StatementBatchJob.objects.select_related("created_by")
           .filter(pk=job_id, status=Status.RUNNING).first())
    if job is None:
        return
    chunk = StatementBatchChunk.objects.get(job=job, index=index)
    if not chunk.done:
        now = timezone.now()
        StatementBatchChunk.objects.filter(pk=chunk.pk).update(started_at=now)
        StatementBatchJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
            heartbeat_at=now)
        # Customers the creator may see now (rights taken away mid-batch count).
        customers = list(customer_visible(job.created_by)
                         .filter(pk__in=chunk.customer_ids).order_by("code"))
        with translation.override(job.lang), Heartbeat(StatementBatchJob, job_id):
            output = chunk_render(job, customers, render=render)
        with transaction.atomic():
            counted = StatementBatchChunk.objects.filter(pk=chunk.pk, done=False).update(
                done=True, summary=output.summary, finished_at=timezone.now())
            if counted:
                StatementBatchJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
                    processed=F("processed") + len(chunk.customer_ids),
                    statements=F("statements") + len(output.summary),
                    chunks_done=F("chunks_done") + 1, heartbeat_at=timezone.now())
        chunk.refresh_from_db()
    if job.email and not chunk.emailed:
        chunk_email(job, chunk)
    job.refresh_from_db(fields=["status", "chunks_done", "chunks_total"])
    if job.status == Status.RUNNING and job.chunks_done >= job.chunks_total:
        _send(statement_batch_assemble_task, job_id)


def _recipients(customer_ids: list[int]) -> dict[int, str]:
    """The primary contact's e-mail, else the customer's own."""
    own = dict(Customer.objects.filter(pk__in=customer_ids).exclude(email="")
               .values_list("id", "email"))
    primary = dict(Contact.objects.filter(customer_id__in=customer_ids, primary=True)
                   .exclude(email="").values_list("customer_id", "email"))
    return own | primary


def chunk_email(job: StatementBatchJob, chunk: StatementBatchChunk) -> int:
    """E-mail each statement of a done chunk to its customer (once per chunk: the flag is
    claimed before sending, so a redelivery does not mail twice)."""
    if not StatementBatchChunk.objects.filter(pk=chunk.pk, emailed=False).update(emailed=True):
        return 0
    place = _job_folder(job)
    addresses = _recipients([row["customer_id"] for row in chunk.summary])
    tenant = tenant_current()
    sent = 0
    with translation.override(job.lang):
        for row in chunk.summary:
            address = addresses.get(row["customer_id"])
            if not address:
                continue
            message = EmailMessage(
                subject=_("Statement of account %(start)s – %(end)s") % {
                    "start": job.period_from.isoformat(), "end": job.period_to.isoformat()},
                body=_("Dear %(customer)s,\n\nPlease find attached your statement of account "
                       "from %(tenant)s. Kindly check it and confirm.\n") % {
                    "customer": row["name"], "tenant": tenant.name},
                to=[address])
            path = place / _file_name(row["code"])
            message.attach(_file_name(row["code"]), path.read_bytes(), "application/pdf")
            try:
                message.send()
                sent += 1
            except OSError:  # one unreachable mailbox must not stop the batch
                logger.exception("statement e-mail to customer %s failed", row["customer_id"])
    StatementBatchJob.objects.filter(pk=job.pk).update(emails_sent=F("emails_sent") + sent)
    return sent


def summary_xlsx(job: StatementBatchJob, rows: list[dict]) -> bytes:
    """One row per statement: code, name, opening, debits, credits, closing and the aging
    buckets, as numbers with the currency's number format."""
    import xlsxwriter

    from finance.statement_formats import bucket_labels, nfc
    from saas_platform.money import decimals

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    number = book.add_format({"num_format": "#,##0" if decimals(tenant_current().currency)
                              == 0 else "#,##0.00"})
    bold = book.add_format({"bold": True})
    with translation.override(job.lang):
        sheet = book.add_worksheet(nfc(_("Summary"))[:31])
        headers = [_("Customer code"), _("Customer"), _("Opening balance"), _("Debit"),
                   _("Credit"), _("Closing balance"), *bucket_labels().values()]
        for col, header in enumerate(headers):
            sheet.write_string(0, col, nfc(header), bold)
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, 40)
    sheet.set_column(2, len(headers) - 1, 16)
    sheet.freeze_panes(1, 0)
    for r, row in enumerate(rows, start=1):
        sheet.write_string(r, 0, nfc(row["code"]))
        sheet.write_string(r, 1, nfc(row["name"]))
        amounts = [row["opening"], row["debits"], row["credits"], row["closing"],
                   *(row["aging"][b] for b in BUCKETS)]
        for col, value in enumerate(amounts, start=2):
            sheet.write_number(r, col, Decimal(value), number)
    book.close()
    return buffer.getvalue()


def statement_batch_assemble(*, job_id: int) -> None:
    """The zip of a job whose chunks are all done: every PDF (customers by code) and the
    summary. Written aside and renamed; a second delivery finds the job done."""
    with transaction.atomic():  # two deliveries (or two last chunks) queue up here
        job = (StatementBatchJob.objects.select_for_update()
               .filter(pk=job_id, status=Status.RUNNING).first())
        if job is None or job.chunks.filter(done=False).exists():
            return
        _assemble(job)


def _assemble(job: StatementBatchJob) -> None:
    job_id = job.pk
    chunks = list(job.chunks.order_by("index").values_list("summary", flat=True))
    rows = sorted((row for summary in chunks for row in summary), key=lambda r: r["code"])
    folder = files.tenant_job_path(KIND, job.pk)
    name = f"statements-{job.period_from:%Y%m%d}-{job.period_to:%Y%m%d}.zip"
    relative = f"{folder}/{name}"
    path = files.absolute(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(SUMMARY_NAME, summary_xlsx(job, rows))
        place = _job_folder(job)
        for row in rows:  # PDFs are compressed already: stored as they are
            archive.write(place / _file_name(row["code"]), _file_name(row["code"]))
            group = place / _file_name(row["code"], "-group")
            if job.consolidated and group.exists():
                archive.write(group, _file_name(row["code"], "-group"))
    os.replace(partial, path)
    StatementBatchJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
        status=Status.DONE, file_path=relative, finished_at=timezone.now())
    for row in rows:  # the zip holds them now
        (place / _file_name(row["code"])).unlink(missing_ok=True)
        if job.consolidated:
            (place / _file_name(row["code"], "-group")).unlink(missing_ok=True)


def statement_batch_fail(*, job_id: int, reason: dict) -> None:
    StatementBatchJob.objects.filter(pk=job_id, status__in=StatementBatchJob.RUNNING).update(
        status=Status.FAILED, errors=[reason], finished_at=timezone.now())


def statement_batch_step(step, *, job_id: int, **arguments) -> None:
    """Run a task's step; an unexpected error fails the batch with a reason (instead of
    leaving it running until the sweeper calls its worker lost)."""
    try:
        step(job_id=job_id, **arguments)
    except Exception:
        logger.exception("statement batch %s failed", job_id)
        job = StatementBatchJob.objects.filter(pk=job_id).only("lang").first()
        with translation.override(job.lang if job else None):
            reason = problem("internal_error", _(
                "The batch stopped on an unexpected error. Run it again, or contact support "
                "if it happens again."))
        statement_batch_fail(job_id=job_id, reason=reason)
