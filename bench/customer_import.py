"""`manage.py bench import --rows 100000`: the import pipeline next to its anchors
measured in the same run (DESIGN §4: end to end ≤ 1.5 × the floor, a raw calamine parse
of both sheets plus a raw COPY of the customer rows, for 100k customers + 100k contacts)."""

import cProfile
import io
import pstats
import time

import python_calamine
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from bench.import_export_anchor import import_export_seconds
from bench.timing import table
from bench.workbooks import scratch_tenant, workbook_generate
from exchange.files import file_expiry, tenant_relative_path
from exchange.importing import import_execute
from exchange.models import ImportJob
from exchange.writing import _CUSTOMER_COLUMNS


def add_arguments(parser):
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=1_000,
                        help="rows for the naive and django-import-export"
                             " anchors, scaled up to --rows")
    parser.add_argument("--profile", type=int, default=0,
                        help="print cProfile's top N functions of the import (0: no profile)")


def run(stdout, *, rows: int, sample: int, profile: int = 0, **_options):
    with scratch_tenant() as (tenant, workdir):
        results = _run(stdout, rows, sample, workdir, profile)
    scale = rows / sample
    floor = results["raw_parse"] + results["raw_copy"]
    ratio = results["total"] / floor
    anchor = results["import_export"]
    table(stdout, f"import {rows:,} customers + {rows:,} contacts (xlsx), seconds", [
        "work", "seconds", "goal / anchor"], [
        ["ours: parse (python-calamine + file checks)", results["parse"], ""],
        ["ours: validate customers (crm.validation + bulk look-ups)",
         results["validate customers"], ""],
        ["ours: write (COPY, one transaction), of which:", results["write"], ""],
        *[row for name, seconds in results["write_stages"] for row in (
            [[f"  {name}", seconds, ""]] + ([[
                "    meanwhile here: validate contacts (crm.validation)",
                results["validate contacts"], ""]] if name.startswith("customers (") else []))],
        ["ours: total, end to end", results["total"], f"goal ≤ 1.5 × floor = {1.5 * floor:.1f}"],
        ["anchor: raw python-calamine parse, both sheets", results["raw_parse"], "NOTES ≈ 1.0"],
        ["anchor: raw COPY of the same customer rows (table's indexes, no FKs)",
         results["raw_copy"], "NOTES ≈ 1.9"],
        ["floor: raw parse + raw COPY", floor, ""],
        ["ours ÷ floor (same run)", f"{ratio:.2f} ×", "goal ≤ 1.5 ×"],
        ["anchor: raw COPY, no indexes (search index and uniques cost the rest)",
         results["raw_copy_bare"], ""],
        ["anchor: raw COPY, same rows with their references, logged table, indexes (WAL)",
         results["raw_copy_logged"], "not in the floor"],
        ["anchor: the same plus its 5 foreign keys, checked (no triggers, no audit)",
         results["raw_copy_fks"], "not in the floor"],
        [f"anchor: naive openpyxl + ORM save per row ({sample:,} rows × {scale:,.0f})",
         results["naive"], "NOTES ≈ 75"],
        [f"anchor: django-import-export 4, default mode ({sample:,} rows × {scale:,.0f})",
         "not installed (pip install -e '.[bench]')" if anchor is None else anchor * scale,
         "NOTES ≈ 92–260"],
    ])
    stdout.write(f"created {results['created']:,} customers, "
                 f"{results['contacts']:,} contacts; generate took {results['generate']:.1f} s\n")


