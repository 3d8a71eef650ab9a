from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class ConfigConfig(AppConfig):
    """The composing app: management commands `seed_demo` and `bench`, the site templates."""

    name = "config"
    verbose_name = "Configuration"

    def ready(self):
        from django.contrib.auth.signals import user_login_failed

        from saas_platform.login_throttle import on_login_failed

        celery_app_check()
        user_login_failed.connect(on_login_failed, dispatch_uid="login_throttle")


def celery_app_check() -> None:
    """Refuse to start a process whose tasks would go anywhere but our Redis broker."""
    from celery import current_app
    from django.conf import settings

    from config.celery import app

    if current_app._get_current_object() is not app:
        raise ImproperlyConfigured("The current Celery app is not the project's (config.celery).")
    broker = app.conf.broker_url or ""
    if broker != settings.CELERY_BROKER_URL or not broker.startswith(("redis", "rediss")):
        raise ImproperlyConfigured(f"Celery's broker must be the configured Redis, not {broker!r}.")
