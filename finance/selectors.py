"""Reads: who sees which orders, vouchers and prices; the customer's tabs (debt ledger,
purchases, prepaid, coins); aging and the daily report, for the branches a user may see."""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Branch, Customer, CustomerGroup
from crm.selectors import (
    branch_visible,
    branch_visible_get,
    customer_visible,
    staff_branch_ids,
    staff_sees_all_branches,
)
from finance.exceptions import InvalidFinanceInput
from finance.ledger import Book, open_orders
from finance.models import AgreementPrice, LedgerEntry, Order, PaymentMethod, Product, Voucher
from finance.rules import BUILTIN_METHODS
from tenants.current import tenant_current

# Days past the due date: not yet due, 0–30, 31–60, 61–90, over 90 (DESIGN §3 "Aging").
BUCKETS = ("not_due", "0_30", "31_60", "61_90", "90_plus")
AGING_BY = ("branch", "owner")


# --- who sees what (branch isolation) ---------------------------------------------------

def _documents_visible(queryset: QuerySet, user: User) -> QuerySet:
    """Orders or vouchers of the branches the user sees whose customer the user may see
    (crm's one customer rule); walk-in orders have none."""
    queryset = queryset.filter(Q(customer__isnull=True) | Q(customer__in=customer_visible(user)))
    if staff_sees_all_branches(user):
        return queryset
    return queryset.filter(branch_id__in=staff_branch_ids(user))


def order_list(*, user: User, customer_id: int | None = None,
               status: str | None = None) -> QuerySet[Order]:
    """The orders this user may see, with their lines; an unknown status filters nothing."""
    queryset = _documents_visible(
        Order.objects.select_related("created_by", "cancelled_by").prefetch_related("lines"),
        user)
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    if status in Order.Status.values:
        queryset = queryset.filter(status=status)
    return queryset


def order_get(*, user: User, order_id) -> Order:
    """One order this user may see, with its customer and branch; else Order.DoesNotExist."""
    return (order_list(user=user).select_related("customer", "branch")
            .prefetch_related("lines__product").get(pk=order_id))


def order_receivable_after(*, order: Order) -> Decimal | None:
    """The customer's receivable right after this order was approved (None for a walk-in
    or a draft): the balance of the last receivable entry up to the order's own entries
    (an order paid in full posts none of its own)."""
    if order.customer_id is None:
        return None
    posted = LedgerEntry.objects.filter(order=order, reverses__isnull=True).order_by("-id")
    last = posted.values_list("id", flat=True).first()
    if last is None:
        return None
    entry = (LedgerEntry.objects.filter(customer_id=order.customer_id, book=Book.RECEIVABLE,
                                        id__lte=last).order_by("-id").first())
    return entry.balance_after if entry is not None else Decimal(0)


def voucher_list(*, user: User, customer_id: int | None = None, type: str | None = None,
                 status: str | None = None, purpose: str | None = None) -> QuerySet[Voucher]:
    """The vouchers this user may see; an unknown type, status or purpose filters nothing."""
    queryset = _documents_visible(Voucher.objects.select_related("created_by", "cancelled_by"),
                                  user)
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    for name, value, choices in (("type", type, Voucher.Type.values),
                                 ("status", status, Voucher.Status.values),
                                 ("purpose", purpose, Voucher.Purpose.values)):
        if value in choices:
            queryset = queryset.filter(**{name: value})
    return queryset


def product_list(*, search: str | None = None, active: bool | None = None
                 ) -> QuerySet[Product]:
    """The catalogue, narrowed to SKUs or names containing `search`."""
    queryset = Product.objects.all()
    if search:
        queryset = queryset.filter(Q(sku__icontains=search) | Q(name__icontains=search))
    if active is not None:
        queryset = queryset.filter(active=active)
    return queryset


def agreement_price_list(*, user: User, product_id: int | None = None,
                         customer_id: int | None = None,
                         group_id: int | None = None) -> QuerySet[AgreementPrice]:
    """Group and list-wide prices, and the prices of the customers this user may see."""
    queryset = AgreementPrice.objects.filter(
        Q(customer__isnull=True) | Q(customer__in=customer_visible(user)))
    for field, value in (("product_id", product_id), ("customer_id", customer_id),
                         ("group_id", group_id)):
        if value is not None:
            queryset = queryset.filter(**{field: value})
    return queryset


