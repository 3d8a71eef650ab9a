from django.contrib.auth.models import User
from django.test import Client
from django_tenants.utils import schema_context

from tenants.models import Tenant

PASSWORD = "platform admin passphrase"


def _admin_client():
    User.objects.create_superuser("root@platform.test", "root@platform.test", PASSWORD)
    client = Client(HTTP_HOST="localhost")
    assert client.login(username="root@platform.test", password=PASSWORD)
    return client


def test_platform_admin_onboards_suspends_and_reactivates(db):
    client = _admin_client()
    response = client.post("/admin/tenants/tenant/add/", {
        "name": "Nhà sách Hòa Bình", "subdomain": "hoabinh", "owner_email": "o@hoabinh.vn",
        "owner_password": "a long passphrase here", "currency": "VND", "locale": "vi",
        "country": "", "timezone": "",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    tenant = Tenant.objects.get(subdomain="hoabinh")
    assert tenant.state == Tenant.State.ACTIVE
    with schema_context(tenant.schema_name):
        assert User.objects.get().username == "o@hoabinh.vn"

    listing = client.get("/admin/tenants/tenant/")
    assert b"hoabinh" in listing.content
    assert b"tenant_template" not in listing.content  # template and pool are not listed
    detail = client.get(f"/admin/tenants/tenant/{tenant.pk}/change/")
    assert detail.status_code == 200
    assert b"KB" in detail.content or b"MB" in detail.content  # its size on disk

    client.post("/admin/tenants/tenant/", {"action": "suspend", "_selected_action": [tenant.pk]})
    tenant.refresh_from_db()
    assert tenant.state == Tenant.State.SUSPENDED
    client.post("/admin/tenants/tenant/", {"action": "reactivate", "_selected_action": [tenant.pk]})
    tenant.refresh_from_db()
    assert tenant.state == Tenant.State.ACTIVE


def test_admin_onboarding_shows_field_errors(db):
    client = _admin_client()
    response = client.post("/admin/tenants/tenant/add/", {
        "name": "X", "subdomain": "www", "owner_email": "o@x.vn",
        "owner_password": "123", "currency": "VND", "locale": "vi"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "subdomain" in errors and "owner_password" in errors
    assert not Tenant.objects.filter(name="X").exists()
