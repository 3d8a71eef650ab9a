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
web p95 <= 1.5 x the API's and <= 100 ms. The scratch tenant is dropped at the end.
"""

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


def _page_customer(owner: User, entries: int):
    """A customer with `entries` receivable entries, made as the app makes them."""
    from crm.services import customer_create
    from finance.vouchers import opening_balance_set, payment_record

    customer = customer_create(actor=owner, name="Nguyễn Thị Bench Trang", phone="0999000111")
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


def run(stdout, *, customers: int, repeat: int, entries: int, seed: int, **_options):
    from tenants.services import tenant_create, tenant_delete, tenant_domain

    rng = random.Random(seed)
    subdomain = f"benchpages{uuid.uuid4().hex[:8]}"
    owner_email = f"owner@{subdomain}.test"
    tenant = tenant_create(business_name="Bench pages", subdomain=subdomain,
                           owner_email=owner_email, owner_password=PASSWORD, currency="VND",
                           locale="vi", scratch=True)
    try:
        with schema_context(tenant.schema_name):
            connection.set_tenant(tenant)
            _load(customers, rng, stdout)
            owner = User.objects.get(username=owner_email)
            customer = _page_customer(owner, entries)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            pages = _pages(customer.pk, _searches(rng))
        connection.set_schema_to_public()
        client = Client(HTTP_HOST=tenant_domain(subdomain))
        login = client.post("/login/", {"username": owner_email, "password": PASSWORD})
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
    finally:
        connection.set_schema_to_public()
        tenant_delete(tenant=tenant)
