"""`manage.py bench migrate --tenants 1000`: `migrate_schemas` with nothing to apply.

Builds (once; `--keep` leaves them for the next run) that many real tenant schemas by
cloning the template, then times the whole `migrate_schemas` with our pending-only
executor, next to django-tenants' standard executor measured in the same run on a sample
of schemas and scaled to the same count.
"""

import io
import time

from django.core.management import call_command

from bench.timing import table
from tenants.models import Tenant
from tenants.provisioning import template_ensure, tenant_schema_build
from tenants.services import tenants_scratch_delete

MARK = "__bench_migrate__"


def add_arguments(parser):
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=25,
                        help="schemas the standard executor is timed on")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark tenants")


def _ensure_tenants(count: int, stdout) -> None:
    template_ensure()
    have = Tenant.objects.filter(name=MARK, scratch=True).count()
    started = time.perf_counter()
    for i in range(have, count):
        # Built suspended and scratch from the start: never a pool member a signup could take.
        tenant_schema_build(method="clone", state=Tenant.State.SUSPENDED, name=MARK,
                            scratch=True)
        if (i + 1) % 100 == 0:
            elapsed = time.perf_counter() - started
            stdout.write(f"  built {i + 1}/{count} schemas ({elapsed:.0f} s)\n")


def _cleanup() -> None:
    tenants_scratch_delete(Tenant.objects.filter(name=MARK, scratch=True))


def _timed(**options) -> float:
    started = time.perf_counter()
    call_command("migrate_schemas", interactive=False, stdout=io.StringIO(), **options)
    return time.perf_counter() - started


def run(stdout, *, tenants, sample, keep, **options):
    stdout.write(f"making sure {tenants} benchmark tenant schemas exist (not timed)...\n")
    _ensure_tenants(tenants, stdout)
    try:
        call_command("migrate_schemas", interactive=False, stdout=io.StringIO())  # warm
        total_schemas = Tenant.objects.exclude(schema_name="public").count()
        ours = _timed(verbosity=0)
        marked = Tenant.objects.filter(name=MARK, scratch=True)
        names = list(marked.values_list("schema_name", flat=True)[:sample])
        standard_sample = 0.0
        for name in names:
            standard_sample += _timed(schema_name=name, executor="standard", verbosity=0)
        per_schema = standard_sample / max(1, len(names))
        rows = [
            ["pending-only executor (ours), all schemas", total_schemas, ours * 1000,
             ours / total_schemas * 1000],
            [f"django-tenants standard, {len(names)} schemas measured", len(names),
             standard_sample * 1000, per_schema * 1000],
            ["django-tenants standard, scaled to all schemas", total_schemas,
             per_schema * total_schemas * 1000, per_schema * 1000],
        ]
        table(stdout, "migrate_schemas with nothing to apply (ms)",
              ["executor", "schemas", "total ms", "ms per schema"], rows)
        stdout.write(f"target: <= 10 s for 1,000 tenants (ours took {ours:.2f} s for "
                     f"{total_schemas} schemas)\n")
        return rows
    finally:
        if not keep:
            _cleanup()
