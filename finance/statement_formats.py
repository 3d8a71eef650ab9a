"""A statement as A4 PDF (reportlab's canvas: the fastest engine measured here, NOTES) and
as xlsx (XlsxWriter: numbers with number formats, dates as dates), in the active language.

Every text is NFC-normalised before it is drawn or written: decomposed Vietnamese would
show empty boxes in the PDF and would not extract as typed.
"""

from __future__ import annotations

import datetime
import io
import unicodedata
from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from reportlab.lib.rl_accel import escapePDF, fp_str

from finance.models import LedgerEntry
from finance.statements import Statement, StatementSection
from saas_platform.money import decimals

A4 = (595.2756, 841.8898)
MARGIN = 36
ROW = 12.5
BODY, SMALL = 8, 7
LOGO_BOX = 48  # points
# Date, document, kind, description, debit, credit, balance (points; sum = page - margins).
COLUMNS = (50, 60, 66, 154, 64, 64, 65)


def nfc(text) -> str:
    return unicodedata.normalize("NFC", str(text or ""))


def _language() -> str:
    return (get_language() or "en").lower()


def amount_text(amount: Decimal, currency: str) -> str:
    """1.500.000 in Vietnamese, 1,500,000 otherwise; the currency's decimals."""
    places = decimals(currency)
    text = f"{amount:,.{places}f}"
    if _language().startswith("vi"):
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def _amount_formatter(currency: str):
    """`amount_text` for many amounts of one currency in the active language."""
    places, vietnamese = decimals(currency), _language().startswith("vi")
    swap = str.maketrans(",.", ".,")

    def amount(value: Decimal) -> str:
        text = f"{value:,.{places}f}"
        return text.translate(swap) if vietnamese else text

    return amount


def date_text(day: datetime.date) -> str:
    if _language().startswith("zh"):
        return day.strftime("%Y/%m/%d")
    return day.strftime("%d/%m/%Y")


def kind_label(kind: str) -> str:
    return str(LedgerEntry.Kind(kind).label) if kind in LedgerEntry.Kind.values else kind


def bucket_labels() -> dict[str, str]:
    return {"not_due": _("Not yet due"), "0_30": _("0–30 days"), "31_60": _("31–60 days"),
            "61_90": _("61–90 days"), "90_plus": _("Over 90 days")}


def confirmation_text(statement: Statement) -> str:
    return nfc(_("As of %(date)s, %(customer)s owes %(tenant)s %(amount)s %(currency)s.") % {
        "date": date_text(statement.period_to), "customer": statement.customer.name,
        "tenant": statement.tenant.name or statement.tenant.code,
        "amount": amount_text(statement.closing, statement.currency),
        "currency": statement.currency})


# --- PDF ---------------------------------------------------------------------------------

