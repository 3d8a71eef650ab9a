"""Export of the (filtered) customer list: an xlsx that is itself an import file (the
template's sheets and headers, customers first) plus read-only columns the importer
ignores."""

import time

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.models import Customer
from crm.selectors import customer_list, customer_visible
from exchange import files
from exchange.columns import (
    CONTACT_TEMPLATE_COLUMNS,
    CONTACTS,
    CUSTOMER_EXPORT_COLUMNS,
    CUSTOMERS,
    YES_NO,
)
from exchange.models import ExportJob
from exchange.reading import problem
from exchange.xlsx import workbook_write

_CUSTOMERS_SQL = """
SELECT c.code, c.name, c.phone, c.email, c.address, g.name, u.username, r.phone,
       {role}, {settlement}, {prepaid_allowed}, c.credit_limit_amount, {enforced},
       b.code, {shared}, p.code, {status}, c.tax_code, c.note, NULL, c.receivable_amount,
       c.prepaid_amount, c.coins, c.total_purchased_amount, COALESCE(rc.n, 0)
FROM crm_customer c
LEFT JOIN crm_customergroup g ON g.id = c.group_id
LEFT JOIN auth_user u ON u.id = c.owner_id
LEFT JOIN crm_customer r ON r.id = c.referrer_id AND r.id IN ({seen})
LEFT JOIN crm_branch b ON b.id = c.home_branch_id
LEFT JOIN crm_customer p ON p.id = c.parent_id AND p.id IN ({seen})
LEFT JOIN (SELECT referrer_id, count(*) AS n FROM crm_customer
           WHERE referrer_id IS NOT NULL GROUP BY referrer_id) rc ON rc.referrer_id = c.id
{where}
ORDER BY c.code
"""
_CONTACTS_SQL = """
SELECT c.code, k.name, k.phone, k.email, k.position, {primary}, k.note
FROM crm_contact k JOIN crm_customer c ON c.id = k.customer_id
{where}
ORDER BY c.code, k."primary" DESC, k.id
"""
_CHOICES = {"role": Customer.Role, "settlement": Customer.Settlement,
            "status": Customer.Status}
_FLAGS = {"prepaid_allowed": "c.prepaid_allowed", "enforced": "c.credit_limit_enforced",
          "shared": "c.shared", "primary": 'k."primary"'}


def _labels_sql(lang: str) -> tuple[dict, list]:
    """SQL expressions giving choices and flags as the template's words in `lang`, and
    their parameters in order of appearance (the labels are data, never SQL text)."""
    yes, no = YES_NO[lang]
    parts, params = {}, {}
    with translation.override(lang):
        for name, choices in _CHOICES.items():
            column = {"settlement": "settlement_method"}.get(name, name)
            parts[name] = (f"CASE c.{column} "
                           + " ".join("WHEN %s THEN %s" for _c in choices.choices)
                           + f" ELSE c.{column} END")
            params[name] = [v for value, label in choices.choices for v in (value, str(label))]
    for name, column in _FLAGS.items():
        parts[name] = f"CASE WHEN {column} THEN %s ELSE %s END"
        params[name] = [yes, no]
    return parts, params


class ScopeUnavailable(Exception):
    """Who may see what could not be worked out: the export must not run at all."""


def _customers_scope(job: ExportJob):
    """(where clause, params) restricting to the customers the job's user may list with
    the job's filters, from the CRM's own list selector. Never open: without a user or a
    clause, ScopeUnavailable."""
    if job.created_by is None or not job.created_by.is_active:
        raise ScopeUnavailable(job.pk)
    queryset = customer_list(user=job.created_by, filters=job.filters or {})
    sql, params = queryset.order_by().values("id").query.sql_with_params()
    if not sql:
        raise ScopeUnavailable(job.pk)
    return f"WHERE c.id IN ({sql})", list(params)


def _seen_scope(job: ExportJob) -> tuple[str, list]:
    """The customers the exporter may see at all (filters aside): a referrer's phone or a
    parent's code is written only for one of them."""
    queryset = customer_visible(job.created_by).order_by().values("id")
    sql, params = queryset.query.sql_with_params()
    if not sql:
        raise ScopeUnavailable(job.pk)
    return sql, list(params)


def export_rows(where: str, params: list, lang: str,
                seen: tuple[str, list]) -> tuple[list, list]:
    """Customer and contact rows in the sheets' column order, labels in `lang`.

    Amounts stay Decimal and become spreadsheet numbers (Excel keeps 15 significant
    digits, far above any credit limit or balance here)."""
    parts, label_params = _labels_sql(lang)
    order = ["role", "settlement", "prepaid_allowed", "enforced", "shared", "status"]
    seen_sql, seen_params = seen
    customers_sql = _CUSTOMERS_SQL.format(where=where, seen=seen_sql,
                                          **{k: parts[k] for k in order})
    # Parameters in the order they appear: the labels, the two joins, the filter.
    customers_params = ([p for k in order for p in label_params[k]] + seen_params * 2
                        + params)
    contact_where = where.replace("WHERE c.id IN", "WHERE k.customer_id IN")
    contacts_sql = _CONTACTS_SQL.format(where=contact_where, primary=parts["primary"])
    with connection.cursor() as cursor:
        cursor.execute(customers_sql, customers_params)
        customers = cursor.fetchall()
        cursor.execute(contacts_sql, label_params["primary"] + params)
        contacts = cursor.fetchall()
    return customers, contacts


def export_execute(job: ExportJob, *, heartbeat=None, timings: dict | None = None) -> dict:
    timings = {} if timings is None else timings
    lang = job.lang
    started = time.perf_counter()
    try:
        where, params = _customers_scope(job)
        seen = _seen_scope(job)
    except ScopeUnavailable:
        return {"status": ExportJob.Status.FAILED, "errors": [problem("scope_unavailable", _(
            "The export was stopped: the customers its creator may see could not be "
            "determined (the user may have been deactivated)."))]}
    except (ValueError, TypeError, DjangoValidationError):
        return {"status": ExportJob.Status.FAILED, "errors": [problem("invalid_filter", _(
            "The export's filters are not valid: %(filters)s") % {"filters": job.filters})]}
    customers, contacts = export_rows(where, params, lang, seen)
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
