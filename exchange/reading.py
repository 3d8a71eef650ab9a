"""Reading an uploaded workbook (or CSV) into rows, after the file-level checks.

Every problem with the file as a whole (not a workbook, zip bomb, password, sheets,
headers, row cap, formulas, merged cells, date cells, empty rows) raises `BadFile` with
all the problems found, before any row is validated, so nothing is ever written from a
file that is not the template.
"""

import csv
import io
import re
import threading
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from xml.etree import ElementTree

import python_calamine
from django.conf import settings
from django.utils.translation import gettext as _

from exchange.columns import (
    CONTACTS,
    CUSTOMERS,
    INSTRUCTIONS_TITLE,
    LISTS_TITLE,
    Sheet,
    fold_header,
    header_lookup,
)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")


def cell_ref(row: int, col: int) -> str:
    """(1, 0) -> 'A1'."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


def problem(code: str, detail: str, *, sheet: str | None = None, row: int | None = None,
            column: str | None = None) -> dict:
    return {"sheet": sheet, "row": row, "column": column, "code": code, "detail": detail}


class BadFile(Exception):
    def __init__(self, problems: list[dict]):
        super().__init__(problems[0]["detail"] if problems else "")
        self.problems = problems


@dataclass
class SheetRows:
    """Data rows of one sheet: (worksheet row number, {column key: value}), plus the
    header and cells exactly as uploaded (for the error workbook)."""

    key: str
    title: str = ""
    header: list = field(default_factory=list)
    rows: list = field(default_factory=list)  # [(row_number, {key: value})]
    raw: dict = field(default_factory=dict)  # row_number -> list of cells as uploaded


@dataclass
class Book:
    customers: SheetRows
    contacts: SheetRows


def book_read(path, *, filename: str = "") -> Book:
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(OLE_MAGIC):
        with open(path, "rb") as f:
            encrypted = ENCRYPTED_MARK in f.read(4 * 1024 * 1024)
        if encrypted:
            raise BadFile([problem("password_protected", _(
                "The workbook is protected by a password. Remove the password and upload "
                "it again."))])
        raise BadFile([problem("not_xlsx", _(
            "This is an old Excel (.xls) file. Save it as .xlsx (Excel workbook) and upload "
            "it again."))])
    if head.startswith(ZIP_MAGIC):
        return _xlsx_read(path)
    if filename.lower().endswith(".csv"):
        return _csv_read(path)
    raise BadFile([problem("not_xlsx", _(
        "The file is not an Excel workbook (.xlsx) or a CSV file. Download the template "
        "and fill it in."))])


def _zip_check(archive: zipfile.ZipFile) -> None:
    limit = settings.IMPORT_MAX_UNZIPPED_MB * 1024 * 1024
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > limit or (info.file_size > 1024 * 1024 and ratio > 200):
            raise BadFile([problem("zip_bomb", _(
                "The workbook unpacks to far more data than its size allows (over "
                "%(limit)d MB or an impossible compression ratio); it is refused.")
                % {"limit": settings.IMPORT_MAX_UNZIPPED_MB})])
    if "xl/workbook.xml" not in archive.namelist():
        raise BadFile([problem("not_xlsx", _(
            "The file is a zip archive but not an Excel workbook (.xlsx)."))])


_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
_CELL_START = re.compile(rb'<c r="([A-Z]+[0-9]+)"')


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> part name in the zip."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.findall("rel:Relationship", _NS)}
    parts = {}
    for sheet in workbook.findall("m:sheets/m:sheet", _NS):
        target = targets.get(sheet.get(f"{{{_NS['r']}}}id"), "")
        target = target.lstrip("/")
        parts[sheet.get("name")] = target if target.startswith("xl/") else f"xl/{target}"
    return parts


def _formula_cell(xml: bytes) -> str | None:
    """The reference of the first formula cell in a sheet's XML, if any."""
    for marker in (b"<f>", b"<f ", b"<f/>"):
        at = xml.find(marker)
        if at >= 0:
            start = xml.rfind(b"<c ", 0, at)
            found = _CELL_START.match(xml, start) if start >= 0 else None
            return found.group(1).decode() if found else "?"
    return None


