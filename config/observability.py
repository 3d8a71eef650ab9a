"""Every request: a request id, one structured access-log line, its latency by view.

The id is the proxy's `X-Request-ID` when it sent a sane one (deploy/nginx.conf sends
nginx's `$request_id`), else a new one; it goes back in the response's `X-Request-ID`, on
every log line of the request (saas_platform/logs.py) and into the headers of the tasks
the request queues, so the worker's lines carry it too.
"""

import logging
import re
import time
import uuid

from django.db import connection

from config.metrics import REQUEST_SECONDS
from saas_platform.logs import request_id_var

access_log = logging.getLogger("chainledger.request")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id_from(headers) -> str:
    given = headers.get("X-Request-ID", "")
    return given if _SANE_ID.match(given) else uuid.uuid4().hex


class RequestObservabilityMiddleware:
    def __init__(self, get_response):
        from django_tenants.utils import get_public_schema_name

        self.get_response = get_response
        self.public_schema = get_public_schema_name()

    def __call__(self, request):
        request_id = request_id_from(request.headers)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            match = getattr(request, "resolver_match", None)
            view = (match.view_name or match._func_path) if match else "unresolved"
            site = "public" if connection.schema_name == self.public_schema else "tenant"
            REQUEST_SECONDS.labels(site, view, request.method,
                                   str(response.status_code)).observe(seconds)
            response["X-Request-ID"] = request_id
            access_log.info("%s %s %s", request.method, request.path, response.status_code,
                            extra={"method": request.method, "path": request.path,
                                   "status": response.status_code, "view": view,
                                   "duration_ms": round(seconds * 1000, 1)})
            return response
        finally:
            request_id_var.reset(token)


def celery_request_id_connect() -> None:
    """Carry the request id from the sender into the task and its log lines."""
    from celery import signals

    def before_publish(headers=None, **kwargs):
        request_id = request_id_var.get()
        if headers is not None and request_id:
            headers.setdefault("request_id", request_id)

    def prerun(task=None, **kwargs):
        if task is not None:
            # Like the schema header: merged into the request by some brokers (Redis).
            request_id = ((task.request.headers or {}).get("request_id")
                          or task.request.get("request_id"))
            task.request.request_id_token = request_id_var.set(request_id)

    def postrun(task=None, **kwargs):
        token = getattr(task.request, "request_id_token", None) if task is not None else None
        if token is not None:
            request_id_var.reset(token)

    signals.before_task_publish.connect(before_publish, weak=False)
    signals.task_prerun.connect(prerun, weak=False)
    signals.task_postrun.connect(postrun, weak=False)
