"""Tenant life cycle: create (signup and admin onboarding), suspend, reactivate, delete."""

import re
import shutil
import zoneinfo
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_context

from tenants.current import tenant_current_forget
from tenants.exceptions import TenantFieldsInvalid, TenantNotDeletable, TenantStateInvalid
from tenants.models import Currency, Domain, Locale, Tenant
from tenants.provisioning import (
    TEMPLATE_SCHEMA,
    schema_ddl_lock,
    signup_pool_claim,
    signup_pool_refill_if_low,
)
from tenants.signals import tenant_provisioned

RESERVED_SUBDOMAINS = frozenset({
    "www", "api", "admin", "public", "app", "static", "media", "mail", "smtp", "ftp", "help",
    "support", "status", "docs", "blog", "billing", "dashboard", "login", "signup", "auth",
    "demo-admin", "root", "system", "internal", "test", "dev", "staging", "cdn", "assets",
    "tenant", "tenants", "platform",
})
SUBDOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

COUNTRY_BY_CURRENCY = {"VND": "VN", "TWD": "TW", "CNY": "CN", "USD": "US"}
TIMEZONE_BY_COUNTRY = {
    "VN": "Asia/Ho_Chi_Minh", "TW": "Asia/Taipei", "CN": "Asia/Shanghai",
    "HK": "Asia/Hong_Kong", "MO": "Asia/Macau", "SG": "Asia/Singapore",
    "MY": "Asia/Kuala_Lumpur", "US": "America/New_York",
}


def tenant_domain(subdomain: str) -> str:
    return f"{subdomain}.{settings.BASE_DOMAIN}"


def tenant_url(tenant: Tenant) -> str:
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{tenant_domain(tenant.subdomain)}{port}/"


