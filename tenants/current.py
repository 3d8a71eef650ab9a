"""The current tenant, read one way everywhere: schema, currency, phone region, time zone
and locale, and money rounded to its currency.

In a request (and in a task, through tenant-schemas-celery) `connection.tenant` is the real
Tenant row; inside a bare `schema_context` it is a stand-in that knows only the schema, so
the row is read once and kept on the connection until the schema changes.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from saas_platform.money import money
from tenants.models import Tenant

_CACHE_ATTRIBUTE = "_chainledger_current_tenant"


@dataclass(frozen=True)
class CurrentTenant:
    schema_name: str
    currency: str
    region: str  # ISO country code: the default region of phone numbers
    timezone_name: str
    locale: str
    name: str = ""
    address: str = ""
    tax_code: str = ""
    logo_path: str = ""  # relative to MEDIA_ROOT (tenants.letterhead)

    @property
    def timezone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone_name)

    def money(self, amount) -> Decimal:
        """`amount` rounded to this tenant's currency (the one rounding of amounts)."""
        return money(amount, self.currency)


def _of(tenant: Tenant) -> CurrentTenant:
    return CurrentTenant(schema_name=tenant.schema_name, currency=tenant.currency,
                         region=tenant.country, timezone_name=tenant.timezone,
                         locale=tenant.locale, name=tenant.name, address=tenant.address,
                         tax_code=tenant.tax_code, logo_path=tenant.logo_path)


def tenant_current() -> CurrentTenant:
    """The tenant whose schema the connection is in. LookupError outside any tenant."""
    schema = connection.schema_name
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant) and tenant.pk and tenant.schema_name == schema:
        return _of(tenant)
    cached = getattr(connection, _CACHE_ATTRIBUTE, None)
    if cached is not None and cached.schema_name == schema:
        return cached
    row = Tenant.objects.filter(schema_name=schema).first()
    if row is None:
        raise LookupError(f"no tenant has the schema {schema!r}")
    current = _of(row)
    setattr(connection, _CACHE_ATTRIBUTE, current)
    return current


def tenant_current_forget() -> None:
    """Drop the kept row (after a service changed the tenant's letterhead or settings)."""
    if hasattr(connection, _CACHE_ATTRIBUTE):
        delattr(connection, _CACHE_ATTRIBUTE)


def tenant_money(amount) -> Decimal:
    """`amount` rounded to the current tenant's currency."""
    return tenant_current().money(amount)
