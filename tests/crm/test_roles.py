"""crm.roles: the role groups of a tenant schema match ROLE_PERMISSIONS exactly after a
sync, whatever drift came before, and a role permission that is missing is created by the
post_migrate receiver rather than failing the migration."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission

from crm.roles import (
    CASHIER,
    OWNER,
    ROLE_PERMISSIONS,
    ROLES,
    RolePermissionsMissing,
    roles_sync,
    roles_sync_on_migrate,
)


def _grants() -> dict[str, set[str]]:
    return {group.name: {f"{p.content_type.app_label}.{p.codename}"
                         for p in group.permissions.select_related("content_type")}
            for group in Group.objects.filter(name__in=ROLES)}


def _permission(label: str) -> Permission:
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def test_a_sync_repairs_missing_stale_and_deleted_grants(in_acme):
    assert _grants() == ROLE_PERMISSIONS
    owner = Group.objects.get(name=OWNER)
    owner.permissions.remove(_permission("crm.merge_customer"))
    Group.objects.get(name="salesperson").permissions.add(_permission("crm.delete_customer"))
    Group.objects.get(name=CASHIER).delete()
    roles_sync()
    assert _grants() == ROLE_PERMISSIONS
    assert Group.objects.get(name=OWNER).pk == owner.pk  # kept, not re-created


def test_a_missing_role_permission_is_created_by_the_migrate_receiver(in_acme):
    _permission("crm.view_all_jobs").delete()
    with pytest.raises(RolePermissionsMissing) as missing:
        roles_sync()
    assert missing.value.app_labels == ["crm"]
    last = [c for c in apps.get_app_configs() if c.models_module][-1]
    roles_sync_on_migrate(last, app_config=last, plan=[("a migration", False)])
    assert _grants() == ROLE_PERMISSIONS
