"""Statement batches through a real Celery worker (two processes): the zip end to end, and
a worker process killed inside a chunk: the chunk is delivered again (acks_late), the
chunks already done are not redone, and the zip holds every statement once."""

import os
import signal
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django_tenants.utils import schema_context

from bench.worker import celery_worker, database_url
from crm.models import Customer
from exchange.models import StatementBatchChunk, StatementBatchJob
from tests.conftest import api_client
from tests.exchange.test_statement_batch import (
    _job,
    _post,
    _today,
    assert_zip_matches,
    customers_with_activity,
    zip_of,
)

pytestmark = pytest.mark.worker


def _wait_for(predicate, what: str, timeout: float = 120):
    """Polls another process's progress (no fixed sleeps: returns as soon as it holds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _batch(tenant, job_id) -> StatementBatchJob:
    with schema_context(tenant.schema_name):
        return StatementBatchJob.objects.get(pk=job_id)


def _finished(tenant, job_id):
    job = _batch(tenant, job_id)
    return job if job.status in {"done", "failed"} else None


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def _setup(tenant):
    with schema_context(tenant.schema_name):
        connection.tenant = tenant
        group, made = customers_with_activity(tenant, owner=f"owner@{tenant.subdomain}.test")
        return group, [Customer.objects.get(pk=c.pk) for c in made]


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def test_two_worker_processes_make_the_zip_end_to_end(committed_tenant, media, settings):
    tenant = committed_tenant
    settings.STATEMENT_BATCH_CHUNK = 1  # three chunks: both processes take some
    group, made = _setup(tenant)
    client = api_client(tenant, f"owner@{tenant.subdomain}.test")
    with celery_worker(concurrency=2, EXCHANGE_HEARTBEAT_SECONDS=1):
        response = _post(client, tenant, group=group.pk, lang="zh-hant")
        assert response.status_code == 202, response.content
        job = _wait_for(lambda: _finished(tenant, response.json()["id"]), "the batch")
    assert job.status == "done", job.errors
    assert (job.total, job.processed, job.chunks_done, job.statements) == (3, 3, 3, 3)
    assert job.started_at and job.heartbeat_at and job.finished_at
    body = _job(client, job.pk)
    with schema_context(tenant.schema_name):
        connection.tenant = tenant
        today = _today(tenant)
        assert_zip_matches(zip_of(client, body), made, (today.replace(day=1), today))


def test_a_worker_process_killed_in_a_chunk_is_redelivered_and_the_batch_resumes(
        committed_tenant, media, settings):
    tenant = committed_tenant
    settings.STATEMENT_BATCH_CHUNK = 2  # chunk 0: two customers, chunk 1: one
    group, made = _setup(tenant)
    client = api_client(tenant, f"owner@{tenant.subdomain}.test")
    blocker = psycopg.connect(database_url().replace("postgresql://", "postgres://"),
                              autocommit=False)
    schema = tenant.schema_name
    try:
        with celery_worker(concurrency=1, EXCHANGE_HEARTBEAT_SECONDS=1) as worker:
            job_id = _post(client, tenant, group=group.pk).json()["id"]

            def chunk_one_locked():
                row = blocker.execute(
                    f'SELECT id FROM "{schema}".exchange_statementbatchchunk '
                    "WHERE job_id = %s AND index = 1 FOR UPDATE", [job_id]).fetchone()
                return row is not None or blocker.rollback()

            # Hold chunk 1's row: its worker renders it, then waits to mark it done.
            _wait_for(chunk_one_locked, "the plan")
            with connection.cursor() as cursor:
                def waiting():
                    cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                    return cursor.fetchone()[0] > 0
                _wait_for(waiting, "the worker to wait for chunk 1's row")
            with schema_context(schema):
                first = StatementBatchChunk.objects.get(job_id=job_id, index=0)
                assert first.done and StatementBatchJob.objects.get(pk=job_id).chunks_done == 1
            (child,) = _children(worker.pid)
            os.kill(child, signal.SIGKILL)
            _wait_for(lambda: child not in _children(worker.pid), "the child to go")
            blocker.rollback()
            job = _wait_for(lambda: _finished(tenant, job_id), "the redelivered chunk")
    finally:
        blocker.close()
    assert job.status == "done", job.errors
    assert (job.processed, job.chunks_done, job.statements) == (3, 2, 3)
    with schema_context(schema):
        again = StatementBatchChunk.objects.get(job_id=job_id, index=0)
        assert again.finished_at == first.finished_at  # the finished chunk was not redone
        connection.tenant = tenant
        today = _today(tenant)
        assert_zip_matches(zip_of(client, _job(client, job_id)), made,
                           (today.replace(day=1), today))