# --- a customer's tabs -------------------------------------------------------------------


def customer_entries_list(*, customer: Customer, book: str = Book.RECEIVABLE) -> QuerySet:
    """Every entry of one book, oldest first, with the document behind it."""
    return (LedgerEntry.objects.filter(customer=customer, book=book)
            .select_related("order", "voucher", "branch", "created_by").order_by("id"))


def ledger_row(entry: LedgerEntry) -> dict:
    """The seed's debt tab: code, type, amount changed, receivable after, created, status."""
    document = entry.voucher or entry.order
    if entry.voucher is not None:
        doc_type, status = entry.voucher.type, entry.voucher.status
    elif entry.order is not None:
        doc_type, status = "order", entry.order.status
    else:
        doc_type, status = entry.kind, "completed"
    return {
        "id": entry.pk, "code": document.code if document else "", "type": doc_type,
        "kind": entry.kind, "amount": entry.amount, "balance_after": entry.balance_after,
        "created_at": entry.created_at, "status": status, "branch": entry.branch_id,
        "created_by": entry.created_by.username if entry.created_by else None,
        "order": entry.order_id, "voucher": entry.voucher_id,
    }


def customer_purchases_list(*, customer: Customer) -> QuerySet:
    return (Order.objects.filter(customer=customer).prefetch_related("lines")
            .order_by("-created_at", "-id"))


def aging_bucket(due: datetime.date, as_of: datetime.date) -> str:
    """The bucket of a debt falling due on `due`, seen on `as_of` (both local dates)."""
    late = (as_of - due).days
    if late < 0:
        return "not_due"
    return "0_30" if late <= 30 else "31_60" if late <= 60 else "61_90" if late <= 90 \
        else "90_plus"


def tenant_today() -> datetime.date:
    """Today in the tenant's time zone (aging's default day)."""
    return timezone.now().astimezone(tenant_current().timezone).date()


