"""A job and its files are its creator's, the owner role's, and those of users granted
crm.view_all_jobs; anyone else gets 404 (before: any importer of the tenant read every
import's status, errors and error workbook, and could rerun it)."""

from django.contrib.auth.models import Permission, User
from django.db import connection
from django_tenants.utils import schema_context

from exchange.services import import_run
from tests.conftest import api_client
from tests.exchange.factories import customer, upload, workbook_bytes


def _failed_import(client, tenant) -> dict:
    bad = workbook_bytes([customer(code="TKJ00001", name="", phone="0912 000 001")])
    response = upload(client, bad)
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    with schema_context(tenant.schema_name):
        connection.tenant = tenant
        import_run(job_id=job_id)
    job = client.get(f"/api/v1/imports/{job_id}").json()
    assert job["status"] == "failed" and job["error_file"]
    return job


def _paths(job) -> list[tuple[str, str]]:
    error_file = "/" + job["error_file"].split("://", 1)[1].split("/", 1)[1]
    return [("get", f"/api/v1/imports/{job['id']}"), ("get", error_file),
            ("post", f"/api/v1/imports/{job['id']}/rerun")]


def test_an_import_is_hidden_from_other_importers_but_not_from_the_owner(acme):
    manager = api_client(acme, "manager@acme.test")
    owner = api_client(acme, "owner@acme.test")
    job = _failed_import(manager, acme)
    for method, path in _paths(job):
        assert getattr(owner, method)(path).status_code in {200, 202}, path

    theirs = _failed_import(owner, acme)
    for method, path in _paths(theirs):
        response = getattr(manager, method)(path)
        assert response.status_code == 404, path
        assert b"TKJ00001" not in response.content


def test_view_all_jobs_is_granted_per_user(acme):
    owner = api_client(acme, "owner@acme.test")
    job = _failed_import(owner, acme)
    manager = api_client(acme, "manager@acme.test")
    assert manager.get(f"/api/v1/imports/{job['id']}").status_code == 404
    with schema_context(acme.schema_name):
        user = User.objects.get(username="manager@acme.test")
        user.user_permissions.add(Permission.objects.get(codename="view_all_jobs"))
    assert manager.get(f"/api/v1/imports/{job['id']}").status_code == 200
    export = owner.post("/api/v1/exports/customers", {}, format="json").json()
    assert manager.get(f"/api/v1/exports/{export['id']}").status_code == 200
