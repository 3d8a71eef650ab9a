"""Migrating one tenant schema in a `migrate_tenants` worker process, cheaply.

Content types and permissions after a migration only when the migration can change them:
Django's `post_migrate` runs `create_contenttypes` and `create_permissions` for every app
after every migrate, ≈ 60 ms a tenant schema here, even for a migration that only adds a
column and an index. Both derive from the models alone, so a forward plan made only of
operations that leave the set of models and their options alone cannot add any. The gate
skips that work for such plans and runs Django's functions as they are otherwise (an empty
plan too: `migrate` with nothing to apply is how a schema's missing rows get repaired).

For such a plan `tenant_schema_migrate` also skips the renders of every model that
Django's `migrate` command makes up front and for its signals (≈ 25-130 ms each here,
three a schema): the signals get the project's own registry, which is what the schema
ends as (the command itself re-renders its final state from it), and the migrations are
applied one by one from the unrendered state, so only an operation that needs models
renders them. Any other plan goes through
django-tenants' `migrate_schemas` as it is.

Both only in `migrate_tenants`' worker processes (tenants.fleet_worker); the public schema
and the template (whose rows every new schema copies) keep Django's full behaviour.
"""

import copy
from contextlib import contextmanager
from importlib import import_module

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import connection
from django.db.migrations import operations
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.db.models.signals import post_migrate
from django.utils.module_loading import module_has_submodule

_AUTH_UID = "django.contrib.auth.management.create_permissions"
_GATE_UID = "tenants.post_migrate_gate"

# Field, index and constraint operations, table names and managers: never a model added,
# removed or renamed, never its permissions or verbose name (permission names) changed.
# Anything else (RunPython, CreateModel, AlterModelOptions, a third party's) counts as
# model-changing.
_MODEL_NEUTRAL = (
    operations.AddField, operations.RemoveField, operations.AlterField,
    operations.RenameField, operations.AddIndex, operations.RemoveIndex,
    operations.RenameIndex, operations.AddConstraint, operations.RemoveConstraint,
    operations.AlterConstraint, operations.AlterUniqueTogether,
    operations.AlterIndexTogether, operations.AlterModelTable,
    operations.AlterModelTableComment, operations.AlterModelManagers,
)


def _operation_neutral(operation) -> bool:
    if isinstance(operation, operations.RunSQL | operations.SeparateDatabaseAndState):
        return all(_operation_neutral(op) for op in operation.state_operations)
    return type(operation) in _MODEL_NEUTRAL


def plan_is_model_neutral(plan) -> bool:
    """A non-empty forward plan none of whose operations can change models or options."""
    return bool(plan) and all(
        not backwards and all(_operation_neutral(op) for op in migration.operations)
        for migration, backwards in plan)


def contenttypes_and_permissions_on_migrate(sender, app_config, plan=None, **kwargs):
    if plan_is_model_neutral(plan):
        return
    # create_permissions creates the app's content types first, as Django's own does.
    create_contenttypes(app_config, plan=plan, **kwargs)
    create_permissions(app_config, plan=plan, **kwargs)


def post_migrate_gate_install() -> None:
    """Replace Django's two receivers with the gated one, in this process (idempotent).
    The gated receiver comes after crm's role sync, which creates any role permission it
    still misses (crm.roles.roles_sync_on_migrate)."""
    post_migrate.disconnect(create_contenttypes)
    post_migrate.disconnect(dispatch_uid=_AUTH_UID)
    post_migrate.connect(contenttypes_and_permissions_on_migrate, dispatch_uid=_GATE_UID)


class _SchemaRecorder(MigrationRecorder):
    """Whether the current schema has django_migrations, by one index lookup: Django's
    answer lists every table visible on the search path, a scan of all of pg_class
    (≈ 100 ms at 1,000 tenant schemas of 160 relations, and growing with the fleet)."""

    def has_table(self):
        if not self._has_table:
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT to_regclass(format('%%I.%%I', %s::text, %s::text))",
                               [self.connection.schema_name, self.Migration._meta.db_table])
                self._has_table = cursor.fetchone()[0] is not None
        return self._has_table


@contextmanager
def _migrations_table_known(connection):
    """While Django's loader and history check read django_migrations, each through a new
    MigrationRecorder whose has_table() lists every visible table (a scan of all of
    pg_class, which PostgreSQL even spreads over parallel workers), the connection's
    introspection answers that one table, which recorder.ensure_schema() just found or
    made. Only has_table() asks it anything in that window."""
    introspection = connection.introspection
    known = copy.copy(introspection)
    table = MigrationRecorder.Migration._meta.db_table
    known.table_names = lambda cursor=None, include_views=False: [table]
    connection.introspection = known
    try:
        yield
    finally:
        connection.introspection = introspection


def tenant_schema_migrate(schema_name: str) -> int:
    """Apply every pending migration to one tenant schema (what `migrate_schemas
    --schema` does); returns the number of migrations applied."""
    connection.set_schema(schema_name)
    recorder = _SchemaRecorder(connection)
    # The schema's own django_migrations table, never public's (as django-tenants does).
    recorder.ensure_schema()
    with _migrations_table_known(connection):
        executor = MigrationExecutor(connection)
        executor.loader.check_consistent_history(connection)
    executor.recorder = recorder
    conflicts = executor.loader.detect_conflicts()
    if conflicts:
        raise CommandError(f"Conflicting migrations: {conflicts}")
    targets = executor.loader.graph.leaf_nodes()
    plan = executor.migration_plan(targets)
    if not plan_is_model_neutral(plan):
        if plan:
            call_command("migrate_schemas", schema_name=schema_name, executor="standard",
                         interactive=False, verbosity=0)
        return len(plan)
    for config in apps.get_app_configs():  # as `migrate` does, for their receivers
        if module_has_submodule(config.module, "management"):
            import_module(".management", config.name)
    emit_pre_migrate_signal(0, False, connection.alias, apps=apps, plan=plan)
    # The state `migrate` starts from, applied migration by migration: unlike
    # executor.migrate(), nothing renders every model up front; an operation that needs
    # its models (AddField) renders them when it asks.
    state = executor._create_project_state(with_applied_migrations=True)
    for migration, _backwards in plan:
        state = executor.apply_migration(state, migration)
    executor.check_replacements()
    emit_post_migrate_signal(0, False, connection.alias, apps=apps, plan=plan)
    return len(plan)
