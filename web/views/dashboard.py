"""The dashboard at `/`: the figures of finance.dashboard for this user (the cashier's
is their branch's daily report); a visitor is sent to the login page."""

from django.shortcuts import redirect, render
from django.utils import formats
from django.views.decorators.http import require_GET

from finance.dashboard import dashboard_get
from finance.statement_formats import bucket_labels
from web.charts import bar_chart


@require_GET
def dashboard(request):
    if not request.user.is_authenticated:
        return redirect("web:login")  # `/` is where everyone starts: no ?next= needed
    figures = dashboard_get(user=request.user)
    context = {"nav": "dashboard", **figures}
    if figures["kind"] == "full":
        labels = bucket_labels()
        context["aging_rows"] = [{"label": labels[bucket], "amount": amount}
                                 for bucket, amount in figures["aging"].items()]
        context["aging_chart"] = bar_chart([(labels[bucket], amount)
                                            for bucket, amount in figures["aging"].items()])
        context["receipts_chart"] = bar_chart(
            [(formats.date_format(row["day"], "SHORT_DATE_FORMAT"), row["amount"])
             for row in figures["receipts_by_day"]], label_every=7)
    return render(request, "web/dashboard.html", context)
