"""Prometheus metrics: request latency by view, Celery task duration and failures, queue length.

Several processes write them (gunicorn's workers, Celery's pool processes): with
`PROMETHEUS_MULTIPROC_DIR` set (a folder of this host, emptied before the processes start)
each process writes its own files and `/metrics` adds them up. Without it each process
counts in memory (development). A Celery worker on a host of its own (a container, a pod)
serves its numbers on `WORKER_METRICS_PORT`. Queue lengths are read from the broker when
scraped, never stored.
"""

import os
import time

from prometheus_client import REGISTRY as PROCESS_REGISTRY
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily

QUEUES = ("default", "imports")

REQUEST_SECONDS = Histogram(
    "chainledger_http_request_duration_seconds",
    "Time to answer an HTTP request, by view (its URL name) and status.",
    ["site", "view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
TASK_SECONDS = Histogram(
    "chainledger_celery_task_duration_seconds",
    "Time a Celery task ran, by task name and final state.",
    ["task", "state"],
    buckets=(0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800),
)
TASK_FAILURES = Counter(
    "chainledger_celery_task_failures_total",
    "Celery tasks that raised, by task name and exception type.",
    ["task", "exception"],
)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class QueueLengthCollector:
    """Messages waiting in each Celery queue, asked of the broker at scrape time."""

    def collect(self):
        from config.health import broker_queue_lengths

        family = GaugeMetricFamily("chainledger_celery_queue_length",
                                   "Messages waiting in a Celery queue.", labels=["queue"])
        try:
            lengths = broker_queue_lengths(QUEUES)
        except Exception:  # noqa: BLE001 - the broker being down must not break the scrape
            lengths = {}
        for queue, length in lengths.items():
            family.add_metric([queue], length)
        yield family


def registry_build():
    """This process's metrics, or every process's when they share a multiprocess folder."""
    if not multiprocess_dir():
        return PROCESS_REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


_queues = CollectorRegistry()
_queues.register(QueueLengthCollector())


def metrics_text() -> bytes:
    return generate_latest(registry_build()) + generate_latest(_queues)


# --- Celery ------------------------------------------------------------------------------

_task_started: dict[str, float] = {}


def _task_prerun(task_id=None, **kwargs):
    _task_started[task_id] = time.perf_counter()


def _task_postrun(task_id=None, task=None, state=None, **kwargs):
    started = _task_started.pop(task_id, None)
    if started is not None and task is not None:
        TASK_SECONDS.labels(task.name, state or "UNKNOWN").observe(time.perf_counter() - started)


def _task_failure(sender=None, exception=None, **kwargs):
    TASK_FAILURES.labels(getattr(sender, "name", "?"), type(exception).__name__).inc()


def _worker_ready(**kwargs):
    port = os.environ.get("WORKER_METRICS_PORT")
    if port:
        start_http_server(int(port), registry=registry_build())


def celery_signals_connect() -> None:
    from celery import signals

    signals.task_prerun.connect(_task_prerun, weak=False)
    signals.task_postrun.connect(_task_postrun, weak=False)
    signals.task_failure.connect(_task_failure, weak=False)
    signals.worker_ready.connect(_worker_ready, weak=False)
