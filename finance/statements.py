"""Statements (對賬單, bảng đối chiếu công nợ): one customer's receivable over a period, the
same data for the PDF, the xlsx, the JSON and the web app (DESIGN §8).

A period is the tenant's local dates `period_from`..`period_to`, both inclusive. Reading
one never walks the customer's history: the period's entries come from the
(customer, book, created_at, id) index and the balances from each entry's stored
`balance_after` (per customer, time order is posting order: finance/ledger.py posts under
the customer's row lock with the database clock). So opening = the first entry's balance
before it, closing = the last entry's balance after it, and opening + debits - credits =
closing holds by construction of the ledger.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Customer
from crm.selectors import customer_visible
from finance.exceptions import GroupNotVisible, InvalidFinanceInput
from finance.ledger import Book
from finance.models import LedgerEntry, Order, Voucher
from finance.selectors import BUCKETS, aging_bucket, payment_method_choices
from tenants.current import tenant_current
from tenants.letterhead import logo_file

Kind = LedgerEntry.Kind
MAX_PERIOD_DAYS = 366
_AGING_CHUNK = 500
OLDEST_BUCKET_DAYS = 90  # past due beyond this: "over 90 days", however old


@dataclass(slots=True)  # not frozen: that makes each of a month's ~1,600 lines 2 x dearer
class StatementLine:
    entry_id: int
    at: datetime.datetime  # in the tenant's time zone
    code: str  # the document: order or voucher code
    kind: str  # LedgerEntry.Kind
    description: str
    debit: Decimal
    credit: Decimal
    balance: Decimal  # the customer's receivable after this entry
    cancelled: bool  # the document was cancelled: this line is one of its pair
    department: str = ""

    @property
    def date(self) -> datetime.date:
        return self.at.date()


@dataclass(frozen=True)
class StatementParty:
    id: int
    code: str
    name: str
    address: str = ""
    phone: str = ""
    email: str = ""
    tax_code: str = ""
    logo: Path | None = None  # the letterhead's image file (the tenant's only)


@dataclass
class StatementSection:
    """One customer's part: the whole statement, or one subsidiary of a consolidated one."""

    customer: StatementParty
    opening: Decimal
    closing: Decimal
    lines: list[StatementLine] = field(default_factory=list)
    aging: dict[str, Decimal] = field(default_factory=dict)

    @property
    def debits(self) -> Decimal:
        return sum((line.debit for line in self.lines), Decimal(0))

    @property
    def credits(self) -> Decimal:
        return sum((line.credit for line in self.lines), Decimal(0))


@dataclass
class Statement:
    tenant: StatementParty  # the letterhead (id 0: the tenant is not a customer)
    customer: StatementParty  # the addressee: the customer or the group company
    period_from: datetime.date
    period_to: datetime.date
    currency: str
    timezone_name: str
    consolidated: bool
    sections: list[StatementSection]
    generated_at: datetime.datetime

    @property
    def opening(self) -> Decimal:
        return sum((s.opening for s in self.sections), Decimal(0))

    @property
    def debits(self) -> Decimal:
        return sum((s.debits for s in self.sections), Decimal(0))

    @property
    def credits(self) -> Decimal:
        return sum((s.credits for s in self.sections), Decimal(0))

    @property
    def closing(self) -> Decimal:
        return sum((s.closing for s in self.sections), Decimal(0))

    @property
    def aging(self) -> dict[str, Decimal]:
        return {b: sum((s.aging.get(b, Decimal(0)) for s in self.sections), Decimal(0))
                for b in BUCKETS}

    @property
    def lines(self) -> list[StatementLine]:
        return [line for section in self.sections for line in section.lines]


