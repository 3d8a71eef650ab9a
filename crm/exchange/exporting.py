"""Export of the (filtered) customer list: an xlsx that is itself an import file (the
template's sheets and headers, customers first) plus read-only columns the importer
ignores."""

import importlib
import time
from decimal import Decimal

from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.exchange import files
from crm.exchange.columns import (
    CONTACT_TEMPLATE_COLUMNS,
    CONTACTS,
    CUSTOMER_EXPORT_COLUMNS,
    CUSTOMERS,
    YES_NO,
)
from crm.exchange.models import ExportJob
from crm.exchange.reading import problem
from crm.exchange.xlsx import workbook_write
from crm.models import Customer

_CUSTOMERS_SQL = """
SELECT c.code, c.name, c.phone, c.email, c.address, g.name, u.username, r.phone, c.role,
       c.settlement_method, c.prepaid_allowed, c.credit_limit_amount, c.credit_limit_enforced,
       b.code, c.shared, p.code, c.status, c.tax_code, c.note, NULL, c.receivable_amount,
       c.prepaid_amount, c.coins, c.total_purchased_amount,
       (SELECT count(*) FROM crm_customer x WHERE x.referrer_id = c.id)
FROM crm_customer c
LEFT JOIN crm_customergroup g ON g.id = c.group_id
LEFT JOIN auth_user u ON u.id = c.owner_id
LEFT JOIN crm_customer r ON r.id = c.referrer_id
LEFT JOIN crm_branch b ON b.id = c.home_branch_id
LEFT JOIN crm_customer p ON p.id = c.parent_id
{where}
ORDER BY c.code
"""
_CONTACTS_SQL = """
SELECT c.code, k.name, k.phone, k.email, k.position, k."primary", k.note
FROM crm_contact k JOIN crm_customer c ON c.id = k.customer_id
{where}
ORDER BY c.code, k."primary" DESC, k.id
"""
_BOOLEAN_COLUMNS = {10, 12, 14}
_CHOICE_COLUMNS = {8: Customer.Role, 9: Customer.Settlement, 16: Customer.Status}
_AMOUNT_COLUMNS = {11, 20, 21, 23}


def _customers_scope(job: ExportJob):
    """(where clause, params) restricting to the customers the job's user may list with
    the job's filters: the CRM's own list selector when it exists."""
    try:
        selectors = importlib.import_module("crm.selectors")
        customer_list = selectors.customer_list
    except (ImportError, AttributeError):
        return "", []
    queryset = customer_list(user=job.created_by, filters=job.filters or {})
    sql, params = queryset.order_by().values("id").query.sql_with_params()
    return f"WHERE c.id IN ({sql})", list(params)


def _number(value):
    """Amounts as spreadsheet numbers when a float holds them exactly, else as text."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        if abs(value) < Decimal("1e15"):
            return int(value) if value == value.to_integral_value() else float(value)
        return str(value)
    return value


def export_rows(where: str, params: list, lang: str) -> tuple[list, list]:
    yes, no = YES_NO[lang]
    with translation.override(lang):
        labels = {i: {v: str(label) for v, label in choices.choices}
                  for i, choices in _CHOICE_COLUMNS.items()}
    with connection.cursor() as cursor:
        cursor.execute(_CUSTOMERS_SQL.format(where=where), params)
        customers = []
        for record in cursor.fetchall():
            row = list(record)
            for i in _BOOLEAN_COLUMNS:
                row[i] = yes if row[i] else no
            for i, mapping in labels.items():
                row[i] = mapping.get(row[i], row[i])
            for i in _AMOUNT_COLUMNS:
                row[i] = _number(row[i])
            customers.append(row)
        contact_where = where.replace("WHERE c.id IN", "WHERE k.customer_id IN")
        cursor.execute(_CONTACTS_SQL.format(where=contact_where), params)
        contacts = [[*r[:5], yes if r[5] else no, r[6]] for r in cursor.fetchall()]
    return customers, contacts


def export_execute(job: ExportJob, *, heartbeat=None, timings: dict | None = None) -> dict:
    timings = {} if timings is None else timings
    lang = job.lang
    started = time.perf_counter()
    try:
        where, params = _customers_scope(job)
    except (ValueError, TypeError):
        return {"status": ExportJob.Status.FAILED, "errors": [problem("invalid_filter", _(
            "The export's filters are not valid: %(filters)s") % {"filters": job.filters})]}
    customers, contacts = export_rows(where, params, lang)
    timings["query"] = time.perf_counter() - started
    total = len(customers) + len(contacts)
    ExportJob.objects.filter(pk=job.pk).update(rows_total=total)
    started = time.perf_counter()
    relative = files.tenant_relative_path(
        "exports", f"customers-{timezone.now():%Y%m%d-%H%M}.xlsx")
    path = files.absolute(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    export_workbook_write(path, customers, contacts, lang)
    timings["write"] = time.perf_counter() - started
    return {"status": ExportJob.Status.DONE, "rows_total": total, "rows_processed": total,
            "file_path": relative}


def export_workbook_write(path, customers, contacts, lang) -> None:
    workbook_write(path, [
        (CUSTOMERS.name(lang), [c.header(lang) for c in CUSTOMER_EXPORT_COLUMNS], customers),
        (CONTACTS.name(lang), [c.header(lang) for c in CONTACT_TEMPLATE_COLUMNS], contacts),
    ], widths={
        CUSTOMERS.name(lang): [c.width for c in CUSTOMER_EXPORT_COLUMNS],
        CONTACTS.name(lang): [c.width for c in CONTACT_TEMPLATE_COLUMNS],
    })
