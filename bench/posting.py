"""`manage.py bench posting`: vouchers a second through `payment_record`, 16 threads each
with its own connection, on one customer (every posting waits for the same row lock) and
across 1,000 customers, with an exactness check, next to two anchors measured in the same
run, interleaved with it round by round (this machine's speed drifts within minutes):

- raw SQL on the same rows: what a hand-written posting does under the same lock, one plain
  statement at a time -- lock the customer row, draw the gapless PT code from the same
  counter, insert the voucher and its ledger entry, update the stored balance, commit. Same
  tables, so the same indexes, foreign keys and WAL; no rule checked. The judged anchor.
- raw SQL on bare tables: the same steps on four one-index tables (lock the balance row,
  draw a gapless code, insert the entry, update the balance): the floor of the pattern.

Then one thread posts a few hundred vouchers of each kind to count what one voucher costs:
round trips and statements (from the libpq trace), Python CPU and WAL bytes.

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

from bench.timing import table, wire_count
from crm.codes import customer_codes_next
from crm.models import Branch, Customer
from crm.normalize import name_key
from finance.checks import balances_mismatched, voucher_codes_gapped
from finance.codes import COUNTER_NEXT_SQL, RECEIPT_PREFIX, document_code_format
from finance.models import LedgerEntry, Voucher
from finance.rules import CASH
from finance.vouchers import opening_balance_set, payment_record
from tenants.services import tenant_create, tenant_delete

GOAL_RATIO = 0.5  # DESIGN §4: at least half the raw row-locked SQL on the same rows
OPENING = Decimal(10**12)
BARE_PREFIX = "BT"
TRACED = 20  # vouchers of each kind whose wire messages are counted


def add_arguments(parser):
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--vouchers", type=int, default=3200,
                        help="vouchers per scenario and per kind (split over the threads)")
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=4,
                        help="each kind runs this many times, interleaved with the others")
    parser.add_argument("--profile-vouchers", type=int, default=300,
                        help="vouchers of each kind posted by one thread to count their cost")


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


class _Ledger:
    """What each kind of work paid per customer, added up across threads and rounds."""

    def __init__(self):
        self.paid: dict[int, Decimal] = {}
        self.count = 0
        self._lock = threading.Lock()

    def add(self, customer_id: int, amount: Decimal) -> None:
        with self._lock:
            self.paid[customer_id] = self.paid.get(customer_id, Decimal(0)) + amount
            self.count += 1


def _amount(rng) -> Decimal:
    return Decimal(rng.randint(1, 500) * 1000)


_VOUCHER_SQL = (
    f"INSERT INTO {Voucher._meta.db_table} (code, type, customer_id, branch_id, method, "
    "purpose, amount, receivable_after, status, note, created_at, created_by_id) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, '', clock_timestamp(), %s) "
    "RETURNING id, created_at")
_ENTRY_SQL = (
    f"INSERT INTO {LedgerEntry._meta.db_table} (customer_id, book, kind, amount, "
    "balance_after, voucher_id, branch_id, created_by_id, created_at, idempotency_key) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
_LOCK_SQL = f"SELECT receivable_amount FROM {Customer._meta.db_table} WHERE id = %s FOR UPDATE"
_BALANCE_SQL = f"UPDATE {Customer._meta.db_table} SET receivable_amount = %s WHERE id = %s"


def same_rows_post(*, customer_id: int, amount: Decimal, branch_id: int, actor_id: int) -> None:
    """The judged anchor: a receipt written by hand, one plain statement at a time, to the
    rows payment_record writes (no rule checked, nothing read but the balance)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_LOCK_SQL, [customer_id])
        (balance,) = cursor.fetchone()
        after = balance - amount
        cursor.execute(COUNTER_NEXT_SQL, [RECEIPT_PREFIX])
        (number,) = cursor.fetchone()
        cursor.execute(_VOUCHER_SQL, [
            document_code_format(RECEIPT_PREFIX, number), Voucher.Type.RECEIPT, customer_id,
            branch_id, CASH, Voucher.Purpose.DEBT_PAYMENT, amount, after,
            Voucher.Status.COMPLETED, actor_id])
        voucher_id, created_at = cursor.fetchone()
        book = LedgerEntry.Book.RECEIVABLE
        cursor.execute(_ENTRY_SQL, [customer_id, book, LedgerEntry.Kind.RECEIPT, -amount, after,
                                    voucher_id, branch_id, actor_id, created_at,
                                    f"V{voucher_id}:{book}"])
        cursor.execute(_BALANCE_SQL, [after, customer_id])


