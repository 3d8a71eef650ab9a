"""Test fixtures. Tenant schemas are built once per session: a template, a small signup
pool and two tenants, `acme` (VND, Vietnam) and `globex` (TWD, Taiwan)."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from crm.models import Branch
from crm.roles import CASHIER, MANAGER, SALESPERSON
from crm.staff import branch_create, staff_create
from tenants.models import Tenant
from tenants.provisioning import signup_pool_fill
from tenants.services import tenant_create, tenant_domain

PASSWORD = "a long test passphrase"
TEST_POOL_SIZE = 4
CACHE_KEY_PREFIX = "tests"


def pytest_configure(config):
    # Our cache keys carry a prefix of their own, so clearing removes only what tests wrote
    # (never a FLUSHDB of a Redis database that someone else may be using).
    settings.CACHES["default"]["KEY_PREFIX"] = CACHE_KEY_PREFIX


def cache_clear() -> None:
    client = cache._cache.get_client(write=True)
    doomed = list(client.scan_iter(match=f"*:{CACHE_KEY_PREFIX}:*", count=1000))
    if doomed:
        client.delete(*doomed)


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker):
    """Our own, so the test database exists for every test, including those that only use
    committed data (pytest-django sets it up only when some test asks for `db`)."""
    from django.test.utils import setup_databases, teardown_databases

    settings.SIGNUP_POOL_SIZE = TEST_POOL_SIZE
    settings.SIGNUP_POOL_LOW_WATER = 1
    with django_db_blocker.unblock():
        db_cfg = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        assert connection.settings_dict["NAME"].startswith("test_")
        call_command("platform_bootstrap")
        signup_pool_fill(target=TEST_POOL_SIZE)
        for subdomain, currency, name in [("acme", "VND", "Công ty Acme"),
                                          ("globex", "TWD", "環球貿易有限公司")]:
            tenant = tenant_create(business_name=name, subdomain=subdomain,
                                   owner_email=f"owner@{subdomain}.test",
                                   owner_password=PASSWORD, currency=currency,
                                   locale="vi" if currency == "VND" else "zh-hant")
            with schema_context(tenant.schema_name):
                main = Branch.objects.get(code="MAIN")
                second = branch_create(code="B2", name="Branch two")
                staff_create(username=f"manager@{subdomain}.test", password=PASSWORD,
                             roles=[MANAGER], branches=[main, second])
                staff_create(username=f"sales@{subdomain}.test", password=PASSWORD,
                             roles=[SALESPERSON], branches=[main])
                staff_create(username=f"cashier@{subdomain}.test", password=PASSWORD,
                             roles=[CASHIER], branches=[second])
        signup_pool_fill(target=TEST_POOL_SIZE)
    yield
    with django_db_blocker.unblock():
        # Worker, server and thread connections may linger; the database must go anyway.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        connection.close()
        teardown_databases(db_cfg, verbosity=0)


@pytest.fixture(autouse=True)
def _public_schema_and_clean_cache():
    connection.set_schema_to_public()
    cache_clear()
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _money_invariants(request):
    """After every test that touched the database: in the session's tenants, each stored
    balance equals its ledger entries and voucher codes run without gaps. A test that
    breaks them on purpose says so with @pytest.mark.breaks_money_invariants."""
    uses_db = any(name in request.fixturenames for name in ("db", "committed_db"))
    for name in ("db", "committed_db"):
        if name in request.fixturenames:
            # Set up before this fixture, so it is torn down (rolled back) after the check.
            request.getfixturevalue(name)
    yield
    if not uses_db or request.node.get_closest_marker("breaks_money_invariants"):
        return
    from finance.checks import balances_mismatched, voucher_codes_gapped

    connection.set_schema_to_public()
    for tenant in Tenant.objects.filter(subdomain__in=["acme", "globex"]):
        with schema_context(tenant.schema_name):
            assert balances_mismatched() == [], f"{tenant.subdomain}: balances != ledger"
            assert voucher_codes_gapped() == [], f"{tenant.subdomain}: voucher codes gap"
    connection.set_schema_to_public()


@pytest.fixture
def acme(db) -> Tenant:
    return Tenant.objects.get(subdomain="acme")


@pytest.fixture
def globex(db) -> Tenant:
    return Tenant.objects.get(subdomain="globex")


@pytest.fixture
def public_client(db) -> APIClient:
    return APIClient(HTTP_HOST=settings.BASE_DOMAIN)


def host_of(tenant: Tenant) -> str:
    return tenant_domain(tenant.subdomain)


def api_client(tenant: Tenant, username: str | None = None) -> APIClient:
    """A client on the tenant's host, logged in with a token when `username` is given."""
    client = APIClient(HTTP_HOST=host_of(tenant))
    if username:
        response = client.post("/api/v1/auth/token", {"username": username, "password": PASSWORD},
                               format="json")
        assert response.status_code == 200, response.content
        client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


@pytest.fixture
def acme_owner(acme) -> APIClient:
    return api_client(acme, "owner@acme.test")


@pytest.fixture
def committed_db(django_db_setup, django_db_blocker):
    """Database access with nothing rolled back, for tests with threads or processes that
    use their own connections (the test database is dropped at the end of the session).
    Use it instead of `transactional_db`, whose flush would empty the tenant table."""
    from django.db import connections

    django_db_blocker.unblock()
    try:
        assert connection.settings_dict["NAME"].startswith("test_")
        yield
    finally:
        connection.set_schema_to_public()
        connections.close_all()
        django_db_blocker.restore()


@pytest.fixture
def committed_tenant(committed_db):
    """A fresh tenant whose data is committed (see `committed_db`)."""
    import uuid

    name = f"c{uuid.uuid4().hex[:10]}"
    return tenant_create(business_name=name, subdomain=name, owner_email=f"owner@{name}.test",
                         owner_password=PASSWORD)
