from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _


class Branch(models.Model):
    """A store of the chain. Every tenant starts with one, code MAIN."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=500, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    active = models.BooleanField(_("active"), default=True)
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, through="StaffBranch",
                                   related_name="branches")

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class StaffBranch(models.Model):
    """A staff user works at a branch; exactly one of their branches is primary."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT)
    primary = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "branch"], name="staffbranch_unique"),
            models.UniqueConstraint(fields=["user"], condition=Q(primary=True),
                                    name="staffbranch_one_primary"),
        ]

    def __str__(self):
        return f"{self.user_id}@{self.branch_id}"


class CustomerGroup(models.Model):
    """Classifies customers and drives agreement prices."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("customer group")
        ordering = ["name"]

    def __str__(self):
        return self.name


# What the name-order walk of a search reads besides the key: the id tiebreak, the
# search helper columns and the visibility and status columns.
NAME_WALK_COLUMNS = ["id", "search_text", "name_grams", "phone_digits", "code",
                     "home_branch", "shared", "owner", "status"]


class Customer(models.Model):
    """A customer of the chain (DESIGN §3). Walk-in sales have no customer row at all.

    The balance columns (receivable, prepaid, coins, total purchased) belong to finance:
    only finance services write them, under the customer's row lock, and each always
    equals the sum of its ledger entries.
    """

    class Role(models.TextChoices):
        RETAIL = "retail", _("Retail")
        COLLABORATOR = "collaborator", _("Collaborator")
        AGENT = "agent", _("Agent")

    class Settlement(models.TextChoices):
        ON_ACCOUNT = "on_account", _("On account")
        CASH = "cash", _("Cash")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=255)
    # name_key: NFC + case fold + whitespace fold (crm.normalize.name_key), unique
    # (customer_name_key_unique, which also covers the list's name-order walk).
    name_key = models.CharField(max_length=255, editable=False)
    phone = models.CharField(_("phone"), max_length=32, blank=True,
                             help_text=_("E.164, normalised from what was typed."))
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    group = models.ForeignKey(CustomerGroup, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="customers", verbose_name=_("group"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="owned_customers",
                              verbose_name=_("salesperson"))
    referrer = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="referrals", verbose_name=_("referrer"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.RETAIL)
    settlement_method = models.CharField(_("settlement method"), max_length=16,
                                         choices=Settlement.choices,
                                         default=Settlement.ON_ACCOUNT)
    prepaid_allowed = models.BooleanField(_("prepaid allowed"), default=False)
    credit_limit_amount = models.DecimalField(_("credit limit"), max_digits=18,
                                              decimal_places=2, null=True, blank=True)
    credit_limit_enforced = models.BooleanField(_("enforce credit limit"), default=False)
    # Days from an order's date to its due date; empty: the tenant's default (finance).
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), null=True,
                                                          blank=True)
    home_branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="customers",
                                    verbose_name=_("home branch"))
    shared = models.BooleanField(_("shared across branches"), default=False)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="subsidiaries", verbose_name=_("parent company"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.ACTIVE)
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="merged_from", editable=False)
    tax_code = models.CharField(_("tax code"), max_length=32, blank=True)
    note = models.TextField(_("note"), blank=True)

    # Owned by finance (see class docstring).
    receivable_amount = models.DecimalField(max_digits=18, decimal_places=2, default=0,
                                            editable=False)
    prepaid_amount = models.DecimalField(max_digits=18, decimal_places=2, default=0,
                                         editable=False)
    coins = models.BigIntegerField(default=0, editable=False)
    total_purchased_amount = models.DecimalField(max_digits=18, decimal_places=2, default=0,
                                                 editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+", editable=False)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+", editable=False)

    # Search helpers, computed by the database (imports COPY rows in: nothing is computed
    # in Python). The SQL functions live in `public` (crm migration 0004).
    search_text = models.GeneratedField(
        expression=Func(F("name"), F("code"), F("email"), function="public.crm_search_text",
                        output_field=models.TextField()),
        output_field=models.TextField(), db_persist=True)
    name_grams = models.GeneratedField(
        expression=Func(F("name"), function="public.crm_cjk_grams",
                        output_field=ArrayField(models.TextField())),
        output_field=ArrayField(models.TextField()), db_persist=True)
    phone_digits = models.GeneratedField(
        expression=Func(F("phone"), function="public.crm_digits",
                        output_field=models.TextField()),
        output_field=models.TextField(), db_persist=True)

    class Meta:
        verbose_name = _("customer")
        ordering = ["code"]
        permissions = [
            ("change_other_owner_customer", _("Can edit customers of another owner")),
            ("view_other_owner_customer", _("Can see customers of another owner")),
            ("view_all_branches_customer", _("Can see customers of every branch")),
            ("merge_customer", _("Can merge customers")),
            # Jobs (imports, exports, statement batches) hold customers' data: each is its
            # creator's, unless this is granted (the owner role has it; no other by default).
            ("view_all_jobs", _("Can see every user's imports, exports and statement batches")),
        ]
        constraints = [
            # Unique names; the index also carries what a search and the visibility rules
            # read, so the list's name-order walk is an index-only scan
            # (crm.selectors.customer_rows).
            models.UniqueConstraint(fields=["name_key"], name="customer_name_key_unique",
                                    include=NAME_WALK_COLUMNS),
            # A phone belongs to one active customer at a time.
            models.UniqueConstraint(fields=["phone"], condition=Q(status="active") & ~Q(phone=""),
                                    name="customer_active_phone_unique"),
            models.CheckConstraint(condition=Q(prepaid_amount__gte=0),
                                   name="customer_prepaid_not_negative"),
            models.CheckConstraint(condition=Q(credit_limit_amount__isnull=True)
                                   | Q(credit_limit_amount__gte=0),
                                   name="customer_credit_limit_not_negative"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")),
                                   name="customer_not_own_parent"),
        ]
        indexes = [
            # Django wraps an operator class on a generated column in parentheses (invalid
            # SQL), so the trigram and pattern indexes are created by migration 0004's SQL:
            # customer_search_trgm, customer_phone_digits, customer_code_prefix.
            GinIndex(fields=["name_grams"], name="customer_name_grams"),
            # Keyset pagination orders: (key, id).
            models.Index(fields=["created_at", "id"], name="customer_created_id"),
            models.Index(fields=["total_purchased_amount", "id"], name="customer_purchased_id"),
            models.Index(fields=["receivable_amount", "id"], name="customer_receivable_id"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class Contact(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="contacts")
    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    position = models.CharField(_("position"), max_length=100, blank=True)
    primary = models.BooleanField(_("primary"), default=False)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("contact")
        ordering = ["-primary", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=Q(primary=True),
                                    name="contact_one_primary"),
        ]

    def __str__(self):
        return self.name


class CustomerDepartment(models.Model):
    """A department of a customer company: orders under it, billed to it."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="departments")
    name = models.CharField(_("name"), max_length=200)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("department")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "name"], name="department_unique_name"),
        ]

    def __str__(self):
        return self.name


