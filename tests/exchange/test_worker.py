"""A real Celery worker runs imports; a worker killed mid-import leaves nothing written,
the sweeper fails its job, and the job can be run again."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import Customer
from exchange.models import ImportJob
from exchange.services import jobs_sweep
from tests.config.test_worker_process import _test_database_url
from tests.conftest import api_client
from tests.exchange.factories import contact, upload, vn_customers, workbook_bytes

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.worker


def _worker_start(tmp_path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "DATA_DIR": str(tmp_path),
           "EXCHANGE_HEARTBEAT_SECONDS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
         "-Q", "imports,default", "--loglevel", "WARNING", "--without-gossip",
         "--without-mingle"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)


def _stop(proc) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_for(predicate, what: str, timeout: float = 90):
    """Polls another process's progress (no fixed sleeps: returns as soon as it holds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def _job(tenant, job_id) -> ImportJob:
    with schema_context(tenant.schema_name):
        return ImportJob.objects.get(pk=job_id)


def _customers(tenant) -> int:
    with schema_context(tenant.schema_name):
        return Customer.objects.count()


def _dirty_ranges(tenant) -> int:
    from crm.models import CustomerNameDirty

    with schema_context(tenant.schema_name):
        return CustomerNameDirty.objects.count()


def test_a_worker_process_runs_an_import_end_to_end(committed_tenant, media):
    tenant = committed_tenant
    client = api_client(tenant, f"owner@{tenant.subdomain}.test")
    rows = vn_customers(40)
    content = workbook_bytes(rows, [contact(customer_code=rows[0][0], name="Kế toán")])
    worker = _worker_start(media)
    try:
        response = upload(client, content)
        assert response.status_code == 202
        job_id = response.json()["id"]
        job = _wait_for(lambda: (j := _job(tenant, job_id)).status in {"done", "failed"} and j,
                        "the import to finish")
        # The import's commit sends the name buckets' refresh (crm.tasks): the same worker
        # takes it and no written range is left to walk in full.
        _wait_for(lambda: _dirty_ranges(tenant) == 0, "the name buckets' refresh")
    finally:
        _stop(worker)
    assert job.status == "done", job.errors
    assert (job.created, job.contacts_created, job.rows_total) == (40, 1, 41)
    assert job.started_at and job.heartbeat_at and job.finished_at
    assert _customers(tenant) == 40
    body = client.get(f"/api/v1/imports/{job_id}").json()
    assert body["status"] == "done" and body["progress"] == 100


def test_a_killed_worker_leaves_nothing_and_the_job_is_swept_then_rerun(committed_tenant,
                                                                        media):
    tenant = committed_tenant
    client = api_client(tenant, f"owner@{tenant.subdomain}.test")
    content = workbook_bytes(vn_customers(30, start=100))
    # Hold the customers table so the worker stops inside its write transaction.
    blocker = psycopg.connect(_test_database_url().replace("postgresql://", "postgres://"),
                              autocommit=False)
    blocker.execute(f'LOCK TABLE "{tenant.schema_name}".crm_customer IN SHARE MODE')
    worker = _worker_start(media)
    try:
        response = upload(client, content)
        job_id = response.json()["id"]
        _wait_for(lambda: _job(tenant, job_id).status == "writing", "the writing phase")
        with connection.cursor() as cursor:
            def waiting():
                cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                return cursor.fetchone()[0] > 0
            _wait_for(waiting, "the worker to wait on the lock")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=15)
    finally:
        blocker.rollback()
        blocker.close()
        _stop(worker)
    assert _job(tenant, job_id).status == "writing"  # nobody told it: the worker is gone

    # Heartbeats stopped with the worker: the sweeper (beat) fails the job, nothing written.
    later = timezone.now() + timedelta(seconds=settings.EXCHANGE_HEARTBEAT_TIMEOUT + 1)
    assert jobs_sweep(now=later) >= 1
    job = _job(tenant, job_id)
    assert job.status == "failed" and job.errors[0]["code"] == "worker_lost"
    _wait_for(lambda: _customers(tenant) == 0 and not _locks_waiting(), "the aborted write")
    assert _customers(tenant) == 0

    response = client.post(f"/api/v1/imports/{job_id}/rerun")
    assert response.status_code == 202
    rerun_id = response.json()["id"]
    worker = _worker_start(media)
    try:
        rerun = _wait_for(lambda: (j := _job(tenant, rerun_id)).status in {"done", "failed"}
                          and j, "the rerun to finish")
    finally:
        _stop(worker)
    assert rerun.status == "done", rerun.errors
    assert rerun.created == 30 and _customers(tenant) == 30
    assert client.post(f"/api/v1/imports/{rerun_id}/rerun").status_code == 409


def _locks_waiting() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] > 0
