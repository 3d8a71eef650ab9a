import pytest
from django_tenants.utils import schema_context


@pytest.fixture
def acme_schema(acme):
    with schema_context(acme.schema_name):
        yield acme


@pytest.fixture
def committed(django_db_setup, committed_tenant):
    """`committed_tenant`, after the test database exists (it does not ask for it itself,
    so a module run alone would otherwise reach the development database)."""
    return committed_tenant
