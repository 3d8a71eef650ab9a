"""What composes everything: settings, URL confs, the Celery app, the supervisor, the demo
seeding and the benchmark command. Nothing below imports it.

Importing the Celery app here (the Django convention) makes every process that loads the
settings -- gunicorn, the worker, beat, management commands, tests -- send its tasks
through the project's app and its Redis broker, never through Celery's default app (whose
AMQP broker on localhost would accept them silently; see NOTES "Celery in web processes").
"""

from config.celery import app as celery_app

__all__ = ["celery_app"]
