"""Idempotency-Key semantics (DESIGN §6) on a real endpoint, including concurrent repeats."""

import threading
import uuid

from django.conf import settings
from django.db import connections
from rest_framework.test import APIClient

from api.models import IdempotencyRecord
from tenants.models import Tenant


def _body(subdomain):
    return {"business_name": "Idem", "subdomain": subdomain, "owner_email": f"o@{subdomain}.vn",
            "owner_password": "a long passphrase here", "currency": "VND", "locale": "vi"}


def test_concurrent_repeats_wait_for_the_first_and_replay_it(committed_db):
    subdomain = f"idem-{uuid.uuid4().hex[:8]}"
    key = uuid.uuid4().hex
    barrier = threading.Barrier(4)
    responses = []

    def post():
        client = APIClient(HTTP_HOST=settings.BASE_DOMAIN)
        barrier.wait()
        try:
            response = client.post("/api/v1/signup", _body(subdomain), format="json",
                                   HTTP_IDEMPOTENCY_KEY=key)
            responses.append((response.status_code, response.json(),
                              response.get("Idempotent-Replayed")))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [status for status, _, _ in responses] == [201] * 4
    assert all(body == responses[0][1] for _, body, _ in responses)
    assert sorted(replayed or "" for _, _, replayed in responses) == ["", "true", "true", "true"]
    assert Tenant.objects.filter(subdomain=subdomain).count() == 1
    assert IdempotencyRecord.objects.filter(key=key).count() == 1


def test_a_refused_request_is_replayed_as_refused(public_client):
    body = {**_body("www"), "subdomain": "www"}
    first = public_client.post("/api/v1/signup", body, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    again = public_client.post("/api/v1/signup", body, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    assert first.status_code == again.status_code == 400
    assert first.json() == again.json()


def test_bad_keys_are_a_400(public_client):
    response = public_client.post("/api/v1/signup", _body("okname"), format="json",
                                  HTTP_IDEMPOTENCY_KEY="x" * 300)
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"
    assert not Tenant.objects.filter(subdomain="okname").exists()


def test_old_keys_are_purged_in_every_schema(acme, public_client):
    from datetime import timedelta

    from django.utils import timezone
    from django_tenants.utils import schema_context

    from api.tasks import idempotency_records_purge
    from tests.conftest import api_client

    public_client.post("/api/v1/signup", _body("www"), format="json", HTTP_IDEMPOTENCY_KEY="p1")
    api_client(acme, "owner@acme.test")  # logs in (no key)
    with schema_context(acme.schema_name):
        IdempotencyRecord.objects.create(key="old", method="POST", path="/x", request_hash="h")
        IdempotencyRecord.objects.create(key="new", method="POST", path="/x", request_hash="h")
        IdempotencyRecord.objects.filter(key="old").update(
            created_at=timezone.now() - timedelta(days=30))
    with schema_context("public"):
        IdempotencyRecord.objects.filter(key="p1").update(
            created_at=timezone.now() - timedelta(days=30))
    assert idempotency_records_purge() == 2
    with schema_context(acme.schema_name):
        assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
