"""`manage.py bench onboarding`: signup through the pool, through a clone, through migration.

Each path is the real code path: the clone path is what signup does when the pool is
empty, the migration path what it does when there is no template either. The benchmark
asks provisioning for each path by name (`source=`); it never touches the pool's or the
template's rows, which other processes (a live `make run`) use at the same time. Every
tenant it makes is marked scratch, and only those are removed at the end.
"""

import secrets

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client

from bench.timing import stopwatch, summary_ms, table
from tenants.models import Tenant
from tenants.provisioning import signup_pool_fill, signup_pool_size, template_ensure
from tenants.services import tenant_provision, tenant_scratch_mark, tenants_scratch_delete

PASSWORD = "bench passphrase long enough"


def add_arguments(parser):
    parser.add_argument("--pool", type=int, default=20, help="signups through the pool")
    parser.add_argument("--clone", type=int, default=10, help="signups through a clone")
    parser.add_argument("--migrate", type=int, default=4, help="signups through migration")


def _subdomain(tag: str) -> str:
    return f"bench-{tag}-{secrets.token_hex(4)}"


def _provision(password_hash: str, source: str, created: list[int]) -> None:
    subdomain = _subdomain("p")
    tenant = tenant_provision(
        business_name="Bench shop", subdomain=subdomain, owner_email=f"o@{subdomain}.test",
        owner_password_hash=password_hash, currency="VND", locale="vi", country="VN",
        timezone_name="Asia/Ho_Chi_Minh", scratch=True, source=source)
    created.append(tenant.pk)


def _signup(client: Client, n: int, created: list[int]) -> None:
    subdomain = _subdomain("s")
    response = client.post("/api/v1/signup", {
        "business_name": "Bench shop", "subdomain": subdomain,
        "owner_email": f"o@{subdomain}.test", "owner_password": PASSWORD,
        "currency": "VND", "locale": "vi",
    }, content_type="application/json", REMOTE_ADDR=f"10.9.{n // 250}.{n % 250 + 1}")
    if response.status_code != 201:
        raise RuntimeError(f"signup failed: {response.status_code} {response.content[:300]}")
    # A signup over HTTP makes an ordinary tenant: mark this one, the benchmark's own.
    tenant = tenant_scratch_mark(tenant=Tenant.objects.get(subdomain=subdomain))
    created.append(tenant.pk)


def _measure(count: int, password_hash: str, source: str, created: list[int],
             client: Client | None = None, counter: list[int] | None = None):
    provisioning, signup = [], []
    for _ in range(count):
        with stopwatch(provisioning):
            _provision(password_hash, source, created)
        if client is not None:
            counter[0] += 1
            with stopwatch(signup):
                _signup(client, counter[0], created)
    return summary_ms(provisioning), summary_ms(signup) if signup else None


def _cleanup(created: list[int]) -> int:
    """Remove this run's tenants, and only them (each is marked scratch)."""
    return tenants_scratch_delete(Tenant.objects.filter(pk__in=created, scratch=True))


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
    created: list[int] = []
    rows = []
    # Two claims per round; keep the pool as big afterwards as it was before.
    before = signup_pool_size()
    stdout.write(f"adding {2 * pool} tenants to the signup pool (not timed)...\n")
    signup_pool_fill(target=before + 2 * pool)
    try:
        prov, sign = _measure(pool, password_hash, "pool", created, client, counter)
        rows.append(["pool claim", pool, prov["p50"], prov["p95"], sign["p50"], sign["p95"]])
        prov, _none = _measure(clone, password_hash, "clone", created)
        rows.append(["clone template (pool empty)", clone, prov["p50"], prov["p95"], "-", "-"])
        prov, _none = _measure(migrate, password_hash, "migrate", created)
        rows.append(["run migrations (no template)", migrate, prov["p50"], prov["p95"],
                     "-", "-"])
    finally:
        removed = _cleanup(created)

    table(stdout, f"Onboarding: provisioning and whole signup, ms ({migrations} migrations "
                  f"in a tenant schema; Argon2 hash p50 {summary_ms(hash_samples)['p50']:.0f} ms)",
          ["path", "n", "provision p50", "provision p95", "signup p50", "signup p95"], rows)
    stdout.write("targets: pool provisioning p50 <= 25 ms, pool signup p50 <= 250 ms, "
                 "flat in the number of migrations\n")
    stdout.write(f"(removed {removed} benchmark tenants)\n")
    return rows
