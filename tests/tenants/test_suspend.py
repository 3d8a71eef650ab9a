from django.contrib.auth.models import User
from django_tenants.utils import schema_context

from tenants.services import tenant_reactivate, tenant_suspend
from tests.conftest import api_client


def test_suspended_tenant_answers_403_and_keeps_its_data(acme):
    client = api_client(acme, "owner@acme.test")
    tenant_suspend(tenant=acme)
    response = client.get("/api/v1/me")
    assert response.status_code == 403
    assert response.json()["code"] == "tenant_suspended"
    assert "suspend" in response.json()["detail"].lower() or response.json()["detail"]
    assert client.get("/").status_code == 403
    with schema_context(acme.schema_name):
        assert User.objects.filter(username="owner@acme.test").exists()
    tenant_reactivate(tenant=acme)
    assert client.get("/api/v1/me").status_code == 200
