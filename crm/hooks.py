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


def row_guards_answer(customer, guards: list) -> list[list[str]]:
    """Each guard's reasons, the row guards' columns read in one query (the others are
    called as they are)."""
    columns, names = {}, []
    for n, guard in enumerate(guards):
        own = guard.columns() if isinstance(guard, RowGuard) else {}
        names.append({f"g{n}_{name}": name for name in own})
        columns.update({f"g{n}_{name}": expression for name, expression in own.items()})
    values = (type(customer).objects.filter(pk=customer.pk).values(**columns).get()
              if columns else {})
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
