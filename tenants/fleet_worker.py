"""The worker side of migrate_tenants (tenants.fleet_migrations), in spawned processes:
importable before Django is set up, so nothing here imports models at module level."""

import atexit
import gc
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
    from tenants.schema_migrate import post_migrate_gate_install

    post_migrate_gate_install()
    atexit.register(exit_quickly)


def exit_quickly() -> None:
    """At exit: close the database connections, then leave every object still alive to
    the operating system instead of the interpreter's last garbage collection (≈ 0.3 s
    with Django and the migration graph loaded; paid by each worker and the command)."""
    from django.db import connections

    connections.close_all()
    gc.freeze()


def worker_ready() -> int:
    """Handed to each worker when the pool opens, so that all of them start at once."""
    import os

    return os.getpid()


def tenant_migrate_one(run_id: int, schema: str) -> tuple[str, str]:
    """Migrate one schema and record it in its TenantMigration row; returns (schema, error
    or "")."""
    from django.db import connection
    from django.db.models import F
    from django.utils import timezone

    from tenants.models import TenantMigration
    from tenants.schema_migrate import tenant_schema_migrate

    rows = TenantMigration.objects.filter(run_id=run_id, schema_name=schema)
    started = time.perf_counter()
    rows.update(state=TenantMigration.State.RUNNING, started_at=timezone.now(), error="",
                attempts=F("attempts") + 1)
    output = io.StringIO()
    error = ""
    try:
        tenant_schema_migrate(schema)
    except Exception as exc:  # noqa: BLE001 - recorded and reported; the others go on
        error = f"{type(exc).__name__}: {exc}".strip()
        output.write("".join(traceback.format_exception(exc)[-3:]))
        connection.close()  # a broken transaction must not reach the next schema
    finally:
        connection.set_schema_to_public()
    rows.update(state=TenantMigration.State.FAILED if error else TenantMigration.State.DONE,
                finished_at=timezone.now(), seconds=time.perf_counter() - started,
                error=f"{error}\n{output.getvalue()}"[-4000:] if error else "")
    return schema, error
