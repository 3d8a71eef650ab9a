import os

from django.db import migrations

# Tests slow each schema down to interrupt a run half-way; the benchmark leaves it at 0.
DELAY_SECONDS = float(os.environ.get("SCRATCH_MIGRATION_DELAY_SECONDS", "0"))


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [
        migrations.RunSQL(
            sql=["ALTER TABLE crm_customer ADD COLUMN bench_note varchar(40) NOT NULL "
                 "DEFAULT ''",
                 "CREATE INDEX crm_customer_bench_note ON crm_customer (bench_note)",
                 f"SELECT pg_sleep({DELAY_SECONDS})"],
            reverse_sql=["DROP INDEX crm_customer_bench_note",
                         "ALTER TABLE crm_customer DROP COLUMN bench_note"]),
    ]
