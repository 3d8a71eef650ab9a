"""Reads of the staff dashboard (DESIGN §7): every figure covers only the customers the
user may see (crm's one rule) and the branches the user may see, and counts days in the
tenant's time zone. A user without the reports right (the cashier) gets the daily report
of their own branch instead."""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import F, QuerySet, Sum
from django.utils import timezone

from crm.models import Branch, Customer
from crm.selectors import branch_visible, customer_visible
from finance.exceptions import InvalidFinanceInput
from finance.selectors import (
    BUCKETS,
    daily_report_get,
    payment_method_choices,
    receipt_movements,
    tenant_aging,
)
from tenants.current import tenant_current

TOP_DEBTORS = 5
OVER_LIMIT_ROWS = 10
RECEIPT_DAYS = 30


def receivable_total(*, user: User) -> Decimal:
    """What the customers this user may see owe, together."""
    total = customer_visible(user).aggregate(s=Sum("receivable_amount"))["s"]
    return total or Decimal(0)


def aging_total(*, user: User, today: datetime.date | None = None) -> dict[str, Decimal]:
    """The receivable of the visible customers per aging bucket (it sums to
    `receivable_total`), by tenant_aging's rule."""
    totals = dict.fromkeys(BUCKETS, Decimal(0))
    for row in tenant_aging(today=today, customers=customer_visible(user)):
        for bucket, amount in row["buckets"].items():
            totals[bucket] += amount
    return totals


def customers_over_limit(*, user: User) -> QuerySet[Customer]:
    """Visible customers whose receivable is above their credit limit, furthest over first
    (enforced or reference-only limits alike; the row says which)."""
    return (customer_visible(user).filter(credit_limit_amount__isnull=False,
                                          receivable_amount__gt=F("credit_limit_amount"))
            .annotate(over_amount=F("receivable_amount") - F("credit_limit_amount"))
            .order_by("-over_amount", "id"))


def top_debtors(*, user: User, limit: int = TOP_DEBTORS) -> QuerySet[Customer]:
    """The visible customers who owe the most."""
    return (customer_visible(user).filter(receivable_amount__gt=0)
            .order_by("-receivable_amount", "id")[:limit])


def _method_labels() -> dict[str, str]:
    return dict(payment_method_choices())


def receipts_today(*, user: User, today: datetime.date | None = None) -> list[dict]:
    """Money received today per visible branch and method (the daily report's rule), one
    row each, by branch name then method; days of the active time zone."""
    today = today or timezone.localdate()
    branches = dict(branch_visible(user).values_list("pk", "name"))
    totals: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for _day, branch_id, method, amount in receipt_movements(
            branch_ids=list(branches), first=today, last=today):
        totals[branch_id, method] += amount
    labels = _method_labels()
    rows = [{"branch": branches[branch_id], "method": method,
             "method_label": labels.get(method, method), "amount": amount}
            for (branch_id, method), amount in totals.items() if amount]
    return sorted(rows, key=lambda row: (row["branch"], row["method"]))


def receipts_by_day(*, user: User, today: datetime.date | None = None,
                    days: int = RECEIPT_DAYS) -> list[dict]:
    """Money received in the visible branches on each of the last `days` days, oldest
    first, days without any included (a chart's bars)."""
    today = today or timezone.localdate()
    first = today - datetime.timedelta(days=days - 1)
    totals: dict[datetime.date, Decimal] = defaultdict(Decimal)
    branch_ids = list(branch_visible(user).values_list("pk", flat=True))
    for day, _branch, _method, amount in receipt_movements(branch_ids=branch_ids,
                                                            first=first, last=today):
        totals[day] += amount
    return [{"day": first + datetime.timedelta(days=n),
             "amount": totals[first + datetime.timedelta(days=n)]} for n in range(days)]


def daily_report_shown(*, user: User, branch_id: int | None = None,
                       day: datetime.date | None = None) -> dict:
    """`daily_report_get` (a branch the user sees, by default their own; the tenant's today
    by default) in the tenant's time zone, with its branch's name and each method's label."""
    with timezone.override(tenant_current().timezone):
        report = daily_report_get(user=user, branch_id=branch_id,
                                  day=day or timezone.localdate())
    labels = _method_labels()
    for shown, by_method in (("receipts", "receipts_by_method"),
                             ("paid_out", "paid_out_by_method")):
        report[shown] = [{"method": method, "method_label": labels.get(method, method),
                          "amount": amount} for method, amount in report[by_method].items()]
    report["branch_name"] = Branch.objects.get(pk=report["branch"]).name
    return report


def dashboard_get(*, user: User) -> dict:
    """Every figure of the dashboard, today being the tenant's day. `kind` says which
    dashboard: "full" for users with the reports right, else "daily" (their branch's
    daily report; None when they work at no branch)."""
    with timezone.override(tenant_current().timezone):
        today = timezone.localdate()
        if not user.has_perm("finance.view_report"):
            try:
                report = daily_report_shown(user=user, day=today)
            except InvalidFinanceInput:  # works at no branch
                return {"kind": "daily", "today": today, "daily": None}
            return {"kind": "daily", "today": today, "daily": report}
        today_rows = receipts_today(user=user, today=today)
        return {
            "kind": "full",
            "today": today,
            "receivable": receivable_total(user=user),
            "aging": aging_total(user=user, today=today),
            "over_limit": list(customers_over_limit(user=user)[:OVER_LIMIT_ROWS]),
            "over_limit_count": customers_over_limit(user=user).count(),
            "top_debtors": list(top_debtors(user=user)),
            "receipts_today": today_rows,
            "receipts_today_total": sum((row["amount"] for row in today_rows), Decimal(0)),
            "receipts_by_day": receipts_by_day(user=user, today=today),
        }

