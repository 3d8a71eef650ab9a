"""A job's heartbeat: a thread with its own database connection stamps `heartbeat_at`
(and the progress counters) every few seconds, so the beat sweeper can tell a live job
from one whose worker died, even while the job's own connection is inside its one long
transaction."""

import threading

from django.conf import settings
from django.db import connection
from django.utils import timezone


class Heartbeat:
    def __init__(self, model, job_id: int, *, interval: float | None = None):
        self.model, self.job_id = model, job_id
        self.schema = connection.schema_name
        self.interval = settings.EXCHANGE_HEARTBEAT_SECONDS if interval is None else interval
        self.progress: dict = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}",
                                        daemon=True)

    def report(self, **counters) -> None:
        self.progress.update(counters)

    def _beat(self) -> None:
        fields = {"heartbeat_at": timezone.now(), **self.progress}
        self.model.objects.filter(pk=self.job_id, status__in=self.model.RUNNING).update(**fields)

    def _run(self) -> None:
        connection.set_schema(self.schema)
        try:
            while not self._stop.wait(self.interval):
                self._beat()
        finally:
            connection.close()

    def __enter__(self):
        if self.interval > 0:
            self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
