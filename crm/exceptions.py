"""Domain errors of customers; `api.errors` turns each into its HTTP status and code."""

from django.utils.translation import gettext as _

from api.errors import domain_error


class CrmError(Exception):
    fields: dict | None = None

    def __init__(self, message: str, *, fields: dict | None = None):
        super().__init__(message)
        if fields is not None:
            self.fields = fields


@domain_error(400, "invalid")
class CustomerFieldsInvalid(CrmError):
    """Field problems (crm.validation.FieldProblem) of one customer, contact, ..."""

    def __init__(self, problems):
        self.problems = list(problems)
        fields: dict[str, list[str]] = {}
        for p in self.problems:
            fields.setdefault(p.field, []).append(p.message)
        first = self.problems[0]
        super().__init__(f"{first.field}: {first.message}", fields=fields)


def _ref(customer) -> dict:
    return {"id": customer.id, "code": customer.code, "name": customer.name}


@domain_error(409, "customer_name_taken")
class CustomerNameTaken(CrmError):
    def __init__(self, existing):
        self.existing = existing
        super().__init__(
            _("The name is already used by customer %(code)s %(name)s.")
            % {"code": existing.code, "name": existing.name},
            fields={"name": [_("Already used by %(code)s.") % {"code": existing.code}],
                    "existing": _ref(existing)})


@domain_error(409, "customer_phone_taken")
class CustomerPhoneTaken(CrmError):
    def __init__(self, existing):
        self.existing = existing
        super().__init__(
            _("The phone number belongs to another active customer: %(code)s %(name)s.")
            % {"code": existing.code, "name": existing.name},
            fields={"phone": [_("Already used by %(code)s.") % {"code": existing.code}],
                    "existing": _ref(existing)})


@domain_error(409, "customer_code_taken")
class CustomerCodeTaken(CrmError):
    def __init__(self, existing):
        self.existing = existing
        super().__init__(
            _("The code %(code)s is already used by %(name)s.")
            % {"code": existing.code, "name": existing.name},
            fields={"code": [_("Already used.")], "existing": _ref(existing)})


@domain_error(409, "customer_parent_invalid")
class CustomerParentInvalid(CrmError):
    pass


@domain_error(409, "customer_referrer_invalid")
class CustomerReferrerInvalid(CrmError):
    pass


@domain_error(403, "customer_edit_forbidden")
class CustomerEditForbidden(CrmError):
    pass


@domain_error(409, "customer_has_receivable")
class CustomerDeactivateBlocked(CrmError):
    pass


@domain_error(409, "customer_in_use")
class CustomerDeleteBlocked(CrmError):
    pass


@domain_error(409, "customer_inactive")
class CustomerInactive(CrmError):
    pass


@domain_error(409, "customer_merge_conflict")
class CustomerMergeConflict(CrmError):
    pass


@domain_error(409, "department_name_taken")
class DepartmentNameTaken(CrmError):
    pass


@domain_error(409, "group_taken")
class GroupTaken(CrmError):
    pass


@domain_error(409, "group_in_use")
class GroupInUse(CrmError):
    pass
