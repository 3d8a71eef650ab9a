"""Reports (DESIGN §7): aging by branch or by owner with its drill-down to the customers
and its xlsx (finance.selectors.aging_report_list / aging_report_customers, the API's), and
the daily report (營業日報) of a branch and day, printable for the shift close (every role,
for the branches they see: a cashier sees only theirs)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from crm import selectors as crm_selectors
from exchange import files
from finance import selectors as finance_selectors
from finance.dashboard import daily_report_shown
from finance.report_formats import aging_report_xlsx
from finance.statement_formats import bucket_labels
from saas_platform.errors import DomainError
from tenants.current import tenant_current
from web.back_office_forms import AgingForm, DailyReportForm
from web.errors import form_errors_add

REPORTS = "finance.view_report"
DRILL_PAGE = 50


def _aging_form(request) -> AgingForm:
    return AgingForm(request.GET, choices=crm_selectors.customer_form_choices(user=request.user))


def _aging(request, form):
    """(by, rows, total, names) of the form's report, or None with the errors on the form."""
    if not form.is_valid():
        return None
    by = form.cleaned_data.get("by") or "branch"
    try:
        rows = finance_selectors.aging_report_list(user=request.user, by=by,
                                                   **form.selector_filters())
    except DomainError as error:
        form_errors_add(error, form)
        return None
    names = finance_selectors.aging_group_names(by=by, keys=[row[by] for row in rows])
    return by, rows, finance_selectors.aging_total(rows), names


@require_GET
@login_required
def reports(request):
    if not request.user.has_perm(REPORTS):
        return redirect("web:report_daily")  # a cashier's reports: their daily report
    form = _aging_form(request)
    found = _aging(request, form)
    context = {"nav": "reports", "form": form, "labels": bucket_labels(),
               "query": request.GET.urlencode()}
    if found:
        by, rows, total, names = found
        filters = request.GET.copy()
        filters.pop("by", None)
        context.update(by=by, total=total, filters=filters.urlencode(), rows=[{
            **row, "name": names.get(row[by]),
            "key": "none" if row[by] is None else row[by]} for row in rows])
    return render(request, "web/reports.html", context, status=200 if found else 422)


@require_GET
@login_required
@permission_required(REPORTS, raise_exception=True)
def report_aging_file(request):
    form = _aging_form(request)
    found = _aging(request, form)
    if not found:
        return render(request, "web/reports.html", {
            "nav": "reports", "form": form, "labels": bucket_labels()}, status=422)
    by, rows, total, names = found
    body = aging_report_xlsx(by=by, rows=rows, total=total, names=names,
                             currency=tenant_current().currency)
    response = HttpResponse(body, content_type=files.XLSX)
    response["Content-Disposition"] = f'attachment; filename="aging-{by}.xlsx"'
    return response


@require_GET
@login_required
@permission_required(REPORTS, raise_exception=True)
def report_aging_customers(request, by: str, key: str):
    if by not in finance_selectors.AGING_BY or not (key == "none" or key.isdigit()):
        raise Http404
    form = _aging_form(request)
    if not form.is_valid():
        return render(request, "web/reports.html", {
            "nav": "reports", "form": form, "labels": bucket_labels()}, status=422)
    page = request.GET.get("page", "")
    number = max(1, int(page)) if page.isdigit() else 1
    try:
        customers, count = finance_selectors.aging_report_customers(
            user=request.user, by=by, key=None if key == "none" else int(key),
            offset=(number - 1) * DRILL_PAGE, limit=DRILL_PAGE, **form.selector_filters())
    except DomainError as error:
        form_errors_add(error, form)
        return render(request, "web/reports.html", {
            "nav": "reports", "form": form, "labels": bucket_labels()}, status=422)
    names = finance_selectors.aging_group_names(by=by, keys=[None if key == "none"
                                                             else int(key)])
    params = request.GET.copy()
    params.pop("page", None)
    pages = -(-count // DRILL_PAGE)
    return render(request, "web/report_aging_customers.html", {
        "nav": "reports", "by": by, "customers": customers, "count": count,
        "name": names.get(None if key == "none" else int(key)), "labels": bucket_labels(),
        "back": reverse("web:reports") + "?" + request.GET.urlencode(),
        "previous": f"?{params.urlencode()}&page={number - 1}" if number > 1 else None,
        "next": f"?{params.urlencode()}&page={number + 1}" if number < pages else None,
    })


@require_GET
@login_required
def report_daily(request):
    branches = list(crm_selectors.branch_visible(request.user).order_by("name")
                    .values_list("id", "name"))
    form = DailyReportForm(request.GET, branches=branches)
    report, status = None, 422
    if form.is_valid():
        branch = form.cleaned_data.get("branch")
        try:
            report = daily_report_shown(user=request.user,
                                        branch_id=int(branch) if branch else None,
                                        day=form.cleaned_data.get("day"))
            status = 200
        except DomainError as error:
            form_errors_add(error, form)
    return render(request, "web/report_daily.html", {
        "nav": "reports", "form": form, "report": report,
        "can_aging": request.user.has_perm(REPORTS)}, status=status)
