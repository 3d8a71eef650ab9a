"""What CRM asks of other domains without importing them (finance registers at ready()).

- delete guards: reasons a customer may not be deleted (orders, ledger entries, prices);
- deactivate guards: reasons it may not be deactivated (a receivable that is not zero);
- merge steps: move what another domain holds from the merged customer to the survivor
  (finance: open balances by a transfer pair of ledger entries);
- merge previews: what such a step would move, as {name: count or amount} for the
  preview (`customer_merge_preview`).
Each guard returns a list of translated reasons; empty means allowed. A guard may instead
be a `RowGuard`: expressions on the customer's row (an `Exists` of another domain's rows,
a column) answered with every other row guard's in one query (`customer_blockers`), and
a function turning their values into reasons -- the customer page asks every guard on
each view, and one query beats one per guard.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, router

customer_delete_guards: list[Callable] = []
customer_deactivate_guards: list[Callable] = []
customer_merge_steps: list[Callable] = []
customer_merge_previews: list[Callable] = []  # (source=, target=) -> dict


@dataclass(frozen=True)
class RowGuard:
    """`columns()`: name -> expression on the customer's row (`OuterRef("pk")` is the
    customer); `reasons(values)`: the reasons those values give (empty: allowed)."""

    columns: Callable[[], dict]
    reasons: Callable[[dict], list[str]]

    def __call__(self, customer) -> list[str]:
        return row_guards_answer(customer, [self])[0]


# (model, row guards) -> the SQL of their one query and its parameters but the customer's
# id (the last one). Compiling seven subqueries costs more CPU than running them, and the
# SQL names no schema (the connection's search_path picks the tenant's tables).
_ROW_QUERIES: dict[tuple, tuple[str, list]] = {}
_PROBE_PK = -7_000_000_001


def _row_query(model, row_guards: tuple, columns: dict) -> tuple[str, list]:
    key = (model, row_guards)
    if key not in _ROW_QUERIES:
        sql, params = model.objects.filter(pk=_PROBE_PK).values(**columns).query.sql_with_params()
        if not params or params[-1] != _PROBE_PK or _PROBE_PK in params[:-1]:
            raise RuntimeError("the customer's id is not the row query's last parameter")
        _ROW_QUERIES[key] = sql, list(params[:-1])
    return _ROW_QUERIES[key]


def row_guards_answer(customer, guards: list) -> list[list[str]]:
    """Each guard's reasons, the row guards' columns read in one query (the others are
    called as they are)."""
    columns, names = {}, []
    row_guards = tuple(g for g in guards if isinstance(g, RowGuard))
    for guard in guards:
        # Named by the guard's place among the row guards: the cached SQL's aliases.
        n = row_guards.index(guard) if isinstance(guard, RowGuard) else None
        own = guard.columns() if n is not None else {}
        names.append({f"g{n}_{name}": name for name in own})
        columns.update({f"g{n}_{name}": expression for name, expression in own.items()})
    values = {}
    if columns:
        model = type(customer)
        sql, params = _row_query(model, row_guards, columns)
        with connections[router.db_for_read(model)].cursor() as cursor:
            cursor.execute(sql, [*params, customer.pk])
            row = cursor.fetchone()
            if row is None:
                raise model.DoesNotExist
            values = dict(zip([c.name for c in cursor.description], row, strict=True))
    return [guard.reasons({name: values[key] for key, name in own.items()})
            if isinstance(guard, RowGuard) else list(guard(customer))
            for guard, own in zip(guards, names, strict=True)]


def customer_delete_blockers(customer) -> list[str]:
    return [r for reasons in row_guards_answer(customer, customer_delete_guards) for r in reasons]


def customer_deactivate_blockers(customer) -> list[str]:
    return [r for reasons in row_guards_answer(customer, customer_deactivate_guards)
            for r in reasons]


def customer_merge_run(*, source, target, actor) -> None:
    for step in customer_merge_steps:
        step(source=source, target=target, actor=actor)
