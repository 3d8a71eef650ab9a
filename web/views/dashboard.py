"""The dashboard at `/`: the figures of finance.dashboard for this user (the cashier's
is their branch's daily report); a visitor is sent to the login page."""

from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from finance.dashboard import dashboard_get
from web.charts import bar_chart


def _aging_labels() -> dict[str, str]:
    return {"0_30": _("0–30 days"), "31_60": _("31–60 days"), "61_90": _("61–90 days"),
            "90_plus": _("Over 90 days")}


@require_GET
def dashboard(request):
    if not request.user.is_authenticated:
        return redirect("web:login")  # `/` is where everyone starts: no ?next= needed
    figures = dashboard_get(user=request.user)
    context = {"nav": "dashboard", **figures}
    if figures["kind"] == "full":
        labels = _aging_labels()
        context["aging_rows"] = [{"label": labels[bucket], "amount": amount}
                                 for bucket, amount in figures["aging"].items()]
        context["aging_chart"] = bar_chart([(labels[bucket], amount)
                                            for bucket, amount in figures["aging"].items()])
        context["receipts_chart"] = bar_chart(
            [(formats.date_format(row["day"], "SHORT_DATE_FORMAT"), row["amount"])
             for row in figures["receipts_by_day"]], label_every=7)
    return render(request, "web/dashboard.html", context)
