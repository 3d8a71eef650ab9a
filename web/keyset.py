"""Keyset ("next") pages of the web lists: a page is the rows after the last one's
(key, id) in the list's order, so a deep page costs what the first does. The cursor is
opaque: base64 of that key and id. The orderings are the API's (crm.selectors)."""

import base64
import json
from datetime import datetime
from decimal import Decimal

from django.db import models
from django.db.models import F, Func, Value
from django.db.models.lookups import GreaterThan, LessThan


class _Row(Func):
    function = "ROW"
    output_field = models.TextField()


def cursor_encode(value, pk: int) -> str:
    if isinstance(value, datetime):
        value = {"t": value.isoformat()}
    elif isinstance(value, Decimal):
        value = {"d": str(value)}
    raw = json.dumps([value, pk], ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(cursor: str):
    """(key, id), or None for a cursor that is not one of ours (then: the first page)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk = json.loads(base64.urlsafe_b64decode(padded).decode())
        if isinstance(value, dict):
            value = datetime.fromisoformat(value["t"]) if "t" in value else Decimal(value["d"])
        return value, int(pk)
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        return None


def keyset_page(queryset, *, field: str, descending: bool, cursor: str | None, size: int,
                fetch):
    """(rows, next cursor or None). `fetch(queryset, order, limit)` reads the rows."""
    decoded = cursor_decode(cursor) if cursor else None
    if decoded is not None:
        value, pk = decoded
        compare = LessThan if descending else GreaterThan
        value_expr = Value(value, output_field=queryset.model._meta.get_field(field))
        queryset = queryset.filter(compare(_Row(F(field), F("id")), _Row(value_expr, Value(pk))))
    order = [f"-{field}", "-id"] if descending else [field, "id"]
    rows = fetch(queryset, order, size + 1)
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = cursor_encode(getattr(rows[-1], field), rows[-1].id) if more else None
    return rows, next_cursor
