"""The Celery app: tenant-aware (a task sent inside a tenant's schema runs there)."""

from workers.celery import app

__all__ = ["app"]
