"""gunicorn for the web process: `gunicorn -c deploy/gunicorn.conf.py config.wsgi`.

Every value comes from the environment (deploy/env.example lists them). Django writes one
JSON access line a request itself (with tenant and request id), so gunicorn's access log
is off and its own lines are JSON too.
"""

import os
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# A request past this is killed; the longest legitimate ones (a statement PDF, an upload
# of IMPORT_MAX_UPLOAD_MB) take seconds. Long work runs in Celery, never in a request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# SIGTERM lets requests in flight finish for this long (systemd's TimeoutStopSec and the
# pod's terminationGracePeriodSeconds are set a little above it).
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then (bounded memory growth), not all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# Only the proxy in front may say the request came over HTTPS (X-Forwarded-Proto).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The heartbeat file in memory, not on a container's overlay disk.
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"

accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
if os.environ.get("DJANGO_ENV") == "production":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "saas_platform.logs.JsonFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json",
                                 "stream": "ext://sys.stderr"}},
        "loggers": {"gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(),
                                       "propagate": False}},
    }


def child_exit(server, worker):
    """A dead worker's metric files stop counting as live (prometheus_client multiprocess)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
