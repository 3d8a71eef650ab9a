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
    # The language of the request that created the job: its reasons and error workbook
    # are written in it. Blank (jobs from before it was kept): the tenant's locale.
    lang = models.CharField(max_length=8, blank=True)
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


class StatementBatchJob(Job):
    """A zip of one statement PDF per customer plus a summary workbook (DESIGN §6). The
    customers are those its creator may see when it runs, cut into chunks that the
    workers render in parallel (StatementBatchChunk)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    RUNNING = ("running",)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED,
                              db_index=True)
    period_from = models.DateField()
    period_to = models.DateField()
    # branch, owner, group (ids) and nonzero_only, as the request gave them.
    filters = models.JSONField(default=dict)
    lang = models.CharField(max_length=8, default="en")
    consolidated = models.BooleanField(default=False)
    email = models.BooleanField(default=False)
    chunk_size = models.PositiveIntegerField(default=100)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    statements = models.PositiveIntegerField(default=0)  # PDFs in the zip
    emails_sent = models.PositiveIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    file_path = models.CharField(max_length=500, blank=True)
    file_key = models.CharField(max_length=64)
    files_deleted = models.BooleanField(default=False)  # expired: its folder is gone
    errors = models.JSONField(default=list)
    rerun_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="reruns")

    def __str__(self):
        return f"statement batch {self.pk} ({self.status})"


class StatementBatchChunk(models.Model):
    """A slice of a batch's customers. `done` is set once, in the transaction that counts
    the chunk into its job: a redelivered chunk that finds it set does nothing."""

    job = models.ForeignKey(StatementBatchJob, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    customer_ids = models.JSONField(default=list)
    done = models.BooleanField(default=False)
    # One row per customer for the summary workbook: code, name, amounts as strings.
    summary = models.JSONField(default=list)
    emailed = models.BooleanField(default=False)
    # When a worker last took the chunk: a chunk started and not done is being worked on
    # (its worker heartbeats); one never started waits in the queue (exchange.services
    # jobs_sweep_schema tells the two apart).
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "index"]
        constraints = [models.UniqueConstraint(fields=["job", "index"],
                                               name="statement_chunk_unique_index")]

    def __str__(self):
        return f"batch {self.job_id} chunk {self.index}"
