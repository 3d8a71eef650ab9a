"""The import template (openpyxl): the two data sheets with localised fixed headers,
example rows, drop-downs filled with the tenant's own values, and an instructions sheet."""

import io

import phonenumbers
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from crm.models import Branch, Customer, CustomerGroup
from exchange.columns import (
    CONTACT_TEMPLATE_COLUMNS,
    CONTACTS,
    CUSTOMER_TEMPLATE_COLUMNS,
    CUSTOMERS,
    INSTRUCTIONS_TITLE,
    LISTS_TITLE,
    YES_NO,
)

_HEADER_FONT = Font(bold=True)
_REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")



def _cell(value):
    """Stored names may carry characters a worksheet cannot hold (XML control characters)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value

def _example_phone(region: str, offset: int) -> str:
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if number is None:
        return ""
    number.national_number += offset
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def template_build(*, lang: str, region: str) -> bytes:
    with translation.override(lang):
        return _build(lang, region)


def _build(lang: str, region: str) -> bytes:
    yes, no = YES_NO[lang]
    lists = {
        "group": list(CustomerGroup.objects.values_list("name", flat=True)),
        "owner": list(get_user_model().objects.filter(is_active=True)
                      .values_list("username", flat=True)),
        "role": [str(label) for _v, label in Customer.Role.choices],
        "settlement_method": [str(label) for _v, label in Customer.Settlement.choices],
        "home_branch": list(Branch.objects.filter(active=True).values_list("code", flat=True)),
        "status": [str(label) for _v, label in Customer.Status.choices],
        "yes_no": [yes, no],
    }
    workbook = Workbook()
    customers = workbook.active
    customers.title = CUSTOMERS.name(lang)
    contacts = workbook.create_sheet(CONTACTS.name(lang))
    instructions = workbook.create_sheet(INSTRUCTIONS_TITLE[lang])
    list_sheet = workbook.create_sheet(LISTS_TITLE)
    list_sheet.sheet_state = "hidden"

    ranges = {}
    for index, (key, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(index)
        list_sheet.cell(row=1, column=index, value=key)
        for row, value in enumerate(values, start=2):
            list_sheet.cell(row=row, column=index, value=_cell(value))
        if values:
            ranges[key] = f"'{LISTS_TITLE}'!${letter}$2:${letter}${len(values) + 1}"

    _header(customers, CUSTOMER_TEMPLATE_COLUMNS, lang)
    _header(contacts, CONTACT_TEMPLATE_COLUMNS, lang)
    role_label = dict(Customer.Role.choices)
    settlement_label = dict(Customer.Settlement.choices)
    branch = lists["home_branch"][0] if lists["home_branch"] else ""
    examples = [
        {"code": "EX-001", "name": _("Example Trading Company Ltd"),
         "phone": _example_phone(region, 0), "email": "ketoan@example.com",
         "address": _("1 Example Street"), "group": _("Wholesale"),
         "role": str(role_label["agent"]), "settlement_method": str(settlement_label["on_account"]),
         "prepaid_allowed": yes, "credit_limit": "50,000,000", "credit_limit_enforced": yes,
         "home_branch": branch, "shared": yes, "status": str(Customer.Status.ACTIVE.label),
         "tax_code": "0101234567", "note": _("Example row: replace or delete it."),
         "opening_receivable": "1,500,000"},
        {"code": "EX-002", "name": _("Example Branch Store"),
         "phone": _example_phone(region, 1), "role": str(role_label["retail"]),
         "settlement_method": str(settlement_label["cash"]), "prepaid_allowed": no,
         "credit_limit_enforced": no, "home_branch": branch, "shared": no,
         "parent_code": "EX-001", "referrer_phone": _example_phone(region, 0),
         "note": _("Example row: replace or delete it.")},
    ]
    for row, example in enumerate(examples, start=2):
        for col, column in enumerate(CUSTOMER_TEMPLATE_COLUMNS, start=1):
            customers.cell(row=row, column=col, value=_cell(example.get(column.key)))
    contact = {"customer_code": "EX-001", "name": _("Example Contact"),
               "phone": _example_phone(region, 2), "email": "lienhe@example.com",
               "position": _("Accountant"), "primary": yes}
    for col, column in enumerate(CONTACT_TEMPLATE_COLUMNS, start=1):
        contacts.cell(row=2, column=col, value=_cell(contact.get(column.key)))

    dropdowns = {"group": "group", "owner": "owner", "role": "role",
                 "settlement_method": "settlement_method", "home_branch": "home_branch",
                 "status": "status", "prepaid_allowed": "yes_no",
                 "credit_limit_enforced": "yes_no", "shared": "yes_no"}
    _validations(customers, CUSTOMER_TEMPLATE_COLUMNS, dropdowns, ranges)
    _validations(contacts, CONTACT_TEMPLATE_COLUMNS, {"primary": "yes_no"}, ranges)
    _instructions(instructions, lang)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _header(sheet, columns, lang) -> None:
    for col, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=col, value=column.header(lang))
        cell.font = _HEADER_FONT
        if column.required:
            cell.fill = _REQUIRED_FILL
        letter = get_column_letter(col)
        sheet.column_dimensions[letter].width = column.width
        # Text format keeps phones' leading zeros and stops Excel turning codes into dates.
        sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"


def _validations(sheet, columns, dropdowns, ranges) -> None:
    for col, column in enumerate(columns, start=1):
        source = dropdowns.get(column.key)
        if source is None or source not in ranges:
            continue
        # Groups may be new (they are created), owners and branches warn: not strict lists.
        strict = source not in {"group", "owner", "home_branch"}
        validation = DataValidation(type="list", formula1=f"={ranges[source]}",
                                    allow_blank=True, showErrorMessage=strict)
        letter = get_column_letter(col)
        validation.add(f"{letter}2:{letter}5000")
        sheet.add_data_validation(validation)


def _instructions(sheet, lang) -> None:
    lines = [
        _("How to import customers"),
        _("1. Fill in the sheet “%(customers)s”, one customer a row, and the sheet "
          "“%(contacts)s”, one contact a row (a contact names its customer by code).")
        % {"customers": CUSTOMERS.name(lang), "contacts": CONTACTS.name(lang)},
        _("2. Do not rename, add or remove sheets or headers. Headers may be in Vietnamese, "
          "Chinese or English."),
        _("3. Name and phone are required. Names must be unique; a phone may belong to one "
          "active customer only."),
        _("4. Leave the code empty to get one automatically. With an existing code (or "
          "phone, when matching by phone) the customer is updated, not created again."),
        _("5. Amounts may be written 5000000, 5.000.000 or 5,000,000."),
        _("6. Unknown groups are created. An unknown salesperson is left empty and an "
          "unknown branch becomes your branch, with a warning on the row."),
        _("7. The opening receivable is posted only for customers the import creates."),
        _("8. Type values, not formulas; do not merge cells or leave empty rows between "
          "rows. Delete the example rows."),
        _("9. Rows that fail come back in an error workbook with a reason column: fix them "
          "there and upload that file again."),
        _("The import creates no logins for customers."),
    ]
    sheet.column_dimensions["A"].width = 120
    for row, line in enumerate(lines, start=1):
        cell = sheet.cell(row=row, column=1, value=line)
        if row == 1:
            cell.font = Font(bold=True, size=14)
