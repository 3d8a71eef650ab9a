"""Migrations over many tenant schemas (`manage.py migrate_tenants`).

Order: the public schema, then the template (and its cached DDL, tenants.schema_builder),
then a few canaries one at a time (pool members first: no customer waits on them), then
the rest in parallel in a bounded pool of fresh (spawned) processes. The canaries run in
the command's own process while the pool's workers start, and the command goes on with
the queue until the first worker is ready, so no one waits on a worker's start-up. Only
schemas with a migration to apply are visited (tenants.migration_executor).

A run is a row in public (`TenantMigrationRun`), keyed by the migrations on disk and the
schemas asked for; each tenant's part is a `TenantMigration` row that the worker process
writes itself when it starts and ends. An invocation that finds an unfinished run with
the same key resumes it: what is done stays done, the rest (pending, running when the
last invocation stopped, failed) is tried again. A failing tenant is recorded and
skipped; the others go on. A failing canary stops the run before the fan-out.
"""

import hashlib
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from tenants.fleet_worker import tenant_migrate_one, worker_init, worker_ready
from tenants.migration_executor import (
    migrations_on_disk,
    schemas_missing,
    schemas_with_pending_migrations,
)
from tenants.models import Tenant, TenantMigration, TenantMigrationRun
from tenants.schema_migrate import post_migrate_gate_install

SCRATCH_MIGRATION_APP = "bench.scratch_migration"


class Interrupted(Exception):
    pass


@dataclass
class FleetReport:
    run_id: int | None
    todo: int
    done: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    skipped_done: int = 0
    interrupted: bool = False
    stopped_by_canary: bool = False
    seconds: float = 0.0


def scratch_migration_installed() -> bool:
    return SCRATCH_MIGRATION_APP in settings.INSTALLED_APPS


def run_key(schemas: list[str] | None) -> str:
    scope = "all" if schemas is None else ",".join(sorted(schemas))
    text = "\n".join(sorted(migrations_on_disk())) + "\n" + scope
    return hashlib.sha256(text.encode()).hexdigest()


def _tenant_schemas() -> list[str]:
    """Every tenant schema but public and the template: pool members first, then by id."""
    tenants = (Tenant.objects.exclude(schema_name=get_public_schema_name())
               .exclude(state=Tenant.State.TEMPLATE).values_list("schema_name", "state"))
    ordered = sorted(tenants, key=lambda t: t[1] != Tenant.State.POOL)
    return [name for name, _state in ordered]


def _run_open(key: str, schemas: list[str]) -> tuple[TenantMigrationRun, int]:
    """The unfinished run with this key (resumed) or a new one; rows for `schemas`."""
    run = (TenantMigrationRun.objects.filter(run_key=key)
           .exclude(state=TenantMigrationRun.State.DONE).first())
    if run is None:
        run = TenantMigrationRun.objects.create(run_key=key)
    else:
        run.invocations += 1
        run.state = TenantMigrationRun.State.RUNNING
        run.save(update_fields=["invocations", "state"])
    TenantMigration.objects.bulk_create(
        [TenantMigration(run=run, schema_name=s) for s in schemas], ignore_conflicts=True)
    done_before = run.tenants.filter(state=TenantMigration.State.DONE).count()
    return run, done_before


# --- in the process that runs the command -------------------------------------------------

class _Progress:
    def __init__(self, write: Callable[[str], None], total: int, jobs: int):
        self.write, self.total, self.jobs = write, total, jobs
        self.started = time.perf_counter()
        self.last = 0.0

    def update(self, report: FleetReport, *, force: bool = False) -> None:
        now = time.perf_counter()
        finished = report.done + len(report.failed)
        if not force and now - self.last < 1.0 and finished < self.total:
            return
        self.last = now
        elapsed = now - self.started
        left = (elapsed / finished * (self.total - finished)) if finished else 0
        self.write(f"[migrate_tenants] {finished}/{self.total} schemas, {report.done} done, "
                   f"{len(report.failed)} failed, {self.jobs} workers, {elapsed:.1f} s, "
                   f"~{left:.0f} s left")


def _stop_on_signal(signum, _frame):
    raise Interrupted(signal.Signals(signum).name)


@contextmanager
def _signals_deferred():
    """A stop signal during a canary (migrated in this process) waits for its schema to
    finish, as a worker's does, then stops the run."""
    received = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: received.append(signum))
                for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        raise Interrupted(signal.Signals(received[0]).name)


