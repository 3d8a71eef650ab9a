"""A real `celery worker` process, the real broker, two tenants: each task runs in the
schema of the tenant that sent it."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tenants.tasks import tenant_census_task

ROOT = Path(__file__).resolve().parents[2]


def _test_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{connection.settings_dict['NAME']}"))


@pytest.fixture
def worker(db):
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "SIGNUP_POOL_SIZE": "4",
           "SIGNUP_POOL_LOW_WATER": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
         "-Q", "default", "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.worker
def test_tasks_run_in_the_schema_of_the_tenant_that_sent_them(worker, acme, globex):
    results = {}
    for tenant in (acme, globex):
        with schema_context(tenant.schema_name):
            results[tenant.subdomain] = (tenant.schema_name, tenant_census_task.delay())
    for subdomain, (schema, result) in results.items():
        census = result.get(timeout=60)
        assert census["schema"] == schema
        assert f"owner@{subdomain}.test" in census["usernames"]
        other = "globex" if subdomain == "acme" else "acme"
        assert not any(name.endswith(f"@{other}.test") for name in census["usernames"])
    assert worker.poll() is None
