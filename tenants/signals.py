"""Signals of the tenant life cycle, for the packages above `tenants` (which it must not
import): the CRM answers `tenant_provisioned` with the first branch and the owner."""

from django.dispatch import Signal

# Sent inside the new tenant's schema, in its language, inside the provisioning
# transaction; arguments: tenant, owner_email, owner_password_hash.
tenant_provisioned = Signal()
