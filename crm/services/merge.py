"""Merge two records of the same customer: a preview of what moves, then the move.

Contacts, departments, terminals, subsidiaries and referrals move to the survivor;
other domains move theirs through `crm.hooks.customer_merge_steps` (finance: open
balances by a transfer pair of ledger entries, agreement prices). The merged record
becomes inactive with a pointer to the survivor. Nothing is deleted: a conflict (a
department name both have, links that would point a customer at itself) stops the merge
with the list of conflicts.
"""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from crm import hooks
from crm.audit import audit_record
from crm.exceptions import CustomerEditForbidden, CustomerMergeConflict
from crm.locks import customers_lock
from crm.models import Contact, Customer, CustomerAudit, CustomerDepartment, Terminal


def _conflicts(source: Customer, target: Customer) -> list[str]:
    conflicts = []
    if source.id == target.id:
        return [_("A customer cannot be merged into itself.")]
    for customer in (source, target):
        if customer.status != Customer.Status.ACTIVE:
            conflicts.append(_("Customer %(code)s is inactive.") % {"code": customer.code})
    node, seen = target, set()
    while node is not None and node.id not in seen:
        if node.id == source.id:
            conflicts.append(_("%(target)s is a subsidiary of %(source)s: the survivor would "
                               "become its own parent.")
                             % {"target": target.code, "source": source.code})
            break
        seen.add(node.id)
        node = node.parent
    if target.referrer_id == source.id:
        conflicts.append(_("%(source)s referred %(target)s: the survivor would refer itself.")
                         % {"source": source.code, "target": target.code})
    clashing = sorted(
        set(source.departments.values_list("name", flat=True))
        & set(target.departments.values_list("name", flat=True)))
    if clashing:
        conflicts.append(_("Both have departments named: %(names)s.")
                         % {"names": ", ".join(clashing)})
    return conflicts


def customer_merge_preview(*, actor: User, source: Customer, target: Customer) -> dict:
    """What a merge of `source` into `target` would move, and what stops it."""
    moves = {
        "contacts": source.contacts.count(),
        "departments": source.departments.count(),
        "terminals": source.terminals.count(),
        "subsidiaries": source.subsidiaries.count(),
        "referrals": source.referrals.count(),
        "receivable": str(source.receivable_amount),
        "prepaid_balance": str(source.prepaid_amount),
        "coins": source.coins,
    }
    for preview in hooks.customer_merge_previews:
        moves.update(preview(source=source, target=target))
    return {
        "source": {"id": source.id, "code": source.code, "name": source.name},
        "target": {"id": target.id, "code": target.code, "name": target.name},
        "moves": moves,
        "conflicts": _conflicts(source, target),
    }


@transaction.atomic
def customer_merge(*, actor: User, source: Customer, target: Customer,
                   note: str = "") -> Customer:
    """Merge `source` into `target` (the survivor); returns the survivor."""
    if not actor.has_perm("crm.merge_customer"):
        raise CustomerEditForbidden(_("You may not merge customers."))
    locked = customers_lock([source.id, target.id])
    source, target = locked[source.id], locked[target.id]
    conflicts = _conflicts(source, target)
    if conflicts:
        raise CustomerMergeConflict(
            _("Customers %(source)s and %(target)s cannot be merged: %(conflicts)s")
            % {"source": source.code, "target": target.code, "conflicts": " ".join(conflicts)},
            fields={"conflicts": conflicts})
    preview = customer_merge_preview(actor=actor, source=source, target=target)
    if target.contacts.filter(primary=True).exists():
        source.contacts.filter(primary=True).update(primary=False)
    Contact.objects.filter(customer=source).update(customer=target)
    CustomerDepartment.objects.filter(customer=source).update(customer=target)
    Terminal.objects.filter(customer=source).update(customer=target)
    Customer.objects.filter(parent=source).update(parent=target)
    Customer.objects.filter(referrer=source).update(referrer=target)
    hooks.customer_merge_run(source=source, target=target, actor=actor)
    source.status = Customer.Status.INACTIVE
    source.merged_into = target
    source.updated_by = actor
    source.save(update_fields=["status", "merged_into", "updated_by", "updated_at"])
    moved = preview["moves"]
    audit_record(customer=source, action=CustomerAudit.Action.MERGE, actor=actor, note=note,
                 changes={"status": ["active", "inactive"], "merged_into": [None, target.id],
                          "moved": [None, moved]})
    audit_record(customer=target, action=CustomerAudit.Action.MERGE, actor=actor, note=note,
                 changes={"merged_from": [None, source.id], "moved": [None, moved]})
    return target
