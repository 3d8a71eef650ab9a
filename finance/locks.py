"""The one way finance locks customers: rows in primary-key order, then SELECT ... FOR
UPDATE, so two services (finance's or CRM's, whose crm/locks.py keeps the same order)
never deadlock. Every finance service that moves a balance takes this lock first, before
any other lock (document counters, orders, vouchers).

Only the columns finance reads are fetched: the customer row is wide (search columns),
and this lock sits on the hottest path (`bench posting`: about 1.5x the vouchers a
second of a full-row lock). Other columns load on access, as deferred fields do.
"""

from collections.abc import Iterable

from crm.models import Customer

FINANCE_FIELDS = (
    "id", "code", "status", "shared", "home_branch_id", "group_id", "settlement_method",
    "prepaid_allowed", "credit_limit_amount", "credit_limit_enforced", "receivable_amount",
    "prepaid_amount", "coins", "total_purchased_amount",
)


def customers_lock(ids: Iterable[int]) -> dict[int, Customer]:
    """Lock the customers' rows until the transaction ends; return them fresh by id."""
    wanted = sorted(set(ids))
    rows = (Customer.objects.select_for_update().only(*FINANCE_FIELDS)
            .filter(pk__in=wanted).order_by("pk"))
    found = {customer.pk: customer for customer in rows}
    missing = set(wanted) - found.keys()
    if missing:
        raise Customer.DoesNotExist(f"customers {sorted(missing)}")
    return found


def customer_lock(customer_id: int) -> Customer:
    return customers_lock([customer_id])[customer_id]