class Terminal(models.Model):
    """An end outlet of a customer (e.g. a store of an electronics chain) goods go to."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="terminals")
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=500, blank=True)
    contact_name = models.CharField(_("contact"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("terminal")
        ordering = ["name"]

    def __str__(self):
        return self.name


class CustomerAudit(models.Model):
    """Who changed what on a customer, when: before/after per field. Append-only (a
    trigger rejects UPDATE and DELETE). Keeps the customer's id, code and name, not a
    foreign key, so the record outlives a deleted customer."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DEACTIVATE = "deactivate", _("Deactivated")
        REACTIVATE = "reactivate", _("Reactivated")
        DELETE = "delete", _("Deleted")
        MERGE = "merge", _("Merged")
        CONTACT = "contact", _("Contact changed")
        DEPARTMENT = "department", _("Department changed")
        TERMINAL = "terminal", _("Terminal changed")

    customer_id = models.BigIntegerField(db_index=True)
    customer_code = models.CharField(max_length=32)
    customer_name = models.CharField(max_length=255)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    # {"field": [before, after]}, values as JSON (amounts as strings).
    changes = models.JSONField(_("changes"), default=dict)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("customer audit record")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.customer_code} {self.action} {self.at:%Y-%m-%d %H:%M}"


class CustomerNameBucket(models.Model):
    """A contiguous range of the name order (customer_name_key_unique) and the search grams
    its customers hold: the name-order search walks only the ranges that can hold a match
    (crm.name_buckets). A bucket runs from its `first_key` to the next bucket's; the first
    bucket's is '' so that every key has one. `grams` may hold more than the rows do (a
    renamed or deleted customer's grams stay until the bucket is refreshed), never less
    once the ranges written since (CustomerNameDirty) are counted in."""

    first_key = models.CharField(max_length=255, primary_key=True)
    rows = models.IntegerField()
    grams = ArrayField(models.TextField())

    class Meta:
        indexes = [GinIndex(fields=["grams"], name="customer_name_bucket_grams")]

    def __str__(self):
        return f"{self.first_key!r} ({self.rows})"


class CustomerNameDirty(models.Model):
    """Name keys written since their buckets were refreshed (`high` empty: no upper end).
    Database triggers on crm_customer add them in the writer's own transaction, so a reader
    that sees a customer sees its range here or its grams in the bucket."""

    low = models.CharField(max_length=255)
    high = models.CharField(max_length=255, null=True)  # noqa: DJ001 - NULL: no upper end

    def __str__(self):
        return f"{self.low!r}..{self.high!r}"