def period_bounds(period_from: datetime.date, period_to: datetime.date,
                  tz) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) as aware datetimes: local midnight of `from`, local midnight after `to`."""
    start = datetime.datetime.combine(period_from, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(period_to + datetime.timedelta(days=1),
                                    datetime.time.min, tzinfo=tz)
    return start, end


def period_check(period_from, period_to) -> None:
    if not isinstance(period_from, datetime.date):
        raise InvalidFinanceInput("from", _("A date like 2026-01-31 is required."))
    if not isinstance(period_to, datetime.date):
        raise InvalidFinanceInput("to", _("A date like 2026-01-31 is required."))
    for name, day in (("from", period_from), ("to", period_to)):
        if not 1900 <= day.year <= 2999:
            raise InvalidFinanceInput(name, _("The date must be between 1900 and 2999."))
    if period_to < period_from:
        raise InvalidFinanceInput("to", _("The end of the period is before its start."))
    if (period_to - period_from).days >= MAX_PERIOD_DAYS:
        raise InvalidFinanceInput("to", _("A statement covers at most %(days)s days.")
                                  % {"days": MAX_PERIOD_DAYS})


def party_of(customer: Customer) -> StatementParty:
    return StatementParty(id=customer.pk, code=customer.code, name=customer.name,
                          address=customer.address, phone=customer.phone,
                          email=customer.email, tax_code=customer.tax_code)


# The columns of a statement line's entry and its document, read as plain values (model
# instances for ~1,600 lines a month cost more than drawing them).
LINE_COLUMNS = ("id", "customer_id", "created_at", "kind", "amount", "balance_after",
                "reverses_id", "voucher_id", "voucher__code", "voucher__purpose",
                "voucher__method", "voucher__note", "voucher__status", "order_id",
                "order__code", "order__status", "order__note", "order__department__name")
ROW_ID, ROW_CUSTOMER, ROW_AT, ROW_KIND, ROW_AMOUNT, ROW_BALANCE, ROW_REVERSES = range(7)


def line_maker(tz):
    """row (LINE_COLUMNS, maybe more after them) -> StatementLine, its labels translated
    once per statement or chunk in the active language rather than once a line."""
    purposes = {value: str(label) for value, label in Voucher.Purpose.choices}
    kinds = {value: str(label) for value, label in Kind.choices}
    methods = dict(payment_method_choices())
    sale, cancellation = _("Sale"), _("Cancellation of %(code)s")
    reversal, cancelled = Kind.REVERSAL.value, Voucher.Status.CANCELLED.value
    order_cancelled = Order.Status.CANCELLED.value

    def line(row) -> StatementLine:
        (entry_id, _customer, at, kind, amount, balance, _reverses, voucher_id, v_code,
         v_purpose, v_method, v_note, v_status, order_id, o_code, o_status, o_note,
         department, *_more) = row
        department = department or ""
        if kind == reversal:
            original = v_code if voucher_id is not None else o_code if order_id else ""
            parts = [cancellation % {"code": original}]
        elif voucher_id is not None:
            parts = [purposes.get(v_purpose, v_purpose)]
            if v_method:
                parts.append(methods.get(v_method, v_method))
        elif order_id is not None:
            parts = [sale]
        else:
            parts = [kinds[kind]]
        if department:
            parts.append(department)
        note = v_note if voucher_id is not None else o_note if order_id is not None else ""
        if note and kind != reversal:
            parts.append(note.splitlines()[0][:120])
        if voucher_id is not None:
            code, is_cancelled = v_code, v_status == cancelled
        elif order_id is not None:
            code, is_cancelled = o_code, o_status == order_cancelled
        else:
            code, is_cancelled = "", False
        return StatementLine(
            entry_id=entry_id, at=at.astimezone(tz), code=code, kind=kind,
            description=" · ".join(p for p in parts if p),
            debit=amount if amount > 0 else _ZERO, credit=-amount if amount < 0 else _ZERO,
            balance=balance, cancelled=is_cancelled, department=department)

    return line


_ZERO = Decimal(0)


def _young_since(customer_id: int, as_of: datetime.date, end: datetime.datetime,
                 tz) -> datetime.datetime:
    """The moment before which every debit is over 90 days past due at `as_of`: the
    oldest order not yet 91 days past its due date, or local midnight 90 days back for
    debits due at once. Nothing older needs reading to age the closing balance."""
    old_due = as_of - datetime.timedelta(days=OLDEST_BUCKET_DAYS + 1)
    since = datetime.datetime.combine(old_due + datetime.timedelta(days=1), datetime.time.min,
                                      tzinfo=tz)
    oldest_order = (Order.objects.filter(customer_id=customer_id, due_date__gt=old_due,
                                         created_at__lt=end)
                    .order_by("created_at").values_list("created_at", flat=True).first())
    return min(since, oldest_order) if oldest_order else since


def _aging(customer_id: int, closing: Decimal, last_id: int | None,
           as_of: datetime.date, end: datetime.datetime, tz) -> dict[str, Decimal]:
    """The closing balance split by days past due at `as_of`: what is owed is the latest
    debits not reversed (receipts settle the oldest debts first), each due on its order's
    due date (other debits at once). Reads backwards only until the balance is covered or
    every older debit is necessarily over 90 days past due: bounded by recency, not by
    the customer's history, even for a customer who never pays."""
    buckets = dict.fromkeys(BUCKETS, Decimal(0))
    if closing <= 0 or last_id is None:
        buckets[BUCKETS[0]] += closing
        return buckets
    since = _young_since(customer_id, as_of, end, tz)
    remaining, upper = closing, last_id
    ours = LedgerEntry.objects.filter(customer_id=customer_id, book=Book.RECEIVABLE)
    reversed_ids: set[int] = set()
    reversals_from = last_id + 1  # reversals after `reversals_from` are already known
    while remaining > 0:
        chunk = list(ours.filter(id__lte=upper, amount__gt=0).exclude(kind=Kind.REVERSAL)
                     .order_by("-id")
                     .values_list("id", "amount", "created_at", "order__due_date")
                     [:_AGING_CHUNK])
        if not chunk:
            break
        low = chunk[-1][0]
        reversed_ids.update(ours.filter(id__gte=low, id__lt=reversals_from,
                                        reverses__isnull=False)
                            .values_list("reverses_id", flat=True))
        reversals_from = low
        for entry_id, amount, created_at, due_date in chunk:
            if entry_id in reversed_ids:
                continue
            share = min(amount, remaining)
            due = due_date or created_at.astimezone(tz).date()
            buckets[aging_bucket(due, as_of)] += share
            remaining -= share
            if remaining <= 0:
                break
        if chunk[-1][2] < since:
            break  # everything older is over 90 days past due
        upper = low - 1
    if remaining > 0:  # owed on older debits (or more than the debits found): the oldest
        buckets["90_plus"] += remaining
    return buckets


