"""The one way to lock customers: by primary key order, so two services never deadlock."""

from collections.abc import Iterable

from crm.models import Customer


def customers_lock(ids: Iterable[int]) -> dict[int, Customer]:
    """Lock the customers' rows until the transaction ends; return them fresh by id.

    Must run inside transaction.atomic(). Every finance service that moves a balance
    locks through here, always before it takes any other lock (document counters).
    """
    wanted = sorted(set(ids))
    rows = Customer.objects.select_for_update().filter(pk__in=wanted).order_by("pk")
    found = {customer.pk: customer for customer in rows}
    missing = set(wanted) - found.keys()
    if missing:
        raise Customer.DoesNotExist(f"customers {sorted(missing)}")
    return found


def customer_lock(customer_id: int) -> Customer:
    return customers_lock([customer_id])[customer_id]
