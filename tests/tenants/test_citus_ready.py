"""The data model stays ready for Citus schema-based sharding (DESIGN §9, deploy/SCALING.md).

Citus cannot be installed here, so these read the catalogue of the session's real schemas
(public, the template, the pool, acme, globex) for what would stop a tenant schema from
being a movable shard, and the code and the live connections for session state a pooler
or a shard move would lose.
"""

import re
from pathlib import Path

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tenants.models import Tenant

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ["config", "bench", "api", "web", "exchange", "finance", "crm", "tenants",
               "saas_platform"]

# Django's own models keep int4 keys (contrib.auth and contenttypes declare AutoField):
# staff users of one business, groups, permissions, content types, admin actions; none is
# a business record that grows with trade. Columns that point at them stay int4 too.
# Widening them is a migration over every tenant (see deploy/SCALING.md); our own tables'
# keys must be bigint.
DJANGO_INT4_TABLES = {"auth_user", "auth_group", "auth_permission", "django_content_type",
                      "django_admin_log", "auth_user_groups", "auth_user_user_permissions",
                      "auth_group_permissions"}


def _tenant_schemas() -> list[str]:
    schemas = list(Tenant.objects.exclude(schema_name="public")
                   .values_list("schema_name", flat=True))
    assert "tenant_template" in schemas and len(schemas) >= 3
    return schemas


def _rows(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.mark.django_db
def test_no_foreign_key_leaves_its_schema():
    schemas = _tenant_schemas()
    crossing = _rows("""
        SELECT cn.nspname, c.relname, con.conname, fn.nspname, f.relname
        FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
        JOIN pg_class f ON f.oid = con.confrelid JOIN pg_namespace fn ON fn.oid = f.relnamespace
        WHERE con.contype = 'f' AND cn.nspname <> fn.nspname
          AND (cn.nspname = ANY(%(s)s) OR fn.nspname = ANY(%(s)s))""", {"s": schemas})
    assert crossing == []
    # The check can fail: every tenant schema does have foreign keys of its own.
    inside = _rows("""SELECT count(*) FROM pg_constraint con
                      JOIN pg_namespace n ON n.oid = con.connamespace
                      WHERE con.contype = 'f' AND n.nspname = 'tenant_template'""")
    assert inside[0][0] > 10


@pytest.mark.django_db
def test_no_inheritance_or_partition_across_schemas():
    crossing = _rows("""
        SELECT pn.nspname, p.relname, cn.nspname, c.relname
        FROM pg_inherits i
        JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
        JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
        WHERE pn.nspname <> cn.nspname AND pn.nspname NOT LIKE 'pg\\_%%'""")
    assert crossing == []


@pytest.mark.django_db
def test_sql_functions_name_no_tenant_schema():
    """A function body naming a schema would point at the template (or one tenant) after
    a clone, a restore under a new name or a shard move; only `public` (extensions) and
    `pg_catalog` may be named."""
    schemas = _tenant_schemas()
    functions = _rows("""
        SELECT n.nspname, p.proname, p.prosrc, coalesce(array_to_string(p.proconfig, ','), '')
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        LEFT JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
        WHERE d.objid IS NULL AND (n.nspname = ANY(%s) OR n.nspname = 'public')""", [schemas])
    assert any(schema == "tenant_template" for schema, *_ in functions)  # there are some
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, schemas)) + r")\b")
    naming = [(schema, name, match.group(1)) for schema, name, source, config in functions
              for match in [pattern.search(source + " " + config)] if match]
    assert naming == []


@pytest.mark.django_db
def test_keys_are_bigint():
    keys = _rows("""
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
               coalesce(f.relname, '')
        FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(con.conkey)
        LEFT JOIN pg_class f ON f.oid = con.confrelid
        WHERE con.contype IN ('p', 'f') AND n.nspname IN ('public', 'tenant_template')""")
    assert len(keys) > 50
    narrow = sorted({(table, column, kind) for table, column, kind, target in keys
                     if kind in {"integer", "smallint"} and table not in DJANGO_INT4_TABLES
                     and target not in DJANGO_INT4_TABLES})
    assert narrow == [], "\n".join(map(str, narrow))
    # Our own tables do have bigint keys: the query sees them.
    assert ("crm_customer", "id", "bigint", "") in keys


def _source_files():
    for folder in SOURCE_DIRS:
        yield from (ROOT / folder).rglob("*.py")


