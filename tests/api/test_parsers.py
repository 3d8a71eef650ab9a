"""Malformed bodies are a 400 with the error shape on every endpoint, never a 500."""

from decimal import Decimal

import pytest

from tests.conftest import api_client


@pytest.mark.parametrize("body", ['[null, null]', '"text"', "42", '{"name": "\\udb31x"}',
                                  '{"name": "a\\u0000b"}', '{"name": "\\u001b[31m"}',
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


def test_nul_in_a_query_parameter_is_a_400(acme):
    response = api_client(acme, "owner@acme.test").get("/api/v1/customers?search=a%00b")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_export_filters_of_any_json_type_still_start_a_job(acme):
    response = api_client(acme, "owner@acme.test").post(
        "/api/v1/exports/customers", {"filters": {"owner": 1.5, "x": [None, {"y": 2}]}},
        format="json")
    assert response.status_code == 202


def test_a_customer_cannot_lose_its_home_branch(acme):
    client = api_client(acme, "owner@acme.test")
    created = client.post("/api/v1/customers", {"name": "Chi nhánh bắt buộc",
                                                "phone": "0912 777 001"}, format="json")
    assert created.status_code == 201, created.content
    response = client.patch(f"/api/v1/customers/{created.json()['id']}",
                            {"home_branch": None}, format="json")
    assert response.status_code == 400
    assert "home_branch" in response.json()["fields"]


def test_template_survives_names_a_worksheet_cannot_hold(acme):
    from django_tenants.utils import schema_context

    from crm.models import Branch

    with schema_context(acme.schema_name):
        Branch.objects.filter(code="B2").update(name="Branch \x1b two")
    response = api_client(acme, "owner@acme.test").get("/api/v1/imports/customers/template")
    assert response.status_code == 200
