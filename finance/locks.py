"""The one way finance locks customers: rows in primary-key order, then SELECT ... FOR
UPDATE, so two services (finance's or CRM's, whose crm/locks.py keeps the same order)
never deadlock. Every finance service that moves a balance takes this lock first, before
any other lock (document counters, orders, vouchers).

This lock sits on the hottest path, so it is one fixed SQL statement (no ORM compiling on
every posting) that fetches only the columns finance reads: the customer row is wide
(search columns). Measured with `bench posting`: each of the two choices is worth
1.3-2x vouchers a second. Other columns load on access, as deferred fields do.
"""

from collections.abc import Iterable
from functools import cache

from crm.models import Customer

FINANCE_FIELDS = (
    "id", "code", "status", "shared", "home_branch_id", "group_id", "settlement_method",
    "prepaid_allowed", "credit_limit_amount", "credit_limit_enforced", "receivable_amount",
    "prepaid_amount", "coins", "total_purchased_amount",
)


@cache
def _lock_sql() -> str:
    columns = {field.attname: field.column for field in Customer._meta.concrete_fields}
    selected = ", ".join(f'"{columns[name]}"' for name in FINANCE_FIELDS)
    pk = Customer._meta.pk.column
    return (f'SELECT {selected} FROM "{Customer._meta.db_table}" WHERE "{pk}" = ANY(%s) '
            f'ORDER BY "{pk}" FOR UPDATE')


def customers_lock(ids: Iterable[int]) -> dict[int, Customer]:
    """Lock the customers' rows until the transaction ends; return them fresh by id.
    Must run inside transaction.atomic()."""
    wanted = sorted(set(ids))
    found = {customer.pk: customer for customer in Customer.objects.raw(_lock_sql(), [wanted])}
    missing = set(wanted) - found.keys()
    if missing:
        raise Customer.DoesNotExist(f"customers {sorted(missing)}")
    return found


def customer_lock(customer_id: int) -> Customer:
    return customers_lock([customer_id])[customer_id]
