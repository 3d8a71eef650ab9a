"""Import and export jobs (tenant schema). A job's counters and messages are what
`GET /imports/{id}` and `GET /exports/{id}` show (DESIGN §6)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """What every job has: who started it, when it ran, its heartbeat and expiry."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        abstract = True
        ordering = ["-id"]


class ImportJob(Job):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        VALIDATING = "validating", _("Validating")
        WRITING = "writing", _("Writing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", _("All or nothing")
        VALID_ROWS = "valid_rows", _("Valid rows only")

    RUNNING = ("validating", "writing")

    class Match(models.TextChoices):
        CODE = "code", _("Customer code")
        PHONE = "phone", _("Phone")

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED,
                              db_index=True)
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.ALL_OR_NOTHING)
    match = models.CharField(max_length=8, choices=Match.choices, default=Match.CODE)
    original_name = models.CharField(max_length=255, blank=True)
    # Paths relative to MEDIA_ROOT, always under the tenant's schema (exchange.files).
    upload_path = models.CharField(max_length=500)
    error_file_path = models.CharField(max_length=500, blank=True)
    file_key = models.CharField(max_length=64)
    rows_total = models.PositiveIntegerField(default=0)
    rows_processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    contacts_created = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list)
    errors = models.JSONField(default=list)
    opening_balances_posted = models.BooleanField(default=False)
    rerun_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="reruns")

    def __str__(self):
        return f"import {self.pk} ({self.status})"


class ExportJob(Job):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        WRITING = "writing", _("Writing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    RUNNING = ("writing",)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED,
                              db_index=True)
    filters = models.JSONField(default=dict)
    lang = models.CharField(max_length=8, default="en")
    file_path = models.CharField(max_length=500, blank=True)
    file_key = models.CharField(max_length=64)
    rows_total = models.PositiveIntegerField(default=0)
    rows_processed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)

    def __str__(self):
        return f"export {self.pk} ({self.status})"
