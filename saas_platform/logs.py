"""Structured logs: one JSON object a line, carrying the tenant and the request id.

The request id lives in a context variable: the request middleware (config/observability.py)
sets it for a request, and Celery tasks take it from the header their sender attached, so a
worker's lines name the request that queued the job. The tenant is the schema the database
connection is on at the moment of the log call (django-tenants sets it per request,
tenant-schemas-celery per task).
"""

import contextvars
import json
import logging
import time

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None)

# LogRecord attributes that are not the caller's `extra=` fields.
_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "tenant", "request_id"}


def _tenant_schema() -> str | None:
    try:
        from django.db import connection

        return getattr(connection, "schema_name", None)
    except Exception:  # noqa: BLE001 - a log line must never fail because Django is not set up
        return None


class ContextFilter(logging.Filter):
    """Adds `tenant` and `request_id` to every record passing the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "tenant"):
            record.tenant = _tenant_schema()
        return True


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, tenant, request_id, the caller's extras, exc_info."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                    + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "tenant": getattr(record, "tenant", None),
            "request_id": getattr(record, "request_id", None),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS})
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
