"""Tenant export -> delete -> restore (DESIGN §9): every table identical row by row, the
balances equal their ledger (finance_check), the files back, the restored tenant works over
the API; a restore under a new schema beside it touches nobody else; a damaged or foreign
archive writes nothing."""

import io
import json
import tarfile
import uuid
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import translation
from django_tenants.utils import schema_context, schema_exists

from exchange.models import ExportJob
from finance.orders import order_create
from tenants.archive import MANIFEST, tenant_export, tenant_restore
from tenants.exceptions import TenantArchiveInvalid
from tenants.models import Domain, Tenant
from tenants.services import tenant_create, tenant_delete
from tests.conftest import PASSWORD, api_client
from tests.finance.factories import customer_make, lines, product_make, user


def _rows(schema: str) -> dict:
    """Every table's rows as text, sorted, and every sequence's state."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN ('r', 'S') "
            "ORDER BY 1", [schema])
        found = {}
        for name, kind in cursor.fetchall():
            query = (f'SELECT last_value, is_called FROM "{schema}"."{name}"' if kind == "S"
                     else f'SELECT r::text FROM "{schema}"."{name}" r ORDER BY 1')
            cursor.execute(query)
            found[name] = cursor.fetchall()
    return found


def _catalogue(schema: str) -> dict:
    """Indexes, constraints, triggers and column defaults, by name, schema name removed."""
    queries = {
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %s",
        "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(c.oid) "
                       "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                       "WHERE n.nspname = %s",
        "triggers": "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                    "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = %s AND NOT t.tgisinternal",
        "columns": "SELECT table_name, column_name, column_default, is_generated, is_identity "
                   "FROM information_schema.columns WHERE table_schema = %s",
    }
    found = {}
    with connection.cursor() as cursor:
        for kind, query in queries.items():
            cursor.execute(query, [schema])
            found[kind] = sorted(tuple(str(v).replace(schema, "S") for v in row)
                                 for row in cursor.fetchall())
    return found


def _files(media: Path, schema: str) -> dict:
    root = media / "exchange" / schema
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def shop_tenant(committed_db, settings, tmp_path):
    """A scratch tenant with customers, an approved order, a payment over the API and an
    export file; committed, since pg_dump reads with its own connection."""
    settings.MEDIA_ROOT = tmp_path / "media"
    name = f"r{uuid.uuid4().hex[:10]}"
    tenant = tenant_create(business_name="Cửa hàng Hoà Bình", subdomain=name,
                           owner_email=f"owner@{name}.test", owner_password=PASSWORD,
                           scratch=True)
    owner_name = f"owner@{name}.test"
    with schema_context(tenant.schema_name):
        customer = customer_make(name="Nguyễn Thị Ánh Đào")
        customer_make(name="王小明", shared=True)
        order_create(actor=user(owner_name), customer=customer,
                     lines=lines(product_make("250000"), "2"), approve=True)
        relative = f"exchange/{tenant.schema_name}/exports/abc-customers.xlsx"
        path = settings.MEDIA_ROOT / relative
        path.parent.mkdir(parents=True)
        path.write_bytes(b"PK\x03\x04 an export")
        ExportJob.objects.create(file_path=relative, file_key="k" * 16,
                                 expires_at="2099-01-01T00:00:00Z", status="done")
    paid = api_client(tenant, owner_name).post(
        f"/api/v1/customers/{customer.pk}/payments", {"amount": "120000", "method": "cash"},
        format="json")
    assert paid.status_code == 201, paid.content
    yield tenant
    connection.set_schema_to_public()
    for left in Tenant.objects.filter(subdomain__startswith=name):
        Tenant.objects.filter(pk=left.pk).update(scratch=True)
        tenant_delete(tenant=left)


def test_export_delete_restore_gives_back_every_row_file_and_balance(shop_tenant, settings,
                                                                     tmp_path):
    schema, subdomain = shop_tenant.schema_name, shop_tenant.subdomain
    rows_before, files_before = _rows(schema), _files(settings.MEDIA_ROOT, schema)
    archive = tmp_path / "shop.tar.gz"
    call_command("tenant_export", subdomain, str(archive), stdout=StringIO())
    call_command("tenant_delete", subdomain, "--now", stdout=StringIO())
    assert not schema_exists(schema) and not Tenant.objects.filter(subdomain=subdomain).exists()
    assert not (settings.MEDIA_ROOT / "exchange" / schema).exists()
    assert api_client(shop_tenant).get("/api/v1/me").status_code == 404

    call_command("tenant_restore", str(archive), "--same", stdout=StringIO())

    restored = Tenant.objects.get(subdomain=subdomain)
    assert restored.schema_name == schema and restored.name == "Cửa hàng Hoà Bình"
    assert list(Domain.objects.filter(tenant=restored).values_list("domain", flat=True)) == [
        f"{subdomain}.{settings.BASE_DOMAIN}"]
    rows_after = _rows(schema)
    assert rows_after.keys() == rows_before.keys()
    for table, rows in rows_before.items():
        assert rows_after[table] == rows, table
    assert _files(settings.MEDIA_ROOT, schema) == files_before
    out = StringIO()
    call_command("finance_check", schema=schema, stdout=out)
    assert out.getvalue().startswith("OK")

    owner = api_client(restored, f"owner@{subdomain}.test")
    customers = owner.get("/api/v1/customers").json()["results"]
    assert {c["name"] for c in customers} == {"Nguyễn Thị Ánh Đào", "王小明"}
    debtor = next(c for c in customers if c["name"] == "Nguyễn Thị Ánh Đào")
    paid = owner.post(f"/api/v1/customers/{debtor['id']}/payments",
                      {"amount": "80000", "method": "card"}, format="json")
    assert paid.status_code == 201, paid.content
    assert Decimal(paid.json()["receivable_after"]) == Decimal("300000")
    assert paid.json()["code"] == "PT000002"  # the sequences came back too


def test_a_restore_under_a_new_schema_touches_no_other_tenant(shop_tenant, settings, tmp_path):
    archive = tmp_path / "shop.tar.gz"
    tenant_export(tenant=shop_tenant, archive=archive)
    original = _rows(shop_tenant.schema_name)
    neighbours = {t.schema_name: _rows(t.schema_name)
                  for t in Tenant.objects.filter(subdomain__in=["acme", "globex"])}

    copy = tenant_restore(archive=archive, subdomain=f"{shop_tenant.subdomain}-copy")

    assert copy.schema_name != shop_tenant.schema_name
    assert _catalogue(copy.schema_name) == _catalogue(shop_tenant.schema_name)
    assert _catalogue(copy.schema_name)["triggers"]  # the ledger's append-only guard came too
    assert _rows(shop_tenant.schema_name) == original
    assert {s: _rows(s) for s in neighbours} == neighbours
    assert Domain.objects.filter(tenant=shop_tenant).count() == 1
    assert _files(settings.MEDIA_ROOT, copy.schema_name) == _files(settings.MEDIA_ROOT,
                                                                   shop_tenant.schema_name)
    with schema_context(copy.schema_name):
        job = ExportJob.objects.get()
        assert job.file_path.startswith(f"exchange/{copy.schema_name}/")
    for tenant in (copy, shop_tenant):  # each on its own host, with its own rows
        owner = api_client(tenant, f"owner@{shop_tenant.subdomain}.test")
        assert len(owner.get("/api/v1/customers").json()["results"]) == 2


def _tampered(archive: Path, target: Path, edit) -> Path:
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == MANIFEST:
                manifest = json.loads(data)
                edit(manifest)
                data = json.dumps(manifest).encode()
                member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return target


@pytest.mark.parametrize("edit, message", [
    (lambda m: m["migrations"].append(["crm", "9999_from_the_future"]), "migrations"),
    (lambda m: m["migrations"].pop(), "migrations"),
    (lambda m: m["tables"]["crm_customer"].update(rows=3), "crm_customer"),
    (lambda m: m["members"].update({"schema.sql": "0" * 64}), "damaged"),
])
def test_a_foreign_or_damaged_archive_is_refused_and_writes_nothing(shop_tenant, tmp_path,
                                                                    edit, message):
    archive = tmp_path / "shop.tar.gz"
    tenant_export(tenant=shop_tenant, archive=archive)
    bad = _tampered(archive, tmp_path / "bad.tar.gz", edit)
    schemas_before = _schemas()
    tenants_before = set(Tenant.objects.values_list("pk", flat=True))
    with pytest.raises(TenantArchiveInvalid, match=message), translation.override("en"):
        tenant_restore(archive=bad, subdomain=f"{shop_tenant.subdomain}-bad")
    assert _schemas() == schemas_before
    assert set(Tenant.objects.values_list("pk", flat=True)) == tenants_before


def test_same_schema_or_subdomain_taken_is_refused(shop_tenant, tmp_path):
    archive = tmp_path / "shop.tar.gz"
    tenant_export(tenant=shop_tenant, archive=archive)
    with pytest.raises(TenantArchiveInvalid, match="exists already"), translation.override("en"):
        tenant_restore(archive=archive, same=True, subdomain=f"{shop_tenant.subdomain}-x")
    with pytest.raises(TenantArchiveInvalid, match="taken"), translation.override("en"):
        tenant_restore(archive=archive)
    assert not Tenant.objects.filter(subdomain=f"{shop_tenant.subdomain}-x").exists()


def _schemas() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace")
        return {row[0] for row in cursor.fetchall()}
