"""Row validation of an import, all in memory: the CRM's own field rules
(`crm.validation`), then references and uniqueness checked in bulk against the file and
the tenant. The result is a plan the writer executes in one transaction."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext as _

from crm.models import Branch, Customer, CustomerGroup, StaffBranch
from crm.selectors import customer_can_edit, customer_visible
from crm.services.customers import customer_deactivate_blockers, customer_reactivate_blockers
from exchange.cleaning import contacts_clean, customers_clean
from exchange.columns import CONTACT_COLUMNS, CUSTOMER_COLUMNS, header_lookup
from exchange.reading import Book, cell_ref, problem
from saas_platform.money import AmountTooLarge, InvalidAmount, amount_parse

_HEADER_LOOKUP = {"customers": header_lookup(CUSTOMER_COLUMNS),
                  "contacts": header_lookup(CONTACT_COLUMNS)}


@dataclass
class CustomerRow:
    number: int
    clean: dict
    existing_id: int | None = None
    group: str | None = None  # group name as typed (created when unknown)
    group_id: int | None = None
    owner_id: int | None = None
    home_branch_id: int | None = None
    parent_code: str = ""
    referrer_phone: str = ""
    opening_receivable: Decimal | None = None
    owner_raw: object = None
    branch_raw: object = None


@dataclass
class ContactRow:
    number: int
    customer_code: str
    clean: dict


@dataclass
class Plan:
    customers: list = field(default_factory=list)  # CustomerRow, valid only
    contacts: list = field(default_factory=list)  # ContactRow, valid only
    new_groups: list = field(default_factory=list)  # names
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    failed_rows: dict = field(default_factory=lambda: {"customers": {}, "contacts": {}})
    customer_rows_total: int = 0
    contact_rows_total: int = 0
    # (sheet key, column key) -> (column letter, header as uploaded)
    columns: dict = field(default_factory=dict)

    def column(self, sheet_key: str, key: str) -> tuple[str | None, str | None]:
        return self.columns.get((sheet_key, key), (None, None))

    def fail(self, sheet_key: str, sheet: str, row: int, key: str | None, code: str,
             detail: str) -> None:
        letter, header = self.column(sheet_key, key)
        if header:
            detail = f"{header}: {detail}"
        self.errors.append(problem(code, detail, sheet=sheet, row=row, column=letter))
        self.failed_rows[sheet_key].setdefault(row, []).append(detail)

    def warn(self, sheet: str, row: int, key: str, code: str, detail: str) -> None:
        letter, header = self.column("customers", key)
        self.warnings.append(problem(code, f"{header}: {detail}", sheet=sheet, row=row,
                                     column=letter))


def _fold(text) -> str:
    return " ".join(str(text or "").casefold().split())


def customer_code_conflicts(codes) -> dict:
    """{code: (id, code)} of saved customers. Like crm.selectors' conflict look-ups, but
    with one array parameter: their `__in` with 100k values cost seconds each."""
    return _saved("code", codes)


def customer_name_conflicts(name_keys) -> dict:
    return _saved("name_key", name_keys)


def customer_phone_conflicts(phones) -> dict:
    """Active customers only: a phone belongs to one active customer (DESIGN §3)."""
    return _saved("phone", phones, "AND status = 'active'")


def _saved(column: str, values, condition: str = "") -> dict:
    wanted = list({v for v in values if v})
    if not wanted:
        return {}
    array, param = text_array(wanted)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column}, id, code FROM crm_customer "
                       f"WHERE {column} = ANY({array}) {condition}", [param])
        return {value: (pk, code) for value, pk, code in cursor.fetchall()}


_UNIT = "\x1f"  # the unit separator: never in a cleaned code, name, phone or e-mail


def text_array(values: list[str]) -> tuple[str, object]:
    """SQL for a text[] parameter and the parameter: the values joined by the unit
    separator and split by PostgreSQL (psycopg's list dumper costs about 8 us a value in
    Python: seconds at 100k), or the list itself when a value contains the separator."""
    if any(_UNIT in v for v in values):
        return "%s::text[]", list(values)
    return "string_to_array(%s, chr(31))", _UNIT.join(values)


class _References:
    """The tenant's groups, staff and branches, looked up once per import."""

    def __init__(self, user_id: int | None):
        self.groups = {}
        for pk, code, name in CustomerGroup.objects.values_list("id", "code", "name"):
            self.groups[_fold(name)] = pk
            self.groups.setdefault(_fold(code), pk)
        self.owners = {}
        for pk, username, email in get_user_model().objects.filter(is_active=True).values_list(
                "id", "username", "email"):
            self.owners[_fold(username)] = pk
            if email:
                self.owners.setdefault(_fold(email), pk)
        self.branches = {}
        for pk, code, name in Branch.objects.filter(active=True).values_list("id", "code", "name"):
            self.branches[_fold(code)] = pk
            self.branches.setdefault(_fold(name), pk)
        primary = StaffBranch.objects.filter(user_id=user_id, primary=True).values_list(
            "branch_id", flat=True).first()
        self.default_branch = primary or Branch.objects.order_by("id").values_list(
            "id", flat=True).first()
        self.user_id = user_id
        # The import's user, once: whose visibility and edit rights every look-up follows.
        self.user = (get_user_model().objects.filter(pk=user_id).first()
                     if user_id is not None else None)