def tenant_create_validate(
    *, business_name: str, subdomain: str, owner_email: str, owner_password: str | None,
    currency: str, locale: str, country: str | None, timezone_name: str | None,
) -> tuple[str, str]:
    """Check every field; raise one TenantFieldsInvalid naming each bad field.

    Returns the (country, timezone) to use, defaults filled in.
    """
    errors: dict[str, list[str]] = {}

    def fail(field, message):
        errors.setdefault(field, []).append(message)

    if not business_name.strip():
        fail("business_name", _("Enter the name of your business."))
    if not SUBDOMAIN_RE.match(subdomain) or len(subdomain) < 3:
        fail("subdomain", _("Use 3 to 63 lowercase letters, digits or hyphens; "
                            "start and end with a letter or digit."))
    elif subdomain in RESERVED_SUBDOMAINS:
        fail("subdomain", _("This subdomain is reserved. Choose another one."))
    elif Tenant.objects.filter(subdomain=subdomain).exists():
        fail("subdomain", _("This subdomain is already taken."))
    try:
        validate_email(owner_email)
    except ValidationError:
        fail("owner_email", _("Enter a valid e-mail address."))
    if owner_password is not None:
        try:
            validate_password(owner_password)
        except ValidationError as exc:
            errors.setdefault("owner_password", []).extend(exc.messages)
    if currency not in Currency.values:
        fail("currency", _("Choose one of: %(choices)s.") % {"choices": ", ".join(Currency.values)})
    if locale not in Locale.values:
        fail("locale", _("Choose one of: %(choices)s.") % {"choices": ", ".join(Locale.values)})
    country = (country or COUNTRY_BY_CURRENCY.get(currency, "VN")).upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        fail("country", _("Use a two-letter country code such as VN or TW."))
    timezone_name = timezone_name or TIMEZONE_BY_COUNTRY.get(country, "UTC")
    try:
        zoneinfo.ZoneInfo(timezone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        fail("timezone", _("Unknown time zone."))
    if errors:
        raise TenantFieldsInvalid(errors)
    return country, timezone_name


def tenant_create(
    *,
    business_name: str,
    subdomain: str,
    owner_email: str,
    owner_password: str | None = None,
    owner_password_hash: str | None = None,
    currency: str = Currency.VND,
    locale: str = Locale.VI,
    country: str | None = None,
    timezone_name: str | None = None,
    scratch: bool = False,
) -> Tenant:
    """Signup and admin onboarding: a usable tenant with its owner and MAIN branch.
    `scratch`: made by a benchmark or test for itself (see tenant_delete)."""
    subdomain = subdomain.strip().lower()
    owner_email = owner_email.strip().lower()
    country, timezone_name = tenant_create_validate(
        business_name=business_name, subdomain=subdomain, owner_email=owner_email,
        owner_password=owner_password, currency=currency, locale=locale, country=country,
        timezone_name=timezone_name)
    # Hash before the transaction: the deliberate Argon2 cost holds no row lock.
    password_hash = owner_password_hash or make_password(owner_password)
    try:
        tenant = tenant_provision(
            business_name=business_name.strip(), subdomain=subdomain, owner_email=owner_email,
            owner_password_hash=password_hash, currency=currency, locale=locale,
            country=country, timezone_name=timezone_name, scratch=scratch)
    except IntegrityError as exc:
        # Two signups raced for one subdomain; the unique constraint decided.
        raise TenantFieldsInvalid({"subdomain": [_("This subdomain is already taken.")]}) from exc
    return tenant


@transaction.atomic
def tenant_provision(
    *, business_name: str, subdomain: str, owner_email: str, owner_password_hash: str,
    currency: str, locale: str, country: str, timezone_name: str, scratch: bool = False,
    source: str = "pool",
) -> Tenant:
    """Claim a ready schema and fill in name, domain, owner and first branch. No validation.
    `source`: where the schema comes from (signup_pool_claim)."""
    tenant = signup_pool_claim(source=source)
    tenant.name = business_name
    tenant.scratch = scratch
    tenant.subdomain = subdomain
    tenant.state = Tenant.State.ACTIVE
    tenant.currency = currency
    tenant.locale = locale
    tenant.country = country
    tenant.timezone = timezone_name
    tenant.claimed_at = timezone.now()
    tenant.save()
    Domain.objects.create(domain=tenant_domain(subdomain), tenant=tenant, is_primary=True)
    with schema_context(tenant.schema_name), translation.override(locale):
        seeded = tenant_provisioned.send(sender=Tenant, tenant=tenant, owner_email=owner_email,
                                         owner_password_hash=owner_password_hash)
    if not seeded:
        raise ImproperlyConfigured("No app answered tenant_provisioned: the tenant would have "
                                   "no owner (is crm installed?).")
    transaction.on_commit(signup_pool_refill_if_low)
    return tenant


@transaction.atomic
def tenant_suspend(*, tenant: Tenant) -> Tenant:
    """A suspended tenant keeps its data; its API answers 403."""
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if tenant.state != Tenant.State.ACTIVE:
        raise TenantStateInvalid(_("Only an active tenant can be suspended."))
    tenant.state = Tenant.State.SUSPENDED
    tenant.suspended_at = timezone.now()
    tenant.save(update_fields=["state", "suspended_at"])
    return tenant


@transaction.atomic
def tenant_reactivate(*, tenant: Tenant) -> Tenant:
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if tenant.state != Tenant.State.SUSPENDED:
        raise TenantStateInvalid(_("Only a suspended tenant can be reactivated."))
    tenant.state = Tenant.State.ACTIVE
    tenant.suspended_at = None
    tenant.save(update_fields=["state", "suspended_at"])
    return tenant


def tenant_size_bytes(tenant: Tenant) -> int:
    """Disk used by the tenant's schema (tables, indexes, TOAST)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'm')", [tenant.schema_name])
        return int(cursor.fetchone()[0])


def tenant_files_root_remove(schema_name: str) -> None:
    """Remove a tenant's files: every area keeps them under MEDIA_ROOT/<area>/<schema>/."""
    media = Path(settings.MEDIA_ROOT)
    if not media.is_dir():
        return
    for area in media.iterdir():
        folder = area / schema_name
        if area.is_dir() and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)


def tenant_deletable(tenant: Tenant, *, now=None) -> bool:
    """A scratch tenant (made by a benchmark or test for itself), or one marked `deleting`
    whose grace period (TENANT_DELETE_GRACE_DAYS) has passed. Never the platform itself,
    the template or a pool member."""
    if tenant.schema_name in {get_public_schema_name(), TEMPLATE_SCHEMA}:
        return False
    if tenant.state in {Tenant.State.TEMPLATE, Tenant.State.POOL}:
        return False
    if tenant.scratch:
        return True
    if tenant.state != Tenant.State.DELETING or tenant.deleting_since is None:
        return False
    grace = timedelta(days=settings.TENANT_DELETE_GRACE_DAYS)
    return tenant.deleting_since + grace <= (now or timezone.now())


