"""Malformed bodies are a 400 with the error shape on every endpoint, never a 500."""

from decimal import Decimal

import pytest

from tests.conftest import api_client


@pytest.mark.parametrize("body", ['[null, null]', '"text"', "42", '{"name": "\\udb31x"}',
                                  "{broken"])
@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/customers",
                                  "/api/v1/exports/customers"])
def test_bodies_that_are_not_objects_are_refused(acme, path, body):
    client = api_client(acme, "owner@acme.test")
    response = client.post(path, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "parse_error"


def test_numbers_arrive_as_decimal():
    import io

    from api.parsers import DecimalJSONParser

    data = DecimalJSONParser().parse(io.BytesIO(b'{"amount": 0.1}'))
    assert data["amount"] == Decimal("0.1")
