"""Statements (DESIGN §8): one customer or a group company (its own statement or the
consolidated one), a month or a custom period, the preview on screen from
finance.statements.statement_build's data, PDF / Excel / print; and the batch for all
(exchange.statement_batch) with its job page and zip. Customers through crm.selectors."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET, require_POST

from crm import selectors as crm_selectors
from exchange import files
from exchange.models import StatementBatchJob
from exchange.selectors import statement_batch_get, statement_batch_list, statement_batch_progress
from exchange.statement_batch import statement_batch_create, statement_batch_rerun
from finance import statement_formats, statements
from finance.selectors import tenant_today
from saas_platform.errors import DomainError
from web.back_office_forms import StatementBatchForm, StatementForm
from web.errors import form_errors_add
from web.forms import TokenForm
from web.jobs import job_or_404, job_page, job_start_once
from web.views.customers import customer_or_404, fragment_wanted

REPORTS = "finance.view_report"
ALIASES = {"from": "period_from", "to": "period_to"}
FORMATS = {"pdf": "application/pdf", "xlsx": files.XLSX}
PICKED = 20


def _lang(form) -> str:
    return form.cleaned_data.get("lang") or translation.get_language() or "en"


def _batch_form(request, data=None):
    return StatementBatchForm(data, today=tenant_today(),
                              initial={"month": _this_month(), "lang": translation.get_language()},
                              choices=crm_selectors.customer_form_choices(user=request.user))


def _asked(request):
    """The statement asked for: this month and the page's language unless said."""
    data = request.GET.copy()
    if not data:
        data["month"] = _this_month()
    data.setdefault("lang", translation.get_language())
    return data


def _this_month() -> str:
    return tenant_today().strftime("%Y-%m")


def _screen(request, batch_form=None, status=200):
    context = {"nav": "statements", "batch_form": batch_form or _batch_form(request),
               "batches": statement_batch_list(user=request.user)[:10]}
    template = "web/statements.html"
    if status == 422 and fragment_wanted(request):
        template += "#batch"
    return render(request, template, context, status=status)


@require_GET
@login_required
@permission_required(REPORTS, raise_exception=True)
def statements_screen(request):
    return _screen(request)


@require_GET
@login_required
@permission_required(REPORTS, raise_exception=True)
def statement_customers(request):
    """The customers matching what was typed (visible ones only), for the picker."""
    search = request.GET.get("search", "").strip()[:100]
    found = []
    if search:
        found = crm_selectors.customer_list(user=request.user, filters={"search": search}) \
            .order_by("code")[:PICKED]
    return render(request, "web/statements.html#picked",
                  {"customers": found, "search": search, "month": _this_month()})


def _statement(request, customer, form):
    """The statement the form asks for, its labels in the statement's language, or None
    with the errors on the form (in the user's language)."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    consolidated = data.get("consolidated") == "1"
    try:
        statements.period_check(data["period_from"], data["period_to"])
        members = (statements.group_members_visible(user=request.user, customer=customer)
                   if consolidated else None)
        with translation.override(_lang(form)):
            return statements.statement_build(
                customer=customer, period_from=data["period_from"],
                period_to=data["period_to"], consolidated=consolidated, members=members)
    except DomainError as error:
        form_errors_add(error, form, ALIASES)
        return None


def _statement_page(request, customer, form, statement):
    members = statements.group_members(customer)[1:]
    context = {"nav": "statements", "customer": customer, "form": form,
               "statement": statement, "query": request.GET.urlencode(),
               "subsidiaries": crm_selectors.customer_visible(request.user)
               .filter(pk__in=[m.pk for m in members]).order_by("code")}
    if statement is not None:
        context["statement_lang"] = _lang(form)
        with translation.override(_lang(form)):
            context["confirmation"] = statement_formats.confirmation_text(statement)
    return render(request, "web/statement.html", context,
                  status=200 if statement is not None else 422)


@require_GET
@login_required
@permission_required(REPORTS, raise_exception=True)
def customer_statement(request, pk: int):
    """The preview: the page in the user's language, the statement's own words (its
    lines' descriptions, the confirmation) in the statement's."""
    customer = customer_or_404(request, pk)
    form = StatementForm(_asked(request), today=tenant_today())
    return _statement_page(request, customer, form, _statement(request, customer, form))


@require_GET
@login_required
@permission_required(REPORTS, raise_exception=True)
def customer_statement_file(request, pk: int, kind: str):
    if kind not in FORMATS:
        raise Http404
    customer = customer_or_404(request, pk)
    form = StatementForm(_asked(request), today=tenant_today())
    statement = _statement(request, customer, form)
    if statement is None:
        return _statement_page(request, customer, form, None)
    with translation.override(_lang(form)):
        body = (statement_formats.statement_pdf(statement) if kind == "pdf"
                else statement_formats.statement_xlsx(statement))
    response = HttpResponse(body, content_type=FORMATS[kind])
    name = f"statement-{customer.code}-{statement.period_from}-{statement.period_to}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _batch_url(job) -> str:
    return reverse("web:statement_batch_job", args=[job.pk])


@require_POST
@login_required
@permission_required(REPORTS, raise_exception=True)
def statement_batch_start(request):
    form = _batch_form(request, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            response = job_start_once(request, data["token"], lambda: statement_batch_create(
                user=request.user, period_from=data["period_from"],
                period_to=data["period_to"], filters=form.filters(), lang=_lang(form)),
                _batch_url)
        except DomainError as error:
            form_errors_add(error, form, ALIASES)
        else:
            if response is not None:
                return response
    return _screen(request, form, status=422)


def _batch(request, pk: int) -> StatementBatchJob:
    return job_or_404(statement_batch_get, request, pk)


@require_GET
@login_required
@permission_required(REPORTS, raise_exception=True)
def statement_batch_job(request, pk: int):
    job = _batch(request, pk)
    done = job.status == StatementBatchJob.Status.DONE
    return job_page(request, "web/statement_batch_job.html", {
        "nav": "statements", "job": job,
        "finished": job.status in (StatementBatchJob.Status.DONE,
                                   StatementBatchJob.Status.FAILED),
        "progress": statement_batch_progress(job),
        "file": reverse("web:statement_batch_file", args=[job.pk]) + f"?key={job.file_key}"
        if done and job.file_path else None,
    })


@require_GET
@login_required
@permission_required(REPORTS, raise_exception=True)
def statement_batch_file(request, pk: int):
    job = _batch(request, pk)
    return files.job_file_response(job, job.file_path, request.GET.get("key"),
                                   job.file_path.rsplit("/", 1)[-1],
                                   content_type="application/zip")


@require_POST
@login_required
@permission_required(REPORTS, raise_exception=True)
def statement_batch_rerun_view(request, pk: int):
    job = _batch(request, pk)
    form = TokenForm(request.POST)
    if not form.is_valid():
        return redirect(_batch_url(job))
    try:
        response = job_start_once(request, form.cleaned_data["token"],
                                  lambda: statement_batch_rerun(job=job, user=request.user),
                                  _batch_url)
    except DomainError as error:
        return HttpResponse(error.message, status=error.http_status)
    return response or redirect(_batch_url(job))
