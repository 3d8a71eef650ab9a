"""The benchmarks at toy sizes: each prints its table and removes only the tenants it made
(marked scratch), leaving every other tenant -- active ones, the template, the signup
pool -- exactly as it found it, schema included."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from tenants.models import Tenant

SIZES = {
    "onboarding": ["--pool", "2", "--clone", "1", "--migrate", "1"],
    "migrate": ["--tenants", "4", "--sample", "1", "--jobs", "2"],
    "posting": ["--threads", "2", "--vouchers", "8", "--customers", "5"],
    "import": ["--rows", "200", "--sample", "50"],
    "export": ["--rows", "200", "--sample", "50"],
    "search": ["--customers", "300", "--repeat", "1", "--baseline-runs", "1"],
    "statements": ["--entries", "2000", "--repeat", "2", "--customers", "20", "--lines", "5"],
    "pages": ["--customers", "300", "--repeat", "2", "--entries", "5"],
}


def _fleet() -> dict[int, tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace")
        schemas = {row[0] for row in cursor.fetchall()}
    return {t.pk: (t.schema_name, t.state, t.subdomain, t.name, t.schema_name in schemas)
            for t in Tenant.objects.all()}


@pytest.mark.parametrize("name", list(SIZES))
def test_a_benchmark_leaves_every_other_tenant_as_it_was(committed_db, name):
    before = _fleet()
    out = io.StringIO()
    call_command("bench", name, *SIZES[name], stdout=out)
    connection.set_schema_to_public()
    after = _fleet()
    # Every tenant that was there is still there, unchanged, with its schema -- but pool
    # members, which the benchmark's own signups may have claimed (and then removed).
    changed = {pk: after.get(pk) for pk, v in before.items() if after.get(pk) != v
               and not (v[1] == Tenant.State.POOL and pk not in after)}
    assert changed == {}
    assert all(exists for *_rest, exists in after.values())
    # Nothing of the benchmark's own is left but pool members it added (onboarding tops
    # the pool up first; the others' signups claim members as any signup does).
    added = {pk: v for pk, v in after.items() if pk not in before}
    assert all(v[1] == Tenant.State.POOL for v in added.values()), added
    assert not Tenant.objects.filter(scratch=True).exists()
    assert "---" in out.getvalue()  # a printed table
    if name == "search":
        assert "Every page equals the sequential scan's." in out.getvalue()


def test_signups_while_bench_onboarding_runs_keep_their_schemas(committed_db):
    """The reported loss: real signups (a second `make run`, users) went on while `bench
    onboarding` ran. The benchmark must neither take nor remove a tenant it did not make."""
    import threading
    import uuid

    from django.db import connections
    from django_tenants.utils import schema_exists

    from tenants.services import tenant_create
    from tests.conftest import PASSWORD

    errors, made = [], []

    def benchmark():
        try:
            call_command("bench", "onboarding", "--pool", "2", "--clone", "1", "--migrate", "1",
                         stdout=io.StringIO())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    runner = threading.Thread(target=benchmark)
    runner.start()
    try:
        while runner.is_alive() or len(made) < 3:
            name = f"u{uuid.uuid4().hex[:10]}"
            made.append(tenant_create(business_name=name, subdomain=name,
                                      owner_email=f"o@{name}.test", owner_password=PASSWORD).pk)
    finally:
        runner.join()
    assert errors == []
    for tenant in Tenant.objects.filter(pk__in=made):
        assert tenant.state == Tenant.State.ACTIVE and not tenant.scratch
        assert schema_exists(tenant.schema_name), tenant.subdomain
        assert tenant.domains.filter(is_primary=True).exists()
    assert Tenant.objects.filter(pk__in=made).count() == len(made)


def test_bench_search_keeps_its_tenant_for_the_next_run_and_drops_it_when_told(committed_db):
    args = ["--customers", "60", "--repeat", "1", "--baseline-runs", "1", "--only", "list"]
    first = io.StringIO()
    call_command("bench", "search", *args, "--keep", "benchkept", stdout=first)
    kept = Tenant.objects.get(subdomain="benchkept")
    assert kept.scratch and "COPY 60 customers" in first.getvalue()
    again = io.StringIO()
    call_command("bench", "search", *args, "--keep", "benchkept", "--drop", stdout=again)
    assert "Reusing the kept tenant benchkept" in again.getvalue()
    assert "COPY 60 customers" not in again.getvalue()  # not loaded again
    assert not Tenant.objects.filter(subdomain="benchkept").exists()
