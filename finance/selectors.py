"""Reads: the customer's tabs (debt ledger, purchases, prepaid, coins), aging, daily report."""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from crm.models import Branch, Customer
from finance.ledger import Book, open_orders
from finance.models import LedgerEntry, Order, Voucher

BUCKETS = ("0_30", "31_60", "61_90", "90_plus")


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


def _bucket(day: datetime.date, today: datetime.date) -> str:
    age = (today - day).days
    return "0_30" if age <= 30 else "31_60" if age <= 60 else "61_90" if age <= 90 else "90_plus"


def _unallocated_day(customer_id: int) -> datetime.date | None:
    """Receivable not owed on an order (opening balance, adjustment, merge) ages from the
    latest entry that raised it."""
    created = (LedgerEntry.objects.filter(customer_id=customer_id, book=Book.RECEIVABLE,
                                          amount__gt=0, order__isnull=True)
               .order_by("-id").values_list("created_at", flat=True).first())
    return timezone.localdate(created) if created else None


def customer_aging(*, customer: Customer, today: datetime.date | None = None) -> dict:
    """Each open order's unpaid remainder from its date; the rest of the receivable (not on
    any order) from the latest non-order entry that raised it. Sums to the receivable."""
    today = today or timezone.localdate()
    buckets = dict.fromkeys(BUCKETS, Decimal(0))
    customer = Customer.objects.only("receivable_amount").get(pk=customer.pk)
    on_orders = Decimal(0)
    for order in open_orders(customer):
        buckets[_bucket(timezone.localdate(order.created_at), today)] += order.open
        on_orders += order.open
    rest = customer.receivable_amount - on_orders
    if rest:
        day = _unallocated_day(customer.pk) or today
        buckets[_bucket(day, today)] += rest
    return {"customer": customer.pk, "receivable": customer.receivable_amount,
            "buckets": buckets}


def tenant_aging(*, by: str = "branch", today: datetime.date | None = None) -> list[dict]:
    """Aging of every customer with a receivable, summed per home branch or per owner."""
    today = today or timezone.localdate()
    field = {"branch": "home_branch_id", "owner": "owner_id"}[by]
    totals: dict = defaultdict(lambda: dict.fromkeys(BUCKETS, Decimal(0)))
    customers = Customer.objects.exclude(receivable_amount=0).only("pk", field,
                                                                   "receivable_amount")
    for customer in customers.iterator():
        aging = customer_aging(customer=customer, today=today)
        row = totals[getattr(customer, field)]
        for bucket, amount in aging["buckets"].items():
            row[bucket] += amount
    return [{by: key, "buckets": row, "receivable": sum(row.values())}
            for key, row in sorted(totals.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))]


def daily_report(*, branch: Branch, day: datetime.date) -> dict:
    """營業日報 for one branch and day: sales, receipts by method, new and collected
    receivable, prepaid moved in and out."""
    approved = Order.objects.filter(branch=branch, status=Order.Status.APPROVED,
                                    approved_at__date=day)
    receipts: dict[str, Decimal] = defaultdict(Decimal)
    for method, amount in approved.exclude(paid_amount=0).values_list("payment_method").annotate(
            s=Sum("paid_amount")):
        receipts[method] += amount
    for method, amount in (Voucher.objects.filter(branch=branch, type=Voucher.Type.RECEIPT,
                                                  status=Voucher.Status.COMPLETED,
                                                  created_at__date=day)
                           .values_list("method").annotate(s=Sum("amount"))):
        receipts[method] += amount
    entries = LedgerEntry.objects.filter(branch=branch, created_at__date=day)

    def total(condition: Q) -> Decimal:
        return entries.filter(condition).aggregate(s=Sum("amount"))["s"] or Decimal(0)

    return {
        "branch": branch.pk, "day": day,
        "orders": approved.count(),
        "sales": approved.aggregate(s=Sum("total_amount"))["s"] or Decimal(0),
        "receipts_by_method": dict(sorted(receipts.items())),
        "receivable_new": total(Q(book=Book.RECEIVABLE, kind=LedgerEntry.Kind.ORDER)),
        "receivable_collected": -total(Q(book=Book.RECEIVABLE, kind=LedgerEntry.Kind.RECEIPT)),
        "prepaid_in": total(Q(book=Book.PREPAID, amount__gt=0)),
        "prepaid_out": -total(Q(book=Book.PREPAID, amount__lt=0)),
    }
