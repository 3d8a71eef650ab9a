"""Export: always a job; the file is an import file; round trip into an empty tenant
gives the same customers and contacts; files stay inside their tenant."""

import io
from decimal import Decimal

import python_calamine
from django.db import connection
from django_tenants.utils import schema_context

from crm.models import Branch, Contact, Customer
from crm.roles import MANAGER, SALESPERSON
from crm.staff import branch_create, staff_create
from exchange.services import export_run
from tenants.services import tenant_create
from tests.conftest import PASSWORD, api_client
from tests.exchange.factories import contact, customer, import_through_api, workbook_bytes

TRICKY = ["=HYPERLINK(\"http://evil\")", "+84 not a formula", "-5 apples", "@mention"]


def _export(client, tenant, **body) -> tuple[dict, bytes]:
    response = client.post("/api/v1/exports/customers", body, format="json")
    assert response.status_code == 202, response.content
    assert set(response.json()) == {"id", "status"}
    job_id = response.json()["id"]
    with schema_context(tenant.schema_name):
        connection.tenant = tenant
        export_run(job_id=job_id)
    job = client.get(f"/api/v1/exports/{job_id}").json()
    assert job["status"] == "done", job
    download = client.get(job["file"])
    assert download.status_code == 200
    return job, b"".join(download.streaming_content)


def _snapshot(tenant) -> tuple[dict, list]:
    with schema_context(tenant.schema_name):
        customers = {}
        for c in Customer.objects.select_related("group", "owner", "home_branch", "parent",
                                                 "referrer"):
            customers[c.code] = (
                c.name, c.phone, c.email, c.address, c.group.name if c.group else None,
                c.owner.username if c.owner else None, c.referrer.code if c.referrer else None,
                c.role, c.settlement_method, c.prepaid_allowed, c.credit_limit_amount,
                c.credit_limit_enforced, c.home_branch.code, c.shared,
                c.parent.code if c.parent else None, c.status, c.tax_code, c.note)
        contacts = sorted((k.customer.code, k.name, k.phone, k.email, k.position, k.primary,
                           k.note) for k in Contact.objects.select_related("customer"))
    return customers, contacts


def test_round_trip_into_an_empty_tenant(acme):
    owner = api_client(acme, "owner@acme.test")
    rows = [customer(code="TK820001", name="Tập đoàn Mẹ", phone="0912 800 001", group="Đại lý",
                     owner="sales@acme.test", role="agent", settlement_method="cash",
                     prepaid_allowed="yes", credit_limit="12.000.000", credit_limit_enforced="yes",
                     home_branch="B2", shared="yes", tax_code="0101", note=TRICKY[0],
                     email="me@example.com", address=TRICKY[1]),
            customer(code="TK820002", name="Công ty Con", phone="0912 800 002",
                     parent_code="TK820001", referrer_phone="0912800001", note=TRICKY[2],
                     tax_code=TRICKY[3], status="inactive")]
    contacts = [contact(customer_code="TK820001", name="Chị Hoa", phone="0912800003",
                        primary="yes", position=TRICKY[3], note=TRICKY[0]),
                contact(customer_code="TK820001", name="Anh Tú", email="tu@example.com"),
                contact(customer_code="TK820002", name="Cô Mai")]
    assert import_through_api(owner, acme, workbook_bytes(rows, contacts))["status"] == "done"
    job, content = _export(owner, acme, lang="en")
    assert job["rows_total"] >= 5

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    assert book.sheet_names[:2] == ["Customers", "Contacts"]
    sheet = book.get_sheet_by_name("Customers").to_python()
    assert sheet[0][:3] == ["Code", "Name", "Phone"]
    assert "Receivable (read-only)" in sheet[0]
    by_code = {r[0]: r for r in sheet[1:]}
    assert by_code["TK820001"][18] == TRICKY[0] and by_code["TK820002"][17] == TRICKY[3]

    connection.set_schema_to_public()
    empty = tenant_create(business_name="Round trip", subdomain="roundtrip",
                          owner_email="owner@acme.test", owner_password=PASSWORD,
                          currency="VND", locale="vi")
    with schema_context(empty.schema_name):
        main = Branch.objects.get(code="MAIN")
        second = branch_create(code="B2", name="Branch two")
        staff_create(username="sales@acme.test", password=PASSWORD, roles=[SALESPERSON],
                     branches=[main])
        staff_create(username="manager@acme.test", password=PASSWORD, roles=[MANAGER],
                     branches=[main, second])
    source = _snapshot(acme)
    source = ({k: v for k, v in source[0].items() if k.startswith("TK82")},
              [c for c in source[1] if c[0].startswith("TK82")])
    target_client = api_client(empty, "owner@acme.test")
    job = import_through_api(target_client, empty, content)
    assert job["status"] == "done", job["errors"]
    assert job["warnings"] == []
    imported = _snapshot(empty)
    exported_codes = set(by_code)
    assert set(imported[0]) == exported_codes
    assert {k: v for k, v in imported[0].items() if k.startswith("TK82")} == source[0]
    assert [c for c in imported[1] if c[0].startswith("TK82")] == source[1]
    assert imported[0]["TK820001"][10] == Decimal("12000000")

    # The exported file imported again where it came from changes nothing.
    again = import_through_api(owner, acme, content)
    assert again["status"] == "done" and again["created"] == 0
    assert _snapshot(acme)[0]["TK820001"] == source[0]["TK820001"]


