"""Audit records of customers: who, when, what changed (before/after per field)."""

from datetime import date, datetime
from decimal import Decimal

from django.db import models

from crm.models import Customer, CustomerAudit


def audit_value(value):
    """A field value as JSON: ids for references, strings for amounts and times."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def audit_snapshot(instance: models.Model, fields) -> dict:
    return {f: audit_value(getattr(instance, _attname(instance, f))) for f in fields}


def _attname(instance, field: str) -> str:
    model_field = instance._meta.get_field(field)
    return model_field.attname


def audit_diff(before: dict, after: dict) -> dict:
    return {f: [before.get(f), after.get(f)] for f in after if before.get(f) != after.get(f)}


def audit_record(*, customer: Customer, action: str, actor, changes: dict | None = None,
                 note: str = "") -> CustomerAudit:
    return CustomerAudit.objects.create(
        customer_id=customer.id, customer_code=customer.code, customer_name=customer.name,
        action=action, actor=actor if actor is not None and actor.pk else None,
        changes=changes or {}, note=note)