def _xlsx_read(path) -> Book:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise BadFile([problem("not_xlsx", _("The file is damaged or not an .xlsx workbook."))]) \
            from exc
    with archive:
        _zip_check(archive)
        try:
            parts = _sheet_parts(archive)
        except (KeyError, ElementTree.ParseError) as exc:
            raise BadFile([problem("not_xlsx", _(
                "The file is damaged or not an .xlsx workbook."))]) from exc
        found = _sheets_find(list(parts))
        problems = []
        for title in found.values():
            part = parts.get(title)
            if part and part in archive.namelist():
                ref = _formula_cell(archive.read(part))
                if ref:
                    problems.append(problem("formula", _(
                        "Cell %(cell)s holds a formula. Paste values only (no formulas) and "
                        "upload again.") % {"cell": ref}, sheet=title, column=ref))
        if problems:
            raise BadFile(problems)
    sheets = _SheetsLoading(path, list(found.values()))
    try:
        return _book_from_grids(found, lambda title: _calamine_grid(sheets.get(title), title))
    except python_calamine.PasswordError as exc:
        raise BadFile([problem("password_protected", _(
            "The workbook is protected by a password. Remove the password and upload it "
            "again."))]) from exc
    except python_calamine.CalamineError:
        return _openpyxl_read(path, found)


class _SheetsLoading:
    """Every sheet loaded by python-calamine at once, each on a thread with its own
    workbook handle (opening one costs nothing; calamine parses without the GIL), so the
    contacts sheet loads while the customers sheet's rows are read."""

    def __init__(self, path, titles: list[str]):
        self._loaded: dict = {}
        self._threads = {title: threading.Thread(target=self._load, args=(path, title),
                                                 name="sheet-load", daemon=True)
                         for title in titles}
        for thread in self._threads.values():
            thread.start()

    def _load(self, path, title: str) -> None:
        try:
            workbook = python_calamine.CalamineWorkbook.from_path(str(path))
            self._loaded[title] = workbook.get_sheet_by_name(title)
        except BaseException as exc:  # noqa: BLE001 - raised where the sheet is asked for
            self._loaded[title] = exc

    def get(self, title: str):
        self._threads[title].join()
        sheet = self._loaded[title]
        if isinstance(sheet, BaseException):
            raise sheet
        return sheet


def _calamine_grid(sheet, title: str):
    merged = sheet.merged_cell_ranges or []
    if merged:
        (r0, c0), (r1, c1) = merged[0]
        raise BadFile([problem("merged_cells", _(
            "Cells %(first)s:%(last)s are merged. Unmerge every cell of the sheet and "
            "upload again.") % {"first": cell_ref(r0 + 1, c0), "last": cell_ref(r1 + 1, c1)},
            sheet=title)])
    _cap_check(title, sheet.height - 1)
    # Row 1 of the grid must be worksheet row 1, so rows keep their real numbers.
    return sheet.to_python(skip_empty_area=False)


def _openpyxl_read(path, found) -> Book:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - any failure here means "not a workbook"
        raise BadFile([problem("not_xlsx", _(
            "The file is damaged or not an .xlsx workbook."))]) from exc

    def grid(title):
        sheet = workbook[title]
        _cap_check(title, (sheet.max_row or 1) - 1)
        return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]

    try:
        return _book_from_grids(found, grid)
    finally:
        workbook.close()


def _csv_read(path) -> Book:
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFile([problem("not_xlsx", _(
            "The CSV file is not UTF-8 text. Save it as “CSV UTF-8” and upload again."))]) \
            from exc
    dialect = ";" if text[:2000].count(";") > text[:2000].count(",") else ","
    grid = list(csv.reader(io.StringIO(text), delimiter=dialect))
    _cap_check(CUSTOMERS.names["en"], len(grid) - 1)
    found = {CUSTOMERS: CUSTOMERS.names["en"]}
    book = _book_from_grids(found, lambda title: grid)
    return book


def _cap_check(title: str, rows: int) -> None:
    if rows > settings.IMPORT_ROW_CAP:
        raise BadFile([problem("too_many_rows", _(
            "The sheet has %(rows)d rows; at most %(cap)d can be imported at once. Split "
            "the file.") % {"rows": rows, "cap": settings.IMPORT_ROW_CAP}, sheet=title)])


def _sheets_find(titles: list[str]) -> dict[Sheet, str]:
    found: dict[Sheet, str] = {}
    problems = []
    ignorable = {t.casefold() for t in INSTRUCTIONS_TITLE.values()} | {LISTS_TITLE.casefold()}
    for title in titles:
        sheet = next((s for s in (CUSTOMERS, CONTACTS) if s.accepts(title)), None)
        if sheet is not None and sheet not in found:
            found[sheet] = title
        elif title.strip().casefold() not in ignorable:
            problems.append(problem("unexpected_sheet", _(
                "The sheet “%(title)s” is not part of the template (expected “%(customers)s” "
                "and “%(contacts)s”).") % {"title": title, "customers": CUSTOMERS.names["en"],
                                           "contacts": CONTACTS.names["en"]}, sheet=title))
    for sheet in (CUSTOMERS, CONTACTS):
        if sheet not in found:
            problems.append(problem("missing_sheet", _(
                "The sheet “%(title)s” is missing. Download the template and keep its "
                "sheets.") % {"title": sheet.names["en"]}, sheet=sheet.names["en"]))
    if problems:
        raise BadFile(problems)
    return found


