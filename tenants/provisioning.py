"""Building tenant schemas ahead of time, so that signup only claims one.

Four ways to get a migrated schema, fastest first:
- claim a member of the signup pool (pre-built; a row update and a few inserts);
- replay the template's cached DDL and copy its rows (tenants.schema_builder; the migration
  records, permissions and role groups come along) -- how the pool is refilled;
- clone the template schema (django-tenants' `clone_schema`): the builder's fallback when
  its script fails the catalogue check, and the benchmarks' anchor;
- run every migration (the last resort, when there is no template yet).

The template and the pool members are tenant rows (state `template` / `pool`), so
`migrate_schemas` keeps them current along with every real tenant.
"""

import logging
import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.clone import CloneSchema
from django_tenants.utils import get_public_schema_name, schema_context, schema_exists

from tenants.models import Tenant
from tenants.schema_builder import schema_build_from_template

logger = logging.getLogger(__name__)

TEMPLATE_SCHEMA = "tenant_template"
# One pool refill at a time: a lock in the cache (Redis), not a session-level advisory
# lock, which would tie the lock to one pooled server connection (DESIGN §9: no session
# state beyond search_path). It expires by itself if its holder dies.
_POOL_LOCK_KEY = "signup-pool-fill-lock"
_POOL_LOCK_SECONDS = 15 * 60
_pool_lock_token = None


def schema_name_new() -> str:
    return f"t_{secrets.token_hex(6)}"


def schema_migrate(schema_name: str) -> None:
    """Create the schema and run every tenant migration in it."""
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema_name}"')
    call_command("migrate_schemas", tenant=True, schema_name=schema_name,
                 interactive=False, verbosity=0)
    connection.set_schema_to_public()


# Schema-level DDL (clone, drop) one at a time: django-tenants' clone_schema reads the
# catalogue while it runs and fails ("could not open relation with OID ...") when another
# schema is dropped meanwhile (seen: a signup cloning while a benchmark cleaned up).
SCHEMA_DDL_LOCK = 0x5EED_0002


def schema_ddl_lock() -> None:
    """Hold the schema DDL lock until the current transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SCHEMA_DDL_LOCK])


def schema_clone(source: str, target: str) -> None:
    schema_ddl_lock()
    CloneSchema().clone_schema(source, target, "DATA")
    connection.set_schema_to_public()
    schema_names_align(source, target)


_CONSTRAINTS = """
    SELECT c.relname, con.conname, con.contype,
           replace(pg_get_constraintdef(con.oid), quote_ident(%(schema)s) || '.', '')
    FROM pg_constraint con
    JOIN pg_class c ON c.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = con.connamespace
    WHERE n.nspname = %(schema)s
"""
_INDEXES = """
    SELECT tablename, indexname,
           replace(split_part(indexdef, ' ON ', 2), quote_ident(%(schema)s) || '.', '')
    FROM pg_indexes WHERE schemaname = %(schema)s