def _run(stdout, rows, sample, workdir, profile=0) -> dict:
    results = {}
    user = get_user_model().objects.get(username__startswith="owner@")
    relative = tenant_relative_path("uploads", "bench.xlsx")
    from exchange.files import absolute

    path = absolute(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    customers, _contacts = workbook_generate(path, rows)
    results["generate"] = time.perf_counter() - started

    started = time.perf_counter()
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    for title in workbook.sheet_names:
        workbook.get_sheet_by_name(title).to_python()
    results["raw_parse"] = time.perf_counter() - started

    results["raw_copy"] = _raw_copy(customers, "INCLUDING ALL")
    results["raw_copy_bare"] = _raw_copy(customers, "INCLUDING DEFAULTS INCLUDING IDENTITY "
                                                    "INCLUDING GENERATED")
    results["raw_copy_logged"] = _raw_copy_logged(customers, user, foreign_keys=False)
    results["raw_copy_fks"] = _raw_copy_logged(customers, user, foreign_keys=True)

    job = ImportJob.objects.create(upload_path=relative, original_name="bench.xlsx",
                                   file_key="bench", created_by=user, expires_at=file_expiry(),
                                   status=ImportJob.Status.VALIDATING)
    timings = {}
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    fields = import_execute(job, timings=timings)
    if profiler:
        profiler.disable()
    results["total"] = time.perf_counter() - started
    if profiler:
        stdout.write(f"cProfile of the import (top {profile} by own time; profiling slows it)\n")
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(profile)
        stdout.write(text.getvalue())
    if fields["status"] != "done":
        stdout.write(f"import failed: {fields['errors'][:5]}\n")
    results.update(parse=timings["parse"], write=timings.get("write", float("nan")),
                   created=fields.get("created", 0),
                   **{k: timings.get(k, float("nan"))
                      for k in ("validate customers", "validate contacts")},
                   contacts=fields.get("contacts_created", 0),
                   write_stages=[(k[7:], v) for k, v in timings.items()
                                 if k.startswith("write: ")])
    results["naive"] = _naive(workdir, sample, user, start=rows) * rows / sample
    results["import_export"] = import_export_seconds(workdir, sample, user, start=2 * rows)
    return results


def _raw_copy(customers, like: str) -> float:
    """COPY of the customer rows as they are in the file into a copy of the table."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE bench_copy (LIKE crm_customer {like}) ON COMMIT DROP")
        now = timezone.now()
        started = time.perf_counter()
        with cursor.cursor.copy(
                f"COPY bench_copy ({', '.join(_CUSTOMER_COLUMNS)}) FROM STDIN") as copy:
            for r in customers:
                copy.write_row((r[0], r[1], r[1].casefold(), r[2], r[3], r[4], None, None,
                                "retail", "on_account", False, None, False, 1, False, "active",
                                r[17], r[18], 0, 0, 0, 0, now, now, None, None))
        return time.perf_counter() - started


_FOREIGN_KEYS = (("group_id", "crm_customergroup"), ("owner_id", "auth_user"),
                 ("home_branch_id", "crm_branch"), ("created_by_id", "auth_user"),
                 ("updated_by_id", "auth_user"))


def _raw_copy_logged(customers, user, *, foreign_keys: bool) -> float:
    """What the floor leaves out: the same COPY into a logged copy of the table (WAL, as
    crm_customer has), the rows carrying a group, an owner, a branch and their writer,
    and (`foreign_keys`) the table's five foreign keys on them, checked before the clock
    stops. Rolled back."""
    from crm.models import Branch, CustomerGroup

    started = None
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            group = CustomerGroup.objects.create(code="BENCH-ANCHOR", name="bench anchor")
            branch = Branch.objects.order_by("id").first()
            cursor.execute("CREATE TABLE bench_copy_logged (LIKE crm_customer INCLUDING ALL)")
            if foreign_keys:
                for column, table in _FOREIGN_KEYS:
                    cursor.execute(f"ALTER TABLE bench_copy_logged ADD FOREIGN KEY ({column}) "
                                   f"REFERENCES {table} (id) DEFERRABLE INITIALLY DEFERRED")
            now = timezone.now()
            started = time.perf_counter()
            with cursor.cursor.copy(
                    f"COPY bench_copy_logged ({', '.join(_CUSTOMER_COLUMNS)}) FROM STDIN") as copy:
                for r in customers:
                    copy.write_row((r[0], r[1], r[1].casefold(), r[2], r[3], r[4], group.pk,
                                    user.pk, "retail", "on_account", False, None, False,
                                    branch.pk, False, "active", r[17], r[18], 0, 0, 0, 0, now,
                                    now, user.pk, user.pk))
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            raise _Rollback(time.perf_counter() - started)
    except _Rollback as done:
        return done.elapsed


def _naive(workdir, sample, user, start: int) -> float:
    """What a first version does: openpyxl, then one ORM save per row (rolled back)."""
    import openpyxl

    from bench.workbooks import workbook_generate as generate
    from crm.models import Branch, Contact, Customer, CustomerGroup
    from crm.normalize import name_key, phone_normalize_slow

    path = workdir / "naive.xlsx"
    generate(path, sample, start)
    branch = Branch.objects.get(code="MAIN")
    started = time.perf_counter()
    try:
        with transaction.atomic():
            book = openpyxl.load_workbook(path, read_only=True)
            sheets = book.worksheets
            for index, row in enumerate(sheets[0].iter_rows(min_row=2, values_only=True)):
                group, _ = CustomerGroup.objects.get_or_create(
                    name=row[5], defaults={"code": f"N{abs(hash(row[5])) % 10**8}"})
                Customer.objects.create(
                    code=f"NV{index:07d}", name=row[1], name_key=name_key(row[1]),
                    phone=phone_normalize_slow(row[2], "VN"), email=row[3] or "",
                    address=row[4] or "", group=group, owner=user, home_branch=branch)
            for row in sheets[1].iter_rows(min_row=2, values_only=True):
                customer = Customer.objects.get(code=f"NV{int(row[0][2:]) - 1 - start:07d}")
                Contact.objects.create(customer=customer, name=row[1],
                                       phone=phone_normalize_slow(row[2], "VN"), email=row[3])
            elapsed = time.perf_counter() - started
            raise _Rollback(elapsed)
    except _Rollback as done:
        return done.elapsed


class _Rollback(Exception):
    def __init__(self, elapsed):
        self.elapsed = elapsed
