"""`manage.py bench pages --customers 1000000`: the staff web app's server time next to the
API's for the same data, in the same run.

Builds a scratch tenant of N customers (bench/search.py's COPY fleet) plus one customer
with a real ledger (an opening balance and receipts, through the services), logs the
owner in once, then asks each page and its API counterpart in turn, in-process through
Django's full request handling (middleware, session, view, template or serializer; no
network): the customer list's first page (full page / GET customers), a search as you
type (the htmx fragment / GET customers?search=, a mix of names without accents, a common
name, CJK fragments, phone prefix and code), the customer page (Info / GET customers/{id})
and its Debt tab (the page with the ledger / GET customers/{id}/ledger). Goal (DESIGN §4):
web p95 <= 1.5 x the API's and <= 100 ms. The scratch tenant is dropped at the end, unless
`--keep` (then a later `--keep` run of the same size reuses it instead of building it again).
`--profile N` then runs N more requests of each page and its API counterpart under cProfile
and prints where their time goes (queries, templates, middleware, the rest).
"""

import cProfile
import pstats
import random
import time
import uuid
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from bench.search import _load, _unaccent_ascii
from bench.timing import percentile, table

TARGET_RATIO = 1.5
TARGET_P95_MS = 100.0
PASSWORD = "bench pages passphrase"
HTMX = {"HTTP_HX_REQUEST": "true"}


def add_arguments(parser):
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30, help="timed requests of each page")
    parser.add_argument("--entries", type=int, default=40,
                        help="ledger entries of the customer whose page is asked")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true",
                        help="keep the scratch tenant, and reuse one kept by an earlier run"
                        " of the same --customers and --entries")
    parser.add_argument("--profile", type=int, default=0,
                        help="profile this many more requests of each page and of its API"
                        " counterpart, and print where the time goes")


PAGE_CUSTOMER = "Nguyễn Thị Bench Trang"


def _page_customer(owner: User, entries: int):
    """A customer with `entries` receivable entries, made as the app makes them."""
    from crm.services import customer_create
    from finance.vouchers import opening_balance_set, payment_record

    customer = customer_create(actor=owner, name=PAGE_CUSTOMER, phone="0999000111")
    opening_balance_set(customer=customer, amount=Decimal(entries * 10_000), actor=owner)
    for n in range(entries - 1):
        customer.refresh_from_db()
        payment_record(customer=customer, amount=Decimal(10_000), method="cash", actor=owner,
                       idempotency_key=f"bench-pages-{n}")
    return customer


def _searches(rng: random.Random) -> list[str]:
    from crm.models import Customer

    sample = list(Customer.objects.order_by("?").values_list("name", "phone", "code")[:30])
    rare = [_unaccent_ascii(n) for n, _p, _c in sample if not n.isascii() and n[0] < "一"][:3]
    phones = ["0" + p[3:9] for _n, p, _c in sample if p.startswith("+84")][:2]
    codes = [c for _n, _p, c in sample][:2]
    return [*rare, "nguyen", "tran van", "王", "建築", *phones, *codes]


def _pages(customer_id: int, searches: list[str]) -> list[tuple[str, list, list]]:
    """(page, web samples, API samples): each sample a list of requests (url, params,
    headers) whose times add up -- the API's Debt tab is two requests, the customer (the
    page's header: receivable, prepaid, coins, limit) and its ledger."""
    customer, ledger = f"/api/v1/customers/{customer_id}", f"/api/v1/customers/{customer_id}/ledger"
    debt = [[(f"/customers/{customer_id}/debt", {}, {})]]
    return [
        ("customer list, first page", [[("/customers/", {}, {})]],
         [[("/api/v1/customers", {}, {})]]),
        ("search as you type (mix)",
         [[("/customers/", {"search": term}, HTMX)] for term in searches],
         [[("/api/v1/customers", {"search": term}, {})] for term in searches]),
        ("customer page (Info)", [[(f"/customers/{customer_id}/", {}, {})]],
         [[(customer, {}, {})]]),
        ("Debt tab (API: customer + ledger)", debt, [[(customer, {}, {}), (ledger, {}, {})]]),
        ("Debt tab (API: the ledger alone)", debt, [[(ledger, {}, {})]]),
    ]


