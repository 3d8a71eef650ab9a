"""Customer services: create, update, deactivate, reactivate, delete.

Fields come as the API takes them (`credit_limit`, `group`/`owner`/`home_branch`/
`parent`/`referrer` as ids or objects, `referrer_phone`). Each service is atomic and
composable: inside an outer transaction (an order creating its customer inline) it runs
in a savepoint, so a refused create leaves the outer work intact.
"""

from django.contrib.auth.models import User
from django.contrib.postgres.expressions import ArraySubquery
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from crm import hooks
from crm.audit import audit_diff, audit_record, audit_snapshot
from crm.codes import customer_codes_next, customer_codes_reserve
from crm.exceptions import (
    CustomerCodeTaken,
    CustomerDeactivateBlocked,
    CustomerDeleteBlocked,
    CustomerEditForbidden,
    CustomerFieldsInvalid,
    CustomerInactive,
    CustomerNameTaken,
    CustomerParentInvalid,
    CustomerPhoneTaken,
    CustomerReferrerInvalid,
)
from crm.locks import customer_lock
from crm.models import Branch, Customer, CustomerAudit, CustomerGroup
from crm.name_buckets import name_buckets_refresh_soon
from crm.selectors import (
    customer_can_edit,
    customer_code_conflicts,
    customer_name_conflicts,
    customer_phone_conflicts,
    customer_ref_shown,
    customer_visible,
)
from crm.staff import staff_primary_branch
from crm.validation import FieldProblem, customer_fields_clean
from tenants.current import tenant_current

# Fields a customer's audit record tracks (model names).
AUDITED = ("code", "name", "phone", "email", "address", "group", "owner", "referrer", "role",
           "settlement_method", "prepaid_allowed", "credit_limit_amount",
           "credit_limit_enforced", "payment_terms_days", "home_branch", "shared", "parent",
           "status", "tax_code", "note", "merged_into")
_API_TO_MODEL = {"credit_limit": "credit_limit_amount"}
# What a caller may give a customer service (API names); anything else is refused by name.
CUSTOMER_INPUT_FIELDS = frozenset({
    "code", "name", "phone", "email", "address", "group", "owner", "referrer",
    "referrer_phone", "role", "settlement_method", "prepaid_allowed", "credit_limit",
    "credit_limit_enforced", "payment_terms_days", "home_branch", "shared", "parent", "status",
    "tax_code", "note"})
_REFERENCES = {"group": CustomerGroup, "owner": User, "home_branch": Branch,
               "parent": Customer, "referrer": Customer}
_UNSET = object()


def _not_found(field: str) -> FieldProblem:
    return FieldProblem(field, "not_found", _("No such record."))


def _resolve_references(fields: dict, problems: list[FieldProblem], actor: User) -> dict:
    """{field: instance or None} for the references given (ids or instances). A customer
    (parent, referrer) is looked up among those the actor may see: any other is "not
    found", exactly as one that does not exist."""
    resolved = {}
    for field, model in _REFERENCES.items():
        if field not in fields:
            continue
        value = fields[field]
        manager = customer_visible(actor) if model is Customer else model.objects.all()
        if value in (None, ""):
            resolved[field] = None
        elif isinstance(value, model):
            if model is Customer and not manager.filter(pk=value.pk).exists():
                problems.append(_not_found(field))
            else:
                resolved[field] = value
        else:
            try:
                resolved[field] = manager.get(pk=int(value))
            except (TypeError, ValueError, OverflowError, model.DoesNotExist):
                problems.append(_not_found(field))
    if "owner" in resolved and resolved["owner"] is not None and not resolved["owner"].is_active:
        problems.append(FieldProblem("owner", "inactive", _("This user is not active.")))
    return resolved


def _referrer_by_phone(phone: str, problems: list[FieldProblem],
                       actor: User) -> Customer | None:
    found = customer_phone_conflicts([phone]).get(phone)
    referrer = customer_visible(actor).filter(pk=found.id).first() if found else None
    if referrer is None:
        problems.append(FieldProblem("referrer_phone", "not_found",
                                     _("No active customer has this phone number.")))
    return referrer


