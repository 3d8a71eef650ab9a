import pytest
from django.db import connection, transaction

from crm.models import Customer
from finance.locks import customers_lock
from tests.finance.factories import customer_make


@pytest.mark.breaks_money_invariants  # sets a stored balance directly
def test_lock_returns_fresh_rows_in_key_order_with_the_rest_deferred(acme_schema):
    first, second = customer_make(), customer_make(note="ghi chú")
    Customer.objects.filter(pk=second.pk).update(coins=7)
    with transaction.atomic():
        locked = customers_lock([second.pk, first.pk, second.pk])
        assert list(locked) == sorted([first.pk, second.pk])
        assert locked[second.pk].coins == 7
        assert locked[second.pk].note == "ghi chú"  # a deferred column loads on access
        with connection.cursor() as cursor:  # the row is really locked by this transaction
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' "
                           "AND pid = pg_backend_pid()")
            assert cursor.fetchone()[0] >= 1
    with pytest.raises(Customer.DoesNotExist), transaction.atomic():
        customers_lock([first.pk, 0])
