"""The posting benchmark's parts: its wire counter and its raw-SQL anchors, which must do
the locked work they are compared with and leave the books exact."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django_tenants.utils import schema_context

from bench.posting import bare_post, bare_tables_create, same_rows_post
from bench.timing import wire_count
from finance.checks import balances_mismatched, voucher_codes_gapped
from finance.models import LedgerEntry, Voucher
from finance.vouchers import opening_balance_set, payment_record
from tests.finance.factories import customer_make, user


@pytest.fixture
def acme_schema(acme):
    with schema_context(acme.schema_name):
        yield acme


def test_wire_count_sees_every_round_trip_and_statement(acme_schema):
    with connection.cursor() as cursor:  # django-tenants sets the search_path first
        cursor.execute("SELECT 0")
    with wire_count(connection) as wire, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.execute("SELECT 2")
    # a test transaction wraps this one: SAVEPOINT, two SELECTs, RELEASE SAVEPOINT
    assert (wire.round_trips, wire.statements) == (4, 4)


def test_payment_record_takes_four_round_trips(acme_schema):
    owner = user("owner@acme.test")
    customer = customer_make()
    opening_balance_set(customer=customer, amount=Decimal("1000000"), actor=owner)
    branch = customer.home_branch
    payment_record(customer=customer, amount=Decimal(1000), method="cash", actor=owner,
                   branch=branch)  # warm: the actor's branches are kept on it, the post prepared
    with wire_count(connection) as wire:  # begin, lock, post, commit
        payment_record(customer=customer, amount=Decimal(1000), method="cash", actor=owner,
                       branch=branch)
    assert wire.round_trips == 4
    with wire_count(connection) as wire:  # and the acting user's primary branch
        payment_record(customer=customer, amount=Decimal(1000), method="cash", actor=owner)
    assert wire.round_trips == 5


def test_the_same_rows_anchor_writes_a_real_receipt_under_the_gapless_counter(acme_schema):
    owner = user("owner@acme.test")
    customer = customer_make()
    branch = customer.home_branch
    opening_balance_set(customer=customer, amount=Decimal("1000000"), actor=owner)
    payment_record(customer=customer, amount=Decimal(1000), method="cash", actor=owner)
    same_rows_post(customer_id=customer.pk, amount=Decimal(2000), branch_id=branch.pk,
                   actor_id=owner.pk)
    payment_record(customer=customer, amount=Decimal(3000), method="cash", actor=owner)
    customer.refresh_from_db()
    assert customer.receivable_amount == Decimal(1000000 - 6000)
    receipts = list(Voucher.objects.filter(customer=customer, type=Voucher.Type.RECEIPT)
                    .order_by("id").values_list("code", "amount", "receivable_after"))
    assert [(amount, after) for _code, amount, after in receipts] == [
        (1000, 999000), (2000, 997000), (3000, 994000)]
    numbers = [int(code[2:]) for code, _a, _r in receipts]
    assert numbers == list(range(numbers[0], numbers[0] + 3))
    anchor = LedgerEntry.objects.get(voucher__amount=2000, voucher__customer=customer)
    assert (anchor.book, anchor.amount, anchor.balance_after) == (
        LedgerEntry.Book.RECEIVABLE, -2000, 997000)
    assert balances_mismatched() == [] and voucher_codes_gapped() == []


def test_the_bare_anchor_locks_counts_and_balances(acme_schema):
    bare_tables_create(2)
    for account in (1, 2, 1):
        bare_post(account=account)
    with connection.cursor() as cursor:
        cursor.execute("SELECT account_id, code, balance_after FROM bench_entry ORDER BY id")
        assert cursor.fetchall() == [(1, "BT000001", 1), (2, "BT000002", 1),
                                     (1, "BT000003", 2)]