def _local_day(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(tenant_current().timezone).date()


def _unallocated_day(customer_id: int) -> datetime.date | None:
    """Receivable not owed on an order (opening balance, adjustment, merge) is due from
    the latest entry that raised it."""
    created = (LedgerEntry.objects.filter(customer_id=customer_id, book=Book.RECEIVABLE,
                                          amount__gt=0, order__isnull=True)
               .order_by("-id").values_list("created_at", flat=True).first())
    return _local_day(created) if created else None


def customer_aging(*, customer: Customer, today: datetime.date | None = None) -> dict:
    """Each open order's unpaid remainder by days past its due date; the rest of the
    receivable (not on any order) from the latest non-order entry that raised it (due at
    once). Sums to the receivable. `today` is the tenant's local date by default."""
    today = today or tenant_today()
    buckets = dict.fromkeys(BUCKETS, Decimal(0))
    customer = Customer.objects.only("receivable_amount").get(pk=customer.pk)
    on_orders = Decimal(0)
    for order in open_orders(customer):
        buckets[aging_bucket(order.due_date, today)] += order.open
        on_orders += order.open
    rest = customer.receivable_amount - on_orders
    if rest:
        day = _unallocated_day(customer.pk) or today
        buckets[aging_bucket(day, today)] += rest
    return {"customer": customer.pk, "receivable": customer.receivable_amount,
            "buckets": buckets}


def customer_open_orders(*, customer: Customer) -> list[dict]:
    """The customer's open orders, oldest first: code, due date, what is still owed on
    it and its aging bucket today (the customer page's Aging tab)."""
    today = tenant_today()
    return [{"code": order.code, "created_at": order.created_at, "due_date": order.due_date,
             "open": order.open, "bucket": aging_bucket(order.due_date, today)}
            for order in open_orders(customer)]


def payment_preview(*, customer: Customer, amount: Decimal,
                    receivable: Decimal | None = None) -> dict:
    """What a payment of `amount` would leave (payment_record's rule, nothing written):
    the receivable after it and the part that would go to prepaid. `receivable`: the
    stored one as the caller read it in this request (the customer page); else read now."""
    if receivable is None:
        receivable = Customer.objects.only("receivable_amount").get(
            pk=customer.pk).receivable_amount
    applied = min(max(amount, Decimal(0)), max(receivable, Decimal(0)))
    return {"receivable": receivable, "receivable_after": receivable - applied,
            "to_prepaid": max(amount, Decimal(0)) - applied}


def tenant_aging(*, by: str = "branch", today: datetime.date | None = None,
                 customers: QuerySet[Customer] | None = None) -> list[dict]:
    """Aging of every customer with a receivable (of `customers`, all by default), summed
    per home branch or per owner (or per customer): `customer_aging`'s rule, in three
    set-wise queries (customers, their open orders, their latest non-order debit) however
    many there are."""
    today = today or tenant_today()
    field = {"branch": "home_branch_id", "owner": "owner_id", "customer": "pk"}[by]
    owing = (Customer.objects.all() if customers is None else customers).exclude(
        receivable_amount=0)
    group_of, rest = {}, {}
    for pk, key, receivable in owing.values_list("pk", field, "receivable_amount"):
        group_of[pk], rest[pk] = key, receivable
    totals = {key: dict.fromkeys(BUCKETS, Decimal(0)) for key in set(group_of.values())}
    ids = owing.values("pk")
    orders = (Order.objects.filter(customer_id__in=ids, status=Order.Status.APPROVED)
              .annotate(open=F("total_amount") - F("paid_amount") - F("settled_amount"))
              .filter(open__gt=0).values_list("customer_id", "due_date", "open"))
    for customer_id, due_date, remainder in orders:
        if customer_id in group_of:
            totals[group_of[customer_id]][aging_bucket(due_date, today)] += remainder
            rest[customer_id] -= remainder
    latest = dict(LedgerEntry.objects.filter(customer_id__in=ids, book=Book.RECEIVABLE,
                                             amount__gt=0, order__isnull=True)
                  .order_by("customer_id", "-id").distinct("customer_id")
                  .values_list("customer_id", "created_at"))
    for customer_id, amount in rest.items():
        if amount:
            day = _local_day(latest[customer_id]) if customer_id in latest else today
            totals[group_of[customer_id]][aging_bucket(day, today)] += amount
    return [{by: key, "buckets": row, "receivable": sum(row.values())}
            for key, row in sorted(totals.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))]


def aging_report_list(*, user: User, by: str = "branch", branch_id: int | None = None,
                      owner_id: int | None = None, group_id: int | None = None,
                      today: datetime.date | None = None) -> list[dict]:
    """`tenant_aging` as this user may read it: only the customers they may see (crm's one
    rule, whichever grouping), and per branch only the branches they see; narrowed to one
    home branch, owner or customer group when asked. Unknown filters are errors."""
    customers = _aging_scope(user=user, by=by, branch_id=branch_id, owner_id=owner_id,
                             group_id=group_id)
    return tenant_aging(by=by, today=today, customers=customers)


def aging_report_customers(*, user: User, by: str, key: int | None,
                           branch_id: int | None = None, owner_id: int | None = None,
                           group_id: int | None = None, today: datetime.date | None = None,
                           offset: int = 0, limit: int = 50) -> tuple[list[dict], int]:
    """The drill-down of one row of `aging_report_list` (its home branch or owner `key`;
    None: no owner): the customers behind it, most owed first, each with its buckets by
    `customer_aging`'s rule, one page at a time; and how many there are."""
    customers = _aging_scope(user=user, by=by, branch_id=branch_id, owner_id=owner_id,
                             group_id=group_id).exclude(receivable_amount=0)
    field = {"branch": "home_branch_id", "owner": "owner_id"}[by]
    customers = customers.filter(**({f"{field}__isnull": True} if key is None else {field: key}))
    count = customers.count()
    page = list(customers.order_by("-receivable_amount", "id")
                .values_list("pk", "code", "name")[offset:offset + limit])
    rows = {row["customer"]: row for row in tenant_aging(
        by="customer", today=today, customers=Customer.objects.filter(
            pk__in=[pk for pk, _code, _name in page]))}
    return [{"id": pk, "code": code, "name": name, **rows[pk]} for pk, code, name in page], count


