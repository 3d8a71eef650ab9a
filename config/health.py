"""`/healthz`, `/readyz` and `/metrics`, answered on any host before tenant routing.

- `/healthz` (liveness): the process answers. It touches nothing else, so a database
  outage never makes an orchestrator restart every web process at once.
- `/readyz` (readiness): the database answers `SELECT 1` and the broker answers, within
  `READINESS_TIMEOUT_SECONDS`; 503 naming what failed otherwise.
- `/metrics` (Prometheus): only with `Authorization: Bearer $METRICS_TOKEN`, or from an
  address in `METRICS_ALLOWED_NETWORKS` (the direct peer, never a forwarded header). A
  proxy on the same host must refuse the path itself (deploy/nginx.conf does), since its
  requests come from loopback.

The middleware sits first: the probes come from load balancers and orchestrators that
address a pod or a port, not a tenant's host, so neither ALLOWED_HOSTS nor the tenant
lookup nor the HTTPS redirect may stand in their way.
"""

import hmac
import ipaddress
import json

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse

from config.celery import app as celery_app


def database_check() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = %s",
                       [f"{settings.READINESS_TIMEOUT_SECONDS}s"])
        cursor.execute("SELECT 1")


def _broker_connection():
    timeout = settings.READINESS_TIMEOUT_SECONDS
    return celery_app.connection_for_read(transport_options={
        "socket_timeout": timeout, "socket_connect_timeout": timeout, "max_retries": 0})


def broker_queue_lengths(queues) -> dict[str, int]:
    """Messages waiting in each queue (a round trip to the broker, so also its probe)."""
    with _broker_connection() as conn:
        conn.ensure_connection(max_retries=1)
        channel = conn.default_channel
        return {queue: channel.queue_declare(queue, passive=False).message_count
                for queue in queues}


def readiness() -> dict[str, str]:
    checks = {}
    for name, check in (("database", database_check),
                        ("broker", lambda: broker_queue_lengths(["default"]))):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready; say which
            checks[name] = f"{type(exc).__name__}: {exc}"[:200]
    return checks


def metrics_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in network for network in settings.METRICS_ALLOWED_NETWORKS)


class OpsEndpointsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path == "/healthz":
            return JsonResponse({"status": "ok"})
        if path == "/readyz":
            checks = readiness()
            ready = all(v == "ok" for v in checks.values())
            return HttpResponse(json.dumps({"status": "ok" if ready else "unavailable",
                                            "checks": checks}),
                                status=200 if ready else 503, content_type="application/json")
        if path == "/metrics":
            if not metrics_allowed(request):
                return HttpResponse(status=403)
            from prometheus_client import CONTENT_TYPE_LATEST

            from config.metrics import metrics_text

            return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
        return self.get_response(request)
