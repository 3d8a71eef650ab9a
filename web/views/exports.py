"""Export of the customer list as it is filtered on the list page (DESIGN §7): the job
(exchange.services.export_job_create with crm's list filters), its page with progress and
the file when done, rerun. crm.jobs says who may read a job."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm import selectors as crm_selectors
from exchange import files
from exchange.columns import lang_or_default
from exchange.models import ExportJob
from exchange.selectors import export_job_get, export_job_progress
from exchange.services import export_job_create, export_job_rerun
from saas_platform.errors import DomainError
from web.forms import TokenForm
from web.jobs import job_or_404, job_page, job_start_once

EXPORT = "exchange.add_exportjob"


def _job_url(job) -> str:
    return reverse("web:export_job", args=[job.pk])


def _refused(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


@require_POST
@login_required
@permission_required(EXPORT, raise_exception=True)
def export_start(request):
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _refused(_("This form has expired; reload the page."), 400)
    filters = crm_selectors.customer_list_filters(request.POST)
    try:  # the list's own reading of the filters: a bad value is refused here, not later
        crm_selectors.customer_list(user=request.user, filters=filters).exists()
    except ValueError:
        return _refused(_("Invalid filter value."), 422)
    response = job_start_once(request, form.cleaned_data["token"], lambda: export_job_create(
        user=request.user, filters=filters,
        lang=lang_or_default(translation.get_language())), _job_url)
    return response or _refused(_("This form is already being sent."), 409)


@require_GET
@login_required
@permission_required(EXPORT, raise_exception=True)
def export_job(request, pk: int):
    job = job_or_404(export_job_get, request, pk)
    done = job.status == ExportJob.Status.DONE
    return job_page(request, "web/export_job.html", {
        "nav": "import", "job": job, "progress": export_job_progress(job),
        "finished": job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED),
        "file": reverse("web:export_file", args=[job.pk]) + f"?key={job.file_key}"
        if done and job.file_path else None,
    })


@require_GET
@login_required
@permission_required(EXPORT, raise_exception=True)
def export_file(request, pk: int):
    job = job_or_404(export_job_get, request, pk)
    return files.job_file_response(job, job.file_path, request.GET.get("key"),
                                   f"customers-{job.pk}.xlsx")


@require_POST
@login_required
@permission_required(EXPORT, raise_exception=True)
def export_rerun(request, pk: int):
    job = job_or_404(export_job_get, request, pk)
    form = TokenForm(request.POST)
    if not form.is_valid():
        return redirect(_job_url(job))
    try:
        response = job_start_once(request, form.cleaned_data["token"],
                                  lambda: export_job_rerun(job=job, user=request.user), _job_url)
    except DomainError as error:
        return _refused(error.message, error.http_status)
    return response or redirect(_job_url(job))