def plan_build(book: Book, *, match: str, region: str, currency: str, user_id: int | None,
               progress=None) -> Plan:
    """Validate every row. `progress(n)` is told as rows are checked."""
    plan, pending = customers_plan(book, match=match, region=region, currency=currency,
                                   user_id=user_id, progress=progress)
    contacts_plan(plan, pending, progress=progress)
    return plan


@dataclass
class PendingContacts:
    """What the contacts' half of the validation needs from the customers' half."""

    book: Book
    rows: list  # every CustomerRow, failed ones too
    user: object
    region: str
    errors_before_cascade: int  # where the contacts' field errors go in plan.errors
    saved: dict  # {code: (id, code)}: saved customers the contacts name that user may edit
    codes: list  # each contact row's customer code, normalised


def customers_plan(book: Book, *, match: str, region: str, currency: str, user_id: int | None,
                   progress=None) -> tuple[Plan, PendingContacts]:
    """The customers sheet, validated completely: after this `plan.customers` and
    `plan.new_groups` are final (no contact can fail a customer), so the customers can be
    written while `contacts_plan` checks the contacts sheet."""
    plan = Plan(customer_rows_total=len(book.customers.rows),
                contact_rows_total=len(book.contacts.rows))
    for sheet in (book.customers, book.contacts):
        for index, text in enumerate(sheet.header):
            column = _HEADER_LOOKUP[sheet.key].get(_fold(text))
            if column is not None:
                plan.columns[(sheet.key, column.key)] = (cell_ref(1, index)[:-1], str(text))
    refs = _References(user_id)
    rows = _customers_clean(book, plan, region, currency)
    if progress:
        progress(len(book.customers.rows))
    _customers_match(rows, plan, match, book.customers.title)
    _customers_permitted(rows, plan, refs.user, book.customers.title)
    _customers_lifecycle(rows, plan, book.customers.title)
    _customers_references(rows, plan, refs, book.customers.title)
    mark = len(plan.errors)
    _customers_cascade(rows, plan, book.customers.title)
    plan.customers = [r for r in rows if r.number not in plan.failed_rows["customers"]]
    known_groups = set(refs.groups)
    new = {}
    for row in plan.customers:
        if row.group and row.group_id is None and _fold(row.group) not in known_groups:
            new.setdefault(_fold(row.group), row.group)
    plan.new_groups = list(new.values())
    # The one look-up the contacts need, made now: `contacts_plan` touches no database,
    # so it can run while another thread writes these customers on the connection (and
    # a code this import gives a customer cannot pass for a saved one).
    in_file = {r.clean["code"] for r in rows if r.clean.get("code")}
    named = [_contact_code(values) for _n, values in book.contacts.rows]
    saved = _only_visible(customer_code_conflicts(
        [code for code in named if code and code not in in_file]), refs.user, edit=True)
    return plan, PendingContacts(book, rows, refs.user, region, mark, saved, named)


def contacts_plan(plan: Plan, pending: PendingContacts, *, progress=None) -> None:
    """The contacts sheet, with no database access (see `customers_plan`)."""
    book = pending.book
    cascade_end = len(plan.errors)
    contacts = _contacts_clean(book, plan, pending.region, pending.codes)
    # The errors in the order of one pass over the whole file: both sheets' field errors,
    # then the rows failed by the customer rows they refer to.
    start = pending.errors_before_cascade
    plan.errors[start:] = plan.errors[cascade_end:] + plan.errors[start:cascade_end]
    if progress:
        progress(len(book.contacts.rows))
    _contacts_cascade(pending.rows, contacts, plan, book, pending.saved)
    plan.contacts = [c for c in contacts if c.number not in plan.failed_rows["contacts"]]