def tenants_migrate(*, jobs: int, canaries: int, schemas: list[str] | None,
                    write: Callable[[str], None]) -> FleetReport:
    """The whole run (see the module's docstring); `schemas` None means every tenant,
    public and the template first; a list means those tenant schemas only."""
    from tenants.provisioning import template_get
    from tenants.schema_builder import template_script_refresh

    started = time.perf_counter()
    if scratch_migration_installed():
        _refuse_real_schemas(schemas)
    if schemas is None:
        write("[migrate_tenants] public schema")
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        template = template_get()
        if template is not None:
            write(f"[migrate_tenants] template {template.schema_name}")
            call_command("migrate_schemas", schema_name=template.schema_name,
                         executor="standard", interactive=False, verbosity=0)
            connection.set_schema_to_public()
            template_script_refresh(template.schema_name, retry_failed=True)
        candidates = _tenant_schemas()
    else:
        candidates = list(dict.fromkeys(schemas))
    missing = schemas_missing(candidates)
    present = [s for s in candidates if s not in set(missing)]
    pending = schemas_with_pending_migrations(present) if present else []
    for schema in missing:
        write(f"[migrate_tenants] WARNING: tenant schema {schema!r} does not exist; skipped")
    write(f"[migrate_tenants] {len(present) - len(pending)} of {len(present)} tenant schemas "
          f"up to date, {len(pending)} to migrate")
    if not pending:
        return FleetReport(run_id=None, todo=0, missing=missing,
                           seconds=time.perf_counter() - started)
    run, done_before = _run_open(run_key(schemas), pending)
    report = FleetReport(run_id=run.pk, todo=len(pending), missing=missing,
                         skipped_done=done_before)
    if run.invocations > 1:
        write(f"[migrate_tenants] resuming run {run.pk} (invocation {run.invocations}; "
              f"{done_before} schemas done earlier)")
    previous = {sig: signal.signal(sig, _stop_on_signal) for sig in (signal.SIGTERM,
                                                                     signal.SIGINT)}
    try:
        _fan_out(run.pk, pending, jobs=jobs, canaries=canaries, report=report,
                     write=write)
    except Interrupted as exc:
        report.interrupted = True
        write(f"[migrate_tenants] interrupted by {exc}; run again to resume")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    report.seconds = time.perf_counter() - started
    run.state = (TenantMigrationRun.State.INTERRUPTED if report.interrupted
                 else TenantMigrationRun.State.FAILED
                 if report.failed or report.stopped_by_canary
                 else TenantMigrationRun.State.DONE)
    run.finished_at = timezone.now()
    run.save(update_fields=["state", "finished_at"])
    return report


def _refuse_real_schemas(schemas: list[str] | None) -> None:
    """With the benchmark's throwaway migration installed, only scratch tenants' schemas
    may be migrated (public and the template would record it too)."""
    if schemas is None:
        raise ValueError("The scratch migration app is installed: name the scratch tenants' "
                         "schemas to migrate (--schemas-file).")
    scratch = set(Tenant.objects.filter(scratch=True, schema_name__in=schemas)
                  .values_list("schema_name", flat=True))
    real = sorted(set(schemas) - scratch)
    if real:
        raise ValueError(f"Not scratch tenants' schemas: {', '.join(real[:5])}")


def _fan_out(run_id: int, pending: list[str], *, jobs: int, canaries: int,
             report: FleetReport, write) -> None:
    progress = _Progress(write, len(pending), jobs)
    first, rest = pending[:canaries], pending[canaries:]
    pool = ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=get_context("spawn"),
                               initializer=worker_init)
    try:
        # The workers start (Django's set-up, about a second each) while this process
        # migrates the canaries one at a time, then goes on with the queue itself until a
        # worker is ready: nobody waits for a worker's start-up.
        warming = [pool.submit(worker_ready) for _ in range(min(max(1, jobs), len(rest)))]
        post_migrate_gate_install()
        for schema in first:
            write(f"[migrate_tenants] canary {schema}")
            _migrate_here(run_id, schema, report)
            progress.update(report, force=True)
            if report.failed:
                report.stopped_by_canary = True
                write("[migrate_tenants] a canary failed; the other schemas were not touched")
                return
        queue = list(reversed(rest))
        while queue and not any(future.done() for future in warming):
            _migrate_here(run_id, queue.pop(), report)
            progress.update(report)
        # Bounded hand-out: a stop leaves the rest pending, not queued in the pool.
        running = {}
        while queue or running:
            while queue and len(running) < 2 * max(1, jobs):
                schema = queue.pop()
                running[pool.submit(tenant_migrate_one, run_id, schema)] = schema
            finished, _waiting = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                schema = running.pop(future)
                try:
                    _record(future.result(), report)
                except BrokenProcessPool as exc:
                    # A worker died (killed, out of memory): its schema stays "running"
                    # in the state table and is retried by the next invocation.
                    _record((schema, f"worker process died: {exc}"), report)
                    raise Interrupted("a dead worker process") from exc
            progress.update(report)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _migrate_here(run_id: int, schema: str, report: FleetReport) -> None:
    with _signals_deferred():
        _record(tenant_migrate_one(run_id, schema), report)


def _record(result: tuple[str, str], report: FleetReport) -> None:
    schema, error = result
    if error:
        report.failed[schema] = error
        print(f"[migrate_tenants] FAILED {schema}: {error}", file=sys.stderr, flush=True)
    else:
        report.done += 1
