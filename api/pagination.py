"""The API's pagination, every list in the same shape `{"results", "next", "previous"}`:
keyset (cursor) pages for the big lists, numbered pages for the rest.

Keyset: a page is "the rows after (key, id)" in the list's order, so rows inserted or deleted
while someone pages neither repeat nor skip the rows they have not seen yet, and a deep
page costs what the first one does (the (key, id) index is walked from the cursor).
The cursor is opaque to clients: base64 of the last row's key, id and the direction.
"""

import base64
import json
from datetime import datetime
from decimal import Decimal

from django.db import models
from django.db.models import F, Func, Value
from django.db.models.lookups import GreaterThan, LessThan
from django.utils.translation import gettext as _
from drf_spectacular.drainage import set_override
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


class _Row(Func):
    function = "ROW"
    output_field = models.TextField()


class KeysetPagination:
    """Orders a queryset by one of `orderings` (name -> model field) then by id."""

    cursor_param = "cursor"
    size_param = "page_size"
    ordering_param = "ordering"
    default_size = 20
    max_size = 200

    def __init__(self, *, orderings: dict[str, str], default_ordering: str):
        self.orderings = orderings
        self.default_ordering = default_ordering

    def _ordering(self, request) -> tuple[str, bool]:
        raw = request.query_params.get(self.ordering_param) or self.default_ordering
        descending = raw.startswith("-")
        name = raw.lstrip("-")
        if name not in self.orderings:
            raise ValidationError({self.ordering_param: [
                _("Order by one of: %(names)s.") % {"names": ", ".join(self.orderings)}]})
        return self.orderings[name], descending

    def _size(self, request) -> int:
        raw = request.query_params.get(self.size_param)
        if not raw:
            return self.default_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_size:
            raise ValidationError({self.size_param: [
                _("A page size from 1 to %(max)d.") % {"max": self.max_size}]})
        return size

    @staticmethod
    def _encode(value, pk: int, backwards: bool) -> str:
        if isinstance(value, datetime):
            value = {"t": value.isoformat()}
        elif isinstance(value, Decimal):
            value = {"d": str(value)}
        raw = json.dumps([value, pk, int(backwards)], ensure_ascii=False)
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def _decode(self, cursor: str):
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            value, pk, backwards = json.loads(base64.urlsafe_b64decode(padded).decode())
            if isinstance(value, dict):
                value = (datetime.fromisoformat(value["t"]) if "t" in value
                         else Decimal(value["d"]))
            return value, int(pk), bool(backwards)
        except (ValueError, TypeError, KeyError, UnicodeDecodeError):
            raise ValidationError({self.cursor_param: [_("Invalid cursor.")]}) from None

    def paginate(self, queryset, request, fetch=None) -> tuple[list, str | None, str | None]:
        """(rows of this page, next url, previous url). `fetch(queryset, order, limit)`
        reads the rows when plain slicing is not the best way (a search's two phases)."""
        field, descending = self._ordering(request)
        size = self._size(request)
        cursor = request.query_params.get(self.cursor_param)
        backwards = False
        if cursor:
            value, pk, backwards = self._decode(cursor)
            after = descending != backwards  # walking towards smaller keys
            compare = LessThan if after else GreaterThan
            value_expr = Value(value, output_field=queryset.model._meta.get_field(field))
            queryset = queryset.filter(compare(_Row(F(field), F("id")),
                                               _Row(value_expr, Value(pk))))
        reverse = descending != backwards
        order = [f"-{field}", "-id"] if reverse else [field, "id"]
        if fetch is None:
            rows = list(queryset.order_by(*order)[:size + 1])
        else:
            rows = fetch(queryset, order, size + 1)
        more = len(rows) > size
        rows = rows[:size]
        if backwards:
            rows.reverse()
        url = request.build_absolute_uri()
        next_url = previous_url = None
        if rows:
            first, last = rows[0], rows[-1]
            if more or backwards:
                next_url = replace_query_param(
                    url, self.cursor_param, self._encode(getattr(last, field), last.id, False))
            if cursor and (not backwards or more):
                previous_url = replace_query_param(
                    url, self.cursor_param, self._encode(getattr(first, field), first.id, True))
        elif cursor:
            previous_url = remove_query_param(url, self.cursor_param)
        return rows, next_url, previous_url

    @staticmethod
    def response(results, next_url, previous_url) -> Response:
        return Response({"results": results, "next": next_url, "previous": previous_url})


class PagePagination(PageNumberPagination):
    """Numbered pages (?page=, ?page_size=) in the API's shape (DESIGN §6)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_paginated_response(self, data):
        return Response({"results": data, "next": self.get_next_link(),
                         "previous": self.get_previous_link()})

    def get_paginated_response_schema(self, schema):
        return {"type": "object", "properties": {
            "results": schema, "next": {"type": "string", "nullable": True},
            "previous": {"type": "string", "nullable": True}}}


def page_of(item, name: str):
    """The OpenAPI schema of one page {"results": [item], "next", "previous"}: what every
    list of the API answers, paginated or not."""
    page = inline_serializer(name=name, fields={
        "results": item(many=True),
        "next": serializers.CharField(allow_null=True),
        "previous": serializers.CharField(allow_null=True),
    })
    # The page is the whole answer: spectacular must not wrap a list action's in an array.
    set_override(page, "many", False)
    return page