def _prepare(fields: dict, *, partial: bool, actor: User) -> tuple[dict, dict]:
    """Cleaned plain fields (model names) and resolved references; raises on problems."""
    current = tenant_current()
    region, currency = current.region, current.currency
    unknown = sorted(str(key) for key in fields if key not in CUSTOMER_INPUT_FIELDS)
    if unknown:
        raise CustomerFieldsInvalid([FieldProblem(key, "unknown_field", _("Unknown field."))
                                     for key in unknown])
    cleaned, problems = customer_fields_clean(fields, region=region, currency=currency,
                                              partial=partial)
    references = _resolve_references(fields, problems, actor)
    if partial and "home_branch" in references and references["home_branch"] is None:
        # Every customer keeps a home branch; only a new one is given the default.
        problems.append(FieldProblem("home_branch", "required", _("Choose a branch.")))
    referrer_phone = cleaned.pop("referrer_phone", None)
    if referrer_phone and "referrer" not in references:
        references["referrer"] = _referrer_by_phone(referrer_phone, problems, actor)
    if problems:
        raise CustomerFieldsInvalid(problems)
    plain = {_API_TO_MODEL.get(k, k): v for k, v in cleaned.items()}
    return plain, references


def _check_unique(customer: Customer, actor: User | None = None) -> None:
    """Name, active phone and code are unique in the tenant. The error names the holder
    only to an actor who may see it (else a phone would tell whose it is)."""
    exclude = [customer.id] if customer.id else []

    def shown(ref):
        return customer_ref_shown(actor, ref)

    taken = customer_name_conflicts([customer.name_key], exclude_ids=exclude)
    if taken:
        raise CustomerNameTaken(shown(taken[customer.name_key]))
    if customer.phone and customer.status == Customer.Status.ACTIVE:
        taken = customer_phone_conflicts([customer.phone], exclude_ids=exclude)
        if taken:
            raise CustomerPhoneTaken(shown(taken[customer.phone]))
    taken = customer_code_conflicts([customer.code], exclude_ids=exclude)
    if taken:
        raise CustomerCodeTaken(shown(taken[customer.code]))


def _check_links(customer: Customer) -> None:
    """No parent cycle; an active customer's parent is active; the referrer is another,
    active customer."""
    parent = customer.parent
    if parent is not None:
        seen = {customer.id}
        node = parent
        while node is not None:
            if node.id in seen:
                raise CustomerParentInvalid(
                    _("%(name)s cannot be a parent company here: the parent links would "
                      "form a cycle.") % {"name": parent.name},
                    fields={"parent": [_("Parent links would form a cycle.")]})
            seen.add(node.id)
            node = node.parent
        if customer.status == Customer.Status.ACTIVE and parent.status != Customer.Status.ACTIVE:
            raise CustomerParentInvalid(
                _("The parent company %(code)s %(name)s is inactive.")
                % {"code": parent.code, "name": parent.name},
                fields={"parent": [_("The parent company is inactive.")]})
    referrer = customer.referrer
    if referrer is not None and (referrer.id == customer.id and customer.id is not None):
        raise CustomerReferrerInvalid(_("A customer cannot refer themselves."),
                                      fields={"referrer": [_("Cannot be the customer.")]})


def _save(customer: Customer, *, actor: User | None = None, **kwargs) -> None:
    """Save in a savepoint; a unique violation that slipped past the checks (a concurrent
    writer) becomes the same clear error the checks give."""
    try:
        with transaction.atomic():
            customer.save(**kwargs)
    except IntegrityError:
        _check_unique(customer, actor)
        raise
    name_buckets_refresh_soon()


@transaction.atomic
def customer_create(*, actor: User, **fields) -> Customer:
    """A new customer. Only name and phone are required; owner defaults to the actor,
    home_branch to the actor's primary branch (DESIGN §6)."""
    if not actor.has_perm("crm.add_customer"):
        raise CustomerEditForbidden(_("You may not create customers."))
    plain, references = _prepare(fields, partial=False, actor=actor)
    references.setdefault("owner", actor)
    if references.get("home_branch") is None:
        references["home_branch"] = staff_primary_branch(actor) or Branch.objects.order_by(
            "id").first()
    customer = Customer(**plain, **references, created_by=actor, updated_by=actor)
    if customer.code:
        customer_codes_reserve([customer.code])
    else:
        customer.code = customer_codes_next(1)[0]
    _check_links(customer)
    _check_unique(customer, actor)
    _save(customer, actor=actor)
    _require_still_visible(actor, customer)
    audit_record(customer=customer, action=CustomerAudit.Action.CREATE, actor=actor,
                 changes=audit_diff({}, audit_snapshot(customer, AUDITED)))
    return customer