def tenant_delete(*, tenant: Tenant, now=None) -> None:
    """The one way a tenant's schema is ever dropped: schema, domains and row go together in
    one transaction (PostgreSQL's DROP SCHEMA is transactional, so a crash leaves either
    all three or none), the files after commit. Refuses any tenant `tenant_deletable`
    does not allow."""
    with transaction.atomic():
        locked = Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        if locked is None:
            return  # already gone
        if not tenant_deletable(locked, now=now):
            raise TenantNotDeletable(
                _("Tenant %(name)s is not marked for deletion (or its grace period has not "
                  "passed); it was not deleted.") % {"name": locked})
        schema_name = locked.schema_name
        schema_ddl_lock()
        with connection.cursor() as cursor:
            # Deferred checks still pending in this transaction would block the DROP.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema_name}" CASCADE')
        Domain.objects.filter(tenant_id=locked.pk).delete()
        Tenant.objects.filter(pk=locked.pk).delete()
        transaction.on_commit(lambda: tenant_files_root_remove(schema_name))
    connection.set_schema_to_public()


@transaction.atomic
def tenant_delete_request(*, tenant: Tenant) -> Tenant:
    """Mark a tenant `deleting`: its hosts stop answering at once (TenantStatusMiddleware)
    and `tenants_deleting_sweep` drops it once TENANT_DELETE_GRACE_DAYS have passed."""
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if tenant.state in {Tenant.State.TEMPLATE, Tenant.State.POOL} \
            or tenant.schema_name in {get_public_schema_name(), TEMPLATE_SCHEMA}:
        raise TenantStateInvalid(_("Only a business's tenant can be deleted."))
    if tenant.state == Tenant.State.DELETING:
        return tenant  # asked twice: the first request's grace period stands
    tenant.state = Tenant.State.DELETING
    tenant.deleting_since = timezone.now()
    tenant.save(update_fields=["state", "deleting_since"])
    return tenant


def tenants_deleting_sweep(*, now=None) -> int:
    """Drop every tenant marked `deleting` whose grace period has passed; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.TENANT_DELETE_GRACE_DAYS)
    due = Tenant.objects.filter(state=Tenant.State.DELETING, deleting_since__lte=cutoff)
    removed = 0
    for tenant in list(due):
        tenant_delete(tenant=tenant, now=now)
        removed += 1
    return removed


def tenants_scratch_delete(tenants) -> int:
    """Drop the given scratch tenants (a benchmark's or test's own); returns how many."""
    removed = 0
    for tenant in tenants:
        if not tenant.scratch:
            raise TenantNotDeletable(_("Only scratch tenants are removed this way."))
        tenant_delete(tenant=tenant)
        removed += 1
    return removed


def tenant_scratch_mark(*, tenant: Tenant) -> Tenant:
    """Mark a tenant that a benchmark or test has just made for itself (e.g. through the
    signup API) as scratch, so that it may be removed without the grace period."""
    Tenant.objects.filter(pk=tenant.pk).update(scratch=True)
    tenant.scratch = True
    return tenant


_PROFILE_LENGTHS = {"name": 200, "address": 500, "tax_code": 32}


@transaction.atomic
def tenant_profile_update(*, tenant: Tenant, **fields) -> Tenant:
    """The business's name, address, tax code (its documents' letterhead) and language.
    The currency is fixed at signup: every amount already recorded is in it."""
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for name, max_length in _PROFILE_LENGTHS.items():
        if name in fields:
            value = " ".join(str(fields[name] or "").split())
            if len(value) > max_length:
                errors[name] = [_("At most %(count)d characters.") % {"count": max_length}]
            cleaned[name] = value
    if "name" in cleaned and not cleaned["name"]:
        errors["name"] = [_("Enter the name of your business.")]
    if "locale" in fields:
        if fields["locale"] not in Locale.values:
            errors["locale"] = [_("Choose one of: %(choices)s.")
                                % {"choices": ", ".join(Locale.values)}]
        cleaned["locale"] = fields["locale"]
    if errors:
        raise TenantFieldsInvalid(errors)
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    for name, value in cleaned.items():
        setattr(tenant, name, value)
    if cleaned:
        tenant.save(update_fields=list(cleaned))
    tenant_current_forget()
    return tenant
