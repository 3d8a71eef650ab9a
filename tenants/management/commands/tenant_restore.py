"""`manage.py tenant_restore <archive> [--subdomain new] [--same]`: a tenant from an archive."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from saas_platform.errors import DomainError
from tenants.archive import tenant_restore


class Command(BaseCommand):
    help = ("Restore a tenant archive as a new tenant, under a new schema name (or the "
            "archived one with --same, when no schema has it). Touches no other tenant.")

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument("--subdomain", help="serve it at this subdomain instead")
        parser.add_argument("--same", action="store_true",
                            help="keep the archived schema name (it must not exist)")

    def handle(self, *args, archive, subdomain=None, same=False, **options):
        if not archive.is_file():
            raise CommandError(f"no archive at {archive}")
        try:
            tenant = tenant_restore(archive=archive, subdomain=subdomain, same=same)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"restored {tenant.subdomain} into schema {tenant.schema_name}; "
                          "every table, sequence and file matches the archive's manifest")
