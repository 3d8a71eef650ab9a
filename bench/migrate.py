"""`manage.py bench migrate --tenants 1000`: tenant schemas and migrations over a fleet.

Builds that many scratch tenant schemas with the schema builder (tenants.schema_builder),
then times, in the same run:
- the builder next to django-tenants' `clone_schema`, interleaved on `--sample` schemas
  (goal <= 0.3 x);
- `migrate_schemas` with nothing to apply over every schema, next to django-tenants'
  stock command on the same schemas (goal <= 5 s at 1,000 and >= 20 x faster);
- one added migration (bench/scratch_migration: a column and an index on crm_customer)
  by `migrate_tenants`, sequential (`--jobs 1`) on one half of the fleet and parallel on
  the other half, in quarters ordered sequential, parallel, parallel, sequential, each
  with the same 3 canaries (goal >= 1.7 x). The migration exists only in the `migrate_tenants`
  processes started here, which migrate scratch tenants' schemas only; the fleet, and the
  migration with it, is removed at the end.
"""

import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Max, Min

from bench.timing import summary_ms, table
from tenants.models import Tenant, TenantMigration, TenantMigrationRun
from tenants.provisioning import template_ensure, tenant_schema_build
from tenants.schema_builder import template_script_refresh
from tenants.services import tenants_scratch_delete

MARK = "__bench_migrate__"
MARK_SAMPLE = "__bench_migrate_sample__"


def add_arguments(parser):
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=20,
                        help="schemas built each way for builder vs clone_schema")
    parser.add_argument("--stock-sample", type=int, default=0,
                        help="schemas the stock command is timed on (0: all, as ours)")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                        help="worker processes of the parallel migration")


def _build(method: str, name: str) -> Tenant:
    # Built suspended and scratch from the start: never a pool member a signup could take.
    return tenant_schema_build(method=method, state=Tenant.State.SUSPENDED, name=name,
                               scratch=True)


def _fleet_build(count: int, stdout) -> list[float]:
    seconds = []
    started = time.perf_counter()
    for i in range(count):
        began = time.perf_counter()
        _build("replay", MARK)
        seconds.append(time.perf_counter() - began)
        if (i + 1) % 100 == 0:
            stdout.write(f"  built {i + 1}/{count} schemas "
                         f"({time.perf_counter() - started:.0f} s)\n")
    return seconds


def _builder_vs_clone(sample: int) -> tuple[list[float], list[float]]:
    """Interleaved, so that a swing of the machine's speed hits both alike."""
    replays, clones = [], []
    for _ in range(sample):
        for method, samples in (("replay", replays), ("clone", clones)):
            began = time.perf_counter()
            _build(method, MARK_SAMPLE)
            samples.append(time.perf_counter() - began)
    tenants_scratch_delete(Tenant.objects.filter(name=MARK_SAMPLE, scratch=True))
    return replays, clones


def _timed_command(name: str, *args, **options) -> float:
    started = time.perf_counter()
    call_command(name, *args, stdout=io.StringIO(), **options)
    connection.set_schema_to_public()
    return time.perf_counter() - started


def _database_url() -> str:
    """The database this process uses (a test session's too), for the processes it starts."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{connection.settings_dict['NAME']}"))


def _migrate_tenants(schemas: list[str], jobs: int, canaries: int) -> float:
    """`migrate_tenants` with the throwaway migration, in its own process, on `schemas`."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(schemas))
    env = {**os.environ, "DATABASE_URL": _database_url(), "CHAINLEDGER_SCRATCH_MIGRATION": "1"}
    started = time.perf_counter()
    try:
        result = subprocess.run(
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "migrate_tenants",
             "--schemas-file", listing.name, "--jobs", str(jobs), "--canaries", str(canaries)],
            env=env, capture_output=True, text=True, check=False)
    finally:
        os.unlink(listing.name)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"migrate_tenants failed ({result.returncode}):\n"
                           f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return elapsed


def _cleanup(fleet: list[str]) -> None:
    TenantMigrationRun.objects.filter(tenants__schema_name__in=fleet).distinct().delete()
    tenants_scratch_delete(Tenant.objects.filter(name__in=[MARK, MARK_SAMPLE], scratch=True))


def _ratio_row(work, count, ours, anchor_name, anchor, goal):
    return [work, count, ours * 1000, ours / max(1, count) * 1000, anchor_name,
            anchor * 1000, ours / anchor if anchor else float("nan"), goal]