def _aging_scope(*, user: User, by: str, branch_id: int | None, owner_id: int | None,
                 group_id: int | None) -> QuerySet[Customer]:
    if by not in AGING_BY:
        raise InvalidFinanceInput("by", _("Choose branch or owner."))
    customers = customer_visible(user)
    if by == "branch" and not staff_sees_all_branches(user):
        customers = customers.filter(home_branch__in=branch_visible(user))
    if branch_id is not None:
        if not branch_visible(user).filter(pk=branch_id).exists():
            raise InvalidFinanceInput("branch", _("Unknown branch."))
        customers = customers.filter(home_branch_id=branch_id)
    if owner_id is not None:
        if not User.objects.filter(pk=owner_id).exists():
            raise InvalidFinanceInput("owner", _("Unknown user."))
        customers = customers.filter(owner_id=owner_id)
    if group_id is not None:
        if not CustomerGroup.objects.filter(pk=group_id).exists():
            raise InvalidFinanceInput("group", _("Unknown customer group."))
        customers = customers.filter(group_id=group_id)
    return customers


def aging_group_names(*, by: str, keys) -> dict:
    """What a report row is called: a branch's code and name, an owner's full name or
    username; None (no owner) is named by the caller."""
    if by == "branch":
        return {pk: f"{code} {name}" for pk, code, name in
                Branch.objects.filter(pk__in=[k for k in keys if k is not None])
                .values_list("pk", "code", "name")}
    return {u.pk: u.get_full_name() or u.username
            for u in User.objects.filter(pk__in=[k for k in keys if k is not None])}


def aging_total(rows: list[dict]) -> dict:
    """The report's last line: every bucket and the receivable summed over its rows."""
    buckets = {b: sum((row["buckets"][b] for row in rows), Decimal(0)) for b in BUCKETS}
    return {"buckets": buckets, "receivable": sum(buckets.values(), Decimal(0))}


def daily_report_get(*, user: User, branch_id: int | None = None,
                     day: datetime.date | None = None) -> dict:
    """The daily report of a branch the user sees (by default their primary one), today
    unless `day` is given. Every role may read it for their branches."""
    try:
        branch = branch_visible_get(user=user, branch_id=branch_id)
    except Branch.DoesNotExist:
        raise InvalidFinanceInput("branch", _("Unknown branch.")) from None
    return daily_report(branch=branch, day=day or timezone.localdate())


def daily_report(*, branch: Branch, day: datetime.date) -> dict:
    """營業日報 for one branch and day: sales, receipts by method, refunds paid out by
    method, new and collected receivable, prepaid moved in and out. Every figure is what
    moved that day, as the ledger has it: a document counts on the day it was made and
    counts back on the day it was cancelled (a same-day cancel nets to zero; a closed day
    never changes). Sales and counter payments come from the orders, so walk-ins (no
    ledger) count too."""
    orders = Order.objects.filter(branch=branch)
    approved = orders.filter(approved_at__date=day)
    unapproved = orders.filter(approved_at__isnull=False, status=Order.Status.CANCELLED,
                               cancelled_at__date=day)
    receipts: dict[str, Decimal] = defaultdict(Decimal)
    for _day, _branch, method, amount in receipt_movements(branch_ids=[branch.pk],
                                                            first=day, last=day):
        receipts[method] += amount
    paid_out: dict[str, Decimal] = defaultdict(Decimal)
    for method, amount in refund_movements(branch=branch, day=day):
        paid_out[method] += amount
    entries = LedgerEntry.objects.filter(branch=branch, created_at__date=day)
    Kind = LedgerEntry.Kind

    def total(condition: Q) -> Decimal:
        return entries.filter(condition).aggregate(s=Sum("amount"))["s"] or Decimal(0)

    def posted_or_reversed(condition: Q) -> Q:
        """Entries meeting `condition` and the reversals of such entries."""
        reversed_ = Q(**{f"reverses__{lookup}": value for lookup, value in condition.children})
        return (condition & Q(reverses__isnull=True)) | (Q(kind=Kind.REVERSAL) & reversed_)

    def orders_total(queryset) -> Decimal:
        return queryset.aggregate(s=Sum("total_amount"))["s"] or Decimal(0)

    return {
        "branch": branch.pk, "day": day,
        "orders": approved.count() - unapproved.count(),
        "orders_cancelled": unapproved.count(),
        "sales": orders_total(approved) - orders_total(unapproved),
        "receipts_by_method": {method: amount for method, amount in sorted(receipts.items())
                               if amount},
        "paid_out_by_method": {method: amount for method, amount in sorted(paid_out.items())
                               if amount},
        "receivable_new": total(Q(book=Book.RECEIVABLE)
                                & posted_or_reversed(Q(kind=Kind.ORDER))),
        "receivable_collected": -total(Q(book=Book.RECEIVABLE)
                                       & posted_or_reversed(Q(kind=Kind.RECEIPT))),
        "prepaid_in": total(Q(book=Book.PREPAID) & posted_or_reversed(Q(amount__gt=0))),
        "prepaid_out": -total(Q(book=Book.PREPAID) & posted_or_reversed(Q(amount__lt=0))),
    }


