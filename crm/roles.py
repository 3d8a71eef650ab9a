"""The five roles of DESIGN §3 as Django groups with permissions, per tenant schema.

Groups are created by `post_migrate` in every tenant schema (so the template, and every
tenant cloned from it, carries them). Later modules add their permissions to ROLE_PERMISSIONS.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import connection
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import get_public_schema_name

OWNER, MANAGER, ACCOUNTANT, SALESPERSON, CASHIER = (
    "owner", "manager", "accountant", "salesperson", "cashier")
ROLES = (OWNER, MANAGER, ACCOUNTANT, SALESPERSON, CASHIER)
ROLE_LABELS = {
    OWNER: _("Owner"),
    MANAGER: _("Branch manager"),
    ACCOUNTANT: _("Accountant"),
    SALESPERSON: _("Salesperson"),
    CASHIER: _("Cashier"),
}

_BRANCH_ADMIN = {"crm.view_branch", "crm.add_branch", "crm.change_branch"}
_STAFF_ADMIN = {"auth.view_user", "auth.add_user", "auth.change_user"}

# Customers, per the roles table of DESIGN §3. "permission" cells there are rights an
# owner grants to one user (user permissions), so the role itself lacks them.
_SEE = {"crm.view_customer", "crm.view_customergroup"}
_CREATE = _SEE | {"crm.add_customer"}
_EDIT = _CREATE | {"crm.change_customer"}
_ALL_BRANCHES = {"crm.view_all_branches_customer"}
_OTHER_OWNERS = {"crm.view_other_owner_customer"}
_CROSS_OWNER_EDIT = {"crm.change_other_owner_customer"}
_GROUP_ADMIN = {"crm.add_customergroup", "crm.change_customergroup"}
_CUSTOMER_ADMIN = {"crm.delete_customer", "crm.merge_customer"}

ROLE_PERMISSIONS: dict[str, set[str]] = {
    OWNER: _BRANCH_ADMIN | _STAFF_ADMIN | _EDIT | _ALL_BRANCHES | _OTHER_OWNERS
    | _CROSS_OWNER_EDIT | _GROUP_ADMIN | _CUSTOMER_ADMIN | {"crm.delete_customergroup"}
    | {"crm.view_all_jobs"},
    MANAGER: _BRANCH_ADMIN | {"auth.view_user"} | _EDIT | _OTHER_OWNERS | _CROSS_OWNER_EDIT
    | _GROUP_ADMIN | _CUSTOMER_ADMIN,
    ACCOUNTANT: {"crm.view_branch"} | _EDIT | _ALL_BRANCHES | _OTHER_OWNERS,
    SALESPERSON: {"crm.view_branch"} | _EDIT,
    CASHIER: {"crm.view_branch"} | _CREATE | _OTHER_OWNERS,
}


# The "permission" cells of DESIGN §3's roles table (and §2's all-branches right): what an
# owner may grant to one user on top of their roles (Django user permissions).
GRANTABLE_PERMISSIONS = {
    "crm.view_all_branches_customer": _("See customers of every branch"),
    "crm.view_other_owner_customer": _("See customers of other salespeople"),
    "crm.change_other_owner_customer": _("Edit customers of other salespeople"),
    "crm.merge_customer": _("Merge customers"),
}


class RolePermissionsMissing(LookupError):
    def __init__(self, permissions: list[str]):
        super().__init__(f"Role permissions that do not exist: {permissions}")
        self.app_labels = sorted({perm.split(".", 1)[0] for perm in permissions})


def roles_sync(*, using: str = "default") -> None:
    """Make the role groups of the current schema match ROLE_PERMISSIONS exactly, set-wise:
    a handful of queries whatever the number of roles and permissions (it runs in every
    tenant schema on every migration, see roles_sync_on_migrate)."""
    from django.contrib.auth.models import Group, Permission

    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    found = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.using(using)
        .filter(codename__in={perm.split(".", 1)[1] for perm in wanted})
        .values_list("pk", "content_type__app_label", "codename")
        if f"{app_label}.{codename}" in wanted
    }
    missing = wanted - found.keys()
    if missing:
        raise RolePermissionsMissing(sorted(missing))
    groups = Group.objects.using(using)
    role_pks = dict(groups.filter(name__in=ROLES).values_list("name", "pk"))
    if len(role_pks) < len(ROLES):
        groups.bulk_create([Group(name=r) for r in ROLES if r not in role_pks])
        role_pks = dict(groups.filter(name__in=ROLES).values_list("name", "pk"))
    grants = Group.permissions.through.objects.using(using)
    want = {(role_pks[role], found[perm])
            for role, perms in ROLE_PERMISSIONS.items() for perm in perms}
    have = {(group, perm): pk for pk, group, perm in grants.filter(
        group_id__in=role_pks.values()).values_list("pk", "group_id", "permission_id")}
    stale = [pk for pair, pk in have.items() if pair not in want]
    if stale:
        grants.filter(pk__in=stale).delete()
    grants.bulk_create([Group.permissions.through(group_id=group, permission_id=perm)
                        for group, perm in sorted(want - have.keys())])


def roles_sync_on_migrate(sender, app_config=None, using="default", plan=None, **kwargs):
    # Once per migrate that applied something, after the last app with models; never in
    # the public schema (platform staff have no roles). By then auth's create_permissions
    # has normally run for every app; only permissions still missing (a receiver order
    # that differs, or migrate_tenants skipping that work for a plan that adds no models)
    # are created here, for their apps alone.
    if not plan or connection.schema_name == get_public_schema_name():
        return
    last = [c for c in global_apps.get_app_configs() if c.models_module][-1]
    if app_config is None or app_config.label != last.label:
        return
    try:
        roles_sync(using=using)
    except RolePermissionsMissing as missing:
        for label in missing.app_labels:
            create_permissions(global_apps.get_app_config(label), verbosity=0, using=using)
        roles_sync(using=using)