_DATE_TYPES = (datetime, date, time, timedelta)
_STR_ONLY = {str}


def _book_from_grids(found: dict[Sheet, str], grid_of) -> Book:
    sheets = {}
    problems = []
    for sheet in (CUSTOMERS, CONTACTS):
        if sheet not in found:
            sheets[sheet.key] = SheetRows(sheet.key, sheet.names["en"])
            continue
        title = found[sheet]
        try:
            sheets[sheet.key] = _sheet_rows(sheet, title, grid_of(title))
        except BadFile as exc:
            problems.extend(exc.problems)
    if problems:
        raise BadFile(problems)
    return Book(customers=sheets["customers"], contacts=sheets["contacts"])


def _text(value):
    """Spreadsheet numbers typed as text fields (phones, codes) come back as text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


def _sheet_rows(sheet: Sheet, title: str, grid: list[list]) -> SheetRows:
    result = SheetRows(sheet.key, title)
    if not grid or not any(_filled(v) for v in grid[0]):
        raise BadFile([problem("missing_header", _(
            "Row 1 of the sheet must hold the template's headers."), sheet=title, row=1)])
    header = list(grid[0])
    while header and not _filled(header[-1]):
        header.pop()
    result.header = header
    lookup = header_lookup(sheet.columns)
    problems = []
    positions: list[tuple[int, str]] = []
    seen = set()
    for index, text in enumerate(header):
        column = lookup.get(fold_header(text))
        ref = cell_ref(1, index)
        if column is None:
            problems.append(problem("unknown_header", _(
                "The header “%(header)s” in %(cell)s is not a column of the template.")
                % {"header": text, "cell": ref}, sheet=title, row=1, column=ref))
        elif column.key in seen:
            problems.append(problem("duplicate_header", _(
                "The column “%(header)s” appears twice.") % {"header": text},
                sheet=title, row=1, column=ref))
        else:
            seen.add(column.key)
            if not column.read_only:
                positions.append((index, column.key))
    for column in sheet.columns:
        if not column.read_only and column.key not in seen:
            problems.append(problem("missing_header", _(
                "The column “%(header)s” is missing from row 1.")
                % {"header": column.header("en")}, sheet=title, row=1))
    if problems:
        raise BadFile(problems)

    width = len(header)
    data = grid[1:]
    last_filled = 0
    for offset in range(len(data) - 1, -1, -1):
        if _row_filled(data[offset]):
            last_filled = offset + 1
            break
    empty_rows = []
    keys = [key for _index, key in positions]
    indexes = [index for index, _key in positions]
    for number, cells in enumerate(data[:last_filled], start=2):
        if len(cells) < width:
            cells = [*cells, *[""] * (width - len(cells))]
        if not _row_filled(cells):
            empty_rows.append(number)
            continue
        if len(cells) > width and _row_filled(cells[width:]):
            index = width + next(i for i, v in enumerate(cells[width:]) if _filled(v))
            ref = cell_ref(number, index)
            problems.append(problem("cell_outside_columns", _(
                "Cell %(cell)s has a value but no header.") % {"cell": ref},
                sheet=title, row=number, column=ref))
        picked = [cells[i] for i in indexes]
        # Nearly every cell is text: only the others need a look.
        if set(map(type, picked)) != _STR_ONLY:
            for position, value in enumerate(picked):
                if isinstance(value, _DATE_TYPES):
                    ref = cell_ref(number, indexes[position])
                    problems.append(problem("date_cell", _(
                        "Cell %(cell)s is a date, but no column of the template takes dates "
                        "(Excel may have turned typed text into a date). Format the column "
                        "as Text, retype the value and upload again.") % {"cell": ref},
                        sheet=title, row=number, column=ref))
                    picked[position] = ""
                else:
                    picked[position] = _text(value)
        result.rows.append((number, dict(zip(keys, picked, strict=True))))
        result.raw[number] = cells  # cut to the header's width when written out
    if empty_rows:
        problems.append(problem("empty_row", _(
            "Row %(row)d is empty, between rows with data. Delete empty rows and upload "
            "again.") % {"row": empty_rows[0]}, sheet=title, row=empty_rows[0]))
    if problems:
        raise BadFile(problems[:100])
    return result


def _row_filled(cells) -> bool:
    if any(cells):
        return any(_filled(v) for v in cells)
    return any(v is not None and v != "" for v in cells)  # zeros and False are values


def _filled(value) -> bool:
    return value is not None and value != "" and not (isinstance(value, str) and not value.strip())
