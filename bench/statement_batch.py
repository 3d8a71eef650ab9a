"""The statement batch part of `bench statements --customers N` (DESIGN §4: 10k customers
with activity to a zip of PDFs, ≤ 1.3 × the raw render time of the same statements, same
engine, no database; ≤ 60 s on 2 cores).

Ours: POST-equivalent `statement_batch_create` in the scratch tenant, run by a real
Celery worker with two processes (plan, chunks, zip), timed from the job's creation to its
finish as the database stamped them. Anchor, in the same run: the same statements, built
beforehand, rendered by two forked processes with the same PDF engine and no database,
no files, no job machinery.
"""

import datetime
import gc
import multiprocessing
import os
import secrets
import time
import zipfile

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.utils import translation

from bench.timing import table
from bench.worker import celery_worker
from crm.models import Branch, Customer, CustomerGroup
from crm.normalize import name_key
from exchange import files
from exchange.models import StatementBatchJob
from exchange.statement_batch import statement_batch_create
from finance.fonts import fonts_register
from finance.statement_formats import statement_pdf
from finance.statement_sets import sections_build
from finance.statements import statement_compose
from tenants.current import tenant_current

TARGET_RATIO = 1.3
PROCESSES = 2
NAMES = ("Công ty TNHH Thương mại Ánh Dương", "Nguyễn Thị Ánh Đào", "青島市XX建築有限公司",
         "Cửa hàng Điện máy Phước Lộc", "台北市信義區印刷行")
_statements: list = []  # the anchor's statements, inherited by its forked processes


def _customers_make(prefix: str, count: int, group: CustomerGroup) -> None:
    branch = Branch.objects.get(code="MAIN")
    Customer.objects.bulk_create([
        Customer(code=f"{prefix}{i:06d}", name=f"{NAMES[i % len(NAMES)]} {prefix}{i}",
                 name_key=name_key(f"{NAMES[i % len(NAMES)]} {prefix}{i}"),
                 home_branch=branch, group=group)
        for i in range(count)], batch_size=5000)


