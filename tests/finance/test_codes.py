"""finance.codes: one definition of document codes for Python and SQL."""

import pytest
from django.db import connection, transaction

from finance.codes import (
    ORDER_PREFIX,
    PAYMENT_PREFIX,
    RECEIPT_PREFIX,
    VOUCHER_PREFIXES,
    document_code_format,
    document_code_next,
    document_code_sql,
)
from finance.models import Voucher


@pytest.mark.parametrize("number", [1, 42, 999999, 1000000, 123456789])
def test_sql_formats_a_code_as_python_does(db, number):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {document_code_sql(number='x.n')} "
                       "FROM (SELECT %s::bigint AS n) AS x", [RECEIPT_PREFIX, number])
        (from_sql,) = cursor.fetchone()
    assert from_sql == document_code_format(RECEIPT_PREFIX, number)


def test_codes_keep_their_stored_shape():
    assert (document_code_format(ORDER_PREFIX, 7), document_code_format(PAYMENT_PREFIX, 1234567)) \
        == ("DH000007", "PC1234567")
    assert VOUCHER_PREFIXES == {Voucher.Type.RECEIPT: "PT", Voucher.Type.PAYMENT: "PC"}


def test_next_code_is_gapless_across_a_rollback(acme_schema):
    first = document_code_next("ZZ")
    with pytest.raises(RuntimeError), transaction.atomic():
        document_code_next("ZZ")
        raise RuntimeError
    assert (first, document_code_next("ZZ")) == ("ZZ000001", "ZZ000002")
