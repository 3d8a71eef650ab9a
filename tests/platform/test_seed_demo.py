import json

from django.contrib.auth.models import User
from django.core.management import call_command
from django_tenants.utils import schema_context

from crm.models import Branch
from tenants.models import Tenant
from tests.conftest import api_client


def test_seed_demo_is_idempotent(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    logins = json.loads((tmp_path / "demo-logins.json").read_text())
    tenant = Tenant.objects.get(subdomain="demo")
    with schema_context(tenant.schema_name):
        first = (User.objects.count(), Branch.objects.count())
        roles = set(User.objects.values_list("groups__name", flat=True))
    assert roles == {"owner", "manager", "accountant", "salesperson", "cashier"}

    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert Tenant.objects.filter(subdomain="demo").count() == 1
    with schema_context(tenant.schema_name):
        assert (User.objects.count(), Branch.objects.count()) == first
    assert json.loads((tmp_path / "demo-logins.json").read_text()) == logins

    # The printed passwords work, and they are not a shared default.
    client = api_client(tenant)
    response = client.post("/api/v1/auth/token",
                           {"username": "cashier.hn2@demo.example",
                            "password": logins["cashier.hn2@demo.example"]}, format="json")
    assert response.status_code == 200
    assert len(set(logins.values())) == len(logins)
    assert "123456" not in logins.values()