def _contact_code(values: dict) -> str:
    return str(values.get("customer_code") or "").strip().upper().replace(" ", "")


def _customers_clean(book, plan, region, currency) -> list[CustomerRow]:
    sheet = book.customers.title
    rows = []
    cleaned = customers_clean([values for _n, values in book.customers.rows], region=region,
                              currency=currency)
    for (number, values), (clean, problems) in zip(book.customers.rows, cleaned, strict=True):
        for p in problems:
            plan.fail("customers", sheet, number, p.field, p.code, p.message)
        row = CustomerRow(number, clean)
        row.group = " ".join(str(values.get("group") or "").split()) or None
        row.parent_code = str(values.get("parent_code") or "").strip().upper().replace(" ", "")
        row.referrer_phone = clean.pop("referrer_phone", "") or ""
        raw_opening = values.get("opening_receivable")
        if raw_opening not in (None, ""):
            try:
                row.opening_receivable = amount_parse(raw_opening, currency)
                if row.opening_receivable < 0:
                    raise InvalidAmount(raw_opening)
            except AmountTooLarge:
                plan.fail("customers", sheet, number, "opening_receivable", "invalid_amount",
                          _("The amount is too large."))
            except InvalidAmount:
                plan.fail("customers", sheet, number, "opening_receivable", "invalid_amount",
                          _("“%(value)s” is not a positive amount in %(currency)s.")
                          % {"value": raw_opening, "currency": currency})
        row.owner_raw = values.get("owner")
        row.branch_raw = values.get("home_branch")
        rows.append(row)
    return rows


def _customers_match(rows, plan, match, sheet) -> None:
    """Find each row's existing customer; check codes, names and phones are unique in the
    file and against the tenant."""
    codes = [r.clean["code"] for r in rows if r.clean.get("code")]
    phones = [r.clean["phone"] for r in rows if r.clean.get("phone")]
    names = [r.clean["name_key"] for r in rows if r.clean.get("name_key")]
    by_code = customer_code_conflicts(codes)
    by_phone = customer_phone_conflicts(phones)
    by_name = customer_name_conflicts(names)

    first_code, first_name, first_phone = {}, {}, {}
    for row in rows:
        code, phone, key = row.clean.get("code"), row.clean.get("phone"), row.clean.get("name_key")
        if code:
            if code in first_code:
                plan.fail("customers", sheet, row.number, "code", "duplicate_in_file",
                          _("The code %(code)s is also on row %(row)d.")
                          % {"code": code, "row": first_code[code]})
            first_code.setdefault(code, row.number)
        if key:
            if key in first_name:
                plan.fail("customers", sheet, row.number, "name", "duplicate_in_file",
                          _("The same name is also on row %(row)d; customer names must be "
                            "unique.") % {"row": first_name[key]})
            first_name.setdefault(key, row.number)
        if phone and row.clean.get("status", "active") == "active":
            if phone in first_phone:
                plan.fail("customers", sheet, row.number, "phone", "duplicate_in_file",
                          _("The phone %(phone)s is also on row %(row)d.")
                          % {"phone": phone, "row": first_phone[phone]})
            first_phone.setdefault(phone, row.number)

        existing = None
        if match == "phone":
            existing = by_phone.get(phone) if phone else None
            if code and code in by_code and (existing is None or by_code[code][0] != existing[0]):
                plan.fail("customers", sheet, row.number, "code", "code_taken",
                          _("The code %(code)s belongs to another customer.") % {"code": code})
        elif code:
            existing = by_code.get(code)
        row.existing_id = existing[0] if existing else None
        if row.existing_id and not code:
            row.clean["code"] = existing[1]
        if key and key in by_name and by_name[key][0] != row.existing_id:
            plan.fail("customers", sheet, row.number, "name", "name_taken",
                      _("Customer %(code)s already has this name.") % {"code": by_name[key][1]})
        if (phone and row.clean.get("status", "active") == "active" and phone in by_phone
                and by_phone[phone][0] != row.existing_id):
            plan.fail("customers", sheet, row.number, "phone", "phone_taken",
                      _("The phone %(phone)s belongs to customer %(code)s.")
                      % {"phone": phone, "code": by_phone[phone][1]})


