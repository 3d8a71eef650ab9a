"""Domain errors onto a form: the service's translated message next to the field it
names (the first of `fields` that the form has), else above the form."""

from saas_platform.errors import DomainError


def form_errors(error: DomainError, form_fields) -> dict[str, list[str]]:
    for name in error.fields or {}:
        if name in form_fields:
            return {name: [error.message]}
    return {"__all__": [error.message]}


def form_errors_add(error: DomainError, form, aliases: dict[str, str] | None = None) -> None:
    """Every field message of `error` next to its field (`aliases` maps the service's
    field names to the form's); the message above the form when none is the form's."""
    placed = False
    for name, messages in (error.fields or {}).items():
        name = (aliases or {}).get(name, name)
        if name in form.fields and isinstance(messages, list):
            for message in messages:
                form.add_error(name, str(message))
            placed = True
    if not placed:
        form.add_error(None, error.message)
