"""`make run`'s supervisor on a fresh data folder: embedded PostgreSQL and Redis, migrate,
demo tenant, pool, web + worker + beat; Ctrl-C stops all of it, embedded servers included."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status(url: str, host: str) -> int:
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except urllib.error.URLError:
        return 0  # not listening yet


def _processes_using(folder: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            # Redis runs in its data folder (cwd); the others name it on their command line.
            if (any(folder in part for part in proc.info["cmdline"] or [])
                    or proc.cwd().startswith(folder)):
                found.append(proc)
        except psutil.Error:
            continue
    return found


@pytest.mark.worker
def test_run_serves_everything_and_ctrl_c_stops_everything(tmp_path):
    data_dir = tmp_path / "d"
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}}
    env.update(DATA_DIR=str(data_dir), PORT=str(port), SIGNUP_POOL_SIZE="1",
               WEB_CONCURRENCY="1", WORKER_CONCURRENCY="1")
    proc = subprocess.Popen([sys.executable, "-m", "saas_platform.supervisor", "run"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    output = []
    try:
        for line in proc.stdout:
            output.append(line)
            if "Ctrl-C stops everything" in line:
                break
        assert proc.poll() is None, "".join(output)
        assert any("demo.localhost" in line for line in output)
        assert any("owner@demo.example" in line for line in output)  # the printed logins
        deadline = time.monotonic() + 60
        while _status(f"http://127.0.0.1:{port}/", "localhost") != 200:
            assert time.monotonic() < deadline, "web server did not come up"
            time.sleep(0.3)
        assert _status(f"http://127.0.0.1:{port}/api/v1/me", f"demo.localhost:{port}") == 401
        assert _status(f"http://127.0.0.1:{port}/", f"nobody.localhost:{port}") == 404
        running = " ".join(" ".join(p.cmdline()) for p in _processes_using(str(data_dir)))
        assert "postgres" in running and "redis-server" in running

        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
    leftovers = [p for p in _processes_using(str(data_dir)) if p.is_running()
                 and p.status() != psutil.STATUS_ZOMBIE]
    assert leftovers == [], [p.cmdline() for p in leftovers]
