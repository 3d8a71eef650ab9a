"""Domain errors onto a form: the service's translated message next to the field it
names (the first of `fields` that the form has), else above the form."""

from saas_platform.errors import DomainError


def form_errors(error: DomainError, form_fields) -> dict[str, list[str]]:
    for name in error.fields or {}:
        if name in form_fields:
            return {name: [error.message]}
    return {"__all__": [error.message]}
