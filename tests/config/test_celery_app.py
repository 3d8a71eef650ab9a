"""Every process that loads the settings sends tasks through the project's Celery app and
its Redis broker -- not through Celery's default app, whose AMQP broker on localhost (a
RabbitMQ on these machines) would swallow them silently. Checked in a fresh process that
imports nothing but Django, as gunicorn does."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
django.setup()
from celery import current_app
from exchange.tasks import export_customers_task
print(json.dumps({"app": current_app.main, "broker": current_app.conf.broker_url,
                  "task_app": export_customers_task.app.main,
                  "task_broker": export_customers_task.app.conf.broker_url}))
"""


def test_a_plain_django_process_uses_the_projects_app_and_redis():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True)
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["app"] == seen["task_app"] == "chainledger"
    assert seen["broker"] == seen["task_broker"]
    assert seen["broker"].startswith("redis")


def test_a_broker_other_than_the_configured_redis_is_refused(settings):
    from config.apps import celery_app_check
    from config.celery import app

    celery_app_check()  # as configured: fine
    original = app.conf.broker_url
    app.conf.broker_url = "amqp://guest@localhost:5672//"
    try:
        with pytest.raises(ImproperlyConfigured):
            celery_app_check()
    finally:
        app.conf.broker_url = original


def test_redis_database_numbers_are_offsets_from_redis_url():
    probe = ("from config import settings as s; import json; print(json.dumps("
             "[s.CELERY_BROKER_URL, s.CACHES['default']['LOCATION'], s.CELERY_RESULT_BACKEND]))")
    for url, expected in [
        ("redis://127.0.0.1:6379/6", ["redis://127.0.0.1:6379/6", "redis://127.0.0.1:6379/7",
                                      "redis://127.0.0.1:6379/8"]),
        ("unix:///tmp/r.sock?db=3", ["redis+socket:///tmp/r.sock?virtual_host=3",
                                     "unix:///tmp/r.sock?db=4",
                                     "redis+socket:///tmp/r.sock?virtual_host=5"]),
    ]:
        env = {**os.environ, "REDIS_URL": url}
        out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True).stdout
        assert json.loads(out.strip().splitlines()[-1]) == expected
