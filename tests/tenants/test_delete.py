"""Only one service drops a tenant's schema, and only a tenant that may go: a scratch
tenant of a benchmark or test, or one marked for deletion whose grace period has passed.
Schema, domains and row go together or not at all."""

import subprocess
import uuid
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_exists

from tenants.exceptions import TenantNotDeletable, TenantStateInvalid
from tenants.models import Domain, Tenant
from tenants.provisioning import TEMPLATE_SCHEMA
from tenants.services import (
    tenant_create,
    tenant_delete,
    tenant_delete_request,
    tenants_deleting_sweep,
)
from tests.conftest import PASSWORD, api_client

ROOT = Path(__file__).resolve().parents[2]


def _tenant(**extra) -> Tenant:
    name = f"d{uuid.uuid4().hex[:10]}"
    return tenant_create(business_name=name, subdomain=name, owner_email=f"o@{name}.test",
                         owner_password=PASSWORD, **extra)


def _gone(tenant: Tenant) -> bool:
    return (not schema_exists(tenant.schema_name)
            and not Tenant.objects.filter(pk=tenant.pk).exists()
            and not Domain.objects.filter(tenant_id=tenant.pk).exists())


def test_an_active_tenant_is_never_dropped(db, acme):
    with pytest.raises(TenantNotDeletable):
        tenant_delete(tenant=acme)
    assert schema_exists(acme.schema_name) and Domain.objects.filter(tenant=acme).exists()


def test_the_template_and_pool_members_are_never_dropped(db):
    template = Tenant.objects.get(schema_name=TEMPLATE_SCHEMA)
    member = Tenant.objects.filter(state=Tenant.State.POOL).first()
    for tenant in (template, member):
        with pytest.raises(TenantNotDeletable):
            tenant_delete(tenant=tenant)
        assert schema_exists(tenant.schema_name)


def test_a_tenant_marked_for_deletion_waits_for_its_grace_period(db, settings):
    settings.TENANT_DELETE_GRACE_DAYS = 30
    tenant = _tenant()
    asked = timezone.now()
    Tenant.objects.filter(pk=tenant.pk).update(state=Tenant.State.DELETING,
                                               deleting_since=asked)
    with pytest.raises(TenantNotDeletable):
        tenant_delete(tenant=tenant, now=asked + timedelta(days=29))
    assert schema_exists(tenant.schema_name)
    tenant_delete(tenant=tenant, now=asked + timedelta(days=30))
    assert _gone(tenant)


def test_a_scratch_tenant_goes_with_its_schema_rows_and_files(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tenant = _tenant(scratch=True)
    own = tmp_path / "exchange" / tenant.schema_name / "exports"
    own.mkdir(parents=True)
    (own / "x.xlsx").write_bytes(b"x")
    neighbour = tmp_path / "exchange" / "t_someoneelse"
    neighbour.mkdir()
    with transaction.atomic():
        tenant_delete(tenant=tenant)
    assert _gone(tenant)
    # Files go after commit (captured by the test's own transaction in pytest-django).
    assert neighbour.exists()


def test_schema_and_row_go_together_or_not_at_all(db):
    """A failure after the DROP rolls the DROP back too: no row is ever left without its
    schema (what the benchmarks' old clean-ups did when they stopped half-way)."""
    tenant = _tenant(scratch=True)
    with pytest.raises(RuntimeError), transaction.atomic():
        tenant_delete(tenant=tenant)
        raise RuntimeError("crash between the drop and the commit")
    assert schema_exists(tenant.schema_name)
    assert Tenant.objects.filter(pk=tenant.pk).exists()


def test_no_other_code_drops_a_schema():
    """The one home of DROP SCHEMA is tenants.services.tenant_delete."""
    tracked = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    offenders = []
    for relative in tracked:
        if relative.startswith("tests/") or "/migrations/" in relative:
            continue
        if "DROP SCHEMA" in (ROOT / relative).read_text(encoding="utf-8").upper() \
                and relative != "tenants/services.py":
            offenders.append(relative)
    assert offenders == []


def test_migrate_schemas_reports_a_missing_schema_and_migrates_the_others(db, capsys):
    from django.core.management import call_command

    lost = Tenant.objects.create(schema_name=f"t_lost{uuid.uuid4().hex[:6]}",
                                 state=Tenant.State.ACTIVE, name="lost")
    try:
        call_command("migrate_schemas", interactive=False, verbosity=0)
        assert f"{lost.schema_name!r} does not exist" in capsys.readouterr().err
        assert not schema_exists(lost.schema_name)  # reported, never re-created empty
    finally:
        connection.set_schema_to_public()
        Tenant.objects.filter(pk=lost.pk).delete()


def test_marked_for_deletion_its_hosts_stop_answering_at_once(db):
    tenant = _tenant()
    client = api_client(tenant, f"o@{tenant.subdomain}.test")
    assert client.get("/api/v1/me").status_code == 200
    out = StringIO()
    call_command("tenant_delete", tenant.subdomain, stdout=out)
    assert "marked for deletion" in out.getvalue()
    tenant.refresh_from_db()
    assert tenant.state == Tenant.State.DELETING and tenant.deleting_since is not None
    assert client.get("/api/v1/me").status_code == 404
    assert client.get("/").status_code == 404
    assert schema_exists(tenant.schema_name)  # kept through the grace period


def test_the_sweep_drops_only_tenants_past_their_grace_period(db, settings):
    settings.TENANT_DELETE_GRACE_DAYS = 30
    due, recent, kept = _tenant(), _tenant(), _tenant()
    asked = timezone.now()
    for tenant in (due, recent):
        tenant_delete_request(tenant=tenant)
    Tenant.objects.filter(pk=due.pk).update(deleting_since=asked - timedelta(days=31))
    assert tenants_deleting_sweep(now=asked) == 1
    assert _gone(due)
    assert schema_exists(recent.schema_name) and schema_exists(kept.schema_name)


def test_delete_now_is_only_for_scratch_tenants(db):
    tenant = _tenant()
    with pytest.raises(CommandError, match="not a scratch tenant"):
        call_command("tenant_delete", tenant.subdomain, "--now", stdout=StringIO())
    tenant.refresh_from_db()
    assert tenant.state == Tenant.State.ACTIVE and schema_exists(tenant.schema_name)
    with pytest.raises(TenantStateInvalid):
        tenant_delete_request(tenant=Tenant.objects.get(schema_name=TEMPLATE_SCHEMA))
