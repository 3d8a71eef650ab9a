"""GET /reports/aging: totals equal the visible customers' receivable, visibility as
everywhere, each filter, the xlsx's numbers, bad parameters are 400."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django_tenants.utils import schema_context

from crm.models import Branch, Customer, CustomerGroup
from crm.selectors import customer_visible
from finance.orders import order_create
from tests.conftest import api_client
from tests.finance.factories import customer_make, lines, product_make, user

URL = "/api/v1/reports/aging"


@pytest.fixture
def shop(acme):
    with schema_context(acme.schema_name):
        owner, product = user("owner@acme.test"), product_make("100000")
        group = CustomerGroup.objects.create(code="VIP", name="Khách VIP")
        b2 = Branch.objects.get(code="B2")
        made = {
            "main": customer_make(payment_terms_days=30),
            "main_vip": customer_make(group=group, owner=owner),
            "b2": customer_make(branch=b2),
        }
        for i, customer in enumerate(made.values()):
            order_create(actor=owner, customer=customer, lines=lines(product, str(i + 1)),
                         approve=True, branch=customer.home_branch)
        yield {**made, "group": group, "b2_branch": b2, "owner": owner}


def _receivable(tenant, username, **filters) -> Decimal:
    with schema_context(tenant.schema_name):
        customers = customer_visible(user(username)).filter(**filters)
        return sum(customers.values_list("receivable_amount", flat=True), Decimal(0))


def _total(body) -> Decimal:
    assert Decimal(body["total"]["receivable"]) == sum(
        Decimal(row["receivable"]) for row in body["results"])
    assert Decimal(body["total"]["receivable"]) == sum(
        Decimal(v) for v in body["total"]["buckets"].values())
    return Decimal(body["total"]["receivable"])


def test_totals_are_the_receivable_by_branch_and_by_owner(acme, shop):
    owner = api_client(acme, "owner@acme.test")
    everyone = _receivable(acme, "owner@acme.test")
    for by in ("branch", "owner"):
        body = owner.get(URL, {"by": by}).json()
        assert body["by"] == by and _total(body) == everyone
    body = owner.get(URL).json()
    main = next(row for row in body["results"] if row["branch"] == shop["main"].home_branch_id)
    assert main["name"].startswith("MAIN")
    # the 30-day customer's order is not yet due; the others are due today
    assert Decimal(main["buckets"]["not_due"]) >= Decimal(100000)


def test_a_manager_sees_their_branches_and_others_only_their_customers(acme, shop):
    for username in ("manager@acme.test", "sales@acme.test"):
        body = api_client(acme, username).get(URL, {"by": "owner"}).json()
        assert _total(body) == _receivable(acme, username)
    sales = api_client(acme, "sales@acme.test").get(URL).json()
    assert {row["branch"] for row in sales["results"]} <= {shop["main"].home_branch_id}
    assert api_client(acme, "cashier@acme.test").get(URL).status_code == 403


def test_each_filter(acme, shop):
    owner = api_client(acme, "owner@acme.test")
    for params, filters in (
            ({"branch": shop["b2_branch"].pk}, {"home_branch": shop["b2_branch"]}),
            ({"owner": shop["owner"].pk}, {"owner": shop["owner"]}),
            ({"group": shop["group"].pk}, {"group": shop["group"]}),
            ({"group": shop["group"].pk, "branch": shop["b2_branch"].pk},
             {"group": shop["group"], "home_branch": shop["b2_branch"]})):
        body = owner.get(URL, params).json()
        assert _total(body) == _receivable(acme, "owner@acme.test", **filters), params
    assert _total(owner.get(URL, {"group": shop["group"].pk}).json()) == Decimal(200000)
    # a branch the user does not work at is unknown to them
    sales = api_client(acme, "sales@acme.test")
    assert sales.get(URL, {"branch": shop["b2_branch"].pk}).status_code == 400


def test_xlsx_numbers_are_numbers(acme, shop):
    response = api_client(acme, "owner@acme.test").get(URL, {"format": "xlsx", "lang": "en"})
    assert response.status_code == 200 and response.content.startswith(b"PK")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[2]
    assert header[0] == "Branch" and header[-1] == "Receivable" and "Not yet due" in header
    total = rows[-1]
    assert total[0] == "Total"
    assert all(isinstance(v, int | float) for v in total[1:])
    assert total[-1] == _receivable(acme, "owner@acme.test")
    assert sum(row[-1] for row in rows[3:-1]) == total[-1]
    assert sheet.cell(len(rows), 2).number_format == "#,##0"


def test_bad_parameters_are_400(acme, shop):
    owner = api_client(acme, "owner@acme.test")
    for params, field in (({"by": "weekday"}, "by"), ({"format": "pdf"}, "format"),
                          ({"lang": "fr"}, "lang"), ({"branch": "x"}, "branch"),
                          ({"branch": "99999999999999999999999"}, "branch"),
                          ({"branch": 987654}, "branch"), ({"owner": 987654}, "owner"),
                          ({"group": 987654}, "group"), ({"group": "1.5"}, "group")):
        response = owner.get(URL, params, HTTP_ACCEPT_LANGUAGE="vi")
        assert response.status_code == 400, (params, response.content)
        assert field in response.json()["fields"], (params, response.json())


def test_another_tenant_sees_none_of_it(acme, globex, shop):
    body = api_client(globex, "owner@globex.test").get(URL).json()
    with schema_context(globex.schema_name):
        theirs = sum(Customer.objects.values_list("receivable_amount", flat=True), Decimal(0))
    assert _total(body) == theirs
    assert api_client(globex, "owner@globex.test").get(
        URL, {"group": shop["group"].pk}).status_code == 400
