"""`manage.py bench onboarding`: signup through the pool, through a clone, through migration.

Each path is the real code path: the clone path is what signup does when the pool is
empty, the migration path what it does when there is no template either. The benchmark
parks the pool (and the template) to force them, and puts everything back afterwards.
"""

import secrets

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.test import Client

from bench.timing import stopwatch, summary_ms, table
from tenants.models import Domain, Tenant
from tenants.provisioning import signup_pool_fill, signup_pool_size, template_ensure
from tenants.services import tenant_provision

PASSWORD = "bench passphrase long enough"
PARKED = "__bench_parked__"


def add_arguments(parser):
    parser.add_argument("--pool", type=int, default=20, help="signups through the pool")
    parser.add_argument("--clone", type=int, default=10, help="signups through a clone")
    parser.add_argument("--migrate", type=int, default=4, help="signups through migration")


def _subdomain(tag: str) -> str:
    return f"bench-{tag}-{secrets.token_hex(4)}"


def _provision(password_hash: str) -> Tenant:
    subdomain = _subdomain("p")
    return tenant_provision(
        business_name="Bench shop", subdomain=subdomain, owner_email=f"o@{subdomain}.test",
        owner_password_hash=password_hash, currency="VND", locale="vi", country="VN",
        timezone_name="Asia/Ho_Chi_Minh")


def _signup(client: Client, n: int) -> None:
    subdomain = _subdomain("s")
    response = client.post("/api/v1/signup", {
        "business_name": "Bench shop", "subdomain": subdomain,
        "owner_email": f"o@{subdomain}.test", "owner_password": PASSWORD,
        "currency": "VND", "locale": "vi",
    }, content_type="application/json", REMOTE_ADDR=f"10.9.{n // 250}.{n % 250 + 1}")
    if response.status_code != 201:
        raise RuntimeError(f"signup failed: {response.status_code} {response.content[:300]}")


def _measure(count: int, password_hash: str, client: Client, counter: list[int]):
    provisioning, signup = [], []
    for _ in range(count):
        with stopwatch(provisioning):
            _provision(password_hash)
        counter[0] += 1
        with stopwatch(signup):
            _signup(client, counter[0])
    return summary_ms(provisioning), summary_ms(signup)


def _park(queryset) -> list[tuple[int, str]]:
    parked = list(queryset.values_list("pk", "state"))
    queryset.update(state=Tenant.State.SUSPENDED, name=PARKED)
    return parked


def _unpark(parked: list[tuple[int, str]]) -> None:
    for pk, state in parked:
        Tenant.objects.filter(pk=pk).update(state=state, name="")


def _cleanup() -> int:
    doomed = list(Tenant.objects.filter(subdomain__startswith="bench-"))
    with connection.cursor() as cursor:
        for tenant in doomed:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{tenant.schema_name}" CASCADE')
    Domain.objects.filter(tenant__in=doomed).delete()
    Tenant.objects.filter(pk__in=[t.pk for t in doomed]).delete()
    return len(doomed)


def run(stdout, *, pool, clone, migrate, **options):
    template = template_ensure()
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{template.schema_name}".django_migrations')
        migrations = cursor.fetchone()[0]

    hash_samples = []
    for _ in range(5):
        with stopwatch(hash_samples):
            password_hash = make_password(PASSWORD)
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    counter = [0]
    rows = []
    # Two claims per round; keep the pool as big afterwards as it was before.
    before = signup_pool_size()
    stdout.write(f"adding {2 * pool} tenants to the signup pool (not timed)...\n")
    signup_pool_fill(target=before + 2 * pool)
    try:
        prov, sign = _measure(pool, password_hash, client, counter)
        rows.append(["pool claim", pool, prov["p50"], prov["p95"], sign["p50"], sign["p95"]])

        parked = _park(Tenant.objects.filter(state=Tenant.State.POOL))
        try:
            prov, sign = _measure(clone, password_hash, client, counter)
            rows.append(["clone template (pool empty)", clone, prov["p50"], prov["p95"],
                         sign["p50"], sign["p95"]])
            parked += _park(Tenant.objects.filter(state=Tenant.State.TEMPLATE))
            prov, sign = _measure(migrate, password_hash, client, counter)
            rows.append(["run migrations (no template)", migrate, prov["p50"], prov["p95"],
                         sign["p50"], sign["p95"]])
        finally:
            with transaction.atomic():
                _unpark(parked)
    finally:
        removed = _cleanup()

    table(stdout, f"Onboarding: provisioning and whole signup, ms ({migrations} migrations "
                  f"in a tenant schema; Argon2 hash p50 {summary_ms(hash_samples)['p50']:.0f} ms)",
          ["path", "n", "provision p50", "provision p95", "signup p50", "signup p95"], rows)
    stdout.write("targets: pool provisioning p50 <= 25 ms, pool signup p50 <= 250 ms, "
                 "flat in the number of migrations\n")
    stdout.write(f"(removed {removed} benchmark tenants)\n")
    return rows
