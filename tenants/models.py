from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin


class Currency(models.TextChoices):
    VND = "VND", "VND"
    TWD = "TWD", "TWD"
    CNY = "CNY", "CNY"
    USD = "USD", "USD"


class Locale(models.TextChoices):
    VI = "vi", "Tiếng Việt"
    ZH_HANT = "zh-hant", "繁體中文"
    EN = "en", "English"


class Tenant(TenantMixin):
    """One business (one chain). Its schema name is an internal id, never its subdomain."""

    class State(models.TextChoices):
        TEMPLATE = "template", _("template")
        POOL = "pool", _("in signup pool")
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        DELETING = "deleting", _("marked for deletion")

    name = models.CharField(_("business name"), max_length=200, blank=True)
    subdomain = models.SlugField(_("subdomain"), max_length=63, unique=True, null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, db_index=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices,
                                default=Currency.VND)
    country = models.CharField(_("country"), max_length=2, default="VN",
                               help_text=_("ISO code; sets the phone number region."))
    locale = models.CharField(_("language"), max_length=8, choices=Locale.choices,
                              default=Locale.VI)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Ho_Chi_Minh")
    # The letterhead of the tenant's documents (statements).
    address = models.CharField(_("address"), max_length=500, blank=True)
    tax_code = models.CharField(_("tax code"), max_length=32, blank=True)
    # The letterhead's logo: a PNG or JPEG under MEDIA_ROOT/letterhead/<schema>/ (relative).
    logo_path = models.CharField(_("logo"), max_length=255, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    deleting_since = models.DateTimeField(
        null=True, blank=True, help_text=_("When deletion was asked for; the schema is "
                                           "dropped once the grace period has passed."))
    # Made by a benchmark or a test for itself: the only tenants dropped without the
    # deletion grace period (tenants.services.tenant_delete).
    scratch = models.BooleanField(default=False, editable=False)

    # Schemas are built by tenants.provisioning (pool, clone or migrate), never on save().
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        verbose_name = _("tenant")
        ordering = ["id"]

    def __str__(self):
        return self.name or self.schema_name

    @property
    def is_suspended(self) -> bool:
        return self.state == self.State.SUSPENDED


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")


class TemplateScript(models.Model):
    """The template schema's DDL and row copies as one replayable script
    (tenants.schema_builder), one per set of migrations applied to the template."""

    class State(models.TextChoices):
        VERIFIED = "verified", _("verified")
        FAILED = "failed", _("failed the catalogue check")

    migrations_key = models.CharField(max_length=64, unique=True)
    template_schema = models.CharField(max_length=63)
    script = models.TextField()
    state = models.CharField(max_length=16, choices=State.choices)
    differences = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("template script")

    def __str__(self):
        return f"{self.template_schema} {self.migrations_key[:12]} ({self.state})"


class TenantMigrationRun(models.Model):
    """One `migrate_tenants` run over the tenant schemas, resumed by the next invocation
    that has the same migrations to apply to the same schemas (tenants.fleet_migrations)."""

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("some tenants failed")
        INTERRUPTED = "interrupted", _("interrupted")

    run_key = models.CharField(max_length=64, db_index=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    invocations = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("tenant migration run")
        ordering = ["-id"]

    def __str__(self):
        return f"run {self.pk} ({self.state})"


class TenantMigration(models.Model):
    """One tenant schema's part in a run. Written by the worker process that migrates it, so
    what finished survives the loss of the process that started the run."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    run = models.ForeignKey(TenantMigrationRun, on_delete=models.CASCADE,
                            related_name="tenants")
    schema_name = models.CharField(max_length=63)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("tenant migration")
        constraints = [models.UniqueConstraint(fields=["run", "schema_name"],
                                               name="tenant_migration_once_per_run")]

    def __str__(self):
        return f"{self.schema_name} ({self.state})"
