"""The production profile (DJANGO_ENV=production) and what every process serves before
tenant routing: /healthz, /readyz, /metrics, the request id and the JSON log lines.

The profile's settings are read in fresh processes (settings are read once per process);
the endpoints through Django's test client on hosts no tenant has, as an orchestrator's
probe or Prometheus would send them. deploy/smoke.sh runs the same over real gunicorn,
worker, beat and nginx."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from config.celery import app as celery_app
from saas_platform.logs import ContextFilter, JsonFormatter

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {"DJANGO_ENV": "production", "SITE_SCHEME": "https", "BASE_DOMAIN": "example.com",
              "SITE_PORT": "", "DJANGO_SETTINGS_MODULE": "config.settings"}


def _run(args, **env):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **PRODUCTION, **env}, timeout=120)


def test_check_deploy_is_clean():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_development_profile_is_what_check_deploy_warns_about():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                  DJANGO_ENV="development", SITE_SCHEME="http")
    assert result.returncode != 0
    assert "security.W004" in result.stderr  # no HSTS: the check does look


PROBE = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({k: getattr(s, k, None) for k in [
    "ALLOWED_HOSTS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_NAME",
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_PROXY_SSL_HEADER", "LOG_FORMAT", "CELERY_WORKER_HIJACK_ROOT_LOGGER"]}))
"""


def test_production_settings():
    result = _run(["-c", PROBE])
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["ALLOWED_HOSTS"] == ["example.com", ".example.com"]
    assert seen["SESSION_COOKIE_SECURE"] is seen["CSRF_COOKIE_SECURE"] is True
    assert seen["SESSION_COOKIE_NAME"].startswith("__Host-")  # host-only, HTTPS only
    assert seen["SECURE_SSL_REDIRECT"] is True
    assert seen["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert seen["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert seen["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert seen["LOG_FORMAT"] == "json"
    assert seen["CELERY_WORKER_HIJACK_ROOT_LOGGER"] is False


@pytest.mark.parametrize("env, message", [
    ({"DEBUG": "1"}, "DEBUG cannot be on"),
    ({"SITE_SCHEME": "http"}, "serves HTTPS only"),
    ({"DJANGO_ENV": "prod"}, "DJANGO_ENV must be"),
])
def test_production_refuses_unsafe_settings(env, message):
    result = _run(["-c", "import django; django.setup()"], **env)
    assert result.returncode != 0
    assert message in result.stderr


# --- the endpoints --------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("host", ["10.1.2.3:8000", "nobody.localhost", "unknown.example.org"])
def test_health_and_readiness_answer_on_any_host(host):
    client = Client(HTTP_HOST=host)
    assert client.get("/healthz").json() == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
    # Everything else on such a host still meets the host check or the tenant lookup.
    assert client.get("/api/v1/me").status_code in {400, 404}


@pytest.mark.django_db
def test_readiness_fails_without_the_broker_and_liveness_does_not(monkeypatch):
    # A real Redis address where nothing listens (not a mock): port 1 of loopback.
    from config import health

    monkeypatch.setattr(health, "_broker_connection", lambda: celery_app.connection_for_read(
        "redis://127.0.0.1:1/0", transport_options={"max_retries": 0}))
    client = Client(HTTP_HOST="10.1.2.3")
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok" and body["checks"]["broker"] != "ok"
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_metrics_need_the_token_or_an_allowed_network(settings):
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    settings.METRICS_ALLOWED_NETWORKS = []
    client = Client(HTTP_HOST="10.1.2.3")
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    # A forwarded address is not believed: only the direct peer counts.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 403
    assert client.get("/metrics",
                      HTTP_AUTHORIZATION="Bearer s3cret-metrics-token").status_code == 200
    import ipaddress

    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]
    assert client.get("/metrics").status_code == 200  # the test client's peer is 127.0.0.1


@pytest.mark.django_db
def test_metrics_show_latency_by_view_and_queue_lengths(settings, acme_owner):
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.METRICS_TOKEN = "t0ken-for-this-test"
    assert acme_owner.get("/api/v1/me").status_code == 200
    text = Client(HTTP_HOST="10.1.2.3").get(
        "/metrics", HTTP_AUTHORIZATION="Bearer t0ken-for-this-test").content.decode()
    assert ('chainledger_http_request_duration_seconds_count{method="GET",site="tenant",'
            'status="200",view="me"}') in text
    assert 'chainledger_celery_queue_length{queue="imports"}' in text
    assert 'chainledger_celery_queue_length{queue="default"}' in text


@pytest.mark.django_db
def test_request_id_and_json_log_line_with_the_tenant(acme, acme_owner):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("chainledger.request")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        given = acme_owner.get("/api/v1/me", HTTP_X_REQUEST_ID="req-0123456789abcdef")
        made = acme_owner.get("/api/v1/me", HTTP_X_REQUEST_ID="bad id; DROP")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert given["X-Request-ID"] == "req-0123456789abcdef"
    assert made["X-Request-ID"] != "bad id; DROP" and len(made["X-Request-ID"]) == 32
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["request_id"] for line in lines] == [given["X-Request-ID"],
                                                      made["X-Request-ID"]]
    first = lines[0]
    assert first["tenant"] == acme.schema_name
    assert (first["method"], first["path"], first["status"], first["view"]) == (
        "GET", "/api/v1/me", 200, "me")
    assert first["level"] == "INFO" and first["logger"] == "chainledger.request"