"""


def _renames(cursor, query: str, source: str, target: str) -> list[tuple[str, str, str]]:
    """(table, name in target, name in source) for objects that differ only by name."""
    def by_shape(schema):
        cursor.execute(query, {"schema": schema})
        shapes = {}
        for table, name, *shape in cursor.fetchall():
            shapes.setdefault((table, *shape), []).append(name)
        return shapes

    wanted, actual = by_shape(source), by_shape(target)
    renames = []
    for shape, names in wanted.items():
        have = actual.get(shape, [])
        if len(names) == len(have) == 1 and names != have:
            renames.append((shape[0], have[0], names[0]))
    return renames


def schema_names_align(source: str, target: str) -> None:
    """Give the clone's constraints and indexes the template's names.

    clone_schema re-creates unique constraints under PostgreSQL's default names
    (`<table>_<columns>_key`) instead of Django's; a later migration that drops or alters a
    constraint by its Django name would then fail on every cloned tenant.
    """
    with connection.cursor() as cursor:
        for table, have, want in _renames(cursor, _CONSTRAINTS, source, target):
            cursor.execute(f'ALTER TABLE "{target}"."{table}" RENAME CONSTRAINT "{have}" '
                           f'TO "{want}"')
        for _table, have, want in _renames(cursor, _INDEXES, source, target):
            cursor.execute(f'ALTER INDEX "{target}"."{have}" RENAME TO "{want}"')


def template_get() -> Tenant | None:
    template = Tenant.objects.filter(state=Tenant.State.TEMPLATE).first()
    if template is not None and schema_exists(template.schema_name):
        return template
    return None


def template_ensure() -> Tenant:
    """The template tenant, migrated; created on first use."""
    template = template_get()
    if template is not None:
        return template
    with transaction.atomic():
        template, _ = Tenant.objects.get_or_create(
            schema_name=TEMPLATE_SCHEMA, defaults={"state": Tenant.State.TEMPLATE})
        if not schema_exists(TEMPLATE_SCHEMA):
            schema_migrate(TEMPLATE_SCHEMA)
    return template


def tenant_schema_build(*, method: str = "auto", state: str = Tenant.State.POOL,
                        name: str = "", scratch: bool = False) -> Tenant:
    """A new tenant with a ready schema, by default a pool member. `method`: auto (replay
    the template, else migrate), replay, clone or migrate. The row is created in its final
    state (a benchmark's fleet is never a pool member that a signup could claim in
    between). `tenant.built_with` says how the schema was made."""
    template = template_get() if method in {"auto", "replay", "clone"} else None
    if method in {"replay", "clone"} and template is None:
        raise LookupError("No template schema to copy; run signup_pool_fill first.")
    tenant = Tenant(schema_name=schema_name_new(), state=state, name=name, scratch=scratch)
    with transaction.atomic():
        tenant.save()
        if template is None:
            schema_migrate(tenant.schema_name)
            tenant.built_with = "migrate"
        elif method == "clone":
            schema_clone(template.schema_name, tenant.schema_name)
            tenant.built_with = "clone"
        else:
            tenant.built_with = schema_build_from_template(template.schema_name,
                                                           tenant.schema_name)
    return tenant


def _pool_fill_lock_take() -> bool:
    global _pool_lock_token
    token = secrets.token_hex(8)
    with schema_context(get_public_schema_name()):  # one key, whatever the current tenant
        if not cache.add(_POOL_LOCK_KEY, token, _POOL_LOCK_SECONDS):
            return False
    _pool_lock_token = token
    return True


def _pool_fill_lock_release() -> None:
    with schema_context(get_public_schema_name()):
        if cache.get(_POOL_LOCK_KEY) == _pool_lock_token:
            cache.delete(_POOL_LOCK_KEY)


def signup_pool_size() -> int:
    return Tenant.objects.filter(state=Tenant.State.POOL).count()


def signup_pool_fill(*, target: int | None = None, batch: int | None = None) -> int:
    """Top the pool up to `target` members, at most `batch` now. Returns how many were built.

    Only one filler runs at a time (an advisory lock); a second caller returns 0 at once.
    """
    target = settings.SIGNUP_POOL_SIZE if target is None else target
    if not _pool_fill_lock_take():
        return 0
    try:
        template_ensure()
        missing = max(0, target - signup_pool_size())
        if batch is not None:
            missing = min(missing, batch)
        started = time.perf_counter()
        methods = [tenant_schema_build().built_with for _ in range(missing)]
        if missing:
            logger.info("signup pool: built %d (%s) in %.2fs", missing,
                        ", ".join(sorted(set(methods))), time.perf_counter() - started)
        return missing
    finally:
        _pool_fill_lock_release()


def signup_pool_claim(*, source: str = "pool") -> Tenant:
    """Take one pool member for a new tenant (inside the caller's transaction).

    SKIP LOCKED lets concurrent signups take different members. An empty pool builds one
    on the spot: slower, never a failure. `source` "clone" or "migrate" skips the pool and
    builds that way (what an empty pool, or a missing template, costs: `bench onboarding`).
    """
    if source != "pool":
        return tenant_schema_build(method=source)
    tenant = (Tenant.objects.select_for_update(skip_locked=True)
              .filter(state=Tenant.State.POOL).order_by("id").first())
    if tenant is None:
        logger.warning("signup pool empty: building a schema while the user waits")
        tenant = tenant_schema_build()
    return tenant


def signup_pool_refill_if_low() -> None:
    """Called after a claim commits: hand a refill to the worker when the pool runs low."""
    if signup_pool_size() <= settings.SIGNUP_POOL_LOW_WATER:
        from tenants.tasks import signup_pool_refill_task

        signup_pool_refill_task.delay()
