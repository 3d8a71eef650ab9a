"""schemathesis over the OpenAPI of the platform host and of a tenant host (logged in as
its owner): zero server errors, zero responses that break their own schema. Seeded and
bounded (a few examples per operation), so it runs in every `make test`."""

import schemathesis
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from config.wsgi import application
from tenants.services import tenant_domain
from tests.conftest import api_client

EXAMPLES = 12
FUZZ = hypothesis_settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                           suppress_health_check=list(HealthCheck), database=None)
# What must hold: nothing answers 5xx, and every body matches its declared schema and
# content type. (4xx codes a schema does not list one by one -- 401, 403, 404, 409, 429 --
# are fine; so is a 400 for data the schema cannot call invalid, e.g. an unknown id.)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _fuzz(host: str, headers: dict) -> list[str]:
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application,
                                            headers={"Host": host})
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @FUZZ
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - every operation is tried; all reported
            failures.append(f"{operation.label}: {str(exc)[:600]}")
    return failures


def test_tenant_api_never_fails(committed_tenant):
    owner = api_client(committed_tenant, f"owner@{committed_tenant.subdomain}.test")
    host = tenant_domain(committed_tenant.subdomain)
    headers = {"Host": host, "Authorization": owner._credentials["HTTP_AUTHORIZATION"]}
    failures = _fuzz(host, headers)
    assert failures == [], "\n\n".join(failures)


def test_platform_api_never_fails(committed_db):
    failures = _fuzz(settings.BASE_DOMAIN, {"Host": settings.BASE_DOMAIN})
    assert failures == [], "\n\n".join(failures)
