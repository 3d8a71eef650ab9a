"""`manage.py tenant_delete <subdomain> [--now]`: mark a tenant for deletion."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from saas_platform.errors import DomainError
from tenants.models import Tenant
from tenants.services import tenant_delete, tenant_delete_request


class Command(BaseCommand):
    help = ("Mark a tenant for deletion: its hosts stop answering now, and the hourly sweep "
            "drops its schema, rows and files after TENANT_DELETE_GRACE_DAYS. --now drops a "
            "scratch tenant (made by a benchmark or test) at once.")

    def add_arguments(self, parser):
        parser.add_argument("subdomain")
        parser.add_argument("--now", action="store_true",
                            help="drop it at once (scratch tenants only)")

    def handle(self, *args, subdomain, now=False, **options):
        tenant = Tenant.objects.filter(subdomain=subdomain).first()
        if tenant is None:
            raise CommandError(f"no tenant has the subdomain {subdomain!r}")
        try:
            if now:
                if not tenant.scratch:
                    raise CommandError(f"{subdomain} is not a scratch tenant: --now refused; "
                                       "mark it for deletion without --now")
                tenant_delete(tenant=tenant)
                self.stdout.write(f"deleted {subdomain} (schema {tenant.schema_name})")
                return
            tenant = tenant_delete_request(tenant=tenant)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        since = f"{tenant.deleting_since:%Y-%m-%d %H:%M} UTC"
        self.stdout.write(f"{subdomain} is marked for deletion since {since}; its schema goes "
                          f"after {settings.TENANT_DELETE_GRACE_DAYS} days")
