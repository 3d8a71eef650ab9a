"""migrate_tenants over real processes: the throwaway migration (bench/scratch_migration) on
scratch tenants -- parallel, one failing tenant recorded and skipped with a non-zero exit,
an interrupted run resumed -- and the whole order (public, template, tenants) with
nothing to apply."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from tenants.models import Tenant, TenantMigration, TenantMigrationRun
from tenants.provisioning import tenant_schema_build
from tenants.services import tenants_scratch_delete
from tests.config.test_worker_process import _test_database_url

ROOT = Path(__file__).resolve().parents[2]
MARK = "__test_fleet__"


@pytest.fixture
def fleet(committed_db):
    made = []

    def build(count):
        for _ in range(count):
            made.append(tenant_schema_build(state=Tenant.State.SUSPENDED, name=MARK,
                                            scratch=True).schema_name)
        return made[-count:]

    yield build
    TenantMigrationRun.objects.filter(tenants__schema_name__in=made).distinct().delete()
    tenants_scratch_delete(Tenant.objects.filter(name=MARK, scratch=True))


def _command(tmp_path, schemas, *args, scratch=True, delay=0.0):
    listing = tmp_path / "schemas.txt"
    env = {**os.environ, "DATABASE_URL": _test_database_url(),
           "SCRATCH_MIGRATION_DELAY_SECONDS": str(delay)}
    if scratch:
        env["CHAINLEDGER_SCRATCH_MIGRATION"] = "1"
    argv = [sys.executable, "manage.py", "migrate_tenants", *args]
    if schemas is not None:
        listing.write_text("\n".join(schemas))
        argv += ["--schemas-file", str(listing)]
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _finish(proc, timeout=300):
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def _has_note_column(schema) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM information_schema.columns WHERE table_schema = %s "
                       "AND table_name = 'crm_customer' AND column_name = 'bench_note'", [schema])
        return cursor.fetchone()[0] == 1


def _roles_and_permissions(schema) -> tuple[set, set]:
    """Every permission of the schema, and every (role, permission) grant."""
    with connection.cursor() as cursor:
        cursor.execute(f'''SELECT ct.app_label || '.' || p.codename
                           FROM "{schema}".auth_permission p
                           JOIN "{schema}".django_content_type ct ON ct.id = p.content_type_id''')
        permissions = {row[0] for row in cursor.fetchall()}
        cursor.execute(f'''SELECT g.name, ct.app_label || '.' || p.codename
                           FROM "{schema}".auth_group g
                           JOIN "{schema}".auth_group_permissions gp ON gp.group_id = g.id
                           JOIN "{schema}".auth_permission p ON p.id = gp.permission_id
                           JOIN "{schema}".django_content_type ct ON ct.id = p.content_type_id''')
        grants = set(cursor.fetchall())
    return permissions, grants


def _acme() -> Tenant:
    return Tenant.objects.get(subdomain="acme")  # no `db` fixture: its transaction hides ours


def _states(schemas) -> dict[str, str]:
    return dict(TenantMigration.objects.filter(schema_name__in=schemas)
                .values_list("schema_name", "state"))


def test_a_parallel_run_migrates_every_listed_schema_and_nothing_else(fleet, tmp_path):
    schemas = fleet(4)
    acme = _acme()
    code, out = _finish(_command(tmp_path, schemas, "--jobs", "2", "--canaries", "1"))
    assert code == 0, out
    assert "canary" in out and "4/4 schemas, 4 done, 0 failed" in out
    assert _states(schemas) == dict.fromkeys(schemas, "done")
    assert all(_has_note_column(s) for s in schemas)
    assert not _has_note_column(acme.schema_name)
    assert not _has_note_column("tenant_template")
    # The workers skip content types and permissions for this model-neutral plan and sync
    # the roles set-wise: every schema still has the template's permissions and roles.
    template = _roles_and_permissions("tenant_template")
    assert template[0] and template[1]
    assert all(_roles_and_permissions(s) == template for s in schemas)
    # Run again: nothing left to do, nothing done twice.
    code, out = _finish(_command(tmp_path, schemas))
    assert code == 0 and "0 to migrate" in out, out
    assert set(TenantMigration.objects.filter(schema_name__in=schemas)
               .values_list("attempts", flat=True)) == {1}


def test_a_failing_tenant_is_recorded_and_skipped_with_a_non_zero_exit(fleet, tmp_path):
    schemas = fleet(4)
    broken = schemas[2]
    with connection.cursor() as cursor:  # the migration's column is already there
        cursor.execute(f'ALTER TABLE "{broken}".crm_customer ADD COLUMN bench_note text')
    code, out = _finish(_command(tmp_path, schemas, "--jobs", "2", "--canaries", "1"))
    assert code == 1, out
    assert f"failed {broken}" in out
    states = _states(schemas)
    assert states.pop(broken) == "failed"
    assert set(states.values()) == {"done"}
    row = TenantMigration.objects.get(schema_name=broken)
    assert "already exists" in row.error
    assert row.run.state == TenantMigrationRun.State.FAILED


def test_a_failing_canary_stops_the_run_before_the_others(fleet, tmp_path):
    schemas = fleet(3)
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{schemas[0]}".crm_customer ADD COLUMN bench_note text')
    code, out = _finish(_command(tmp_path, schemas, "--canaries", "1"))
    assert code == 2, out
    assert _states(schemas) == {schemas[0]: "failed", schemas[1]: "pending",
                                schemas[2]: "pending"}


def test_an_interrupted_run_resumes_where_it_stopped(fleet, tmp_path):
    schemas = fleet(5)
    proc = _command(tmp_path, schemas, "--jobs", "1", "--canaries", "0", delay=1.0)
    deadline = time.monotonic() + 120
    while TenantMigration.objects.filter(schema_name__in=schemas, state="done").count() < 1:
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read()
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    code, out = _finish(proc)
    assert code == 3, out
    assert "interrupted" in out
    first = {row.schema_name: row.finished_at for row in
             TenantMigration.objects.filter(schema_name__in=schemas, state="done")}
    assert 1 <= len(first) < len(schemas)
    # The schema being migrated when the signal came (by a worker or, while the worker
    # started, by the command itself) was finished, not left half-way.
    assert "running" not in _states(schemas).values()
    run = TenantMigrationRun.objects.get(tenants__schema_name=schemas[0])
    assert run.state == TenantMigrationRun.State.INTERRUPTED

    code, out = _finish(_command(tmp_path, schemas, "--jobs", "2", "--canaries", "0"))
    assert code == 0, out
    assert f"resuming run {run.pk}" in out
    assert f"{len(schemas) - len(first)} to migrate" in out
    rows = {row.schema_name: row for row in TenantMigration.objects.filter(run=run)}
    assert {name: row.state for name, row in rows.items()} == dict.fromkeys(schemas, "done")
    for name, finished in first.items():  # done once, not again
        assert rows[name].finished_at == finished and rows[name].attempts == 1
    run.refresh_from_db()
    assert run.invocations == 2 and run.state == TenantMigrationRun.State.DONE


def test_the_throwaway_migration_never_reaches_a_real_schema(fleet, tmp_path):
    schemas = fleet(1)
    acme = _acme()
    code, out = _finish(_command(tmp_path, [*schemas, acme.schema_name]))
    assert code != 0 and "Not scratch tenants' schemas" in out, out
    code, out = _finish(_command(tmp_path, None))
    assert code != 0 and "name the scratch tenants' schemas" in out, out
    assert not _has_note_column(acme.schema_name) and not _has_note_column(schemas[0])


def test_the_whole_order_with_nothing_to_apply(committed_db, tmp_path):
    code, out = _finish(_command(tmp_path, None, scratch=False))
    assert code == 0, out
    lines = [line for line in out.splitlines() if line.startswith("[migrate_tenants]")]
    assert lines[0] == "[migrate_tenants] public schema"
    assert lines[1] == "[migrate_tenants] template tenant_template"
    assert "0 to migrate" in lines[2]
