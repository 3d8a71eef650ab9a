"""Small helpers for CRM tests: users of the session tenants and customers."""

import itertools

from django.contrib.auth.models import User

from crm.models import Branch
from crm.services import customer_create

_phones = itertools.count(1000)


def user(role: str, tenant: str = "acme") -> User:
    return User.objects.get(username=f"{role}@{tenant}.test")


def branch(code: str) -> Branch:
    return Branch.objects.get(code=code)


def next_phone() -> str:
    """A valid mobile number, national format, in VN and in TW alike."""
    return f"0912{next(_phones):06d}"


def customer(actor=None, **fields):
    actor = actor or user("owner")
    fields.setdefault("name", f"Khách {next(_phones)}")
    fields.setdefault("phone", next_phone())
    return customer_create(actor=actor, **fields)