def _require_still_visible(actor: User, customer: Customer) -> None:
    """A change that would hide the customer from its own actor (a salesperson setting
    another branch as home, or another owner) is refused; the transaction rolls back."""
    if not customer_visible(actor).filter(pk=customer.pk).exists():
        raise CustomerEditForbidden(
            _("After this change you could no longer see customer %(code)s (another branch's "
              "or another salesperson's), so it was not saved.") % {"code": customer.code},
            fields={"home_branch": [_("You would no longer see this customer.")]})


def _require_edit(actor: User, customer: Customer) -> None:
    if not customer_can_edit(actor, customer):
        raise CustomerEditForbidden(
            _("Customer %(code)s belongs to another salesperson; editing it needs the "
              "cross-owner permission.") % {"code": customer.code})


@transaction.atomic
def customer_update(*, actor: User, customer: Customer, **fields) -> Customer:
    """Change the given fields. `status` goes through deactivate/reactivate rules."""
    customer = customer_lock(customer.id)
    _require_edit(actor, customer)
    visible_before = customer_visible(actor).filter(pk=customer.pk).exists()
    plain, references = _prepare(fields, partial=True, actor=actor)
    status = plain.pop("status", None)
    if "owner" in references and references["owner"] != customer.owner:
        if not (actor.has_perm("crm.change_other_owner_customer")
                or references["owner"] in (None, actor)):
            raise CustomerEditForbidden(_("Giving a customer to another salesperson needs "
                                          "the cross-owner permission."))
    before = audit_snapshot(customer, AUDITED)
    for name, value in {**plain, **references}.items():
        setattr(customer, name, value)
    if "code" in plain:
        customer_codes_reserve([customer.code])
    _check_links(customer)
    _check_unique(customer, actor)
    customer.updated_by = actor
    _save(customer, actor=actor)
    if visible_before:
        _require_still_visible(actor, customer)
    changes = audit_diff(before, audit_snapshot(customer, AUDITED))
    if changes:
        audit_record(customer=customer, action=CustomerAudit.Action.UPDATE, actor=actor,
                     changes=changes)
    if status == Customer.Status.INACTIVE:
        customer = customer_deactivate(actor=actor, customer=customer)
    elif status == Customer.Status.ACTIVE:
        customer = customer_reactivate(actor=actor, customer=customer)
    return customer


def _status_set(customer: Customer, status: str, actor: User, action: str,
                note: str) -> Customer:
    before = audit_snapshot(customer, AUDITED)
    customer.status = status
    customer.updated_by = actor
    _save(customer, update_fields=["status", "updated_by", "updated_at"])
    audit_record(customer=customer, action=action, actor=actor, note=note,
                 changes=audit_diff(before, audit_snapshot(customer, AUDITED)))
    return customer


def _active_subsidiaries() -> dict:
    return {"codes": ArraySubquery(Customer.objects.filter(
        parent=OuterRef("pk"), status=Customer.Status.ACTIVE).order_by("code").values("code")[:5])}


def _active_subsidiaries_reasons(found: dict) -> list[str]:
    if not found["codes"]:
        return []
    return [_("Subsidiaries are still active: %(codes)s.") % {"codes": ", ".join(found["codes"])}]


def _pointers() -> dict:
    return {name: Exists(Customer.objects.filter(**{name: OuterRef("pk")}))
            for name in ("referrer", "parent", "merged_into")}


def _pointers_reasons(found: dict) -> list[str]:
    if any(found.values()):
        return [_("Other customers name it as referrer, parent company or merge survivor.")]
    return []


ACTIVE_SUBSIDIARIES = hooks.RowGuard(columns=_active_subsidiaries,
                                     reasons=_active_subsidiaries_reasons)
POINTERS = hooks.RowGuard(columns=_pointers, reasons=_pointers_reasons)


