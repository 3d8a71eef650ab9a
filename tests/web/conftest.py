"""Fixtures of the web app's view tests: Django's test client on a tenant's host."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from tests.conftest import PASSWORD, host_of


def web_client(tenant, username: str | None = None, **headers) -> Client:
    """A browser-like client on the tenant's host, logged in through the login form."""
    client = Client(HTTP_HOST=host_of(tenant), **headers)
    if username:
        response = client.post("/login/", {"username": username, "password": PASSWORD})
        assert response.status_code == 302, response.content
    return client


HTMX = {"HTTP_HX_REQUEST": "true"}


def english(client: Client) -> Client:
    """The client reads the screens in English (the tenants' locale is Vietnamese)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def owner(acme):
    return english(web_client(acme, "owner@acme.test"))


@pytest.fixture
def in_acme(acme):
    connection.set_tenant(acme)
    yield acme
    connection.set_schema_to_public()
