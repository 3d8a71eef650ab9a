"""`manage.py finance_check [--schema S]`: every stored balance equals its entries' sum."""

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_tenant_model, schema_context

from finance.checks import balances_mismatched


class Command(BaseCommand):
    help = "Verify that every customer's stored balances equal the sums of their ledger entries."

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="one tenant schema (default: every tenant)")

    def handle(self, *args, schema=None, **options):
        schemas = [schema] if schema else list(
            get_tenant_model().objects.exclude(schema_name="public")
            .values_list("schema_name", flat=True))
        bad = 0
        for name in schemas:
            with schema_context(name):
                for row in balances_mismatched():
                    bad += 1
                    self.stdout.write(f"{name} customer {row['code']} {row['book']}: stored "
                                      f"{row['stored']} != entries {row['entries']}")
        if bad:
            raise CommandError(f"{bad} balances differ from their ledger entries")
        self.stdout.write(f"OK: {len(schemas)} schemas, every balance equals its entries.")