class _Page:
    """Draws rows top-down on the canvas, starting a new page (with the column header)
    when the next row does not fit. All of a page's text is one text object written as
    PDF operators (reportlab's documented way for its subset fonts: `splitString` and
    `getSubsetInternalName`), a font switch only when it changes; each distinct text of a
    statement is measured, cut to its column and encoded once, since a month of ~1,600
    lines repeats its dates, kinds and many amounts: page drawing is most of a
    statement's cost (NOTES)."""

    def __init__(self, canvas, fonts, statement: Statement):
        from reportlab.pdfbase.pdfmetrics import getFont

        self.c, self.fonts, self.statement = canvas, fonts, statement
        self.number = 0
        self.y = 0.0
        self.width = A4[0] - 2 * MARGIN
        self.widths = {name: _widths_of(name) for name in fonts.values()}
        self.faces = {name: getFont(name) for name in fonts.values()}
        self.measure = {name: face.stringWidth for name, face in self.faces.items()}
        self.code: list[str] | None = None  # the page's text operators
        self.font = None  # (font, subset, size) last selected
        self.prepared: dict[tuple, tuple[float, list]] = {}
        self.subset_names: dict[tuple[str, int], str] = {}
        self.numbers: dict[float, str] = {}

    def string_width(self, text: str, font: str, size: float) -> float:
        return self.measure[font](text, size)

    def _prepare(self, text, font, size, width, right, centre) -> tuple[float, list]:
        """(shift left of x, [((font, subset), "(codes) Tj"), ...]) for one text."""
        text = nfc(text)
        if width is not None:
            text = self.fit(text, font, size, width)
        shift = 0.0
        if right or centre:
            shift = self.string_width(text, font, size)
            shift = shift if right else shift / 2
        pieces = [((font, subset), f"({escapePDF(codes)}) Tj")
                  for subset, codes in self.faces[font].splitString(text, self.c._doc)]
        return shift, pieces

    def text(self, x, y, text, *, size=BODY, bold=False, right=False, width=None,
             centre=False):
        font = self.fonts["bold" if bold else "regular"]
        key = (text, font, size, width, right, centre)
        found = self.prepared.get(key)
        if found is None:
            found = self.prepared[key] = self._prepare(text, font, size, width, right, centre)
        shift, pieces = found
        code = self.code
        if code is None:
            code = self.code = []
            self.font = None
        numbers = self.numbers  # the same few columns and rows again and again
        x -= shift
        x_text = numbers.get(x)
        if x_text is None:
            x_text = numbers[x] = fp_str(x)
        y_text = numbers.get(y)
        if y_text is None:
            y_text = numbers[y] = fp_str(y)
        code.append(f"1 0 0 1 {x_text} {y_text} Tm")
        for subset, piece in pieces:
            if self.font != (subset, size):
                name = self.subset_names.get(subset)
                if name is None:
                    name = self.subset_names[subset] = self.faces[subset[0]] \
                        .getSubsetInternalName(subset[1], self.c._doc)
                code.append(f"{name} {fp_str(size)} Tf")
                self.font = (subset, size)
            code.append(piece)

    def grey(self, on: bool) -> None:
        if self.code is None:
            self.code = []
            self.font = None
        self.code.append("0.45 g" if on else "0 g")

    def flush(self) -> None:
        """Put the page's text on the canvas (before the page is shown)."""
        if self.code is not None:
            self.c.addLiteral("BT\n" + "\n".join(self.code) + "\nET")
            self.code = None

    def fit(self, text, font, size, width) -> str:
        if self.string_width(text, font, size) <= width:
            return text
        widths, default = self.widths[font]
        room = width * 1000 / size - widths.get(ord("…"), default)
        used, cut = 0.0, 0
        for cut, ch in enumerate(text):  # noqa: B007 -- `cut` is the first that overflows
            used += widths.get(ord(ch), default)
            if used > room:
                break
        return text[:cut] + "…"

    def footer(self):
        s = self.statement
        self.text(MARGIN, MARGIN - 14, f"{s.customer.code} · {date_text(s.period_from)} – "
                  f"{date_text(s.period_to)}", size=SMALL)
        self.text(A4[0] - MARGIN, MARGIN - 14, _("Page %(page)s") % {"page": self.number},
                  size=SMALL, right=True)

    def new_page(self, *, header=True):
        if self.number:
            self.footer()
            self.flush()
            self.c.showPage()
        self.number += 1
        self.y = A4[1] - MARGIN
        if header and self.number > 1:
            self.columns_header()

    def need(self, height, *, header=True):
        if self.y - height < MARGIN + 6:
            self.new_page(header=header)

    def columns_header(self):
        labels = (_("Date"), _("Document"), _("Kind"), _("Description"), _("Debit"),
                  _("Credit"), _("Balance"))
        self.y -= ROW
        x = MARGIN
        for i, (label, width) in enumerate(zip(labels, COLUMNS, strict=True)):
            if i >= 4:
                self.text(x + width - 2, self.y, label, bold=True, right=True)
            else:
                self.text(x + 2, self.y, label, bold=True)
            x += width
        self.c.line(MARGIN, self.y - 3, MARGIN + self.width, self.y - 3)
        self.y -= 4

    def row(self, cells, *, bold=False, grey=False):
        """cells: date, code, kind, description, debit, credit, balance (texts)."""
        self.need(ROW)
        self.y -= ROW
        if grey:
            self.grey(True)
        x = MARGIN
        for i, (cell, width) in enumerate(zip(cells, COLUMNS, strict=True)):
            if cell:
                if i >= 4:
                    self.text(x + width - 2, self.y, cell, bold=bold, right=True)
                else:
                    self.text(x + 2, self.y, cell, bold=bold, width=width - 4)
            x += width
        if grey:
            self.grey(False)