def section_build(*, customer: Customer, period_from: datetime.date,
                  period_to: datetime.date) -> StatementSection:
    """One customer's section, read through the period index (the single statement;
    finance.statement_sets builds a whole batch chunk's sections in a few queries)."""
    tz = tenant_current().timezone
    start, end = period_bounds(period_from, period_to, tz)
    ours = LedgerEntry.objects.filter(customer=customer, book=Book.RECEIVABLE)
    rows = list(ours.filter(created_at__gte=start, created_at__lt=end)
                .order_by("created_at", "id").values_list(*LINE_COLUMNS))
    if rows:
        opening = rows[0][ROW_BALANCE] - rows[0][ROW_AMOUNT]
        closing, last_id = rows[-1][ROW_BALANCE], rows[-1][ROW_ID]
    else:
        before = (ours.filter(created_at__lt=start).order_by("-created_at", "-id")
                  .values_list("balance_after", "id").first())
        opening = closing = before[0] if before else Decimal(0)
        last_id = before[1] if before else None
    line = line_maker(tz)
    section = StatementSection(customer=party_of(customer), opening=opening, closing=closing,
                               lines=[line(row) for row in rows])
    section.aging = _aging(customer.pk, closing, last_id, period_to, end, tz)
    return section


def group_members(customer: Customer) -> list[Customer]:
    """The group company and every subsidiary below it, the group first, then by code."""
    members, seen, frontier = [customer], {customer.pk}, [customer.pk]
    while frontier:
        children = list(Customer.objects.filter(parent_id__in=frontier)
                        .exclude(pk__in=seen).order_by("code"))
        members += children
        seen.update(c.pk for c in children)
        frontier = [c.pk for c in children]
    return members