def test_export_follows_the_list_filters_and_the_users_visibility(acme):
    owner = api_client(acme, "owner@acme.test")
    rows = [customer(code="TK830001", name="Lọc đại lý", phone="0912 830 001", role="agent"),
            customer(code="TK830002", name="Lọc bán lẻ", phone="0912 830 002", role="retail")]
    assert import_through_api(owner, acme, workbook_bytes(rows))["status"] == "done"
    _job, content = _export(owner, acme, filters={"role": "agent"})
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content)) \
        .get_sheet_by_name("Customers").to_python()
    codes = {r[0] for r in sheet[1:]}
    assert "TK830001" in codes and "TK830002" not in codes
    assert sheet[0][0] == "Mã khách hàng"  # the tenant's language by default
    owner.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # else the request's, as imports
    _job, content = _export(owner, acme, filters={"role": "agent"})
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content)) \
        .get_sheet_by_name("Customers").to_python()
    assert sheet[0][0] == "Code"


def test_export_jobs_and_files_stay_in_their_tenant_and_with_their_user(acme, globex):
    owner = api_client(acme, "owner@acme.test")
    job, _content = _export(owner, acme)
    other_tenant = api_client(globex, "owner@globex.test")
    assert other_tenant.get(f"/api/v1/exports/{job['id']}").status_code == 404
    path = job["file"].split("://", 1)[1].split("/", 1)[1]
    assert other_tenant.get("/" + path).status_code == 404
    manager = api_client(acme, "manager@acme.test")
    assert manager.get(f"/api/v1/exports/{job['id']}").status_code == 404
    assert api_client(acme, "sales@acme.test").post(
        "/api/v1/exports/customers", {}, format="json").status_code == 403
    with schema_context(acme.schema_name):
        from exchange.models import ExportJob

        stored = ExportJob.objects.get(pk=job["id"]).file_path
    assert acme.schema_name in stored and globex.schema_name not in stored


def test_bad_filters_fail_the_job_not_the_request(acme):
    owner = api_client(acme, "owner@acme.test")
    response = owner.post("/api/v1/exports/customers", {"filters": {"role": "emperor"}},
                          format="json")
    assert response.status_code == 202
    with schema_context(acme.schema_name):
        connection.tenant = acme
        export_run(job_id=response.json()["id"])
    job = owner.get(f"/api/v1/exports/{response.json()['id']}").json()
    assert job["status"] == "failed" and job["errors"][0]["code"] == "invalid_filter"
    assert job["file"] is None


def test_an_expired_file_is_gone(acme):
    from datetime import timedelta

    from django.utils import timezone

    from exchange.models import ExportJob

    owner = api_client(acme, "owner@acme.test")
    job, _content = _export(owner, acme)
    with schema_context(acme.schema_name):
        ExportJob.objects.filter(pk=job["id"]).update(
            expires_at=timezone.now() - timedelta(minutes=1))
    assert owner.get(job["file"]).status_code == 404


def test_the_export_names_only_referrers_and_parents_the_exporter_may_see(acme):
    """Before: the row of a visible customer carried its referrer's phone and its parent's
    code even when the exporter could not see them."""
    from exchange.columns import CUSTOMER_EXPORT_COLUMNS
    from tests.crm.factories import customer as saved_customer

    with schema_context(acme.schema_name):
        far = branch_create(code="B8", name="Far away")
        hidden = saved_customer(code="TKE00001", phone="0912 650 001", home_branch=far,
                                shared=False)
        seen = saved_customer(code="TKE00002", phone="0912 650 002")
        both = saved_customer(code="TKE00003", phone="0912 650 003", referrer=hidden,
                              parent=hidden)
        also = saved_customer(code="TKE00004", phone="0912 650 004", referrer=seen,
                              parent=seen)
        assert both.referrer_id and also.parent_id
    keys = [c.key for c in CUSTOMER_EXPORT_COLUMNS]
    for username, shown in (("manager@acme.test", False), ("owner@acme.test", True)):
        _job, content = _export(api_client(acme, username), acme)
        sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content)) \
            .get_sheet_by_name(python_calamine.CalamineWorkbook.from_filelike(
                io.BytesIO(content)).sheet_names[0]).to_python()
        rows = {r[0]: dict(zip(keys, r, strict=False)) for r in sheet[1:]}
        assert ("TKE00001" in rows) is shown
        assert bool(rows["TKE00003"]["referrer_phone"]) is shown
        assert (rows["TKE00003"]["parent_code"] == "TKE00001") is shown
        assert rows["TKE00004"]["parent_code"] == "TKE00002"
        assert rows["TKE00004"]["referrer_phone"]