_widths: dict[str, tuple[dict[int, float], float]] = {}  # font name -> its width table


def _widths_of(font_name: str) -> tuple[dict[int, float], float]:
    """The font's advance widths (1/1000 em) by code point, and its default width."""
    found = _widths.get(font_name)
    if found is None:
        from reportlab.pdfbase.pdfmetrics import getFont

        face = getFont(font_name).face
        found = _widths[font_name] = (face.charWidths, face.defaultWidth)
    return found


_logos: dict[str, object] = {}  # path -> ImageReader: decoded once per process and file


def _logo_draw(page: _Page, path, top: float) -> float:
    """The letterhead logo in a LOGO_BOX square at the top left; the width it takes."""
    from reportlab.lib.utils import ImageReader

    key = str(path)
    reader = _logos.get(key)
    if reader is None:
        try:
            reader = _logos[key] = ImageReader(key)
        except OSError:  # removed meanwhile: the statement goes out without it
            return 0
    width, height = reader.getSize()
    scale = min(LOGO_BOX / width, LOGO_BOX / height)
    page.c.drawImage(reader, MARGIN, top - height * scale, width * scale, height * scale,
                     mask="auto")
    return width * scale + 8


def _pdf_header(page: _Page, statement: Statement):
    c, s = page.c, statement
    page.new_page(header=False)
    top = page.y
    left = MARGIN + (_logo_draw(page, s.tenant.logo, top) if s.tenant.logo else 0)
    page.text(left, top - 12, s.tenant.name or s.tenant.code, size=13, bold=True)
    y = top - 26
    for line in (s.tenant.address,
                 s.tenant.tax_code and f"{_('Tax code')}: {s.tenant.tax_code}"):
        if line:
            page.text(left, y, line, size=BODY, width=300 - (left - MARGIN))
            y -= 11
    if s.tenant.logo:
        y = min(y, top - LOGO_BOX - 4)
    right = A4[0] - MARGIN
    page.text(right, top - 12, _("Statement of account"), size=14, bold=True, right=True)
    page.text(right, top - 26, _("Period: %(start)s – %(end)s") % {
        "start": date_text(s.period_from), "end": date_text(s.period_to)}, right=True)
    page.text(right, top - 37, _("Amounts in %(currency)s") % {"currency": s.currency},
              right=True, size=SMALL)
    y = min(y, top - 44) - 8
    c.line(MARGIN, y, right, y)
    y -= 14
    page.text(MARGIN, y, _("Customer"), bold=True)
    page.text(MARGIN + 60, y, f"{s.customer.code} — {s.customer.name}", bold=True, width=400)
    y -= 11
    for label, value in ((_("Address"), s.customer.address), (_("Phone"), s.customer.phone),
                         (_("Tax code"), s.customer.tax_code)):
        if value:
            page.text(MARGIN, y, label)
            page.text(MARGIN + 60, y, value, width=430)
            y -= 11
    page.y = y - 4
    page.columns_header()


def _pdf_section(page: _Page, statement: Statement, section: StatementSection):
    cur = statement.currency
    if statement.consolidated:
        page.need(ROW * 3)
        page.y -= 4
        page.row(["", section.customer.code, "", section.customer.name, "", "", ""], bold=True)
    page.row([date_text(statement.period_from), "", "", _("Opening balance"), "", "",
              amount_text(section.opening, cur)], bold=True)
    # Looked up once a statement, not once a line: the language, labels, dates, amounts.
    amount = _amount_formatter(cur)
    kinds: dict[str, str] = {}
    days: dict[datetime.date, str] = {}
    cancelled = f"[{_('Cancelled')}] "
    for line in section.lines:
        description = line.description
        if line.cancelled:
            description = cancelled + description
        kind = kinds.get(line.kind)
        if kind is None:
            kind = kinds[line.kind] = kind_label(line.kind)
        day = days.get(line.date)
        if day is None:
            day = days[line.date] = date_text(line.date)
        page.row([day, line.code, kind, description,
                  amount(line.debit) if line.debit else "",
                  amount(line.credit) if line.credit else "",
                  amount(line.balance)], grey=line.cancelled)
    label = (_("Subtotal %(code)s") % {"code": section.customer.code}
             if statement.consolidated else _("Closing balance"))
    page.row([date_text(statement.period_to), "", "", label,
              amount_text(section.debits, cur), amount_text(section.credits, cur),
              amount_text(section.closing, cur)], bold=True)


