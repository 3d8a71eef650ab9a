"""What hangs under a customer: contacts (one primary), departments, terminals.

Editing them is editing the customer: the same ownership rule applies, and each change
writes an audit record on the customer.
"""

from django.contrib.auth.models import User
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from crm.audit import audit_diff, audit_record, audit_snapshot
from crm.exceptions import CustomerFieldsInvalid, DepartmentNameTaken
from crm.locks import customer_lock
from crm.models import Contact, Customer, CustomerAudit, CustomerDepartment, Terminal
from crm.services.customers import _require_edit
from crm.validation import FieldCleaner, contact_fields_clean
from tenants.current import tenant_current

CONTACT_FIELDS = ("name", "phone", "email", "position", "primary", "note")
DEPARTMENT_FIELDS = ("name", "note")
TERMINAL_FIELDS = ("name", "address", "contact_name", "phone", "note")


def _locked_for_edit(actor: User, customer: Customer) -> Customer:
    customer = customer_lock(customer.id)
    _require_edit(actor, customer)
    return customer


def _audit_child(customer, action, actor, kind, instance, before, fields, *, removed=False,
                 pk=None):
    after = dict.fromkeys(before) if removed else audit_snapshot(instance, fields)
    pk = pk or instance.pk
    changes = {f"{kind}:{pk}:{k}": v for k, v in audit_diff(before, after).items()}
    audit_record(customer=customer, action=action, actor=actor, changes=changes)


def _contact_clean(fields: dict, *, partial: bool) -> dict:
    region = tenant_current().region
    cleaned, problems = contact_fields_clean(fields, region=region, partial=partial)
    if problems:
        raise CustomerFieldsInvalid(problems)
    return cleaned


def _contact_write(contact: Contact, cleaned: dict) -> Contact:
    for name, value in cleaned.items():
        setattr(contact, name, value)
    others = Contact.objects.filter(customer_id=contact.customer_id).exclude(pk=contact.pk)
    if contact.primary:
        others.filter(primary=True).update(primary=False)
    elif not others.filter(primary=True).exists():
        contact.primary = True  # the first (or only remaining) contact is the primary one
    contact.save()
    return contact


@transaction.atomic
def contact_create(*, actor: User, customer: Customer, **fields) -> Contact:
    customer = _locked_for_edit(actor, customer)
    contact = _contact_write(Contact(customer=customer), _contact_clean(fields, partial=False))
    _audit_child(customer, CustomerAudit.Action.CONTACT, actor, "contact", contact, {},
                 CONTACT_FIELDS)
    return contact


@transaction.atomic
def contact_update(*, actor: User, contact: Contact, **fields) -> Contact:
    customer = _locked_for_edit(actor, contact.customer)
    contact = Contact.objects.get(pk=contact.pk)
    before = audit_snapshot(contact, CONTACT_FIELDS)
    contact = _contact_write(contact, _contact_clean(fields, partial=True))
    _audit_child(customer, CustomerAudit.Action.CONTACT, actor, "contact", contact, before,
                 CONTACT_FIELDS)
    return contact


@transaction.atomic
def contact_delete(*, actor: User, contact: Contact) -> None:
    customer = _locked_for_edit(actor, contact.customer)
    before = audit_snapshot(contact, CONTACT_FIELDS)
    was_primary = contact.primary
    pk = contact.pk
    contact.delete()
    if was_primary:
        successor = customer.contacts.order_by("id").first()
        if successor is not None:
            successor.primary = True
            successor.save(update_fields=["primary"])
    _audit_child(customer, CustomerAudit.Action.CONTACT, actor, "contact", contact, before,
                 CONTACT_FIELDS, removed=True,
                 pk=pk)


def _simple_clean(fields: dict, spec: dict[str, int | None], *, partial: bool,
                  phone: bool = False) -> dict:
    """Departments and terminals: trimmed text with lengths; name required."""
    c = FieldCleaner(fields, partial)
    for name, max_length in spec.items():
        if name == "phone" and phone:
            c.phone("phone", tenant_current().region)
        else:
            c.text(name, max_length, required=(name == "name"), multiline=(name == "note"))
    if c.problems:
        raise CustomerFieldsInvalid(c.problems)
    return c.cleaned


def _child_save(instance: models.Model, cleaned: dict) -> models.Model:
    for name, value in cleaned.items():
        setattr(instance, name, value)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        if isinstance(instance, CustomerDepartment):
            raise DepartmentNameTaken(
                _("The customer already has a department named “%(name)s”.")
                % {"name": instance.name},
                fields={"name": [_("Already used.")]}) from None
        raise
    return instance


_DEPARTMENT_SPEC = {"name": 200, "note": None}
_TERMINAL_SPEC = {"name": 200, "address": 500, "contact_name": 200, "phone": 64, "note": None}


@transaction.atomic
def department_create(*, actor: User, customer: Customer, **fields) -> CustomerDepartment:
    customer = _locked_for_edit(actor, customer)
    department = _child_save(CustomerDepartment(customer=customer),
                             _simple_clean(fields, _DEPARTMENT_SPEC, partial=False))
    _audit_child(customer, CustomerAudit.Action.DEPARTMENT, actor, "department", department,
                 {}, DEPARTMENT_FIELDS)
    return department


@transaction.atomic
def department_update(*, actor: User, department: CustomerDepartment,
                      **fields) -> CustomerDepartment:
    customer = _locked_for_edit(actor, department.customer)
    before = audit_snapshot(department, DEPARTMENT_FIELDS)
    department = _child_save(department, _simple_clean(fields, _DEPARTMENT_SPEC, partial=True))
    _audit_child(customer, CustomerAudit.Action.DEPARTMENT, actor, "department", department,
                 before, DEPARTMENT_FIELDS)
    return department


@transaction.atomic
def department_delete(*, actor: User, department: CustomerDepartment) -> None:
    customer = _locked_for_edit(actor, department.customer)
    before = audit_snapshot(department, DEPARTMENT_FIELDS)
    pk = department.pk
    department.delete()
    _audit_child(customer, CustomerAudit.Action.DEPARTMENT, actor, "department", department,
                 before, DEPARTMENT_FIELDS, removed=True,
                 pk=pk)


@transaction.atomic
def terminal_create(*, actor: User, customer: Customer, **fields) -> Terminal:
    customer = _locked_for_edit(actor, customer)
    terminal = _child_save(Terminal(customer=customer),
                           _simple_clean(fields, _TERMINAL_SPEC, partial=False, phone=True))
    _audit_child(customer, CustomerAudit.Action.TERMINAL, actor, "terminal", terminal, {},
                 TERMINAL_FIELDS)
    return terminal


@transaction.atomic
def terminal_update(*, actor: User, terminal: Terminal, **fields) -> Terminal:
    customer = _locked_for_edit(actor, terminal.customer)
    before = audit_snapshot(terminal, TERMINAL_FIELDS)
    terminal = _child_save(terminal,
                           _simple_clean(fields, _TERMINAL_SPEC, partial=True, phone=True))
    _audit_child(customer, CustomerAudit.Action.TERMINAL, actor, "terminal", terminal, before,
                 TERMINAL_FIELDS)
    return terminal


@transaction.atomic
def terminal_delete(*, actor: User, terminal: Terminal) -> None:
    customer = _locked_for_edit(actor, terminal.customer)
    before = audit_snapshot(terminal, TERMINAL_FIELDS)
    pk = terminal.pk
    terminal.delete()
    _audit_child(customer, CustomerAudit.Action.TERMINAL, actor, "terminal", terminal, before,
                 TERMINAL_FIELDS, removed=True,
                 pk=pk)