def _timed(client: Client, samples_of: list, n: int, samples: list[float]) -> None:
    elapsed = 0.0
    for url, params, headers in samples_of[n % len(samples_of)]:
        started = time.perf_counter()
        response = client.get(url, params, **headers)
        elapsed += time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{url} {params}: HTTP {response.status_code}")
    samples.append(elapsed)


# Where a profiled request spends its time: (label, file path ending, function name); each
# figure is that function's cumulative time, so they overlap (rendering includes the
# queries a template triggers).
PROFILE_MARKERS = (
    ("whole request (handler)", "django/core/handlers/base.py", "get_response"),
    ("view", "django/core/handlers/base.py", "_get_response"),
    ("SQL: execute (server + driver)", "django/db/backends/utils.py", "_execute"),
    ("SQL: ORM compile", "django/db/models/sql/compiler.py", "as_sql"),
    ("template render", "django/template/backends/django.py", "render"),
    ("forms render", "django/forms/utils.py", "render"),
    ("JSON render", "rest_framework/renderers.py", "render"),
    ("session load", "django/contrib/sessions/backends/db.py", "load"),
    ("user load", "django/contrib/auth/__init__.py", "get_user"),
    ("permissions", "django/contrib/auth/models.py", "has_perm"),
    ("URL reverse", "django/urls/base.py", "reverse"),
    ("translation", "django/utils/translation/trans_real.py", "gettext"),
)


def _profiled(client: Client, samples_of: list, n: int) -> pstats.Stats:
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    profiler = cProfile.Profile()
    with connection.execute_wrapper(count):
        for i in range(n):
            profiler.enable()
            _timed(client, samples_of, i, [])
            profiler.disable()
    stats = pstats.Stats(profiler)
    stats.queries = len(queries) / n
    return stats


def _profile_rows(stats: pstats.Stats, n: int) -> dict[str, float]:
    found = {label: 0.0 for label, _f, _n in PROFILE_MARKERS}
    for (filename, _line, function), (_cc, _nc, _tt, cumulative, _callers) in \
            stats.stats.items():
        for label, ending, name in PROFILE_MARKERS:
            if function == name and filename.endswith(ending):
                found[label] += cumulative * 1000 / n
    return found


def _profile_report(stdout, client: Client, pages: list, n: int) -> None:
    """Per page: the markers' ms per request, web next to API, then the web page's own
    heaviest functions (time spent in the function itself)."""
    for name, web, api in pages:
        web_stats, api_stats = _profiled(client, web, n), _profiled(client, api, n)
        web_rows, api_rows = _profile_rows(web_stats, n), _profile_rows(api_stats, n)
        rows = [[label, web_rows[label], api_rows[label]] for label, _f, _n in PROFILE_MARKERS
                if web_rows[label] or api_rows[label]]
        rows.append(["queries per request", web_stats.queries, api_stats.queries])
        table(stdout, f"Profile of {name} (cProfile, {n} requests each; cumulative ms per "
              "request, overlapping; profiling inflates Python-heavy parts)",
              ["where", "web ms", "API ms"], rows)
        own = sorted(web_stats.stats.items(), key=lambda item: -item[1][2])[:12]
        table(stdout, f"{name}, web: heaviest functions by own time",
              ["function", "calls per request", "own ms per request", "cumulative ms"],
              [[f"{pstats.func_std_string(func)[-90:]}", stat[1] / n, stat[2] * 1000 / n,
                stat[3] * 1000 / n] for func, stat in own])


def _kept_subdomain(customers: int, entries: int) -> str:
    return f"benchpages-kept-{customers}-{entries}"


