"""The one way to lock customer rows: in primary-key order, so that two services locking
the same customers never deadlock each other.

`fields` takes the hot path (finance's postings): one fixed SQL statement, cached, that
fetches only those columns, its rows made into models by `Model.from_db` -- the customer
row is wide (search columns), and compiling the ORM query (or a RawQuerySet's column
mapping) on every posting costs as much as the posting, inside the row lock. The other
columns load on access, as deferred fields do.
"""

from collections.abc import Iterable, Sequence
from functools import cache

from django.db import connection

from crm.models import Customer


@cache
def _lock_sql(fields: tuple[str, ...]) -> tuple[str, tuple[str, ...], int]:
    """The statement, the attribute names of its columns in the model's field order (the
    order `Model.from_db` takes them in) and the primary key's place among them."""
    wanted = set(fields) | {Customer._meta.pk.attname}
    selected = tuple(f for f in Customer._meta.concrete_fields if f.attname in wanted)
    if len(selected) != len(wanted):
        raise ValueError(f"not customer columns: {sorted(wanted - {f.attname for f in selected})}")
    pk = Customer._meta.pk.column
    columns = ", ".join(f'"{f.column}"' for f in selected)
    sql = (f'SELECT {columns} FROM "{Customer._meta.db_table}" WHERE "{pk}" = ANY(%s) '
           f'ORDER BY "{pk}" FOR UPDATE')
    names = tuple(f.attname for f in selected)
    return sql, names, names.index(Customer._meta.pk.attname)


def customers_lock(ids: Iterable[int], *, fields: Sequence[str] | None = None
                   ) -> dict[int, Customer]:
    """SELECT ... FOR UPDATE the customers, ordered by id; returns those found, by id.
    Must run inside transaction.atomic()."""
    wanted = sorted(set(ids))
    if fields is None:
        rows = Customer.objects.select_for_update().filter(id__in=wanted).order_by("id")
        return {customer.pk: customer for customer in rows}
    sql, names, pk = _lock_sql(tuple(fields))
    with connection.cursor() as cursor:
        cursor.execute(sql, [wanted])
        found = cursor.fetchall()
    return {row[pk]: Customer.from_db(connection.alias, names, row) for row in found}


def customer_lock(customer_id: int) -> Customer:
    locked = customers_lock([customer_id])
    if customer_id not in locked:
        raise Customer.DoesNotExist(customer_id)
    return locked[customer_id]
