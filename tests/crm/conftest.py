"""Fixtures of the CRM tests: run inside a session tenant's schema."""

import pytest
from django.db import connection


@pytest.fixture
def in_acme(acme):
    connection.set_tenant(acme)
    yield acme


@pytest.fixture
def in_globex(globex):
    connection.set_tenant(globex)
    yield globex
