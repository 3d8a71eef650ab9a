"""The schema builder: a replayed schema is the template's twin in the catalogue; a script
that fails that check makes the builder fall back to clone_schema; the pool uses it."""

import logging

from django.db import connection

from tenants import schema_builder
from tenants.catalogue import catalogue_differences, schema_catalogue
from tenants.models import TemplateScript
from tenants.provisioning import TEMPLATE_SCHEMA, signup_pool_fill, tenant_schema_build
from tenants.schema_builder import template_migrations_key, template_script_refresh


def test_a_replayed_schema_has_the_templates_catalogue(db):
    member = tenant_schema_build(method="replay")
    assert member.built_with == "replay"
    assert catalogue_differences(TEMPLATE_SCHEMA, member.schema_name) == []
    catalogue = schema_catalogue(member.schema_name)
    # The comparison covers what matters, with real content on both sides.
    assert len(catalogue["triggers"]) >= 3 and len(catalogue["functions"]) >= 2
    assert any(name == "department_unique_name" for _t, name, *_ in catalogue["constraints"])
    rows = {table: count for table, count, _digest in catalogue["rows"]}
    assert rows["auth_group"] == 5 and rows["django_migrations"] > 30
    assert any(value[1] > 1 for value in catalogue["sequence values"])


def test_the_check_sees_each_kind_of_difference(db):
    member = tenant_schema_build(method="replay").schema_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s "
                       "AND indexname NOT LIKE '%%pkey' ORDER BY 1 LIMIT 1", [member])
        index = cursor.fetchone()[0]
        cursor.execute(f'ALTER INDEX "{member}"."{index}" RENAME TO renamed_index')
        cursor.execute(f"SELECT setval('\"{member}\".auth_group_id_seq', 999)")
        cursor.execute(f'DELETE FROM "{member}".django_migrations WHERE id = '
                       f'(SELECT max(id) FROM "{member}".django_migrations)')
        cursor.execute(f'ALTER TABLE "{member}".crm_branch ALTER COLUMN name SET DEFAULT \'x\'')
    differences = "\n".join(catalogue_differences(TEMPLATE_SCHEMA, member))
    for kind in ("indexes: missing", "sequence values: unexpected", "rows: missing",
                 "columns: unexpected"):
        assert kind in differences, kind
    assert "renamed_index" in differences


def test_a_script_that_fails_its_check_falls_back_to_clone_schema(db, monkeypatch, caplog):
    good = schema_builder.script_make(TEMPLATE_SCHEMA)
    dropped = next(line for line in good.splitlines() if line.startswith("CREATE INDEX"))
    monkeypatch.setattr(schema_builder, "script_make",
                        lambda schema: good.replace(dropped, ""))
    TemplateScript.objects.all().delete()  # rolled back with the test
    with caplog.at_level(logging.WARNING, logger="tenants.schema_builder"):
        member = tenant_schema_build()
    assert member.built_with == "clone"
    stored = TemplateScript.objects.get(migrations_key=template_migrations_key(TEMPLATE_SCHEMA))
    assert stored.state == TemplateScript.State.FAILED
    assert "indexes: missing" in stored.differences
    assert "cloning" in caplog.text and member.schema_name in caplog.text
    # The clone has what the tampered script lacked.
    index_name = dropped.split()[2]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE schemaname = %s "
                       "AND indexname = %s", [member.schema_name, index_name])
        assert cursor.fetchone()[0] == 1


def test_a_template_migration_makes_a_new_script(db):
    before = template_script_refresh(TEMPLATE_SCHEMA)
    with connection.cursor() as cursor:
        cursor.execute(f'INSERT INTO "{TEMPLATE_SCHEMA}".django_migrations (app, name, applied) '
                       "VALUES ('crm', '9999_imaginary', now())")  # rolled back with the test
    after = template_script_refresh(TEMPLATE_SCHEMA)
    assert after.migrations_key != before.migrations_key
    assert after.state == TemplateScript.State.VERIFIED
    member = tenant_schema_build()
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{member.schema_name}".django_migrations '
                       "WHERE name = '9999_imaginary'")
        assert cursor.fetchone()[0] == 1


def test_pool_refill_uses_the_builder(db, settings, caplog):
    with caplog.at_level(logging.INFO, logger="tenants.provisioning"):
        built = signup_pool_fill(target=settings.SIGNUP_POOL_SIZE + 2)
    assert built == 2
    assert "built 2 (replay)" in caplog.text
