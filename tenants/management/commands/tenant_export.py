"""`manage.py tenant_export <subdomain> <archive>`: one tenant to one .tar.gz archive."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from saas_platform.errors import DomainError
from tenants.archive import tenant_export
from tenants.models import Tenant


class Command(BaseCommand):
    help = ("Write one tenant (its schema, public rows and files, with a manifest) to an "
            "archive. Not a backup of the database: see deploy/BACKUP.md.")

    def add_arguments(self, parser):
        parser.add_argument("subdomain")
        parser.add_argument("archive", type=Path)

    def handle(self, *args, subdomain, archive, **options):
        tenant = Tenant.objects.filter(subdomain=subdomain).first()
        if tenant is None:
            raise CommandError(f"no tenant has the subdomain {subdomain!r}")
        try:
            manifest = tenant_export(tenant=tenant, archive=archive)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        rows = sum(t["rows"] for t in manifest["tables"].values())
        self.stdout.write(f"exported {subdomain} (schema {manifest['schema']}): "
                          f"{len(manifest['tables'])} tables, {rows} rows, "
                          f"{len(manifest['files'])} files -> {archive}")