def refund_movements(*, branch: Branch, day: datetime.date):
    """(method, signed amount) of the money paid back to customers at `branch` on `day`:
    refund vouchers (PC) of prepaid balances and of cancelled orders' receipts, on their
    day, each counted back on the day it was cancelled."""
    refunds = Voucher.objects.filter(branch=branch, type=Voucher.Type.PAYMENT,
                                     purpose=Voucher.Purpose.REFUND)
    for documents, sign in ((refunds.filter(created_at__date=day), 1),
                            (refunds.filter(status=Voucher.Status.CANCELLED,
                                            cancelled_at__date=day), -1)):
        for method, amount in (documents.values_list("method").annotate(s=Sum("amount"))
                               .order_by()):
            yield method, sign * amount


def receipt_movements(*, branch_ids, first: datetime.date, last: datetime.date):
    """(day, branch, method, signed amount) of the money received in `branch_ids` from
    `first` to `last` (days of the active time zone), the daily report's rule: counter
    payments of orders on their approval day, receipts on their day, each counted back on
    the day it was cancelled."""
    days = (first, last)
    orders = Order.objects.filter(branch_id__in=branch_ids).exclude(paid_amount=0)
    receipts = Voucher.objects.filter(branch_id__in=branch_ids, type=Voucher.Type.RECEIPT)
    cancelled_orders = orders.filter(approved_at__isnull=False, status=Order.Status.CANCELLED)
    for documents, moment, method_field, amount, sign in (
            (orders.filter(approved_at__date__range=days), "approved_at", "payment_method",
             "paid_amount", 1),
            (cancelled_orders.filter(cancelled_at__date__range=days), "cancelled_at",
             "payment_method", "paid_amount", -1),
            (receipts.filter(created_at__date__range=days), "created_at", "method", "amount", 1),
            (receipts.filter(status=Voucher.Status.CANCELLED, cancelled_at__date__range=days),
             "cancelled_at", "method", "amount", -1)):
        rows = (documents.annotate(day=TruncDate(moment)).values_list("day", "branch_id",
                                                                      method_field)
                .annotate(s=Sum(amount)).order_by())
        for day, branch_id, method, total_amount in rows:
            yield day, branch_id, method, sign * total_amount


def payment_method_choices() -> list[tuple[str, str]]:
    """(code, label) of every method a payment may use: the built-in ones, then the
    tenant's own active ones (what `finance.rules.payment_method_check` accepts)."""
    labels = {"cash": _("Cash"), "card": _("Card"), "transfer": _("Bank transfer"),
              "prepaid": _("Prepaid balance")}
    own = PaymentMethod.objects.filter(active=True).values_list("code", "name")
    return [(code, str(labels[code])) for code in BUILTIN_METHODS] + list(own)
