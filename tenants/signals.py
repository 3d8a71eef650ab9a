"""Signals of the tenant life cycle, for the packages above `tenants` (which it must not
import): the CRM answers `tenant_provisioned` with the first branch and the owner."""

from django.dispatch import Signal

# Sent inside the new tenant's schema, in its language, inside the provisioning
# transaction; arguments: tenant, owner_email, owner_password_hash.
tenant_provisioned = Signal()

# Sent inside the restored tenant's schema, inside the restore transaction, after its rows
# have been checked against the archive; arguments: tenant, schema_from (the archived
# schema's name, which rows that name their tenant's folders still carry).
tenant_restored = Signal()
