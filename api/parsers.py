import json
import re
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class DecimalJSONParser(JSONParser):
    """JSON numbers become Decimal, never float (DESIGN §6). Every endpoint takes an
    object; anything else, and text PostgreSQL could not store (lone surrogates), is a 400
    here rather than a surprise deeper down."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(stream.read().decode(encoding), parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(_("The body is not valid JSON: %(error)s") % {"error": exc}) from exc
        if not isinstance(data, dict):
            raise ParseError(_("The body must be a JSON object."))
        if not _clean_text(data):
            raise ParseError(_("The body contains characters that are not valid Unicode."))
        return data


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def _clean_text(value) -> bool:
    """No control characters but tab and newlines, no lone surrogates, anywhere."""
    if isinstance(value, str):
        return _CONTROL.search(value) is None
    if isinstance(value, dict):
        return all(_clean_text(k) and _clean_text(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_clean_text(v) for v in value)
    return True
