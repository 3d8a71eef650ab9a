import pytest
from django.db import connection
from django_tenants.utils import schema_context

from crm.models import Customer
from crm.roles import ACCOUNTANT
from crm.search import customer_search_filter
from crm.selectors import CUSTOMER_ORDERINGS, customer_visible
from crm.staff import staff_create
from tests.conftest import PASSWORD, api_client
from tests.crm.factories import branch, customer, user


def make(tenant, **fields):
    with schema_context(tenant.schema_name):
        connection.set_tenant(tenant)
        made = customer(**fields)
    connection.set_schema_to_public()
    return made


def test_create_minimal_customer_gets_defaults(acme):
    client = api_client(acme, "sales@acme.test")
    response = client.post("/api/v1/customers", {"name": "Nguyễn Thị Ánh",
                                                 "phone": "0912 345 001",
                                                 "credit_limit": 5000000}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phone"] == "+84912345001" and body["code"].startswith("KH")
    assert body["owner_name"] == "sales@acme.test" and body["role"] == "retail"
    assert body["settlement_method"] == "on_account" and body["credit_limit"] == "5000000.00"
    assert body["receivable"] == "0.00" and body["referral_count"] == 0
    me = client.get("/api/v1/me").json()
    assert body["home_branch"] == me["branches"][0]["id"]


def test_errors_are_json_with_stable_codes(acme):
    client = api_client(acme, "owner@acme.test")
    bad = client.post("/api/v1/customers", {"name": "", "phone": "abc"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    assert set(bad.json()["fields"]) == {"name", "phone"}
    client.post("/api/v1/customers", {"name": "Trần B", "phone": "0912345002"}, format="json")
    dup = client.post("/api/v1/customers", {"name": "TRẦN  b", "phone": "0912345003"},
                      format="json")
    assert dup.status_code == 409 and dup.json()["code"] == "customer_name_taken"
    phone = client.post("/api/v1/customers", {"name": "Other", "phone": "+84 912 345 002"},
                        format="json")
    assert phone.status_code == 409 and phone.json()["code"] == "customer_phone_taken"
    assert "Trần B" in phone.json()["detail"]
    assert phone.json()["fields"]["existing"]["name"] == "Trần B"


def test_idempotent_create(acme):
    client = api_client(acme, "owner@acme.test")
    body = {"name": "Idem Potent", "phone": "0912345004"}
    first = client.post("/api/v1/customers", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post("/api/v1/customers", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    with schema_context(acme.schema_name):
        assert Customer.objects.filter(name="Idem Potent").count() == 1


def test_update_deactivate_reactivate_audit(acme):
    client = api_client(acme, "owner@acme.test")
    cid = client.post("/api/v1/customers", {"name": "Lifecycle", "phone": "0912345005"},
                      format="json").json()["id"]
    patched = client.patch(f"/api/v1/customers/{cid}", {"role": "Đại lý"}, format="json")
    assert patched.status_code == 200 and patched.json()["role"] == "agent"
    assert client.post(f"/api/v1/customers/{cid}/deactivate").json()["status"] == "inactive"
    assert client.post(f"/api/v1/customers/{cid}/reactivate").json()["status"] == "active"
    actions = [r["action"] for r in client.get(f"/api/v1/customers/{cid}/audit").json()["results"]]
    assert actions == ["reactivate", "deactivate", "update", "create"]


def test_contacts_departments_terminals_endpoints(acme):
    client = api_client(acme, "owner@acme.test")
    cid = client.post("/api/v1/customers", {"name": "Children", "phone": "0912345006"},
                      format="json").json()["id"]
    contact = client.post(f"/api/v1/customers/{cid}/contacts",
                          {"name": "Chị Lan", "phone": "0912 000 001"}, format="json")
    assert contact.status_code == 201 and contact.json()["primary"] is True
    contact_id = contact.json()["id"]
    assert client.patch(f"/api/v1/customers/{cid}/contacts/{contact_id}",
                        {"position": "Kế toán"}, format="json").json()["position"] == "Kế toán"
    assert client.post(f"/api/v1/customers/{cid}/departments", {"name": "Kho"},
                       format="json").status_code == 201
    assert client.post(f"/api/v1/customers/{cid}/departments", {"name": "Kho"},
                       format="json").json()["code"] == "department_name_taken"
    assert client.post(f"/api/v1/customers/{cid}/terminals",
                       {"name": "人民廣場店", "address": "上海"}, format="json").status_code == 201
    assert len(client.get(f"/api/v1/customers/{cid}/terminals").json()["results"]) == 1
    assert client.delete(f"/api/v1/customers/{cid}/contacts/{contact_id}").status_code == 204
    assert client.get(f"/api/v1/customers/{cid}/contacts").json()["results"] == []


def test_merge_endpoints(acme):
    client = api_client(acme, "owner@acme.test")
    a = client.post("/api/v1/customers", {"name": "Merge A", "phone": "0912345007"},
                    format="json").json()["id"]
    b = client.post("/api/v1/customers", {"name": "Merge B", "phone": "0912345008"},
                    format="json").json()["id"]
    preview = client.get(f"/api/v1/customers/{a}/merge-preview?target={b}").json()
    assert preview["conflicts"] == [] and preview["target"]["id"] == b
    merged = client.post(f"/api/v1/customers/{a}/merge", {"target": b}, format="json")
    assert merged.status_code == 200 and merged.json()["id"] == b
    assert client.get(f"/api/v1/customers/{a}").json()["merged_into"] == b
    again = client.post(f"/api/v1/customers/{a}/merge", {"target": b}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "customer_merge_conflict"
    sales = api_client(acme, "sales@acme.test")
    assert sales.post(f"/api/v1/customers/{b}/merge", {"target": b},
                      format="json").status_code in (403, 404)


@pytest.fixture
def matrix(acme):
    """Customers across branch × shared × owner, and an accountant at B2 only."""
    connection.set_tenant(acme)
    staff_create(username="accountant@acme.test", password=PASSWORD, roles=[ACCOUNTANT],
                 branches=[branch("B2")])
    owner, manager, sales, cashier = (user(r) for r in ("owner", "manager", "sales", "cashier"))
    rows = {
        "main_sales": customer(sales, home_branch=branch("MAIN").id),
        "main_owner": customer(owner, home_branch=branch("MAIN").id),
        "b2_manager": customer(manager, home_branch=branch("B2").id),
        "b2_cashier_shared": customer(cashier, home_branch=branch("B2").id, shared=True),
        "b2_sales": customer(owner, home_branch=branch("B2").id, owner=sales.id),
        "b2_sales_shared": customer(owner, home_branch=branch("B2").id, owner=sales.id,
                                    shared=True),
    }
    connection.set_schema_to_public()
    return {k: v.id for k, v in rows.items()}


VISIBLE = {
    # all branches + all owners
    "owner": {"main_sales", "main_owner", "b2_manager", "b2_cashier_shared", "b2_sales",
              "b2_sales_shared"},
    "accountant": {"main_sales", "main_owner", "b2_manager", "b2_cashier_shared", "b2_sales",
                   "b2_sales_shared"},
    # own branches (MAIN + B2) + all owners
    "manager": {"main_sales", "main_owner", "b2_manager", "b2_cashier_shared", "b2_sales",
                "b2_sales_shared"},
    # MAIN + shared, own customers only
    "sales": {"main_sales", "b2_sales_shared"},
    # B2 + shared, all owners
    "cashier": {"b2_manager", "b2_cashier_shared", "b2_sales", "b2_sales_shared"},
}


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_visibility_matrix(acme, matrix, role):
    client = api_client(acme, f"{role}@acme.test")
    listed = set()
    url = "/api/v1/customers?page_size=50"
    while url:
        page = client.get(url).json()
        listed |= {row["id"] for row in page["results"]}
        url = page["next"]
    by_id = {v: k for k, v in matrix.items()}
    assert {by_id[i] for i in listed if i in by_id} == VISIBLE[role]
    for name, cid in matrix.items():
        expected = 200 if name in VISIBLE[role] else 404
        assert client.get(f"/api/v1/customers/{cid}").status_code == expected, name


def test_cross_owner_edit_needs_permission(acme, matrix):
    sales = api_client(acme, "sales@acme.test")
    mine = sales.patch(f"/api/v1/customers/{matrix['main_sales']}", {"note": "ok"},
                       format="json")
    assert mine.status_code == 200
    cashier = api_client(acme, "cashier@acme.test")
    refused = cashier.patch(f"/api/v1/customers/{matrix['b2_manager']}", {"note": "x"},
                            format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "customer_edit_forbidden"
    accountant = api_client(acme, "accountant@acme.test")
    assert accountant.patch(f"/api/v1/customers/{matrix['b2_manager']}", {"note": "x"},
                            format="json").status_code == 403
    assert accountant.patch(f"/api/v1/customers/{matrix['b2_manager']}", {"note": "x"},
                            format="json").json()["code"] == "customer_edit_forbidden"


@pytest.mark.breaks_money_invariants  # sets a stored balance directly
def test_list_filters_and_search(acme, matrix):
    client = api_client(acme, "owner@acme.test")
    with schema_context(acme.schema_name):
        connection.set_tenant(acme)
        customer(name="Phạm Văn Lọc", role="agent", settlement_method="cash")
        Customer.objects.filter(id=matrix["main_owner"]).update(
            receivable_amount=500, credit_limit_amount=100)
    connection.set_schema_to_public()

    def ids(query):
        response = client.get(f"/api/v1/customers?page_size=200&{query}")
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()["results"]}

    assert ids("search=pham van loc") == ids("role=agent&settlement_method=cash")
    assert len(ids("search=pham van loc")) == 1
    assert ids("has_receivable=true") == {matrix["main_owner"]}
    assert ids("over_credit_limit=1") == {matrix["main_owner"]}
    assert matrix["main_owner"] not in ids(f"branch={acme_branch_id(acme, 'B2')}")
    assert ids(f"owner={user_id(acme, 'sales')}") == {matrix["main_sales"], matrix["b2_sales"],
                                                     matrix["b2_sales_shared"]}
    assert client.get("/api/v1/customers?role=king").status_code == 400
    assert client.get("/api/v1/customers?ordering=nonsense").status_code == 400
    assert client.get("/api/v1/customers?cursor=garbage").status_code == 400
    assert ids("created_from=2000-01-01") >= set(matrix.values())
    assert ids("created_to=2000-01-01") == set()


def acme_branch_id(acme, code):
    with schema_context(acme.schema_name):
        return branch(code).id


def user_id(acme, role):
    with schema_context(acme.schema_name):
        return user(role).id


@pytest.mark.parametrize("ordering", ["-created", "name", "-code", "receivable"])
def test_pagination_is_stable_under_inserts(acme, ordering):
    connection.set_tenant(acme)
    owner = user("owner")
    before = {customer(owner, name=f"Page {i:02d}").id for i in range(7)}
    connection.set_schema_to_public()
    client = api_client(acme, "owner@acme.test")
    url = f"/api/v1/customers?page_size=3&ordering={ordering}"
    seen, pages = [], []
    while url:
        page = client.get(url).json()
        pages.append(page)
        seen += [r["id"] for r in page["results"]]
        if len(pages) == 1:  # insert rows that sort before, among and after the seen ones
            connection.set_tenant(acme)
            for name in ("Page 00a", "Page 99", "AAA first"):
                customer(owner, name=name)
            connection.set_schema_to_public()
        url = page["next"]
    assert len(seen) == len(set(seen))
    assert before <= set(seen)
    back = [r["id"] for r in client.get(pages[1]["previous"]).json()["results"]]
    # the page just before page 2's first row, in today's order (inserts may have joined it)
    assert len(back) == 3 and back[-1] == pages[0]["results"][-1]["id"]
    assert set(back) & set(seen[3:]) == set()


def test_tenant_isolation_for_every_endpoint(acme, globex):
    made = make(acme, name="Acme Only")
    with schema_context(globex.schema_name):
        assert not Customer.objects.filter(id=made.id).exists()
    client = api_client(globex, "owner@globex.test")
    base = f"/api/v1/customers/{made.id}"
    for method, url in [("get", base), ("patch", base), ("put", base), ("delete", base),
                        ("get", f"{base}/contacts"), ("post", f"{base}/contacts"),
                        ("patch", f"{base}/contacts/1"), ("delete", f"{base}/contacts/1"),
                        ("get", f"{base}/departments"), ("post", f"{base}/departments"),
                        ("get", f"{base}/terminals"), ("post", f"{base}/terminals"),
                        ("get", f"{base}/audit"), ("post", f"{base}/deactivate"),
                        ("post", f"{base}/reactivate"),
                        ("get", f"{base}/merge-preview?target={made.id}"),
                        ("post", f"{base}/merge")]:
        response = getattr(client, method)(url, {"name": "x", "target": made.id},
                                           format="json") if method != "get" else client.get(url)
        assert response.status_code == 404, (method, url, response.status_code)
    listed = client.get("/api/v1/customers?search=Acme Only").json()["results"]
    assert listed == []
    acme_token_on_globex = api_client(acme, "owner@acme.test")
    acme_token_on_globex.defaults["HTTP_HOST"] = api_client(globex).defaults["HTTP_HOST"]
    assert acme_token_on_globex.get("/api/v1/customers").status_code == 401


def test_branches_and_groups(acme):
    owner = api_client(acme, "owner@acme.test")
    created = owner.post("/api/v1/branches", {"code": "hp1", "name": "Hải Phòng"},
                         format="json")
    assert created.status_code == 201 and created.json()["code"] == "HP1"
    assert any(b["code"] == "MAIN" for b in owner.get("/api/v1/branches").json())
    for again in ("HP1", " hp1"):
        taken = owner.post("/api/v1/branches", {"code": again, "name": "X"}, format="json")
        assert (taken.status_code, taken.json()["code"]) == (409, "branch_code_taken")
    sales = api_client(acme, "sales@acme.test")
    assert sales.post("/api/v1/branches", {"code": "X", "name": "X"},
                      format="json").status_code == 403
    group = owner.post("/api/v1/customer-groups", {"code": "vip", "name": "VIP"}, format="json")
    assert group.status_code == 201 and group.json()["code"] == "VIP"
    assert owner.post("/api/v1/customer-groups", {"code": "vip", "name": "VIP"},
                      format="json").status_code == 409
    assert sales.post("/api/v1/customer-groups", {"code": "g2", "name": "G2"},
                      format="json").status_code == 403
    gid = group.json()["id"]
    assert owner.post("/api/v1/customers", {"name": "In group", "phone": "0912345009",
                                            "group": gid}, format="json").status_code == 201
    assert owner.delete(f"/api/v1/customer-groups/{gid}").json()["code"] == "group_in_use"


def test_openapi_schema_documents_customers(public_client, acme):
    from drf_spectacular.generators import SchemaGenerator

    from api import urls_tenant

    schema = SchemaGenerator(urlconf=urls_tenant, patterns=None).get_schema(public=True)
    paths = schema["paths"]
    assert "/customers" in paths and "/customers/{id}/contacts" in paths
    assert "/customers/{id}/deactivate" in paths and "/customers/{id}/audit" in paths


def test_creating_a_customer_one_could_not_see_is_a_4xx_and_writes_nothing(acme):
    with schema_context(acme.schema_name):
        other = branch("B2").pk
    sales = api_client(acme, "sales@acme.test")  # MAIN only
    response = sales.post("/api/v1/customers", {"name": "Khách chi nhánh khác",
                                                "phone": "0912 345 999", "home_branch": other,
                                                "shared": False}, format="json")
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "customer_edit_forbidden"
    with schema_context(acme.schema_name):
        assert not Customer.objects.filter(name="Khách chi nhánh khác").exists()


def test_conflicts_and_referrers_tell_only_what_the_user_may_see(acme):
    """Before: a duplicate-phone error returned the holder's id, code and name to anyone
    allowed to create (a phone -> name lookup), and referrer / referrer_phone accepted a
    customer the user could not see."""
    with schema_context(acme.schema_name):
        hidden = customer(name="Khách bí mật", phone="0912 600 001", home_branch=branch("B2"),
                          shared=False)
    sales = api_client(acme, "sales@acme.test")  # MAIN only: cannot see `hidden`
    taken = sales.post("/api/v1/customers", {"name": "Khác", "phone": "0912 600 001"},
                       format="json")
    assert taken.status_code == 409 and taken.json()["code"] == "customer_phone_taken"
    assert "existing" not in taken.json().get("fields", {})
    assert hidden.code not in taken.content.decode() and hidden.name not in taken.content.decode()
    manager = api_client(acme, "manager@acme.test")  # MAIN and B2: may see it
    told = manager.post("/api/v1/customers", {"name": "Khác", "phone": "0912 600 001"},
                        format="json")
    assert told.status_code == 409 and told.json()["fields"]["existing"]["id"] == hidden.pk

    for body in ({"referrer": hidden.pk}, {"referrer_phone": "0912 600 001"}):
        response = sales.post("/api/v1/customers", {"name": f"Mới {len(body)}{list(body)[0]}",
                                                    "phone": "0912 600 777", **body},
                              format="json")
        assert response.status_code == 400, response.content
        assert "0912600001" not in response.content.decode()
        assert hidden.name not in response.content.decode()


ORDERINGS = [o for name in CUSTOMER_ORDERINGS for o in (name, f"-{name}")]


@pytest.mark.breaks_money_invariants  # sets stored balances directly
@pytest.mark.parametrize("ordering", ORDERINGS)
def test_search_pages_in_every_order_are_the_querys_rows(acme, matrix, ordering):
    """Page by page, a search in any order lists exactly the visible matches in that order
    (ties in receivable broken by id), for the owner and for a salesperson alike."""
    connection.set_tenant(acme)
    owner, sales = user("owner"), user("sales")
    for i in range(12):
        made = customer(owner, name=f"Nguyễn Văn {i:02d}",
                        home_branch=branch("MAIN" if i % 2 else "B2").id, shared=i % 4 == 0,
                        owner=(sales if i % 3 else owner).id)
        Customer.objects.filter(pk=made.pk).update(receivable_amount=(i % 3) * 1000,
                                                   total_purchased_amount=(i * 7) % 5)
        customer(owner, name=f"Trần Thị {i:02d}")
    field = CUSTOMER_ORDERINGS[ordering.lstrip("-")]
    order = [f"-{field}", "-id"] if ordering.startswith("-") else [field, "id"]
    expected = {}
    for who in (owner, sales):
        for term in ("nguyen", "tran thi 0", "nguyen van 1"):
            expected[who.username, term] = list(
                customer_visible(who).filter(customer_search_filter(term)).order_by(*order)
                .values_list("id", flat=True))
    connection.set_schema_to_public()
    for (username, term), ids in expected.items():
        client = api_client(acme, username)
        url, listed = f"/api/v1/customers?page_size=4&ordering={ordering}&search={term}", []
        while url:
            page = client.get(url).json()
            listed += [row["id"] for row in page["results"]]
            url = page["next"]
        assert listed == ids, (username, term)
    assert len(expected["sales@acme.test", "nguyen"]) < len(expected["owner@acme.test",
                                                                      "nguyen"])
