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
