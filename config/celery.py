import os

from tenant_schemas_celery.app import CeleryApp as TenantAwareCeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = TenantAwareCeleryApp("chainledger")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_routes = {
    "imports.*": {"queue": "imports"},
    "exports.*": {"queue": "imports"},
}
app.autodiscover_tasks(["tenants", "crm", "finance", "exchange", "api"])
