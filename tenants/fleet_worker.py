"""The worker side of migrate_tenants (tenants.fleet_migrations), in spawned processes:
importable before Django is set up, so nothing here imports models at module level."""

import io
import signal
import time
import traceback


def worker_init() -> None:
    import django

    # A stop signal to the whole process group must not kill a migration half-way: the
    # parent stops handing out schemas and the worker finishes the one it is on.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    django.setup()


def tenant_migrate_one(run_id: int, schema: str) -> tuple[str, str]:
    """Migrate one schema and record it in its TenantMigration row; returns (schema, error
    or "")."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import F
    from django.utils import timezone

    from tenants.models import TenantMigration

    rows = TenantMigration.objects.filter(run_id=run_id, schema_name=schema)
    started = time.perf_counter()
    rows.update(state=TenantMigration.State.RUNNING, started_at=timezone.now(), error="",
                attempts=F("attempts") + 1)
    output = io.StringIO()
    error = ""
    try:
        call_command("migrate_schemas", schema_name=schema, executor="standard",
                     interactive=False, verbosity=0, stdout=output, stderr=output)
    except Exception as exc:  # noqa: BLE001 - recorded and reported; the others go on
        error = f"{type(exc).__name__}: {exc}".strip()
        output.write("".join(traceback.format_exception(exc)[-3:]))
    finally:
        connection.close()  # a broken transaction must not reach the next schema
    rows.update(state=TenantMigration.State.FAILED if error else TenantMigration.State.DONE,
                finished_at=timezone.now(), seconds=time.perf_counter() - started,
                error=f"{error}\n{output.getvalue()}"[-4000:] if error else "")
    return schema, error