# Session-level advisory locks (the *_xact_* forms end with the transaction) and session
# settings: a plain SET (not LOCAL, not CONSTRAINTS), set_config(..., false).
SESSION_LOCK = re.compile(r"pg_(try_)?advisory_lock(_shared)?\s*\(", re.I)
SESSION_SET = re.compile(
    r"""(execute\(\s*f?["']\s*SET\s+(?!LOCAL\b|CONSTRAINTS\b)"""
    r"""|set_config\([^)]*,\s*false\s*\)|\bSET\s+SESSION\b)""", re.I)


# Lines that name a session setting in order to remove it: tenant_restore turns pg_dump's
# session-level set_config into the transaction-local one.
REWRITES_SESSION_STATE = {("tenants/archive.py",
                           "line = line.replace(\"set_config('search_path', '', false)\",")}


def test_code_takes_no_session_advisory_lock_and_sets_no_session_state():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in _source_files()
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if (SESSION_LOCK.search(line) or SESSION_SET.search(line))
             and (str(path.relative_to(ROOT)), line.strip()) not in REWRITES_SESSION_STATE]
    assert found == []
    # The patterns do catch what they are for.
    assert SESSION_LOCK.search('cursor.execute("SELECT pg_try_advisory_lock(%s)", [1])')
    assert not SESSION_LOCK.search("SELECT pg_advisory_xact_lock(7461001);")
    assert SESSION_SET.search('cursor.execute("SET statement_timeout = 0")')
    assert not SESSION_SET.search('cursor.execute("SET LOCAL enable_indexscan = off")')
    assert SESSION_SET.search("SELECT set_config('search_path', 'x', false)")


# django-tenants' clone_schema and its helpers (installed in public by its first clone):
# they SET client_min_messages and set_config('search_path', '', false) for the session.
# They run only while a schema is built from the template, on a worker's connection that
# resets search_path afterwards; the cached-DDL builder (issue 12) leaves them as the
# fallback. Not ours to edit; reported in deploy/SCALING.md.
DJANGO_TENANTS_CLONE_FUNCTIONS = {"clone_schema", "pg_get_tabledef", "pg_get_coldef",
                                  "get_insert_stmt_ddl"}


@pytest.mark.django_db
def test_sql_functions_take_no_session_lock_or_setting():
    bodies = _rows("""
        SELECT n.nspname, p.proname, p.prosrc FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        LEFT JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
        WHERE d.objid IS NULL AND n.nspname NOT IN ('pg_catalog', 'information_schema')""")
    assert len(bodies) > 3  # our search functions and triggers, in every tenant schema
    offending = {(schema, name) for schema, name, body in bodies
                 if SESSION_LOCK.search(body) or SESSION_SET.search(body)}
    assert {(s, n) for s, n in offending if n not in DJANGO_TENANTS_CLONE_FUNCTIONS} == set()


def test_a_working_connection_carries_no_session_state_but_search_path(committed_tenant):
    """After real work on one connection (a tenant's API: log in, create, search),
    the only setting changed for the session is search_path, and no advisory lock is
    held."""
    from rest_framework.test import APIClient

    from tenants.services import tenant_domain
    from tests.conftest import PASSWORD

    connection.close()  # building the tenant ran clone_schema on this one (see above)
    client = APIClient(HTTP_HOST=tenant_domain(committed_tenant))
    owner = f"owner@{committed_tenant.subdomain}.test"
    response = client.post("/api/v1/auth/token", {"username": owner, "password": PASSWORD},
                           format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    response = client.post("/api/v1/customers", {"name": "Trần Văn Bình",
                                                 "phone": "0912 000 222"}, format="json",
                           HTTP_IDEMPOTENCY_KEY="citus-ready-1")
    assert response.status_code == 201, response.content
    assert client.get("/api/v1/customers", {"q": "binh"}).status_code == 200

    with schema_context(committed_tenant.schema_name):
        changed = _rows("SELECT name FROM pg_settings WHERE source = 'session'")
        locks = _rows("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                      "AND pid = pg_backend_pid()")
    # Django sets TimeZone (settings.TIME_ZONE) once at connect when the server's default
    # differs: the same value for every connection, and a parameter pgbouncer tracks.
    assert sorted(name for (name,) in changed if name != "TimeZone") == ["search_path"]
    assert locks[0][0] == 0
