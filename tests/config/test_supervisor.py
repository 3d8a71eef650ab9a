"""`make run`'s supervisor on a fresh data folder: embedded PostgreSQL and Redis, migrate,
demo tenant, pool, web + worker + beat; jobs created over HTTP reach the real worker; a
second `run` is refused and `exec` shares the servers; Ctrl-C stops all of it, embedded
servers included.

This is the test that would have caught jobs sitting `queued` for ever under `make run`
(the web processes sent them through Celery's default app): it drives gunicorn and the
worker the supervisor started, over HTTP, as a user would."""

import io
import json
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


def _call(method: str, url: str, host: str, *, token: str | None = None, body=None,
          content_type: str = "application/json") -> tuple[int, dict]:
    headers = {"Host": host}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode() if content_type == "application/json" else body
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, {}


def _multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = "----chainledger-test-boundary"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                 .encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _customers_workbook(prefix: str) -> bytes:
    from openpyxl import Workbook

    from exchange.columns import CONTACT_TEMPLATE_COLUMNS, CUSTOMER_TEMPLATE_COLUMNS

    book = Workbook()
    sheet = book.active
    sheet.title = "Customers"
    sheet.append([c.header("en") for c in CUSTOMER_TEMPLATE_COLUMNS])
    keys = [c.key for c in CUSTOMER_TEMPLATE_COLUMNS]
    for i in range(3):
        values = {"code": f"{prefix}{i:04d}", "name": f"Khách thử {prefix} {i}",
                  "phone": f"09{ord(prefix[-1]) % 10}8 765 4{i:02d}"}
        sheet.append([values.get(k) for k in keys])
    book.create_sheet("Contacts").append([c.header("en") for c in CONTACT_TEMPLATE_COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _job_finished(base: str, host: str, token: str, path: str) -> dict:
    deadline = time.monotonic() + 120
    while True:
        status, job = _call("GET", f"{base}{path}", host, token=token)
        assert status == 200, (path, status)
        if job["status"] in {"done", "failed"}:
            return job
        assert time.monotonic() < deadline, f"{path} still {job['status']} after 120 s"
        time.sleep(0.5)


def _jobs_over_http(base: str, host: str, data_dir: Path, prefix: str) -> None:
    """Log in as the demo owner, export and import customers, see both done."""
    logins = json.loads((data_dir / "demo-logins.json").read_text())
    status, body = _call("POST", f"{base}/api/v1/auth/token", host, body={
        "username": "owner@demo.example", "password": logins["owner@demo.example"]})
    assert status == 200, body
    token = body["token"]

    status, export = _call("POST", f"{base}/api/v1/exports/customers", host, token=token,
                           body={"lang": "vi"})
    assert status == 202, export
    done = _job_finished(base, host, token, f"/api/v1/exports/{export['id']}")
    assert done["status"] == "done", done
    assert done["rows_total"] > 0

    content, content_type = _multipart({"mode": "all_or_nothing", "match": "code"},
                                       "customers.xlsx", _customers_workbook(prefix))
    status, job = _call("POST", f"{base}/api/v1/imports/customers", host, token=token,
                        body=content, content_type=content_type)
    assert status == 202, job
    done = _job_finished(base, host, token, f"/api/v1/imports/{job['id']}")
    assert done["status"] == "done", done["errors"]
    assert done["created"] == 3


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
    proc = subprocess.Popen([sys.executable, "-m", "config.supervisor", "run"],
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
        base, host = f"http://127.0.0.1:{port}", f"demo.localhost:{port}"
        _jobs_over_http(base, host, data_dir, "EA")

        # A second `run` on the same data folder is refused at once.
        second = subprocess.run([sys.executable, "-m", "config.supervisor", "run"],
                                cwd=ROOT, env={**env, "PORT": str(_free_port())},
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "already serving" in second.stderr

        # `exec` (make manage, make bench) shares the running servers and leaves them up.
        services = json.loads((data_dir / "services.json").read_text())
        shared = subprocess.run(
            [sys.executable, "-m", "config.supervisor", "exec", "--", sys.executable, "-c",
             "import os; print(os.environ['REDIS_URL']); print(os.environ['DATABASE_URL'])"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True)
        assert shared.stdout.split() == [services["REDIS_URL"], services["DATABASE_URL"]]
        # Throttled login: touches the cache, so it needs the Redis the exec left running.
        status, _ = _call("POST", f"{base}/api/v1/auth/token", host,
                          body={"username": "owner@demo.example", "password": "wrong"})
        assert status == 401
        _jobs_over_http(base, host, data_dir, "EB")

        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            # A killed supervisor cannot stop its servers: do it, so a failure leaks nothing.
            for leftover in _processes_using(str(data_dir)):
                leftover.kill()
        proc.stdout.close()
    leftovers = [p for p in _processes_using(str(data_dir)) if p.is_running()
                 and p.status() != psutil.STATUS_ZOMBIE]
    assert leftovers == [], [p.cmdline() for p in leftovers]
