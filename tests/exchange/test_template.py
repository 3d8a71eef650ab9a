import io

import pytest
from openpyxl import load_workbook

from exchange.columns import CONTACT_TEMPLATE_COLUMNS, CUSTOMER_TEMPLATE_COLUMNS
from tests.conftest import api_client
from tests.exchange.factories import import_through_api


@pytest.mark.parametrize("lang", ["vi", "zh-hant", "en"])
def test_template_has_localised_headers_lists_and_examples(acme, lang):
    client = api_client(acme, "owner@acme.test")
    response = client.get(f"/api/v1/imports/customers/template?lang={lang}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:2] == ["Customers", "Contacts"]
    customers, contacts = book["Customers"], book["Contacts"]
    assert [c.value for c in customers[1]] == [c.header(lang) for c in CUSTOMER_TEMPLATE_COLUMNS]
    assert [c.value for c in contacts[1]] == [c.header(lang) for c in CONTACT_TEMPLATE_COLUMNS]
    assert customers.max_row >= 3 and contacts.max_row >= 2
    lists = book["Lists"]
    assert lists.sheet_state == "hidden"
    columns = {lists.cell(1, c).value: [lists.cell(r, c).value for r in range(2, lists.max_row + 1)
                                        if lists.cell(r, c).value]
               for c in range(1, lists.max_column + 1)}
    assert {"MAIN", "B2"} <= set(columns["home_branch"])
    assert "sales@acme.test" in columns["owner"]
    formulas = {v.formula1 for v in customers.data_validations.dataValidation}
    assert all("Lists" in f for f in formulas) and len(formulas) >= 6


def test_the_template_with_its_examples_imports(acme):
    client = api_client(acme, "owner@acme.test")
    content = client.get("/api/v1/imports/customers/template?lang=vi").content
    job = import_through_api(client, acme, content)
    assert job["status"] == "done", job["errors"]
    assert (job["created"], job["contacts_created"]) == (2, 1)


def test_only_importers_get_the_template(acme):
    assert api_client(acme, "cashier@acme.test").get(
        "/api/v1/imports/customers/template").status_code == 403
