from django.conf import settings
from django.core.management.base import BaseCommand

from tenants.models import Domain, Tenant


class Command(BaseCommand):
    help = "Create the public tenant and its domain(s); idempotent."

    def handle(self, *args, **options):
        public, _ = Tenant.objects.get_or_create(
            schema_name="public", defaults={"state": Tenant.State.ACTIVE, "name": "Platform"})
        for i, host in enumerate([settings.BASE_DOMAIN, "127.0.0.1"]):
            Domain.objects.get_or_create(domain=host,
                                         defaults={"tenant": public, "is_primary": i == 0})
