"""Customer groups: classify customers and drive agreement prices."""

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from crm.exceptions import CustomerEditForbidden, CustomerFieldsInvalid, GroupInUse, GroupTaken
from crm.models import CustomerGroup
from crm.validation import FieldCleaner

_SPEC = {"code": 20, "name": 200, "note": None}


def _clean(fields: dict, *, partial: bool) -> dict:
    c = FieldCleaner(fields, partial)
    for name, max_length in _SPEC.items():
        c.text(name, max_length, required=name != "note", multiline=name == "note")
    if c.problems:
        raise CustomerFieldsInvalid(c.problems)
    if "code" in c.cleaned:
        c.cleaned["code"] = c.cleaned["code"].upper()
    return c.cleaned


def _save(group: CustomerGroup, cleaned: dict) -> CustomerGroup:
    for name, value in cleaned.items():
        setattr(group, name, value)
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError:
        raise GroupTaken(_("A group with this code or name already exists."),
                         fields={"code": [_("Code and name must be unique.")]}) from None
    return group


@transaction.atomic
def customer_group_create(*, actor: User, **fields) -> CustomerGroup:
    if not actor.has_perm("crm.add_customergroup"):
        raise CustomerEditForbidden(_("You may not manage customer groups."))
    return _save(CustomerGroup(), _clean(fields, partial=False))


@transaction.atomic
def customer_group_update(*, actor: User, group: CustomerGroup, **fields) -> CustomerGroup:
    if not actor.has_perm("crm.change_customergroup"):
        raise CustomerEditForbidden(_("You may not manage customer groups."))
    return _save(group, _clean(fields, partial=True))


@transaction.atomic
def customer_group_delete(*, actor: User, group: CustomerGroup) -> None:
    if not actor.has_perm("crm.delete_customergroup"):
        raise CustomerEditForbidden(_("You may not manage customer groups."))
    if group.customers.exists():
        raise GroupInUse(_("Customers still belong to group %(name)s.") % {"name": group.name})
    group.delete()
