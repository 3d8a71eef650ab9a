"""Formatting only: amounts in the tenant's currency and the page's language, times in
the tenant's time zone; the main navigation the user may follow."""

import uuid
from decimal import Decimal

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils import formats, numberformat, timezone
from django.utils.translation import gettext as _

from crm.models import Customer
from crm.roles import ROLE_LABELS
from saas_platform.money import decimals
from tenants.current import tenant_current
from web.navigation import main_navigation

register = template.Library()

SYMBOLS = {"VND": "₫", "TWD": "NT$", "CNY": "¥", "USD": "$"}


@register.filter
def money(amount) -> str:
    if amount is None or amount == "":
        return ""
    current = tenant_current()
    value = current.money(Decimal(amount))
    sign = "-" if value < 0 else ""
    # Grouped by thousands in every language (Django's zh-Hant format has no separator).
    text = numberformat.format(abs(value), formats.get_format("DECIMAL_SEPARATOR"),
                               decimals(current.currency), grouping=3,
                               thousand_sep=formats.get_format("THOUSAND_SEPARATOR") or ",",
                               force_grouping=True)
    symbol = SYMBOLS.get(current.currency, current.currency)
    return f"{sign}{text} {symbol}" if current.currency == "VND" else f"{sign}{symbol}{text}"


@register.filter
def local_time(moment) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment, tenant_current().timezone)
    return formats.date_format(local, "SHORT_DATETIME_FORMAT")


@register.inclusion_tag("web/navigation.html", takes_context=True)
def main_nav(context) -> dict:
    return {"items": main_navigation(context["user"]), "current": context.get("nav")}


@register.simple_tag
def new_token() -> str:
    """A fresh form token (one per rendered form: a double tap sends the same one)."""
    return str(uuid.uuid4())


@register.filter
def customer_field_label(name: str) -> str:
    """A customer field's name in words (the audit tab's changes)."""
    try:
        return str(Customer._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


@register.filter
def local_date(moment) -> str:
    if moment is None:
        return ""
    return formats.date_format(timezone.localtime(moment, tenant_current().timezone),
                               "SHORT_DATE_FORMAT")


@register.filter
def customer_field_value(value, name: str) -> str:
    """An audited value in words: a choice's label, yes/no; others as recorded."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    try:
        field = Customer._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    return str(dict(field.choices).get(value, value)) if field.choices else str(value)


@register.filter
def role_label(role: str) -> str:
    """A role's name in the page's language."""
    return str(ROLE_LABELS.get(role, role))
