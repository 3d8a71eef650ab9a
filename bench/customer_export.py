"""`manage.py bench export --rows 100000`: the export next to its anchors measured in the
same run (DESIGN §4: ≤ 8 s for 100k customers with their contacts)."""

import time

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from bench.timing import table
from bench.workbooks import contact_rows, customer_rows, scratch_tenant
from crm.models import Branch
from crm.normalize import name_key, phone_normalize
from exchange.columns import CUSTOMER_EXPORT_COLUMNS
from exchange.exporting import export_execute
from exchange.files import file_expiry
from exchange.models import ExportJob
from exchange.writing import _CONTACT_COLUMNS, _CUSTOMER_COLUMNS, _copy
from exchange.xlsx import workbook_write

TARGET_SECONDS = 8.0


def add_arguments(parser):
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=10_000,
                        help="rows for the openpyxl anchor, scaled up to --rows")


def run(stdout, *, rows: int, sample: int, **_options):
    with scratch_tenant() as (_tenant, workdir):
        results = _run(rows, sample, workdir)
    table(stdout, f"export {rows:,} customers + {rows:,} contacts (xlsx), seconds", [
        "work", "seconds", "target / anchor"], [
        ["ours: query (customers, contacts, labels)", results["query"], ""],
        ["ours: write (rustpy-xlsxwriter, both sheets)", results["write"], ""],
        ["ours: total", results["total"], f"target ≤ {TARGET_SECONDS * rows / 100_000:.1f}"],
        ["anchor: rustpy-xlsxwriter, customers sheet only", results["raw_rust"], "NOTES ≈ 0.8"],
        [f"anchor: openpyxl write-only, customers sheet ({sample:,} rows scaled)",
         results["openpyxl"], "NOTES ≈ 11"],
        [f"anchor: xlsxwriter constant memory, customers sheet ({sample:,} rows scaled)",
         results["xlsxwriter"], "NOTES ≈ 7.2"],
        [f"anchor: pyexcelerate, customers sheet ({sample:,} rows scaled)",
         results["pyexcelerate"], "NOTES ≈ 4.7"],
    ])
    stdout.write(f"exported {results['rows_total']:,} rows; filling the tenant took "
                 f"{results['fill']:.1f} s\n")


def _fill(rows: int) -> None:
    """Customers and contacts straight into the tables (the import has its own bench)."""
    user = get_user_model().objects.get(username__startswith="owner@")
    branch = Branch.objects.get(code="MAIN")
    now = timezone.now()
    with connection.cursor() as cursor:
        customers = (
            (r[0], r[1], name_key(r[1]), phone_normalize(r[2], "VN"), r[3], r[4], None, user.pk,
             "retail", "on_account", False, 5_000_000, False, branch.pk, False, "active", r[17],
             r[18], 0, 0, 0, 0, now, now, user.pk, user.pk)
            for r in customer_rows(rows))
        _copy(cursor, "crm_customer", _CUSTOMER_COLUMNS, customers)
        cursor.execute("SELECT code, id FROM crm_customer")
        ids = dict(cursor.fetchall())
        contacts = ((ids[r[0]], r[1], phone_normalize(r[2], "VN"), r[3], r[4], True, "")
                    for r in contact_rows(rows))
        _copy(cursor, "crm_contact", _CONTACT_COLUMNS, contacts)
        cursor.execute("ANALYZE crm_customer; ANALYZE crm_contact")


def _run(rows, sample, workdir) -> dict:
    results = {}
    started = time.perf_counter()
    _fill(rows)
    results["fill"] = time.perf_counter() - started

    user = get_user_model().objects.get(username__startswith="owner@")
    job = ExportJob.objects.create(file_key="bench", created_by=user, lang="vi",
                                   expires_at=file_expiry(), status=ExportJob.Status.WRITING)
    timings = {}
    started = time.perf_counter()
    fields = export_execute(job, timings=timings)
    results["total"] = time.perf_counter() - started
    results.update(query=timings["query"], write=timings["write"],
                   rows_total=fields["rows_total"])

    headers = [c.header("vi") for c in CUSTOMER_EXPORT_COLUMNS]
    grid = [row + [0] * (len(headers) - len(row)) for row in customer_rows(rows)]
    started = time.perf_counter()
    workbook_write(workdir / "raw.xlsx", [("Customers", headers, grid)])
    results["raw_rust"] = time.perf_counter() - started

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Customers")
    started = time.perf_counter()
    sheet.append(headers)
    for row in grid[:sample]:
        sheet.append(row)
    book.save(workdir / "openpyxl.xlsx")
    scale = rows / min(sample, rows)
    results["openpyxl"] = (time.perf_counter() - started) * scale
    results["xlsxwriter"] = _xlsxwriter(workdir, headers, grid[:sample]) * scale
    results["pyexcelerate"] = _pyexcelerate(workdir, headers, grid[:sample]) * scale
    return results


def _xlsxwriter(workdir, headers, grid) -> float:
    import xlsxwriter

    started = time.perf_counter()
    book = xlsxwriter.Workbook(str(workdir / "xlsxwriter.xlsx"), {"constant_memory": True,
                                                                  "strings_to_formulas": False})
    sheet = book.add_worksheet("Customers")
    sheet.write_row(0, 0, headers)
    for index, row in enumerate(grid, start=1):
        sheet.write_row(index, 0, row)
    book.close()
    return time.perf_counter() - started


def _pyexcelerate(workdir, headers, grid) -> float:
    from pyexcelerate import Workbook

    started = time.perf_counter()
    book = Workbook()
    book.new_sheet("Customers", data=[headers, *grid])
    book.save(str(workdir / "pyexcelerate.xlsx"))
    return time.perf_counter() - started
