from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "exchange"
    label = "exchange"
    verbose_name = _("Import and export")

    def ready(self):
        from crm.roles import ACCOUNTANT, MANAGER, OWNER, ROLE_PERMISSIONS
        from exchange.files import job_paths_rename
        from tenants.signals import tenant_restored

        tenant_restored.connect(job_paths_rename, dispatch_uid="exchange.job_paths_rename")

        # DESIGN §3: owner and manager import and export; the accountant only exports.
        for role in (OWNER, MANAGER):
            ROLE_PERMISSIONS[role] |= {"exchange.add_importjob", "exchange.add_exportjob"}
        ROLE_PERMISSIONS[ACCOUNTANT] |= {"exchange.add_exportjob"}
