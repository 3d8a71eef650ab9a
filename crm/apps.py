from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "CRM"

    def ready(self):
        from crm.onboarding import tenant_staff_seed
        from crm.roles import roles_sync_on_migrate
        from tenants.signals import tenant_provisioned

        post_migrate.connect(roles_sync_on_migrate, dispatch_uid="crm.roles_sync")
        tenant_provisioned.connect(tenant_staff_seed, dispatch_uid="crm.tenant_staff_seed")
