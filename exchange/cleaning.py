"""Running the CRM's field rules (`crm.validation`) over many rows quickly.

The rules are the service's own functions, called as they are; two things make 100k
rows affordable:

- Columns whose values repeat across rows (choices, flags, the credit limit) are cleaned
  together, once per distinct combination: `customer_fields_clean` on just those fields
  (`partial=True`), so a rule between them (an enforced limit needs an amount) still
  sees them together. The other fields (name, code, phones, e-mail, texts) are cleaned
  per row (`partial=False`, so name and phone stay required).
- Large files can be cleaned by a small pool of forked processes (the functions are
  pure): IMPORT_VALIDATION_PROCESSES > 1. Off by default: on a busy 2-core machine the
  pool's pickling cost more than the second core gave back (measured in `bench import`).
"""

import multiprocessing

from django.conf import settings

from crm.validation import contact_fields_clean, customer_fields_clean

REPEATING_CONTACT = ("position", "primary")
REPEATING = ("role", "settlement_method", "status", "prepaid_allowed",
             "credit_limit_enforced", "shared", "credit_limit")
PER_ROW = ("code", "name", "phone", "referrer_phone", "email", "address", "tax_code", "note")
CONTACT_PER_ROW = ("name", "phone", "email", "note")
PARALLEL_FROM = 5_000  # rows; below this a pool costs more than it saves
_CHUNK = 5_000


def _per_row(kind: str, region: str, currency: str, records: list) -> list:
    if kind == "customers":
        return [customer_fields_clean(r, region=region, currency=currency) for r in records]
    return [contact_fields_clean(r, region=region) for r in records]


def _per_row_star(args):
    return _per_row(*args)


def _map(kind: str, region: str, currency: str, records: list) -> list:
    processes = settings.IMPORT_VALIDATION_PROCESSES
    if len(records) < PARALLEL_FROM or processes < 2:
        return _per_row(kind, region, currency, records)
    chunks = [(kind, region, currency, records[i:i + _CHUNK])
              for i in range(0, len(records), _CHUNK)]
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            parts = pool.map(_per_row_star, chunks)
    except (AssertionError, OSError):  # e.g. inside a daemonic process: no children
        return _per_row(kind, region, currency, records)
    return [result for part in parts for result in part]


def _with_repeating(records, per_row, repeating_fields, clean_repeating) -> list[tuple]:
    cache: dict = {}
    results = []
    for record, (clean, problems) in zip(records, per_row, strict=True):
        key = tuple((f, record.get(f)) for f in repeating_fields if f in record)
        shared = cache.get(key)
        if shared is None:
            shared = cache[key] = clean_repeating(dict(key))
        results.append(({**clean, **shared[0]}, problems + shared[1]))
    return results


def customers_clean(records: list[dict], *, region: str, currency: str) -> list[tuple]:
    """[(clean, problems)] for each record, as `customer_fields_clean` gives them."""
    per_row = _map("customers", region, currency,
                   [{f: r[f] for f in PER_ROW if f in r} for r in records])
    return _with_repeating(records, per_row, REPEATING, lambda data: customer_fields_clean(
        data, region=region, currency=currency, partial=True))


def contacts_clean(records: list[dict], *, region: str) -> list[tuple]:
    per_row = _map("contacts", region, "",
                   [{f: r[f] for f in CONTACT_PER_ROW if f in r} for r in records])
    return _with_repeating(records, per_row, REPEATING_CONTACT, lambda data: contact_fields_clean(
        data, region=region, partial=True))