def _fleet(group: CustomerGroup, count: int, lines: int, month_start: datetime.date,
           tz) -> None:
    """`count` customers of `group`, each with two entries before the month (its opening
    balance) and `lines` in it: sales and receipts, balance after each."""
    _customers_make("KB", count, group)
    start = datetime.datetime.combine(month_start, datetime.time(8), tzinfo=tz)
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO finance_ledgerentry (customer_id, book, kind, amount, balance_after,
                                             branch_id, created_at, idempotency_key)
            SELECT c.id, 'receivable', CASE WHEN i %% 3 = 0 THEN 'receipt' ELSE 'adjustment' END,
                   m.amount, sum(m.amount) OVER (PARTITION BY c.id ORDER BY i), c.home_branch_id,
                   %(start)s + make_interval(days => (i - 3) * 27 / %(n)s, mins => i),
                   'bench:' || %(tag)s || ':' || c.id || ':' || i
            FROM crm_customer c, generate_series(1, %(n)s + 2) AS i,
                 LATERAL (SELECT CASE WHEN i %% 3 = 0 THEN -90000 ELSE 70000 END::numeric
                          AS amount) m
            WHERE c.group_id = %(group)s""",
            {"start": start, "n": lines, "tag": secrets.token_hex(4), "group": group.pk})
        cursor.execute("""
            UPDATE crm_customer c SET receivable_amount = t.balance
            FROM (SELECT DISTINCT ON (customer_id) customer_id, balance_after AS balance
                  FROM finance_ledgerentry ORDER BY customer_id, created_at DESC, id DESC) t
            WHERE t.customer_id = c.id""")
        cursor.execute("ANALYZE")


def _render_share(share: int) -> float:
    """One anchor process: every PROCESSES-th statement, PDF in memory only; its CPU s."""
    started = time.process_time()
    with translation.override(_statements[0][0]):
        for _lang, statement in _statements[share::PROCESSES]:
            statement_pdf(statement)
    return time.process_time() - started


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _worker_pids(worker) -> list[int]:
    children = open(f"/proc/{worker.pid}/task/{worker.pid}/children").read().split()
    return [worker.pid, *map(int, children)]


def _anchor(customers: list[Customer], period: tuple,
            lang: str) -> tuple[float, float, float]:
    """(seconds to build the statements from the database, seconds to render them in
    PROCESSES processes with no database, those processes' CPU seconds)."""
    global _statements
    started = time.perf_counter()
    dates = {"period_from": period[0], "period_to": period[1]}
    with translation.override(lang):  # built as the batch builds them: a chunk at a time
        for first in range(0, len(customers), settings.STATEMENT_BATCH_CHUNK):
            chunk = customers[first:first + settings.STATEMENT_BATCH_CHUNK]
            sections = sections_build(customers=chunk, **dates)
            _statements += [(lang, statement_compose(customer=c, sections=[sections[c.pk]],
                                                     **dates)) for c in chunk]
    build = time.perf_counter() - started
    fonts_register()  # loaded before the fork, as each worker process loads them once
    connections.close_all()  # the forked processes never touch the database
    # The statements are the parent's: without freezing them, every collection in the
    # forked processes would walk (and copy) all of them, which a worker never does.
    gc.collect()
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(PROCESSES) as pool:
            pool.map(abs, range(PROCESSES))  # processes up before the clock starts
            started = time.perf_counter()
            cpu = sum(pool.map(_render_share, range(PROCESSES)))
            render = time.perf_counter() - started
    finally:
        gc.unfreeze()
        _statements = []
    return build, render, cpu


def _batch_wait(job: StatementBatchJob, timeout: float) -> StatementBatchJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in {StatementBatchJob.Status.DONE, StatementBatchJob.Status.FAILED}:
            return job
        time.sleep(0.05)
    raise TimeoutError(f"statement batch {job.pk} still {job.status} after {timeout:.0f} s")


def _batch(owner, period, lang, *, group=None, chunk_size=None) -> StatementBatchJob:
    job = statement_batch_create(user=owner, period_from=period[0], period_to=period[1],
                                 filters={"group": group.pk} if group else {}, lang=lang,
                                 chunk_size=chunk_size)
    job = _batch_wait(job, timeout=3600)
    if job.status != StatementBatchJob.Status.DONE:
        raise RuntimeError(f"statement batch failed: {job.errors}")
    return job


def batch_bench(stdout, *, customers: int, lines: int) -> list[list]:
    tenant = tenant_current()
    today = datetime.datetime.now(tenant.timezone).date()
    month_end = today.replace(day=1) - datetime.timedelta(days=1)
    period = (month_end.replace(day=1), month_end)
    lang = tenant.locale
    started = time.perf_counter()
    fleet_group = CustomerGroup.objects.create(code="BATCH", name="batch")
    _fleet(fleet_group, customers, lines, period[0], tenant.timezone)
    fleet = time.perf_counter() - started
    owner = get_user_model().objects.get(username__startswith="owner@")
    warm = CustomerGroup.objects.create(code="WARM", name="warm-up")
    _customers_make("KW", PROCESSES, warm)
    with celery_worker(concurrency=PROCESSES) as worker:
        # Both processes up and their fonts loaded before the measured batch.
        _batch(owner, period, lang, group=warm, chunk_size=1)
        cpu_before = _cpu_seconds(_worker_pids(worker))
        job = _batch(owner, period, lang, group=fleet_group)
        batch_cpu = _cpu_seconds(_worker_pids(worker)) - cpu_before
    seconds = (job.finished_at - job.created_at).total_seconds()
    with zipfile.ZipFile(files.absolute(job.file_path)) as archive:
        assert len(set(archive.namelist())) == customers + 1  # every PDF and the summary
    size = files.absolute(job.file_path).stat().st_size
    build, render, render_cpu = _anchor(list(Customer.objects.filter(code__startswith="KB")
                                 .order_by("code")), period, lang)
    ratio = seconds / max(render, 1e-9)
    rows = [
        [f"batch to a zip, job path, {PROCESSES} worker processes", seconds,
         customers / seconds, batch_cpu, f"≤ {TARGET_RATIO} × anchor; ≤ 60 s quiet"],
        [f"anchor: raw render of the same PDFs, {PROCESSES} processes, no database",
         render, customers / render, render_cpu, "NOTES ≈ 17 ms a statement a core"],
        [f"(for reference) sections_build of them all, {settings.STATEMENT_BATCH_CHUNK} a chunk, "
         "one process", build,
         customers / build, "-", "-"],
    ]
    table(stdout, f"Statement batch: {customers:,} customers, {lines} entries each in "
                  f"{period[0]:%Y-%m} (fleet written in {fleet:.1f} s; zip "
                  f"{size / 1e6:.1f} MB, {job.chunks_total} chunks; CPU s: the worker's "
                  f"processes, PostgreSQL's not counted)",
          ["work", "seconds", "statements/s", "CPU s", "target / anchor"], rows)
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    cpu_ratio = batch_cpu / max(render_cpu, 1e-9)
    stdout.write(f"batch / raw render = {ratio:.2f} x wall ({cpu_ratio:.2f} x CPU): "
                 f"{verdict} the ≤ {TARGET_RATIO} x goal. The machine's load swings between "
                 f"the two; the CPU ratio is the steadier one.\n")
    return rows