def _pdf_footer_blocks(page: _Page, statement: Statement):
    cur = statement.currency
    if statement.consolidated:
        page.y -= 4
        page.row(["", "", "", _("Group total: opening %(amount)s") % {
            "amount": amount_text(statement.opening, cur)},
            amount_text(statement.debits, cur), amount_text(statement.credits, cur),
            amount_text(statement.closing, cur)], bold=True)
    page.need(150, header=False)
    page.y -= 22
    page.text(MARGIN, page.y, _("Aging of the closing balance at %(date)s") % {
        "date": date_text(statement.period_to)}, bold=True)
    page.y -= 13
    labels, aging = bucket_labels(), statement.aging
    width = page.width / (len(labels) + 1)
    for i, (bucket, label) in enumerate([*labels.items(), ("total", _("Total"))]):
        x = MARGIN + i * width
        value = statement.closing if bucket == "total" else aging[bucket]
        page.text(x + width - 4, page.y, label, right=True, size=SMALL)
        page.text(x + width - 4, page.y - 11, amount_text(value, cur), right=True,
                  bold=bucket == "total")
    page.y -= 34
    page.text(MARGIN, page.y, confirmation_text(statement), width=page.width)
    page.y -= 11
    page.text(MARGIN, page.y, _("Please check this statement and confirm it by signing; "
                                "report any difference to us within 7 days."),
              size=SMALL, width=page.width)
    page.y -= 24
    half = page.width / 2
    for i, (title, name) in enumerate((
            (_("Confirmed by the customer"), statement.customer.name),
            (_("Prepared by"), statement.tenant.name or statement.tenant.code))):
        x = MARGIN + i * half + half / 2
        page.text(x, page.y, title, bold=True, centre=True)
        page.text(x, page.y - 10, _("(signature, full name, stamp)"), size=SMALL, centre=True)
        page.text(x, page.y - 62, name, size=SMALL, centre=True, width=half - 20)
    page.footer()
    page.flush()


def statement_pdf(statement: Statement) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    from finance.fonts import fonts_register

    fonts = fonts_register()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, invariant=1)
    canvas.setTitle(nfc(f"{_('Statement of account')} {statement.customer.code} "
                        f"{statement.period_from.isoformat()}–{statement.period_to.isoformat()}"))
    canvas.setAuthor(nfc(statement.tenant.name))
    canvas.setLineWidth(0.5)
    page = _Page(canvas, fonts, statement)
    _pdf_header(page, statement)
    for section in statement.sections:
        _pdf_section(page, statement, section)
    _pdf_footer_blocks(page, statement)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --- xlsx --------------------------------------------------------------------------------

