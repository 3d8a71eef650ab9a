"""CRM services (writes). Import from here: `from crm.services import customer_create`."""

from crm.services.children import (
    contact_create,
    contact_delete,
    contact_update,
    department_create,
    department_delete,
    department_update,
    terminal_create,
    terminal_delete,
    terminal_update,
)
from crm.services.customers import (
    customer_blockers,
    customer_create,
    customer_deactivate,
    customer_deactivate_blockers,
    customer_delete,
    customer_delete_blockers,
    customer_reactivate,
    customer_reactivate_blockers,
    customer_update,
)
from crm.services.groups import (
    customer_group_create,
    customer_group_delete,
    customer_group_update,
)
from crm.services.merge import customer_merge, customer_merge_preview

__all__ = [
    "contact_create", "contact_delete", "contact_update", "customer_blockers", "customer_create",
    "customer_group_create", "customer_group_delete", "customer_group_update",
    "customer_deactivate", "customer_deactivate_blockers", "customer_delete",
    "customer_delete_blockers", "customer_reactivate_blockers", "customer_merge",
    "customer_merge_preview",
    "customer_reactivate", "customer_update", "department_create", "department_delete",
    "department_update", "terminal_create", "terminal_delete",
    "terminal_update",
]