def _visible_ids(ids, user, *, edit: bool = False) -> set[int]:
    """Which of these saved customers the import's user may see (and edit, with `edit`)."""
    if not ids or user is None:
        return set()
    visible = customer_visible(user).filter(id__in=set(ids)).only("id", "owner")
    return {c.id for c in visible if not edit or customer_can_edit(user, c)}


def _only_visible(found: dict, user, *, edit: bool = False) -> dict:
    """The saved customers of `found` ({key: (id, code)}) that the import's user may see
    (and edit, with `edit`); the rest are answered as if they did not exist."""
    allowed = _visible_ids([ref[0] for ref in found.values()], user, edit=edit)
    return {key: ref for key, ref in found.items() if ref[0] in allowed}


def _customers_permitted(rows, plan, user, sheet) -> None:
    """An import changes only customers its user may see and edit, as the API would."""
    existing = {row.existing_id for row in rows if row.existing_id}
    if not existing:
        return
    allowed = _visible_ids(existing, user, edit=True)  # no user: no rights, none allowed
    for row in rows:
        if row.existing_id and row.existing_id not in allowed:
            plan.fail("customers", sheet, row.number, "code", "edit_forbidden",
                      _("You may not change customer %(code)s (another branch's or another "
                        "salesperson's).") % {"code": row.clean.get("code", "")})


def _customers_lifecycle(rows, plan, sheet) -> None:
    """The API's status rules, row by row: deactivate only what may be deactivated (no
    receivable, ...), never reactivate a merged customer."""
    changing = {row.existing_id: row for row in rows
                if row.existing_id and row.clean.get("status")}
    if not changing:
        return
    for customer in Customer.objects.filter(id__in=changing).select_related("merged_into"):
        row = changing[customer.id]
        wanted = row.clean["status"]
        if wanted == customer.status:
            continue
        if wanted == Customer.Status.INACTIVE:
            reasons = customer_deactivate_blockers(customer)
        else:
            reasons = customer_reactivate_blockers(customer)
        if reasons:
            plan.fail("customers", sheet, row.number, "status", "status_change_refused",
                      " ".join(reasons))


def _parent_cycles(rows, plan, sheet) -> None:
    """No parent company chain may loop, counting the saved links and the file's together."""
    parent_of = dict(Customer.objects.filter(parent__isnull=False)
                     .values_list("code", "parent__code"))
    for row in rows:
        if row.clean.get("code") and row.parent_code:
            parent_of[row.clean["code"]] = row.parent_code
    for row in rows:
        code = row.clean.get("code")
        if not code or not row.parent_code or row.parent_code == code:
            continue
        seen, node = {code}, row.parent_code
        while node is not None and node not in seen:
            seen.add(node)
            node = parent_of.get(node)
        if node == code:
            plan.fail("customers", sheet, row.number, "parent_code", "parent_cycle",
                      _("Parent links would form a cycle."))


def _customers_references(rows, plan, refs, sheet) -> None:
    for row in rows:
        if row.group:
            row.group_id = refs.groups.get(_fold(row.group))
        owner = _fold(row.owner_raw)
        if owner:
            row.owner_id = refs.owners.get(owner)
            if row.owner_id is None:
                plan.warn(sheet, row.number, "owner", "unknown_owner", _(
                    "No staff member “%(value)s”; the owner is left empty.")
                    % {"value": row.owner_raw})
        elif row.existing_id is None:
            row.owner_id = refs.user_id
        branch = _fold(row.branch_raw)
        if branch:
            row.home_branch_id = refs.branches.get(branch)
            if row.home_branch_id is None:
                plan.warn(sheet, row.number, "home_branch", "unknown_branch", _(
                    "No branch “%(value)s”; your own branch is used.")
                    % {"value": row.branch_raw})
                row.home_branch_id = None if row.existing_id else refs.default_branch
        elif row.existing_id is None:
            row.home_branch_id = refs.default_branch
    for row in rows:
        if row.opening_receivable and row.existing_id:
            plan.warn(sheet, row.number, "opening_receivable", "opening_ignored", _(
                "The customer exists already: an opening receivable is only posted for "
                "customers the import creates."))
        elif row.opening_receivable and row.clean.get("status", "active") != "active":
            plan.fail("customers", sheet, row.number, "opening_receivable", "inactive",
                      _("An inactive customer cannot get an opening receivable."))
    _parent_cycles(rows, plan, sheet)
    # Parents by code and referrers by phone: in the tenant or in this file.
    in_file_codes = {r.clean["code"]: r for r in rows if r.clean.get("code")}
    in_file_phones = {r.clean["phone"]: r for r in rows if r.clean.get("phone")}
    parents = _only_visible(customer_code_conflicts(
        [r.parent_code for r in rows if r.parent_code and r.parent_code not in in_file_codes]),
        refs.user)
    referrers = _only_visible(customer_phone_conflicts(
        [r.referrer_phone for r in rows
         if r.referrer_phone and r.referrer_phone not in in_file_phones]), refs.user)
    for row in rows:
        if row.parent_code:
            if row.parent_code == row.clean.get("code"):
                plan.fail("customers", sheet, row.number, "parent_code", "own_parent",
                          _("A customer cannot be its own parent company."))
            elif row.parent_code not in in_file_codes and row.parent_code not in parents:
                plan.fail("customers", sheet, row.number, "parent_code", "unknown_parent",
                          _("No customer with code %(code)s, in the file or already saved.")
                          % {"code": row.parent_code})
        if row.referrer_phone:
            if row.referrer_phone == row.clean.get("phone"):
                plan.fail("customers", sheet, row.number, "referrer_phone", "own_referrer",
                          _("A customer cannot refer themselves."))
            elif (row.referrer_phone not in in_file_phones
                  and row.referrer_phone not in referrers):
                plan.fail("customers", sheet, row.number, "referrer_phone", "unknown_referrer",
                          _("No customer with phone %(phone)s, in the file or already saved.")
                          % {"phone": row.referrer_phone})