def statement_xlsx(statement: Statement) -> bytes:
    """The PDF's layout in one sheet: amounts are numbers with the currency's format,
    dates are dates."""
    import xlsxwriter

    cur = statement.currency
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    number = "#,##0" if decimals(cur) == 0 else "#,##0.00"
    date_format = "yyyy/mm/dd" if _language().startswith("zh") else "dd/mm/yyyy"
    f_money = book.add_format({"num_format": number})
    f_money_bold = book.add_format({"num_format": number, "bold": True})
    f_date = book.add_format({"num_format": date_format})
    f_bold = book.add_format({"bold": True})
    f_title = book.add_format({"bold": True, "font_size": 14})
    f_grey = book.add_format({"font_color": "#707070"})
    f_grey_money = book.add_format({"num_format": number, "font_color": "#707070"})
    f_grey_date = book.add_format({"num_format": date_format, "font_color": "#707070"})
    sheet = book.add_worksheet(nfc(_("Statement"))[:31])
    for col, width in enumerate((12, 12, 16, 44, 15, 15, 16)):
        sheet.set_column(col, col, width)
    s = statement
    sheet.write_string(0, 0, nfc(s.tenant.name or s.tenant.code), f_title)
    sheet.write_string(1, 0, nfc(s.tenant.address))
    if s.tenant.tax_code:
        sheet.write_string(2, 0, nfc(f"{_('Tax code')}: {s.tenant.tax_code}"))
    sheet.write_string(0, 4, nfc(_("Statement of account")), f_title)
    sheet.write_string(1, 4, nfc(_("From")))
    sheet.write_datetime(1, 5, datetime.datetime.combine(s.period_from, datetime.time()),
                         f_date)
    sheet.write_string(2, 4, nfc(_("To")))
    sheet.write_datetime(2, 5, datetime.datetime.combine(s.period_to, datetime.time()), f_date)
    sheet.write_string(3, 4, nfc(_("Amounts in %(currency)s") % {"currency": cur}))
    row = 5
    sheet.write_string(row, 0, nfc(_("Customer")), f_bold)
    sheet.write_string(row, 1, nfc(f"{s.customer.code} — {s.customer.name}"), f_bold)
    for label, value in ((_("Address"), s.customer.address), (_("Phone"), s.customer.phone),
                         (_("Tax code"), s.customer.tax_code)):
        if value:
            row += 1
            sheet.write_string(row, 0, nfc(label))
            sheet.write_string(row, 1, nfc(value))
    row += 2
    headers = (_("Date"), _("Document"), _("Kind"), _("Description"), _("Debit"),
               _("Credit"), _("Balance"))
    for col, header in enumerate(headers):
        sheet.write_string(row, col, nfc(header), f_bold)
    sheet.freeze_panes(row + 1, 0)

    def day(value: datetime.date):
        return datetime.datetime.combine(value, datetime.time())

    for section in s.sections:
        if s.consolidated:
            row += 1
            sheet.write_string(row, 1, nfc(section.customer.code), f_bold)
            sheet.write_string(row, 3, nfc(section.customer.name), f_bold)
        row += 1
        sheet.write_datetime(row, 0, day(s.period_from), f_date)
        sheet.write_string(row, 3, nfc(_("Opening balance")), f_bold)
        sheet.write_number(row, 6, section.opening, f_money_bold)
        for line in section.lines:
            row += 1
            grey = line.cancelled
            description = line.description
            if grey:
                description = f"[{_('Cancelled')}] {description}"
            sheet.write_datetime(row, 0, day(line.date), f_grey_date if grey else f_date)
            sheet.write_string(row, 1, nfc(line.code), f_grey if grey else None)
            sheet.write_string(row, 2, nfc(kind_label(line.kind)), f_grey if grey else None)
            sheet.write_string(row, 3, nfc(description), f_grey if grey else None)
            money_format = f_grey_money if grey else f_money
            if line.debit:
                sheet.write_number(row, 4, line.debit, money_format)
            if line.credit:
                sheet.write_number(row, 5, line.credit, money_format)
            sheet.write_number(row, 6, line.balance, money_format)
        row += 1
        label = (_("Subtotal %(code)s") % {"code": section.customer.code}
                 if s.consolidated else _("Closing balance"))
        sheet.write_datetime(row, 0, day(s.period_to), f_date)
        sheet.write_string(row, 3, nfc(label), f_bold)
        sheet.write_number(row, 4, section.debits, f_money_bold)
        sheet.write_number(row, 5, section.credits, f_money_bold)
        sheet.write_number(row, 6, section.closing, f_money_bold)
    if s.consolidated:
        row += 2
        sheet.write_string(row, 3, nfc(_("Group total")), f_bold)
        sheet.write_number(row, 4, s.debits, f_money_bold)
        sheet.write_number(row, 5, s.credits, f_money_bold)
        sheet.write_number(row, 6, s.closing, f_money_bold)
    row += 2
    sheet.write_string(row, 0, nfc(_("Aging of the closing balance at %(date)s") % {
        "date": date_text(s.period_to)}), f_bold)
    row += 1
    for col, (bucket, label) in enumerate(bucket_labels().items()):
        sheet.write_string(row, 1 + col, nfc(label), f_bold)
        sheet.write_number(row + 1, 1 + col, s.aging[bucket], f_money)
    sheet.write_string(row, 6, nfc(_("Total")), f_bold)
    sheet.write_number(row + 1, 6, s.closing, f_money_bold)
    row += 3
    sheet.write_string(row, 0, confirmation_text(s))
    row += 2
    sheet.write_string(row, 1, nfc(_("Confirmed by the customer")), f_bold)
    sheet.write_string(row, 4, nfc(_("Prepared by")), f_bold)
    book.close()
    return buffer.getvalue()
