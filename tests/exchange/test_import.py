from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from crm.models import Contact, Customer, CustomerAudit, CustomerGroup
from tests.conftest import api_client
from tests.exchange.factories import (
    contact,
    customer,
    import_through_api,
    vn_customers,
    workbook_bytes,
)


def _customers(tenant, codes):
    with schema_context(tenant.schema_name):
        return {c.code: c for c in Customer.objects.filter(code__in=codes)
                .select_related("group", "home_branch", "owner", "parent", "referrer")}


def test_import_creates_customers_contacts_groups_and_links(acme):
    client = api_client(acme, "owner@acme.test")
    content = workbook_bytes(
        [customer(code="TK810001", name="Công ty Mẹ", phone="0912 345 670", group="Đại lý cấp 1",
                  credit_limit="5.000.000", credit_limit_enforced="có", role="Đại lý",
                  settlement_method="Tiền mặt", home_branch="B2", shared="yes",
                  email="KeToan@Example.COM"),
         customer(code="TK810002", name="Chi nhánh Con", phone="+84 912 345 671",
                  parent_code="TK810001", referrer_phone="0912345670", credit_limit="5,000,000",
                  owner="sales@acme.test")],
        [contact(customer_code="TK810001", name="Chị Lan", phone="0912345672", primary="yes"),
         contact(customer_code="TK810002", name="Anh Minh")])
    job = import_through_api(client, acme, content)
    assert job["status"] == "done", job["errors"]
    assert (job["created"], job["updated"], job["failed"]) == (2, 0, 0)
    assert job["rows_total"] == 4 and job["progress"] == 100
    found = _customers(acme, ["TK810001", "TK810002"])
    parent, child = found["TK810001"], found["TK810002"]
    assert parent.phone == "+84912345670" and child.phone == "+84912345671"
    assert parent.credit_limit_amount == child.credit_limit_amount == Decimal("5000000")
    assert parent.credit_limit_enforced and parent.shared and parent.role == "agent"
    assert parent.settlement_method == "cash" and parent.home_branch.code == "B2"
    assert parent.email == "KeToan@example.com"
    assert parent.group.name == "Đại lý cấp 1"
    assert child.parent_id == parent.pk and child.referrer_id == parent.pk
    assert child.owner.username == "sales@acme.test"
    assert parent.owner.username == "owner@acme.test"  # blank owner: the importing user
    assert child.home_branch.code == "MAIN"  # blank branch: the importer's primary branch
    with schema_context(acme.schema_name):
        contacts = list(Contact.objects.filter(customer__code__in=found).order_by("name"))
        assert [(c.name, c.customer.code, c.primary) for c in contacts] == [
            ("Anh Minh", "TK810002", False), ("Chị Lan", "TK810001", True)]


def test_reimport_creates_nothing_twice_and_updates(acme):
    client = api_client(acme, "owner@acme.test")
    rows = vn_customers(5)
    contacts = [contact(customer_code="TK700000", name="Kế toán", phone="0912000001")]
    first = import_through_api(client, acme, workbook_bytes(rows, contacts))
    assert first["status"] == "done" and first["created"] == 5
    rows[0][CUSTOMER_KEYS_INDEX["note"]] = "changed"
    second = import_through_api(client, acme, workbook_bytes(rows, contacts))
    assert second["status"] == "done", second["errors"]
    assert (second["created"], second["updated"]) == (0, 5)
    with schema_context(acme.schema_name):
        assert Customer.objects.filter(code__startswith="TK7000").count() == 5
        assert Customer.objects.get(code="TK700000").note == "changed"
        assert Contact.objects.filter(customer__code="TK700000").count() == 1
        assert CustomerGroup.objects.filter(name="Bán sỉ").count() == 1
        actions = list(CustomerAudit.objects.filter(customer_code="TK700000")
                       .order_by("id").values_list("action", "note"))
        # The note is written in the tenant's language (acme: Vietnamese).
        assert actions == [("create", f"Lần nhập #{first['id']}"),
                           ("update", f"Lần nhập #{second['id']}")]


def test_match_by_phone_updates_the_customer_with_that_phone(acme):
    client = api_client(acme, "owner@acme.test")
    job = import_through_api(client, acme, workbook_bytes(
        [customer(name="Theo số", phone="0912 777 001")]))
    assert job["created"] == 1
    job = import_through_api(client, acme, workbook_bytes(
        [customer(name="Theo số mới", phone="+84912777001")]), match="phone")
    assert (job["created"], job["updated"]) == (0, 1), job["errors"]
    with schema_context(acme.schema_name):
        assert Customer.objects.get(phone="+84912777001").name == "Theo số mới"


def test_headers_in_any_language_and_unknown_owner_and_branch_warn(acme):
    from exchange.columns import CUSTOMER_TEMPLATE_COLUMNS

    headers = [c.header("zh-hant") if i % 2 else c.header("vi")
               for i, c in enumerate(CUSTOMER_TEMPLATE_COLUMNS)]
    client = api_client(acme, "manager@acme.test")
    job = import_through_api(client, acme, workbook_bytes(
        [customer(name="Đa ngôn ngữ", phone="0912777002", owner="nobody", home_branch="ZZZ")],
        customer_headers=headers))
    assert job["status"] == "done", job["errors"]
    assert {w["code"] for w in job["warnings"]} == {"unknown_owner", "unknown_branch"}
    assert all(w["row"] == 2 for w in job["warnings"])
    with schema_context(acme.schema_name):
        created = Customer.objects.get(name="Đa ngôn ngữ")
        assert created.owner_id is None and created.home_branch.code == "MAIN"


