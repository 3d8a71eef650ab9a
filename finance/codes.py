"""Document codes: DH000001 (orders), PT000001 (receipts, phiếu thu), PC000001 (payments,
phiếu chi), beside crm/codes.py's customer codes.

Gapless, unlike customer codes: each prefix has a DocumentCounter row that the UPDATE
drawing a number keeps locked until the document's transaction ends (a rollback gives
the number back). The prefixes and the format are defined here once; the SQL that draws
and formats a code inside a statement (finance.ledger.voucher_post) is built from them.
"""

from django.db import connection

from finance.models import DocumentCounter, Voucher

ORDER_PREFIX = "DH"
RECEIPT_PREFIX = "PT"
PAYMENT_PREFIX = "PC"
VOUCHER_PREFIXES = {Voucher.Type.RECEIPT: RECEIPT_PREFIX, Voucher.Type.PAYMENT: PAYMENT_PREFIX}
WIDTH = 6  # zero-padded to six digits; numbers past 999999 simply grow longer

_COUNTER = DocumentCounter._meta.db_table
# Draws the next number of the prefix given as its one parameter; RETURNING last.
COUNTER_NEXT_SQL = (f"INSERT INTO {_COUNTER} (prefix, last) VALUES (%s, 1) ON CONFLICT (prefix) "
                    f"DO UPDATE SET last = {_COUNTER}.last + 1 RETURNING last")


def document_code_format(prefix: str, number: int) -> str:
    return f"{prefix}{number:0{WIDTH}d}"


def document_code_sql(*, prefix: str = "%s", number: str) -> str:
    """SQL giving what `document_code_format` gives, from two SQL expressions (lpad alone
    would cut a longer number to WIDTH)."""
    return (f"{prefix} || CASE WHEN {number} < {10 ** WIDTH} "
            f"THEN lpad({number}::text, {WIDTH}, '0') ELSE {number}::text END")


def document_code_next(prefix: str) -> str:
    """The prefix's next gapless code; the caller's transaction holds the counter."""
    with connection.cursor() as cursor:
        cursor.execute(COUNTER_NEXT_SQL, [prefix])
        (number,) = cursor.fetchone()
    return document_code_format(prefix, number)
