"""Finance locks customers through CRM's one lock helper (crm/locks.py), on its hot path:
only the columns finance reads. Every finance service that moves a balance takes this lock
first, before any other lock (document counters, orders, vouchers)."""

from collections.abc import Iterable

from crm import locks
from crm.models import Customer

FINANCE_FIELDS = (
    "id", "code", "status", "shared", "home_branch_id", "group_id", "settlement_method",
    "prepaid_allowed", "credit_limit_amount", "credit_limit_enforced", "receivable_amount",
    "prepaid_amount", "coins", "total_purchased_amount", "merged_into_id",
    "payment_terms_days",
)


def customers_lock(ids: Iterable[int]) -> dict[int, Customer]:
    """Lock the customers' rows until the transaction ends; all must exist."""
    wanted = set(ids)
    found = locks.customers_lock(wanted, fields=FINANCE_FIELDS)
    missing = wanted - found.keys()
    if missing:
        raise Customer.DoesNotExist(f"customers {sorted(missing)}")
    return found


def customer_lock(customer_id: int) -> Customer:
    return customers_lock([customer_id])[customer_id]
