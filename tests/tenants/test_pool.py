"""The signup pool: claimed, refilled by a worker task, never a reason for signup to fail."""

from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context

from tenants.models import Tenant
from tenants.provisioning import (
    TEMPLATE_SCHEMA,
    signup_pool_fill,
    signup_pool_size,
    tenant_schema_build,
)
from tenants.services import tenant_create
from tenants.tasks import signup_pool_refill_task

PASSWORD = "a long passphrase here"


def _create(subdomain):
    return tenant_create(business_name=subdomain, subdomain=subdomain,
                         owner_email=f"o@{subdomain}.vn", owner_password=PASSWORD)


def test_signup_works_with_an_empty_pool(db):
    Tenant.objects.filter(state=Tenant.State.POOL).update(state=Tenant.State.SUSPENDED)
    assert signup_pool_size() == 0
    tenant = _create("nopool")
    assert tenant.state == Tenant.State.ACTIVE
    with schema_context(tenant.schema_name):
        from django.contrib.auth.models import User

        assert User.objects.get().username == "o@nopool.vn"


def test_refill_task_tops_the_pool_up(db, settings):
    settings.SIGNUP_POOL_BATCH = 10
    for i in range(2):
        _create(f"claim-{i}")
    assert signup_pool_size() == settings.SIGNUP_POOL_SIZE - 2
    built = signup_pool_refill_task()
    assert built == 2
    assert signup_pool_size() == settings.SIGNUP_POOL_SIZE


def test_claim_hands_a_refill_to_the_worker_when_low(db, settings,
                                                     django_capture_on_commit_callbacks):
    settings.SIGNUP_POOL_LOW_WATER = settings.SIGNUP_POOL_SIZE  # any claim makes it low
    from kombu import Connection

    from config.celery import app

    with Connection(app.conf.broker_url) as conn:
        queue = conn.SimpleQueue("default")
        queue.clear()
        with django_capture_on_commit_callbacks(execute=True):
            _create("lowwater")
        message = queue.get(timeout=5)
        assert message.headers["task"] == "tenants.signup_pool_refill"
        message.ack()
        queue.close()


def test_cloned_schema_matches_the_template(db):
    member = tenant_schema_build(method="clone")
    with connection.cursor() as cursor:
        counts = {}
        for schema in (TEMPLATE_SCHEMA, member.schema_name):
            cursor.execute(f'SELECT count(*) FROM "{schema}".django_migrations')
            migrations = cursor.fetchone()[0]
            cursor.execute(f'SELECT count(*) FROM "{schema}".auth_group')
            counts[schema] = (migrations, cursor.fetchone()[0])
    assert counts[TEMPLATE_SCHEMA] == counts[member.schema_name]
    assert counts[TEMPLATE_SCHEMA][1] == 5  # the five roles


def test_cloned_schema_keeps_the_names_of_constraints_and_indexes(db):
    # Later migrations find constraints by their Django names, in cloned tenants too.
    member = tenant_schema_build(method="clone")
    with connection.cursor() as cursor:
        names = {}
        for schema in (TEMPLATE_SCHEMA, member.schema_name):
            cursor.execute("SELECT conname FROM pg_constraint con JOIN pg_namespace n "
                           "ON n.oid = con.connamespace WHERE n.nspname = %s", [schema])
            constraints = {row[0] for row in cursor.fetchall()}
            cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s", [schema])
            names[schema] = (constraints, {row[0] for row in cursor.fetchall()})
    assert names[member.schema_name] == names[TEMPLATE_SCHEMA]
    assert "department_unique_name" in names[member.schema_name][0]


def test_migrate_schemas_keeps_template_and_pool_current(db):
    # They are tenant rows, so migrate_schemas visits them; nothing is left to apply.
    call_command("migrate_schemas", "--check", verbosity=0)
    schemas = set(Tenant.objects.exclude(schema_name="public")
                  .values_list("schema_name", flat=True))
    assert TEMPLATE_SCHEMA in schemas
    assert {t.schema_name for t in Tenant.objects.filter(state=Tenant.State.POOL)} <= schemas


def test_fill_is_a_no_op_when_full(db, settings):
    signup_pool_fill()
    assert signup_pool_fill() == 0
    assert signup_pool_size() == settings.SIGNUP_POOL_SIZE


def test_pending_only_executor_finds_schemas_missing_a_migration(acme, globex):
    from tenants.migration_executor import schemas_with_pending_migrations

    schemas = [acme.schema_name, globex.schema_name, TEMPLATE_SCHEMA]
    assert schemas_with_pending_migrations(schemas) == []
    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{globex.schema_name}".django_migrations '
                       "WHERE app = 'crm' AND name = '0001_initial'")
    assert schemas_with_pending_migrations(schemas) == [globex.schema_name]