CUSTOMER_KEYS_INDEX = {k: i for i, k in enumerate(
    __import__("tests.exchange.factories", fromlist=["CUSTOMER_KEYS"]).CUSTOMER_KEYS)}


def test_opening_receivable_posts_through_finance_once_for_created_customers(acme):
    from finance.models import Voucher

    client = api_client(acme, "owner@acme.test")
    rows = [customer(code="TK810101", name="Nợ đầu kỳ", phone="0912 777 101",
                     opening_receivable="1.500.000"),
            customer(code="TK810102", name="Không nợ", phone="0912 777 102")]
    job = import_through_api(client, acme, workbook_bytes(rows))
    assert job["status"] == "done", job["errors"]
    assert job["opening_balances_posted"] is True
    with schema_context(acme.schema_name):
        assert Customer.objects.get(code="TK810101").receivable_amount == Decimal("1500000")
        assert Voucher.objects.filter(customer__code="TK810101", purpose="opening").count() == 1
    again = import_through_api(client, acme, workbook_bytes(rows))
    assert again["status"] == "done" and again["updated"] == 2
    assert [w["code"] for w in again["warnings"]] == ["opening_ignored"]
    with schema_context(acme.schema_name):
        assert Customer.objects.get(code="TK810101").receivable_amount == Decimal("1500000")
        assert Voucher.objects.filter(customer__code="TK810101", purpose="opening").count() == 1


def test_a_retried_upload_with_the_same_idempotency_key_starts_one_job(acme):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from exchange.models import ImportJob

    client = api_client(acme, "owner@acme.test")
    content = workbook_bytes(vn_customers(1, start=400))
    answers = [client.post("/api/v1/imports/customers",
                           {"file": SimpleUploadedFile("a.xlsx", content)}, format="multipart",
                           HTTP_IDEMPOTENCY_KEY="upload-1") for _ in range(2)]
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].json() == answers[1].json()
    with schema_context(acme.schema_name):
        assert ImportJob.objects.filter(pk=answers[0].json()["id"]).count() == 1
        assert ImportJob.objects.count() == 1


def test_an_import_changes_only_customers_its_user_may_edit(acme):
    # A manager sees MAIN and B2; a non-shared customer of another branch is not theirs.
    from crm.models import Branch

    with schema_context(acme.schema_name):
        far = Branch.objects.create(code="FAR", name="Far away")
        Customer.objects.create(code="TK990001", name="Khách chi nhánh xa",
                                name_key="khách chi nhánh xa", home_branch=far, shared=False)
    client = api_client(acme, "manager@acme.test")
    job = import_through_api(client, acme, workbook_bytes(
        [customer(code="TK990001", name="Khách chi nhánh xa", note="changed by manager")]))
    assert job["status"] == "failed"
    assert {"row": 2, "code": "edit_forbidden"} in [
        {"row": e["row"], "code": e["code"]} for e in job["errors"]]
    with schema_context(acme.schema_name):
        assert Customer.objects.get(code="TK990001").note == ""


def test_an_api_import_writes_its_reasons_in_the_requests_language(acme):
    from django.utils import translation

    from tests.exchange.factories import job_of

    client = api_client(acme, "owner@acme.test")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the tenant's locale is vi
    bad = workbook_bytes([customer(code="AL000001", name="Bad Phone", phone="not a phone")])
    with translation.override("zh-hant"):  # whatever the worker's own language is
        body = import_through_api(client, acme, bad, mode="valid_rows")
    assert acme.locale == "vi" and job_of(acme, body["id"]).lang == "en"
    assert [e["detail"] for e in job_of(acme, body["id"]).errors] == [
        "Phone: “not a phone” is not a valid phone number."]


@pytest.mark.parametrize("codes", [["TSX1", "TSX2"], ["TSX1", "TS\x1fX"]])
def test_look_ups_by_joined_text_find_what_a_list_finds(acme, codes):
    """exchange.planning.text_array: the keys joined for PostgreSQL to split, or the list
    itself when a key holds the separator; either way the same answer."""
    from crm.models import Customer
    from exchange.planning import customer_code_conflicts, text_array

    assert text_array(codes)[0] == ("%s::text[]" if any("\x1f" in c for c in codes)
                                    else "string_to_array(%s, chr(31))")
    owner = api_client(acme, "owner@acme.test")
    import_through_api(owner, acme, workbook_bytes(
        [customer(code="TSJOIN1", name="Nối Chuỗi", phone="0912 870 001")]))
    with schema_context(acme.schema_name):
        assert customer_code_conflicts([*codes, "NOT-THERE"]) == {}
        saved = Customer.objects.get(code="TSJOIN1")
        assert customer_code_conflicts([*codes, "TSJOIN1"]) == {"TSJOIN1": (saved.id, "TSJOIN1")}
