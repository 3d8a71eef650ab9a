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

# Task duration and failures for /metrics; the request id into the worker's log lines.
from config.metrics import celery_signals_connect  # noqa: E402
from config.observability import celery_request_id_connect  # noqa: E402

celery_signals_connect()
celery_request_id_connect()
