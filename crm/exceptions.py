"""Domain errors of customers; `api.errors` turns each into its HTTP status and code."""

from django.utils.translation import gettext as _

from saas_platform.errors import DomainError


class CrmError(DomainError):
    """A rule of customers refused the request."""


class CustomerFieldsInvalid(CrmError):
    """Field problems (crm.validation.FieldProblem) of one customer, contact, ..."""
    code, http_status = "invalid", 400

    def __init__(self, problems):
        self.problems = list(problems)
        fields: dict[str, list[str]] = {}
        for p in self.problems:
            fields.setdefault(p.field, []).append(p.message)
        first = self.problems[0]
        super().__init__(f"{first.field}: {first.message}", fields=fields)


def _ref(customer) -> dict:
    return {"id": customer.id, "code": customer.code, "name": customer.name}


# Each "taken" error names the customer holding the value only when the actor may see
# it (`existing`); otherwise it says the value is taken and nothing more.

class CustomerNameTaken(CrmError):
    code, http_status = "customer_name_taken", 409

    def __init__(self, existing=None):
        self.existing = existing
        if existing is None:
            super().__init__(_("The name is already used by another customer."),
                             fields={"name": [_("Already used by another customer.")]})
            return
        super().__init__(
            _("The name is already used by customer %(code)s %(name)s.")
            % {"code": existing.code, "name": existing.name},
            fields={"name": [_("Already used by %(code)s.") % {"code": existing.code}],
                    "existing": _ref(existing)})


class CustomerPhoneTaken(CrmError):
    code, http_status = "customer_phone_taken", 409

    def __init__(self, existing=None):
        self.existing = existing
        if existing is None:
            super().__init__(_("The phone number belongs to another active customer."),
                             fields={"phone": [_("Already used by another customer.")]})
            return
        super().__init__(
            _("The phone number belongs to another active customer: %(code)s %(name)s.")
            % {"code": existing.code, "name": existing.name},
            fields={"phone": [_("Already used by %(code)s.") % {"code": existing.code}],
                    "existing": _ref(existing)})


class CustomerCodeTaken(CrmError):
    code, http_status = "customer_code_taken", 409

    def __init__(self, existing=None):
        self.existing = existing
        if existing is None:
            super().__init__(_("The code is already used by another customer."),
                             fields={"code": [_("Already used.")]})
            return
        super().__init__(
            _("The code %(code)s is already used by %(name)s.")
            % {"code": existing.code, "name": existing.name},
            fields={"code": [_("Already used.")], "existing": _ref(existing)})


class CustomerUnknown(CrmError):
    """A customer named in the input that does not exist for this user."""
    code, http_status = "invalid", 400

    def __init__(self, message: str):
        super().__init__(message, fields={"customer": [message]})


class CustomerParentInvalid(CrmError):
    code, http_status = "customer_parent_invalid", 409


class CustomerReferrerInvalid(CrmError):
    code, http_status = "customer_referrer_invalid", 409


class CustomerEditForbidden(CrmError):
    code, http_status = "customer_edit_forbidden", 403


class CustomerDeactivateBlocked(CrmError):
    code, http_status = "customer_has_receivable", 409


class CustomerDeleteBlocked(CrmError):
    code, http_status = "customer_in_use", 409


class CustomerInactive(CrmError):
    code, http_status = "customer_inactive", 409


class CustomerMergeConflict(CrmError):
    code, http_status = "customer_merge_conflict", 409


class DepartmentNameTaken(CrmError):
    code, http_status = "department_name_taken", 409


class GroupTaken(CrmError):
    code, http_status = "group_taken", 409


class GroupInUse(CrmError):
    code, http_status = "group_in_use", 409


class BranchCodeTaken(CrmError):
    code, http_status = "branch_code_taken", 409

    def __init__(self, code: str):
        self.branch_code = code
        message = _("A branch with this code exists.")
        super().__init__(message, fields={"code": [message]})


class StaffFieldsInvalid(CrmError):
    """A staff user's fields are wrong; `fields` names each one."""
    code, http_status = "invalid", 400

    def __init__(self, fields: dict[str, list[str]]):
        field, messages = next(iter(fields.items()))
        super().__init__(f"{field}: {messages[0]}", fields=fields)


class StaffForbidden(CrmError):
    code, http_status = "staff_forbidden", 403


class StaffRuleBroken(CrmError):
    """A change that would leave the tenant without an owner, or lock oneself out."""
    code, http_status = "staff_rule_broken", 409


class PasswordLinkInvalid(CrmError):
    code, http_status = "password_link_invalid", 400


class PasswordResetThrottled(CrmError):
    code, http_status = "password_reset_throttled", 429
