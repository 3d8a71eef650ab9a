"""Reports as xlsx (XlsxWriter, as the statements): numbers as numbers with the
currency's number format, in the active language."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from finance.statement_formats import bucket_labels, nfc
from saas_platform.money import decimals


def aging_report_xlsx(*, by: str, rows: list[dict], total: dict, names: dict,
                      currency: str) -> bytes:
    """One sheet: a row per branch or owner (its buckets and receivable), then the total."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    number = "#,##0" if decimals(currency) == 0 else "#,##0.00"
    f_money = book.add_format({"num_format": number})
    f_money_bold = book.add_format({"num_format": number, "bold": True})
    f_bold = book.add_format({"bold": True})
    sheet = book.add_worksheet(nfc(_("Aging"))[:31])
    labels = bucket_labels()
    sheet.set_column(0, 0, 32)
    sheet.set_column(1, len(labels) + 1, 16)
    sheet.write_string(0, 0, nfc(_("Aging of receivables (%(currency)s)")
                                 % {"currency": currency}), f_bold)
    headers = [_("Branch") if by == "branch" else _("Salesperson"), *labels.values(),
               _("Receivable")]
    for col, header in enumerate(headers):
        sheet.write_string(2, col, nfc(header), f_bold)
    sheet.freeze_panes(3, 1)
    row = 2
    for line in rows:
        row += 1
        key = line[by]
        sheet.write_string(row, 0, nfc(names.get(key) or _("(none)")))
        for col, bucket in enumerate(labels, start=1):
            sheet.write_number(row, col, line["buckets"][bucket], f_money)
        sheet.write_number(row, len(labels) + 1, line["receivable"], f_money)
    row += 1
    sheet.write_string(row, 0, nfc(_("Total")), f_bold)
    for col, bucket in enumerate(labels, start=1):
        sheet.write_number(row, col, total["buckets"][bucket], f_money_bold)
    sheet.write_number(row, len(labels) + 1, total["receivable"], f_money_bold)
    book.close()
    return buffer.getvalue()
