"""Ledger entries are append-only: the database itself rejects UPDATE and DELETE."""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION finance_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'finance_ledgerentry is append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER finance_ledgerentry_append_only
    BEFORE UPDATE OR DELETE ON finance_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION finance_ledger_append_only();
CREATE TRIGGER finance_ledgerentry_no_truncate
    BEFORE TRUNCATE ON finance_ledgerentry
    FOR EACH STATEMENT EXECUTE FUNCTION finance_ledger_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS finance_ledgerentry_no_truncate ON finance_ledgerentry;
DROP TRIGGER IF EXISTS finance_ledgerentry_append_only ON finance_ledgerentry;
DROP FUNCTION IF EXISTS finance_ledger_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
