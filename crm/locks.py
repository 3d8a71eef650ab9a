"""The one way to lock customer rows: in primary-key order, so that two services locking
the same customers never deadlock each other."""

from collections.abc import Iterable

from crm.models import Customer


def customers_lock(ids: Iterable[int]) -> dict[int, Customer]:
    """SELECT ... FOR UPDATE the customers, ordered by id; returns them by id."""
    wanted = sorted(set(ids))
    rows = Customer.objects.select_for_update().filter(id__in=wanted).order_by("id")
    return {c.id: c for c in rows}


def customer_lock(customer_id: int) -> Customer:
    locked = customers_lock([customer_id])
    if customer_id not in locked:
        raise Customer.DoesNotExist(customer_id)
    return locked[customer_id]
