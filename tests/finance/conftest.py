import pytest
from django_tenants.utils import schema_context


@pytest.fixture
def acme_schema(acme):
    with schema_context(acme.schema_name):
        yield acme