def customer_blockers(customer: Customer, *, deactivate: bool = False,
                      delete: bool = False) -> dict[str, list[str]]:
    """{"deactivate": reasons, "delete": reasons} of the kinds asked (empty: allowed), every
    guard that reads rows (finance's and ours) answered in one query.

    Deactivate: zero receivable (and finance's guards), no active subsidiary. Delete:
    finance's guards (orders, ledger entries, prices) and no other customer pointing at it.
    The one rule, for the API, the web app and the import alike."""
    kinds = {"deactivate": ([*hooks.customer_deactivate_guards], ACTIVE_SUBSIDIARIES),
             "delete": ([*hooks.customer_delete_guards], POINTERS)}
    kinds = {kind: guards for kind, guards in kinds.items()
             if (deactivate if kind == "deactivate" else delete)}
    asked = [guard for others, own in kinds.values() for guard in (*others, own)]
    answers = iter(hooks.row_guards_answer(customer, asked))
    found = {}
    for kind, (others, _own) in kinds.items():
        reasons = [reason for _guard in others for reason in next(answers)]
        if kind == "deactivate" and customer.receivable_amount != 0 and not reasons:
            reasons = [_("The customer still owes %(amount)s.")
                       % {"amount": customer.receivable_amount}]
        found[kind] = reasons + next(answers)
    return found


def customer_deactivate_blockers(customer: Customer) -> list[str]:
    """Why this customer may not be made inactive (empty: it may); see customer_blockers."""
    return customer_blockers(customer, deactivate=True)["deactivate"]


def customer_reactivate_blockers(customer: Customer) -> list[str]:
    """Why this inactive customer may not be made active again: a merged one stays merged."""
    if customer.merged_into_id:
        return [_("Customer %(code)s was merged into %(target)s.")
                % {"code": customer.code, "target": customer.merged_into.code}]
    return []


@transaction.atomic
def customer_deactivate(*, actor: User, customer: Customer, note: str = "") -> Customer:
    """Only with zero receivable (and whatever finance's guards say) and no active
    subsidiary."""
    customer = customer_lock(customer.id)
    _require_edit(actor, customer)
    if customer.status == Customer.Status.INACTIVE:
        return customer
    reasons = customer_deactivate_blockers(customer)
    if reasons:
        raise CustomerDeactivateBlocked(
            _("Customer %(code)s cannot be deactivated: %(reasons)s")
            % {"code": customer.code, "reasons": " ".join(reasons)})
    return _status_set(customer, Customer.Status.INACTIVE, actor,
                       CustomerAudit.Action.DEACTIVATE, note)


@transaction.atomic
def customer_reactivate(*, actor: User, customer: Customer, note: str = "") -> Customer:
    customer = customer_lock(customer.id)
    _require_edit(actor, customer)
    if customer.status == Customer.Status.ACTIVE:
        return customer
    reasons = customer_reactivate_blockers(customer)
    if reasons:
        raise CustomerInactive(" ".join(reasons))
    customer.status = Customer.Status.ACTIVE
    _check_links(customer)
    _check_unique(customer, actor)
    return _status_set(customer, Customer.Status.ACTIVE, actor,
                       CustomerAudit.Action.REACTIVATE, note)


def customer_delete_blockers(customer: Customer) -> list[str]:
    """Why this customer may not be deleted (empty: it may); see customer_blockers."""
    return customer_blockers(customer, delete=True)["delete"]


@transaction.atomic
def customer_delete(*, actor: User, customer: Customer) -> None:
    """Only a customer that never ordered, has no ledger entry and no agreement price
    (finance's guards), and that no other customer points at. Its contacts, departments
    and terminals go with it; the audit trail stays."""
    customer = customer_lock(customer.id)
    if not actor.has_perm("crm.delete_customer"):
        raise CustomerEditForbidden(_("You may not delete customers."))
    _require_edit(actor, customer)
    reasons = customer_delete_blockers(customer)
    if reasons:
        raise CustomerDeleteBlocked(_("Customer %(code)s cannot be deleted: %(reasons)s")
                                    % {"code": customer.code, "reasons": " ".join(reasons)})
    before = audit_snapshot(customer, AUDITED)
    audit_record(customer=customer, action=CustomerAudit.Action.DELETE, actor=actor,
                 changes=audit_diff(before, dict.fromkeys(before)))
    customer.contacts.all().delete()
    customer.departments.all().delete()
    customer.terminals.all().delete()
    customer.delete()
