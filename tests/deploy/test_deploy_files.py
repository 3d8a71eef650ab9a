"""deploy/ cannot be run with Docker or Kubernetes here (no engine, no cluster): these read
the files for what the design requires of them. deploy/smoke.sh runs gunicorn.conf.py,
nginx.conf and release.sh for real."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
TASK_TIME_LIMIT = 1800  # CELERY_TASK_TIME_LIMIT's default (config/settings.py)
ENV_READ = re.compile(
    r"""(?:os\.environ\.get|os\.environ\[|env_int|env_bool)\(?\s*["']([A-Z_]+)["']""")


def _k8s() -> dict[tuple[str, str], dict]:
    objects = {}
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            objects[(doc["kind"], doc["metadata"]["name"])] = doc
    return objects


def _container(deployment: dict) -> dict:
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return container


def test_every_setting_the_code_reads_is_in_env_example_and_the_readme():
    sources = [p for folder in ["config", "saas_platform", "tenants", "crm", "finance",
                                "exchange", "api", "web", "bench"]
               for p in (ROOT / folder).rglob("*.py")
               if p.name != "supervisor.py"]  # make run's own (DATA_DIR, PORT, ...)
    sources.append(DEPLOY / "gunicorn.conf.py")
    read = {name for path in sources for name in ENV_READ.findall(path.read_text())}
    read -= {"DJANGO_SETTINGS_MODULE"}
    assert {"SECRET_KEY", "DATABASE_URL", "METRICS_TOKEN", "GUNICORN_BIND"} <= read
    example = (DEPLOY / "env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z_]+)=", example, re.M))
    assert sorted(read - listed) == []
    readme = (ROOT / "README.md").read_text()
    assert sorted(n for n in read if f"`{n}`" not in readme) == []


def test_compose_runs_one_image_migrates_once_and_has_the_whole_stack():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "beat", "nginx"} <= set(services)
    app = ["migrate", "web", "worker", "beat"]
    assert len({services[s]["image"] for s in app}) == 1
    assert services["migrate"]["command"] == ["sh", "deploy/release.sh"]
    for name in ["web", "worker", "beat"]:
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"}
        assert "migrate" not in " ".join(services[name]["command"])
    assert services["web"]["command"][:3] == ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
    assert int(services["worker"]["stop_grace_period"].rstrip("s")) > TASK_TIME_LIMIT
    assert "deploy" not in services["beat"] or services["beat"]["deploy"].get("replicas") == 1
    assert "./nginx.conf:/chainledger/nginx.conf:ro" in services["nginx"]["volumes"]


def test_kubernetes_one_beat_recreated_a_migration_job_probes_autoscaling_budgets():
    objects = _k8s()
    beat = objects[("Deployment", "chainledger-beat")]
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"]["type"] == "Recreate"
    job = objects[("Job", "chainledger-migrate")]
    assert _container(job)["command"][-1] == "deploy/release.sh"

    web = objects[("Deployment", "chainledger-web")]
    probes = _container(web)
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
    worker = objects[("Deployment", "chainledger-worker")]
    assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > TASK_TIME_LIMIT
    images = {_container(d)["image"] for d in (web, worker, beat, job)}
    assert len(images) == 1
    for deployment in (web, worker, beat, job):
        spec = deployment["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert "migrate" not in " ".join(_container(deployment).get("args", []))

    assert objects[("Service", "chainledger-web")]["spec"]["ports"][0]["targetPort"] == "http"
    hosts = {rule["host"] for rule in objects[("Ingress", "chainledger")]["spec"]["rules"]}
    assert hosts == {"example.com", "*.example.com"}
    scaled = {doc["spec"]["scaleTargetRef"]["name"] for (kind, _), doc in objects.items()
              if kind == "HorizontalPodAutoscaler"}
    assert scaled == {"chainledger-web", "chainledger-worker"}  # never beat
    budgets = {name for kind, name in objects if kind == "PodDisruptionBudget"}
    assert budgets == {"chainledger-web", "chainledger-worker"}


def _unit(name: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key, []).append(value)
    return values


def test_systemd_migrations_are_a_oneshot_and_stop_timeouts_fit():
    migrate = _unit("chainledger-migrate.service")
    assert migrate["Type"] == ["oneshot"]
    assert any("deploy/release.sh" in line for line in migrate["ExecStart"])
    web = _unit("chainledger-web.service")
    assert not any("migrate" in line for line in web.get("ExecStartPre", []) + web["ExecStart"])
    assert "deploy/gunicorn.conf.py" in web["ExecStart"][0]
    graceful = 30  # deploy/gunicorn.conf.py's default graceful_timeout
    assert int(web["TimeoutStopSec"][0]) > graceful
    worker = _unit("chainledger-worker.service")
    assert int(worker["TimeoutStopSec"][0]) > TASK_TIME_LIMIT
    assert worker["KillMode"] == ["mixed"]  # SIGTERM to the main process: warm shutdown
    for unit in (web, worker, _unit("chainledger-beat.service")):
        assert "chainledger-migrate.service" in unit["After"][0]


def test_dockerfile_is_slim_non_root_and_compiles_translations():
    text = (DEPLOY / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in text
    assert "compilemessages" in text and "collectstatic" in text
    final_stage = text.rsplit("\nFROM ", 1)[1]
    assert "USER 10001" in final_stage
    assert "apt-get install" not in final_stage  # build tools stay in the build stage