def group_members_visible(*, user, customer: Customer) -> list[Customer]:
    """`group_members` for a consolidated statement: every company of the group must be one
    the user may see (crm's one rule), else GroupNotVisible."""
    members = group_members(customer)
    visible = set(customer_visible(user).filter(pk__in=[m.pk for m in members])
                  .values_list("pk", flat=True))
    if len(visible) != len(members):
        raise GroupNotVisible(_("You may not see every company of this group."))
    return members


def statement_build(*, customer: Customer, period_from: datetime.date,
                    period_to: datetime.date, consolidated: bool = False,
                    members: list[Customer] | None = None) -> Statement:
    """The statement of `customer`, or of its whole group with a section per company when
    `consolidated` (`members` from `group_members`, already checked by the caller)."""
    period_check(period_from, period_to)
    if consolidated:
        members = members if members is not None else group_members(customer)
        if len(members) < 2:
            raise InvalidFinanceInput(
                "consolidated", _("Customer %(code)s has no subsidiaries to consolidate.")
                % {"code": customer.code})
    else:
        members = [customer]
    sections = [section_build(customer=member, period_from=period_from, period_to=period_to)
                for member in members]
    return statement_compose(customer=customer, sections=sections, period_from=period_from,
                             period_to=period_to, consolidated=consolidated)


def statement_compose(*, customer: Customer, sections: list[StatementSection],
                      period_from: datetime.date, period_to: datetime.date,
                      consolidated: bool = False) -> Statement:
    """The statement around its sections: the tenant's letterhead, the addressee."""
    tenant = tenant_current()
    return Statement(
        tenant=StatementParty(id=0, code=tenant.schema_name, name=tenant.name,
                              address=tenant.address, tax_code=tenant.tax_code,
                              logo=logo_file(tenant.logo_path, tenant.schema_name)),
        customer=party_of(customer), period_from=period_from, period_to=period_to,
        currency=tenant.currency, timezone_name=tenant.timezone_name,
        consolidated=consolidated, sections=sections,
        generated_at=timezone.now().astimezone(tenant.timezone))


def statement_as_dict(statement: Statement) -> dict:
    """The JSON format: amounts as decimal strings in the currency, times with offset."""
    money = tenant_current().money

    def amount(value: Decimal) -> str:
        return str(money(value))

    def party(p: StatementParty) -> dict:
        return {"code": p.code, "name": p.name, "address": p.address, "phone": p.phone,
                "email": p.email, "tax_code": p.tax_code} | ({"id": p.id} if p.id else {})

    def section(s: StatementSection) -> dict:
        return {
            "customer": party(s.customer), "opening": amount(s.opening),
            "debits": amount(s.debits), "credits": amount(s.credits),
            "closing": amount(s.closing),
            "aging": {b: amount(v) for b, v in s.aging.items()},
            "entries": [{
                "id": line.entry_id, "date": line.date.isoformat(),
                "created_at": line.at.isoformat(), "code": line.code, "kind": line.kind,
                "description": line.description, "department": line.department,
                "debit": amount(line.debit), "credit": amount(line.credit),
                "balance": amount(line.balance), "cancelled": line.cancelled,
            } for line in s.lines],
        }

    return {
        "tenant": {k: v for k, v in party(statement.tenant).items() if k != "code"}
        | {"logo": statement.tenant.logo is not None},
        "customer": party(statement.customer),
        "from": statement.period_from.isoformat(), "to": statement.period_to.isoformat(),
        "currency": statement.currency, "timezone": statement.timezone_name,
        "consolidated": statement.consolidated,
        "opening": amount(statement.opening), "debits": amount(statement.debits),
        "credits": amount(statement.credits), "closing": amount(statement.closing),
        "aging": {b: amount(v) for b, v in statement.aging.items()},
        "sections": [section(s) for s in statement.sections],
        "generated_at": statement.generated_at.isoformat(),
    }
