"""The base of every domain error.

A domain error carries what any interface needs to answer it: a stable `code` (for
clients), an HTTP status (for the API; the web app shows the message next to the field),
a translated message and, optionally, `fields` naming the bad input. Services raise
subclasses; `api/errors.py` maps every subclass in one handler, the web app in its own.
"""


class DomainError(Exception):
    code: str = "invalid"
    http_status: int = 400
    default_message: str = ""
    fields: dict | None = None
    retry_after: int | None = None  # seconds, for errors that say "not now" (429)

    def __init__(self, message: str | None = None, *, fields: dict | None = None):
        super().__init__(str(message if message is not None else self.default_message))
        if fields is not None:
            self.fields = fields

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __str__(self) -> str:
        return self.message


class FieldsInvalid(DomainError):
    """Bad input, field by field: `fields` is {field: [messages]}."""

    code, http_status = "invalid", 400

    def __init__(self, fields: dict[str, list[str]]):
        field, messages = next(iter(fields.items()))
        super().__init__(f"{field}: {messages[0]}", fields=fields)
