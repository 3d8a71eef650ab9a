"""The post_migrate gate of tenants.schema_migrate: which plans skip Django's content
types and permissions work. The worker processes that install it are exercised, with their
permissions and roles checked, in test_fleet_migrations."""

from django.db import migrations, models

from tenants.schema_migrate import plan_is_model_neutral


def _migration(*operations):
    migration = migrations.Migration("0099_gate", "crm")
    migration.operations = list(operations)
    return migration


COLUMN = migrations.AddField("customer", "gate_note", models.CharField(max_length=4))
INDEX = migrations.AddIndex("customer", models.Index(fields=["code"], name="gate_idx"))
SQL = migrations.RunSQL("SELECT 1", reverse_sql="SELECT 1")


def test_field_index_and_sql_operations_are_model_neutral():
    assert plan_is_model_neutral([(_migration(COLUMN, INDEX), False), (_migration(SQL), False)])
    both = migrations.SeparateDatabaseAndState(database_operations=[SQL],
                                               state_operations=[COLUMN])
    assert plan_is_model_neutral([(_migration(both), False)])


def test_anything_that_can_add_models_or_permissions_is_not():
    create = migrations.CreateModel("GateThing", [("id", models.BigAutoField(primary_key=True))])
    options = migrations.AlterModelOptions("customer", {"permissions": [("gate", "Gate")]})
    python = migrations.RunPython(migrations.RunPython.noop)
    sql_with_state = migrations.RunSQL("SELECT 1", state_operations=[create])
    for operation in (create, options, python, sql_with_state,
                      migrations.RenameModel("customer", "client"),
                      migrations.DeleteModel("customer")):
        assert not plan_is_model_neutral([(_migration(COLUMN), False),
                                          (_migration(operation), False)]), operation


def test_an_empty_or_backwards_plan_keeps_djangos_full_work():
    assert not plan_is_model_neutral([])
    assert not plan_is_model_neutral(None)
    assert not plan_is_model_neutral([(_migration(SQL), True)])
