"""One place that turns errors into the API's JSON shape:
{"code": "...", "detail": "<translated message>", "fields": {...}} with a 4xx status."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from saas_platform.errors import DomainError


def _fields_from_django(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages]
                for field, errors in exc.error_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


def _flatten(detail):
    if isinstance(detail, dict):
        return {k: _flatten(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_flatten(v) for v in detail]
    return str(detail)


def _first_message(fields) -> str:
    if isinstance(fields, dict):
        for key, value in fields.items():
            message = _first_message(value)
            if message:
                return message if key == "non_field_errors" else f"{key}: {message}"
    if isinstance(fields, list):
        for value in fields:
            message = _first_message(value)
            if message:
                return message
    return fields if isinstance(fields, str) else ""


def error_response(http_status: int, code: str, detail: str, fields=None, headers=None):
    body = {"code": code, "detail": detail}
    if fields:
        body["fields"] = fields
    return Response(body, status=http_status, headers=headers)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):  # every service's typed error, one mapping
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return error_response(exc.http_status, exc.code, exc.message, exc.fields, headers)
    if isinstance(exc, DjangoValidationError):
        fields = _fields_from_django(exc)
        return error_response(status.HTTP_400_BAD_REQUEST, "invalid",
                              _first_message(fields) or _("Invalid input."), fields)
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        if isinstance(fields, list):
            fields = {"non_field_errors": fields}
        return error_response(status.HTTP_400_BAD_REQUEST, "invalid",
                              _first_message(fields) or _("Invalid input."), fields)
    if isinstance(exc, DataError):
        # The database refused a value the checks above let through (a NUL character in a
        # query parameter, a number out of range): the client's input, so a 400.
        return error_response(status.HTTP_400_BAD_REQUEST, "invalid",
                              _("A value is not acceptable (out of range or containing "
                                "characters that cannot be stored)."))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    if not isinstance(code, str):
        code = "error"
    headers = {k: v for k, v in response.items() if k in {"WWW-Authenticate", "Retry-After"}}
    return error_response(response.status_code, code, str(getattr(exc, "detail", exc)),
                          headers=headers)
