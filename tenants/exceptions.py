"""Errors of the tenant life cycle (signup, suspend, reactivate, delete)."""

from saas_platform.errors import DomainError, FieldsInvalid


class TenantFieldsInvalid(FieldsInvalid):
    """A signup or onboarding field is wrong; `fields` names each one."""


class TenantStateInvalid(DomainError):
    code, http_status = "tenant_state_invalid", 409


class TenantNotDeletable(DomainError):
    """Only a tenant marked for deletion whose grace period has passed, or a scratch tenant
    of a benchmark or test, may be dropped."""

    code, http_status = "tenant_not_deletable", 409


class TenantArchiveInvalid(DomainError):
    """A tenant archive that cannot be restored here: damaged, of other migrations, or
    aimed at a schema, subdomain or domain that is taken. Nothing was written."""

    code, http_status = "tenant_archive_invalid", 400
