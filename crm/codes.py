"""Customer codes: KH000001, KH000002, ... from a sequence in each tenant's schema.

Not gapless (a rolled-back create burns a number, which is fine for customers; vouchers
need gapless codes and get them from finance's counters). A code given by hand or by an
import that looks like ours moves the sequence past it, so auto codes never collide.
"""

import re

from django.db import connection

PREFIX = "KH"
WIDTH = 6
SEQUENCE = "crm_customer_code_seq"
_OURS = re.compile(rf"^{PREFIX}(\d+)$")


def customer_codes_next(count: int = 1) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval('{SEQUENCE}') FROM generate_series(1, %s)", [count])
        return [f"{PREFIX}{n:0{WIDTH}d}" for (n,) in cursor.fetchall()]


def customer_codes_reserve(codes: list[str]) -> None:
    """Given codes of our shape push the sequence beyond the largest of them."""
    numbers = [int(m.group(1)) for c in codes if (m := _OURS.match(c))]
    if numbers:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval('{SEQUENCE}', GREATEST(%s, (SELECT last_value FROM {SEQUENCE})))",
                [max(numbers)])
