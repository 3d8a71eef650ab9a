"""One import job from file to database: read, validate in memory, write in one
transaction, then write the error workbook of the rows that failed."""

import gc
import time
from contextlib import contextmanager

from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Customer
from exchange import files
from exchange.columns import REASON, lang_or_default
from exchange.models import ImportJob
from exchange.planning import Plan, contacts_plan, customers_plan
from exchange.reading import Book, book_read, problem
from exchange.writing import plan_write
from exchange.xlsx import workbook_write
from finance.vouchers import opening_balance_set
from saas_platform.errors import DomainError
from tenants.current import tenant_current


def import_execute(job: ImportJob, *, heartbeat=None, timings: dict | None = None) -> dict:
    """Returns the job's final fields, in the language active around it (import_run's:
    the job's). Raises BadFile for a file that is not the template."""
    with _cycle_collector_paused():
        return _execute(job, heartbeat, {} if timings is None else timings)


def import_job_lang(job: ImportJob) -> str:
    """The language the job's reasons and error workbook are written in."""
    return job.lang or lang_or_default(tenant_current().locale)


@contextmanager
def _cycle_collector_paused():
    """An import makes millions of small objects (cells, dicts, tuples), none in a
    reference cycle; each full collection would walk all of them again (a quarter of
    the validation's time in `bench import --profile`). Reference counting still frees
    everything."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _execute(job: ImportJob, heartbeat, timings: dict) -> dict:
    if job.created_by is None or not job.created_by.is_active:
        # Whose rights would apply? Nobody's: never write without them.
        return {"status": ImportJob.Status.FAILED, "errors": [problem(
            "creator_unavailable", _("The import was stopped: the user who started it no "
                                     "longer exists or was deactivated."))]}
    tenant = tenant_current()
    started = time.perf_counter()
    book = book_read(files.absolute(job.upload_path), filename=job.original_name)
    timings["parse"] = time.perf_counter() - started
    total = len(book.customers.rows) + len(book.contacts.rows)
    ImportJob.objects.filter(pk=job.pk).update(rows_total=total)
    processed = 0

    def progress(n):
        nonlocal processed
        processed += n
        if heartbeat:
            heartbeat.report(rows_processed=processed)

    started = time.perf_counter()
    plan, pending = customers_plan(book, match=job.match, region=tenant.region,
                                   currency=tenant.currency, user_id=job.created_by_id,
                                   progress=progress)
    timings["validate customers"] = time.perf_counter() - started
    all_or_nothing = job.mode == ImportJob.Mode.ALL_OR_NOTHING
    fields = {}

    def contacts_validate():
        # No database here: while it runs, the customers are being written (see plan_write).
        started = time.perf_counter()
        contacts_plan(plan, pending, progress=progress)
        timings["validate contacts"] = time.perf_counter() - started
        fields.update(rows_total=total, rows_processed=total,
                      failed=len(plan.failed_rows["customers"]),
                      warnings=plan.warnings[:1000], errors=plan.errors[:1000])
        if plan.errors:
            fields["error_file_path"] = _error_workbook_write(book, plan, import_job_lang(job))
        if plan.errors and all_or_nothing:
            raise _Refused

    if plan.errors and all_or_nothing:
        try:
            contacts_validate()  # every row's errors are reported, not only the first sheet's
        except _Refused:
            return {**fields, "status": ImportJob.Status.FAILED}

    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.WRITING,
                                               rows_processed=len(book.customers.rows))
    started = time.perf_counter()
    openings = _openings_poster(job)
    last = [time.perf_counter()]

    def stage(name, seconds=None):
        now = time.perf_counter()
        if seconds is None:
            seconds, last[0] = now - last[0], now
        timings[f"write: {name}"] = seconds

    def done_in_the_same_transaction(result) -> None:
        # The job says `done` in the transaction that wrote the rows: a worker that dies
        # after the commit cannot leave a job claiming that nothing was written.
        _still_ours(job.pk)
        fields.update(status=ImportJob.Status.DONE, created=result.created,
                      updated=result.updated, contacts_created=result.contacts_created,
                      opening_balances_posted=bool(result.openings))
        ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now(), **fields)

    try:
        plan_write(plan, user_id=job.created_by_id, openings_post=openings,
                   audit_note=_("Import #%(id)d") % {"id": job.pk},
                   before_commit=done_in_the_same_transaction, stage=stage,
                   meanwhile=contacts_validate)
    except _Refused:  # a contact row failed an all-or-nothing import: rolled back
        return {**fields, "status": ImportJob.Status.FAILED}
    except DomainError as exc:  # e.g. finance refusing an opening balance
        return {**fields, "status": ImportJob.Status.FAILED,
                "errors": fields["errors"] + [problem("write_refused", _(
                    "Nothing was written: %(reason)s") % {"reason": exc})]}
    timings["write"] = time.perf_counter() - started
    return fields


class _Refused(Exception):
    """An all-or-nothing import with a bad row: nothing may be written."""


class JobSwept(Exception):
    """The sweeper failed the job while it was writing: its transaction must not commit."""


def _still_ours(job_id: int) -> None:
    # The row lock orders us with the sweeper: either it failed the job first (we roll
    # back, and the job truthfully says nothing was written) or it waits for our commit.
    status = ImportJob.objects.select_for_update().filter(pk=job_id).values_list(
        "status", flat=True).first()
    if status != ImportJob.Status.WRITING:
        raise JobSwept(job_id)


def _openings_poster(job: ImportJob):
    """Posts created customers' opening receivables through finance's own service (a
    voucher and a ledger entry each), inside the import's transaction."""

    def post(openings: list) -> None:
        customers = Customer.objects.in_bulk([customer_id for customer_id, _a in openings])
        for customer_id, amount in openings:
            customer = customers[customer_id]
            opening_balance_set(customer=customer, amount=amount, actor=job.created_by,
                                branch=customer.home_branch,
                                note=_("Import #%(id)d") % {"id": job.pk})

    return post


def _error_workbook_write(book: Book, plan: Plan, lang: str) -> str:
    """The failed rows as uploaded plus a reason column, ready to fix and upload again."""
    sheets = []
    for sheet in (book.customers, book.contacts):
        reasons = plan.failed_rows[sheet.key]
        header = [str(h) for h in sheet.header] + [REASON.header(lang)]
        width = len(sheet.header)
        rows = [[*cells[:width], *[""] * (width - len(cells)), "; ".join(reasons[n])]
                for n, cells in ((n, sheet.raw[n]) for n in sorted(reasons))]
        sheets.append((sheet.title, header, rows))
    relative = files.tenant_relative_path("errors", "import-errors.xlsx")
    path = files.absolute(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook_write(path, sheets)
    return relative