def _contacts_clean(book, plan, region, codes) -> list[ContactRow]:
    sheet = book.contacts.title
    rows = []
    cleaned = contacts_clean([values for _n, values in book.contacts.rows], region=region)
    for (number, _values), (clean, problems), code in zip(book.contacts.rows, cleaned, codes,
                                                           strict=True):
        for p in problems:
            plan.fail("contacts", sheet, number, p.field, p.code, p.message)
        if not code:
            plan.fail("contacts", sheet, number, "customer_code", "required",
                      _("This field is required."))
        rows.append(ContactRow(number, code, clean))
    return rows


def _customers_cascade(rows, plan, customers_sheet) -> None:
    """In `valid_rows` a row referring to a failed row fails too (so every written
    reference resolves)."""
    in_file = {r.clean["code"]: r for r in rows if r.clean.get("code")}
    by_phone = {r.clean["phone"]: r for r in rows if r.clean.get("phone")}
    failed = plan.failed_rows["customers"]
    changed = True
    while changed:
        changed = False
        for row in rows:
            if row.number in failed:
                continue
            for key, target in (("parent_code", in_file.get(row.parent_code)),
                                ("referrer_phone", by_phone.get(row.referrer_phone))):
                if target is not None and target is not row and target.number in failed:
                    plan.fail("customers", customers_sheet, row.number, key, "row_failed",
                              _("It refers to row %(row)d, which has errors.")
                              % {"row": target.number})
                    changed = True
                    break


def _contacts_cascade(rows, contacts, plan, book, saved) -> None:
    """Contacts need their customer: in the file (and valid), or saved and editable by
    the import's user; one they may not see reads as unknown (the import must not confirm
    that a code exists)."""
    contacts_sheet = book.contacts.title
    in_file = {r.clean["code"]: r for r in rows if r.clean.get("code")}
    failed = plan.failed_rows["customers"]
    primaries = {}
    for contact in contacts:
        if not contact.customer_code or contact.number in plan.failed_rows["contacts"]:
            continue
        target = in_file.get(contact.customer_code)
        if target is None and contact.customer_code not in saved:
            plan.fail("contacts", contacts_sheet, contact.number, "customer_code",
                      "unknown_customer",
                      _("No customer with code %(code)s, in the file or already saved.")
                      % {"code": contact.customer_code})
        elif target is not None and target.number in failed:
            plan.fail("contacts", contacts_sheet, contact.number, "customer_code", "row_failed",
                      _("Its customer (row %(row)d) has errors.") % {"row": target.number})
        elif contact.clean.get("primary"):
            if contact.customer_code in primaries:
                plan.fail("contacts", contacts_sheet, contact.number, "primary",
                          "duplicate_primary",
                          _("Row %(row)d is already the primary contact of this customer.")
                          % {"row": primaries[contact.customer_code]})
            primaries.setdefault(contact.customer_code, contact.number)

