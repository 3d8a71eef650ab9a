"""What CRM asks of other domains without importing them (finance registers at ready()).

- delete guards: reasons a customer may not be deleted (orders, ledger entries, prices);
- deactivate guards: reasons it may not be deactivated (a receivable that is not zero);
- merge steps: move what another domain holds from the merged customer to the survivor
  (finance: open balances by a transfer pair of ledger entries);
- merge previews: what such a step would move, as {name: count or amount} for the
  preview (`customer_merge_preview`).
Each guard returns a list of translated reasons; empty means allowed.
"""

from collections.abc import Callable

customer_delete_guards: list[Callable] = []
customer_deactivate_guards: list[Callable] = []
customer_merge_steps: list[Callable] = []
customer_merge_previews: list[Callable] = []  # (source=, target=) -> dict


def customer_delete_blockers(customer) -> list[str]:
    return [reason for guard in customer_delete_guards for reason in guard(customer)]


def customer_deactivate_blockers(customer) -> list[str]:
    return [reason for guard in customer_deactivate_guards for reason in guard(customer)]


def customer_merge_run(*, source, target, actor) -> None:
    for step in customer_merge_steps:
        step(source=source, target=target, actor=actor)