def bare_tables_create(accounts: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_account (id int PRIMARY KEY, balance numeric)")
        cursor.execute("CREATE TABLE bench_counter (prefix text PRIMARY KEY, last bigint)")
        cursor.execute("CREATE TABLE bench_entry (id bigserial PRIMARY KEY, account_id int, "
                       "code text, amount numeric, balance_after numeric)")
        cursor.execute("INSERT INTO bench_account SELECT g, 0 FROM generate_series(1, %s) g",
                       [accounts])
        cursor.execute("INSERT INTO bench_counter VALUES (%s, 0)", [BARE_PREFIX])


def bare_post(*, account: int) -> None:
    """The floor: lock the balance row, draw a gapless code, insert the entry, update."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT balance FROM bench_account WHERE id = %s FOR UPDATE", [account])
        (balance,) = cursor.fetchone()
        cursor.execute("UPDATE bench_counter SET last = last + 1 WHERE prefix = %s "
                       "RETURNING last", [BARE_PREFIX])
        (number,) = cursor.fetchone()
        cursor.execute("INSERT INTO bench_entry (account_id, code, amount, balance_after) "
                       "VALUES (%s, %s, 1, %s)",
                       [account, document_code_format(BARE_PREFIX, number), balance + 1])
        cursor.execute("UPDATE bench_account SET balance = %s WHERE id = %s",
                       [balance + 1, account])


def _bare_exact(expected: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT sum(balance) FROM bench_account), "
                       "(SELECT count(*) FROM bench_entry), "
                       "(SELECT count(DISTINCT code) FROM bench_entry), "
                       "(SELECT last FROM bench_counter)")
        total, rows, codes, last = cursor.fetchone()
        cursor.execute("DROP TABLE bench_entry, bench_account, bench_counter")
    return total == rows == codes == last == expected


class _Scenario:
    """One customer set, the three kinds of work, their times summed over the rounds."""

    KINDS = ("payment_record", "same rows", "bare tables")

    def __init__(self, customers: list[Customer], actor: User, branch: Branch):
        self.customers, self.actor, self.branch = customers, actor, branch
        self.seconds = dict.fromkeys(self.KINDS, 0.0)
        self.ours, self.anchor = _Ledger(), _Ledger()
        self.bare_count = 0

    def works(self):
        customers, actor, branch = self.customers, self.actor, self.branch

        def ours(rng):
            customer = customers[rng.randrange(len(customers))]
            amount = _amount(rng)
            payment_record(customer=customer, amount=amount, method=CASH, actor=actor,
                           branch=branch)
            self.ours.add(customer.pk, amount)

        def same(rng):
            customer = customers[rng.randrange(len(customers))]
            amount = _amount(rng)
            same_rows_post(customer_id=customer.pk, amount=amount, branch_id=branch.pk,
                           actor_id=actor.pk)
            self.anchor.add(customer.pk, amount)

        def bare(rng):
            bare_post(account=rng.randint(1, len(customers)))

        return {"payment_record": ours, "same rows": same, "bare tables": bare}

    def run(self, schema: str, threads: int, per_thread: int, rounds: int) -> None:
        with schema_context(schema):
            self.before = dict(Customer.objects.filter(pk__in=[c.pk for c in self.customers])
                               .values_list("pk", "receivable_amount"))
            self.vouchers_before = Voucher.objects.count()
            bare_tables_create(len(self.customers))
        works = self.works()
        per_round = [per_thread // rounds + (1 if r < per_thread % rounds else 0)
                     for r in range(rounds)]
        for count in per_round:
            for kind in self.KINDS:
                self.seconds[kind] += _threads_run(schema, threads, count, works[kind])
        self.bare_count = threads * per_thread
        with schema_context(schema):
            self.bare_exact = _bare_exact(self.bare_count)
            after = dict(Customer.objects.filter(pk__in=list(self.before)).values_list(
                "pk", "receivable_amount"))
            zero = Decimal(0)
            balances = all(
                after[pk] == self.before[pk] - self.ours.paid.get(pk, zero)
                - self.anchor.paid.get(pk, zero) for pk in self.before)
            written = Voucher.objects.count() - self.vouchers_before
            self.exact = (balances and not balances_mismatched() and not voucher_codes_gapped()
                          and written == self.ours.count + self.anchor.count)


def _per_voucher(schema: str, count: int, customer: Customer, actor: User,
                 branch: Branch) -> list[list]:
    """One thread, `count` vouchers of each kind on one customer: round trips, statements,
    Python CPU and WAL bytes per voucher, and the wall time on this thread."""
    rng = random.Random(7)
    kinds = {
        "payment_record": lambda: payment_record(customer=customer, amount=_amount(rng),
                                                 method=CASH, actor=actor, branch=branch),
        "raw SQL, same rows": lambda: same_rows_post(customer_id=customer.pk,
                                                     amount=_amount(rng), branch_id=branch.pk,
                                                     actor_id=actor.pk),
        "raw SQL, bare tables": lambda: bare_post(account=1),
    }
    rows = []
    with schema_context(schema):
        bare_tables_create(1)
        for label, post in kinds.items():
            for _ in range(20):  # warm: prepared statements, caches, the connection
                post()
            wal = _wal_lsn()
            cpu, wall = time.thread_time(), time.perf_counter()
            for _ in range(count):
                post()
            cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
            wal_bytes = _wal_bytes_since(wal)
            with wire_count(connection) as wire:  # apart: tracing costs CPU of its own
                for _ in range(TRACED):
                    post()
            rows.append([label, wire.round_trips / TRACED, wire.statements / TRACED,
                         cpu * 1000 / count, wal_bytes / count, wall * 1000 / count])
        _bare_exact(count + 20 + TRACED)
    return rows


def _wal_lsn() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        return cursor.fetchone()[0]


def _wal_bytes_since(lsn: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)", [lsn])
        return float(cursor.fetchone()[0])


def run(stdout, *, threads=16, vouchers=3200, customers=1000, rounds=4, profile_vouchers=300,
        **_options):
    per_thread = max(1, vouchers // threads)
    rounds = max(1, min(rounds, per_thread))
    total = per_thread * threads
    name = f"benchpost{secrets.token_hex(3)}"
    stdout.write(f"bench posting: scratch tenant {name}, {threads} threads, {total} vouchers "
                 f"per scenario and kind in {rounds} interleaved rounds, {customers} "
                 f"customers\n")
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
        scenarios = [("one customer", _Scenario(hot, actor, branch)),
                     (f"{customers} customers", _Scenario(many, actor, branch))]
        for _label, scenario in scenarios:
            scenario.run(schema, threads, per_thread, rounds)
        rows = []
        for label, scenario in scenarios:
            ours, same, bare = (total / scenario.seconds[kind] for kind in scenario.KINDS)
            rows.append([f"payment_record, {label}", total, scenario.seconds["payment_record"],
                         ours, same, ours / same, f">= {GOAL_RATIO}" if label == "one customer"
                         else "-", bare, ours / bare,
                         "yes" if scenario.exact and scenario.bare_exact else "NO"])
        table(stdout, f"Posting vouchers ({threads} threads, one connection each; anchors "
                      f"interleaved, {rounds} rounds)",
              ["work", "vouchers", "seconds", "vouchers/s",
               "anchor: raw SQL same rows/s", "ratio", "goal",
               "raw SQL bare tables/s", "ratio", "exact"], rows)
        cost = _per_voucher(schema, profile_vouchers, hot[0], actor, branch)
        table(stdout, f"Per voucher on one thread ({profile_vouchers} vouchers each, one "
                      f"customer)",
              ["work", "round trips", "statements", "Python CPU ms", "WAL bytes", "wall ms"],
              cost)
        one = scenarios[0][1]
        ratio = one.seconds["same rows"] / one.seconds["payment_record"]
        verdict = "meets" if ratio >= GOAL_RATIO else "MISSES"
        stdout.write(f"\nOne customer: {total / one.seconds['payment_record']:,.0f}/s, "
                     f"{ratio:.2f} x the raw SQL on the same rows "
                     f"({total / one.seconds['same rows']:,.0f}/s): {verdict} the goal "
                     f"(>= {GOAL_RATIO} x); "
                     f"{one.seconds['bare tables'] / one.seconds['payment_record']:.2f} x the "
                     f"bare tables ({total / one.seconds['bare tables']:,.0f}/s).\n")
    finally:
        connection.set_schema_to_public()
        tenant_delete(tenant=tenant)
