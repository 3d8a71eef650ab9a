"""`manage.py bench posting`: vouchers a second through `payment_record`, 16 threads each
with its own connection, on one customer (every posting waits for the same row lock) and
across 1,000 customers, with an exactness check, next to a baseline measured in the same
run: plain SQL doing the minimum (lock the row, insert an entry, update the balance).

Runs in a scratch tenant that it drops at the end.
"""

import random
import secrets
import threading
import time
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import connection, transaction
from django_tenants.utils import schema_context

from bench.timing import table
from crm.codes import customer_codes_next
from crm.models import Branch, Customer
from crm.normalize import name_key
from finance.checks import balances_mismatched
from finance.models import Voucher
from finance.vouchers import opening_balance_set, payment_record
from tenants.services import tenant_create, tenant_delete

TARGET_ONE_CUSTOMER = 300.0
OPENING = Decimal("1000000000")


def add_arguments(parser):
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--vouchers", type=int, default=3200,
                        help="vouchers per scenario (split over the threads)")
    parser.add_argument("--customers", type=int, default=1000)


def _threads_run(schema: str, threads: int, per_thread: int, work) -> float:
    """Seconds for `threads` threads, each its own connection, to run work(rng) n times."""
    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def target(seed):
        rng = random.Random(seed)
        try:
            with schema_context(schema):
                connection.ensure_connection()
                barrier.wait()
                for _ in range(per_thread):
                    work(rng)
        except BaseException as exc:  # reported after the run
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=target, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} threads failed, first: {errors[0]!r}")
    return elapsed


def _customers_make(count: int, branch: Branch) -> list[Customer]:
    codes = customer_codes_next(count)
    return Customer.objects.bulk_create(
        Customer(code=code, name=f"Bench {code}", name_key=name_key(f"Bench {code}"),
                 home_branch=branch) for code in codes)


def _raw_baseline(schema: str, threads: int, per_thread: int, accounts: int) -> float:
    with schema_context(schema), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_account (id int PRIMARY KEY, balance numeric)")
        cursor.execute("CREATE TABLE bench_entry (id bigserial PRIMARY KEY, account_id int, "
                       "amount numeric, balance_after numeric)")
        cursor.execute("INSERT INTO bench_account SELECT g, 0 FROM generate_series(1, %s) g",
                       [accounts])

    def post(rng):
        account = rng.randint(1, accounts)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT balance FROM bench_account WHERE id = %s FOR UPDATE",
                           [account])
            (balance,) = cursor.fetchone()
            cursor.execute("INSERT INTO bench_entry (account_id, amount, balance_after) "
                           "VALUES (%s, 1, %s)", [account, balance + 1])
            cursor.execute("UPDATE bench_account SET balance = %s WHERE id = %s",
                           [balance + 1, account])

    elapsed = _threads_run(schema, threads, per_thread, post)
    with schema_context(schema), connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT sum(balance) FROM bench_account), "
                       "(SELECT count(*) FROM bench_entry)")
        total, rows = cursor.fetchone()
        assert total == rows == threads * per_thread, (total, rows)
        cursor.execute("DROP TABLE bench_entry, bench_account")
    return elapsed


def _payments(schema: str, threads: int, per_thread: int, customers: list[Customer],
              actor: User, branch: Branch) -> tuple[float, bool]:
    paid: dict[int, Decimal] = {}
    lock = threading.Lock()

    def pay(rng):
        customer = customers[rng.randrange(len(customers))]
        amount = Decimal(rng.randint(1, 500) * 1000)
        payment_record(customer=customer, amount=amount, method="cash", actor=actor,
                       branch=branch)
        with lock:
            paid[customer.pk] = paid.get(customer.pk, Decimal(0)) + amount

    before = {}
    with schema_context(schema):
        before = dict(Customer.objects.filter(pk__in=[c.pk for c in customers])
                      .values_list("pk", "receivable_amount"))
        vouchers_before = Voucher.objects.count()
    elapsed = _threads_run(schema, threads, per_thread, pay)
    with schema_context(schema):
        after = dict(Customer.objects.filter(pk__in=list(paid)).values_list(
            "pk", "receivable_amount"))
        exact = all(after[pk] == before[pk] - amount for pk, amount in paid.items())
        codes = list(Voucher.objects.filter(type="receipt").values_list("code", flat=True))
        gapless = sorted(int(c[2:]) for c in codes) == list(range(1, len(codes) + 1))
        exact = (exact and gapless and not balances_mismatched()
                 and Voucher.objects.count() - vouchers_before == threads * per_thread)
    return elapsed, exact


def run(stdout, *, threads=16, vouchers=3200, customers=1000, **_options):
    per_thread = max(1, vouchers // threads)
    total = per_thread * threads
    name = f"benchpost{secrets.token_hex(3)}"
    stdout.write(f"bench posting: scratch tenant {name}, {threads} threads, {total} vouchers "
                 f"per scenario, {customers} customers\n")
    tenant = tenant_create(business_name=name, subdomain=name, owner_email=f"owner@{name}.test",
                           owner_password=secrets.token_urlsafe(16), scratch=True)
    try:
        with schema_context(tenant.schema_name):
            actor = User.objects.get(username=f"owner@{name}.test")
            branch = Branch.objects.get(code="MAIN")
            hot = _customers_make(1, branch)
            many = _customers_make(customers, branch)
            for customer in hot + many:
                opening_balance_set(customer=customer, amount=OPENING, actor=actor,
                                    branch=branch)
        schema = tenant.schema_name
        raw_one = _raw_baseline(schema, threads, per_thread, accounts=1)
        one, one_exact = _payments(schema, threads, per_thread, hot, actor, branch)
        raw_many = _raw_baseline(schema, threads, per_thread, accounts=customers)
        spread, spread_exact = _payments(schema, threads, per_thread, many, actor, branch)
        rows = [
            ["payment_record, one customer", total, one, total / one,
             f">= {TARGET_ONE_CUSTOMER:.0f}/s", total / raw_one,
             "yes" if one_exact else "NO"],
            [f"payment_record, {customers} customers", total, spread, total / spread, "-",
             total / raw_many, "yes" if spread_exact else "NO"],
        ]
        table(stdout, "Posting vouchers (16 threads, one connection each)",
              ["work", "vouchers", "seconds", "vouchers/s", "target",
               "anchor: raw SQL row-locked/s", "exact"], rows)
        verdict = "meets" if total / one >= TARGET_ONE_CUSTOMER else "MISSES"
        stdout.write(f"\nOne customer: {total / one:,.0f}/s {verdict} the target "
                     f"({TARGET_ONE_CUSTOMER:.0f}/s); raw SQL anchor {total / raw_one:,.0f}/s.\n")
    finally:
        connection.set_schema_to_public()
        tenant_delete(tenant=tenant)
