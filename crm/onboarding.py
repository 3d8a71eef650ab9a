"""What a new tenant starts with in the CRM: its MAIN branch and its owner."""

from django.utils.translation import gettext as _

from crm.roles import OWNER
from crm.staff import MAIN_BRANCH_CODE, branch_create, staff_create


def tenant_staff_seed(sender, *, tenant, owner_email: str, owner_password_hash: str,
                      **kwargs) -> None:
    """Receiver of tenants.signals.tenant_provisioned (runs in the new tenant's schema)."""
    branch = branch_create(code=MAIN_BRANCH_CODE, name=_("Main branch"))
    staff_create(username=owner_email, email=owner_email, password_hash=owner_password_hash,
                 roles=[OWNER], branches=[branch])
