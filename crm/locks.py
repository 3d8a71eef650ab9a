"""The one way to lock customer rows: in primary-key order, so that two services locking
the same customers never deadlock each other.

`fields` takes the hot path (finance's postings): one fixed SQL statement, cached, that
fetches only those columns — the customer row is wide (search columns), and compiling the
ORM query on every posting costs as much as the posting (`bench posting`: 1.3-2x). The other
columns load on access, as deferred fields do.
"""

from collections.abc import Iterable, Sequence
from functools import cache

from crm.models import Customer


@cache
def _lock_sql(fields: tuple[str, ...]) -> str:
    columns = {field.attname: field.column for field in Customer._meta.concrete_fields}
    selected = ", ".join(f'"{columns[name]}"' for name in fields)
    pk = Customer._meta.pk.column
    return (f'SELECT {selected} FROM "{Customer._meta.db_table}" WHERE "{pk}" = ANY(%s) '
            f'ORDER BY "{pk}" FOR UPDATE')


def customers_lock(ids: Iterable[int], *, fields: Sequence[str] | None = None
                   ) -> dict[int, Customer]:
    """SELECT ... FOR UPDATE the customers, ordered by id; returns those found, by id.
    Must run inside transaction.atomic()."""
    wanted = sorted(set(ids))
    if fields is None:
        rows = Customer.objects.select_for_update().filter(id__in=wanted).order_by("id")
    else:
        rows = Customer.objects.raw(_lock_sql(tuple(fields)), [wanted])
    return {customer.pk: customer for customer in rows}


def customer_lock(customer_id: int) -> Customer:
    locked = customers_lock([customer_id])
    if customer_id not in locked:
        raise Customer.DoesNotExist(customer_id)
    return locked[customer_id]
