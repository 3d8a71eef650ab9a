"""A real Celery worker process for the benchmarks (and the tests that need one), on the
database and broker this process uses and the same media folder."""

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    """DATABASE_URL naming the database this process is connected to (the test one too)."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{connection.settings_dict['NAME']}"))


@contextmanager
def celery_worker(*, concurrency: int = 2, queues: str = "default,imports", log=None, **env):
    """A prefork worker with `concurrency` processes, stopped (then killed) on exit; its
    output goes to the file `log` if given."""
    environment = {**os.environ, "DATABASE_URL": database_url(),
                   "MEDIA_ROOT": str(settings.MEDIA_ROOT),
                   **{k: str(v) for k, v in env.items()}}
    output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency",
         str(concurrency), "-Q", queues, "--loglevel", "WARNING", "--without-gossip",
         "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if log:
            output.close()