def _tenant_with_data(*, customers: int, entries: int, keep: bool, rng, stdout):
    """(tenant, the page customer's id): a kept one from an earlier `--keep` run of this
    size, or a new scratch tenant with the fleet and the page customer."""
    from crm.models import Customer
    from tenants.models import Tenant
    from tenants.services import tenant_create, tenant_delete

    subdomain = _kept_subdomain(customers, entries) if keep else \
        f"benchpages{uuid.uuid4().hex[:8]}"
    kept = Tenant.objects.filter(subdomain=subdomain, scratch=True).first() if keep else None
    if kept is not None:
        with schema_context(kept.schema_name):
            page_customer = Customer.objects.filter(name=PAGE_CUSTOMER).first()
            complete = page_customer is not None and Customer.objects.count() == customers + 1
        if complete:
            stdout.write(f"reusing the kept scratch tenant {subdomain}\n")
            return kept, page_customer.pk
        connection.set_schema_to_public()
        tenant_delete(tenant=kept)  # a build that did not finish
    tenant = tenant_create(business_name="Bench pages", subdomain=subdomain,
                           owner_email=f"owner@{subdomain}.test", owner_password=PASSWORD,
                           currency="VND", locale="vi", scratch=True)
    try:
        with schema_context(tenant.schema_name):
            connection.set_tenant(tenant)
            _load(customers, rng, stdout)
            owner = User.objects.get(username=f"owner@{subdomain}.test")
            customer = _page_customer(owner, entries)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    except BaseException:
        connection.set_schema_to_public()
        tenant_delete(tenant=tenant)
        raise
    return tenant, customer.pk


def run(stdout, *, customers: int, repeat: int, entries: int, seed: int, keep: bool = False,
        profile: int = 0, **_options):
    from tenants.services import tenant_delete, tenant_domain

    rng = random.Random(seed)
    tenant, customer_id = _tenant_with_data(customers=customers, entries=entries, keep=keep,
                                            rng=rng, stdout=stdout)
    try:
        with schema_context(tenant.schema_name):
            pages = _pages(customer_id, _searches(rng))
        connection.set_schema_to_public()
        client = Client(HTTP_HOST=tenant_domain(tenant.subdomain))
        login = client.post("/login/", {"username": f"owner@{tenant.subdomain}.test",
                                        "password": PASSWORD})
        if login.status_code != 302:
            raise RuntimeError(f"login: HTTP {login.status_code}")
        rows, verdicts = [], []
        for name, web, api in pages:
            web_samples, api_samples = [], []
            for n in range(repeat + 1):
                # Alternate which goes first, so neither always meets a warmer machine.
                pair = ((web, web_samples), (api, api_samples))
                for requests, samples in (pair if n % 2 else pair[::-1]):
                    _timed(client, requests, n, samples)
            web_samples, api_samples = web_samples[1:], api_samples[1:]  # first: warm-up
            web_p95 = percentile(web_samples, 95) * 1000
            api_p95 = percentile(api_samples, 95) * 1000
            ratio = web_p95 / api_p95
            verdicts.append((ratio <= TARGET_RATIO, web_p95 <= TARGET_P95_MS))
            rows.append([name, percentile(web_samples, 50) * 1000, web_p95,
                         percentile(api_samples, 50) * 1000, api_p95, f"{ratio:.2f}x",
                         "meets" if ratio <= TARGET_RATIO else "misses",
                         "meets" if web_p95 <= TARGET_P95_MS else "misses"])
        table(stdout, f"Staff web pages vs the API, {customers:,} customers, {repeat} requests "
              f"each, a Debt tab of {entries} entries (goal: web p95 <= {TARGET_RATIO} x API "
              f"and <= {TARGET_P95_MS:.0f} ms)",
              ["page", "web p50 ms", "web p95 ms", "API p50 ms", "API p95 ms",
               "p95 ratio", f"<= {TARGET_RATIO}x", f"<= {TARGET_P95_MS:.0f} ms"], rows)
        stdout.write(f"p95 ratio to the API: {sum(r for r, _a in verdicts)} of {len(verdicts)}"
                     f" rows meet the goal; p95 <= {TARGET_P95_MS:.0f} ms: "
                     f"{sum(a for _r, a in verdicts)} of {len(verdicts)} (absolute times"
                     " swing with the machine's load; the ratio is the judged figure).\n")
        if profile:
            _profile_report(stdout, client, pages, profile)
    finally:
        connection.set_schema_to_public()
        if keep:
            stdout.write(f"kept the scratch tenant {tenant.subdomain} (`--keep` reuses it;"
                         " a run without --keep does not remove it)\n")
        else:
            tenant_delete(tenant=tenant)