def run(stdout, *, tenants, sample, stock_sample, jobs, **options):
    template = template_ensure()
    script = template_script_refresh(template.schema_name)
    stdout.write(f"template script {script.migrations_key[:12]}: {script.state}\n")
    stdout.write(f"building {tenants} scratch tenant schemas with the schema builder...\n")
    fleet: list[str] = []
    try:
        builds = _fleet_build(tenants, stdout)
        fleet = list(Tenant.objects.filter(name=MARK, scratch=True)
                     .values_list("schema_name", flat=True))
        stdout.write(f"  fleet built in {sum(builds):.1f} s "
                     f"(p50 {summary_ms(builds)['p50']:.0f} ms a schema)\n")
        replays, clones = _builder_vs_clone(sample)

        call_command("migrate_schemas", interactive=False, verbosity=0, stdout=io.StringIO())
        all_schemas = Tenant.objects.exclude(schema_name="public").count()
        ours = _timed_command("migrate_schemas", interactive=False, verbosity=0)
        fleet_noop = _timed_command("migrate_tenants", canaries=0)
        stock_names = fleet[:stock_sample] if stock_sample else None
        if stock_names is None:
            stock = _timed_command("migrate_schemas", interactive=False, verbosity=0,
                                   executor="standard")
            stock_count = all_schemas
        else:
            stock = sum(_timed_command("migrate_schemas", interactive=False, verbosity=0,
                                       executor="standard", schema_name=name)
                        for name in stock_names)
            stock_count = len(stock_names)
        stock_all = stock / stock_count * all_schemas

        # Four equal quarters, sequential-parallel-parallel-sequential, each run with the
        # same canaries: a drift of the machine's speed during the run hits both alike.
        quarter = len(fleet) // 4
        part = [fleet[i * quarter:(i + 1) * quarter] for i in range(4)]
        half = 2 * quarter
        sequential = parallel = 0.0
        for schemas, parallel_part in zip(part, (False, True, True, False), strict=True):
            seconds = _migrate_tenants(schemas, jobs=jobs if parallel_part else 1,
                                       canaries=3)
            if parallel_part:
                parallel += seconds
            else:
                sequential += seconds
        # Inside the command: its first schema started to its last finished (the state
        # table's times), i.e. without the command's and its first worker's start-up.
        spans = [TenantMigration.objects.filter(schema_name__in=schemas).aggregate(
            first=Min("started_at"), last=Max("finished_at")) for schemas in part]
        inside = [(s["last"] - s["first"]).total_seconds() if s["first"] else 0.0
                  for s in spans]
        inside_sequential, inside_parallel = inside[0] + inside[3], inside[1] + inside[2]
        per_schema = {
            label: summary_ms(list(TenantMigration.objects.filter(
                schema_name__in=schemas, state=TenantMigration.State.DONE)
                .values_list("seconds", flat=True)) or [0.0])
            for label, schemas in (("sequential", part[0] + part[3]),
                                   ("parallel", part[1] + part[2]))}

        replay_ms, clone_ms = summary_ms(replays), summary_ms(clones)
        rows = [
            ["schema builder (replay), mean", sample, sum(replays) * 1000,
             replay_ms["mean"], "clone_schema, mean", clone_ms["mean"],
             replay_ms["mean"] / clone_ms["mean"], "<= 0.3 x"],
            ["migrate_schemas, nothing to apply (ours)", all_schemas, ours * 1000,
             ours / all_schemas * 1000,
             "stock command" + ("" if stock_names is None else f" ({stock_count} scaled)"),
             stock_all * 1000, ours / stock_all, "<= 0.05 x, <= 5 s"],
            ["migrate_tenants, nothing to apply", all_schemas, fleet_noop * 1000,
             fleet_noop / all_schemas * 1000, "stock command", stock_all * 1000,
             fleet_noop / stock_all, "-"],
            [f"one added migration, parallel ({jobs} jobs, {os.cpu_count()} cores)", half,
             parallel * 1000, parallel / max(1, half) * 1000, "sequential, other half",
             sequential * 1000,
             parallel / sequential, "<= 0.59 x (>= 1.7 x faster)"],
        ]
        table(stdout, f"Tenant schemas and migrations, {tenants} scratch tenants "
                      f"({all_schemas} tenant schemas in all)",
              ["work", "schemas", "total ms", "ms a schema", "anchor", "anchor ms", "ratio",
               "goal"], rows)
        stdout.write(f"builder p50 {replay_ms['p50']:.0f} ms, p95 {replay_ms['p95']:.0f} ms; "
                     f"clone_schema p50 {clone_ms['p50']:.0f} ms, p95 {clone_ms['p95']:.0f} ms; "
                     f"parallel {sequential / parallel:.2f} x faster than sequential; "
                     f"no-op {stock_all / ours:.0f} x faster than stock\n")
        stdout.write(f"first schema started to last finished: sequential "
                     f"{inside_sequential:.1f} s, parallel {inside_parallel:.1f} s, "
                     f"{inside_sequential / max(inside_parallel, 1e-9):.2f} x\n")
        stdout.write("one schema's migrate inside its worker (ms): " + "; ".join(
            f"{label} p50 {ms['p50']:.0f}, mean {ms['mean']:.0f}"
            for label, ms in per_schema.items()) + "\n")
        return rows
    finally:
        _cleanup(fleet)
