"""Import of customers (DESIGN §7): the template in each language, the upload with its
mode and match, and the job's own page with its live progress, counts, row errors, error
workbook and rerun. Jobs through exchange.services and exchange.selectors (crm.jobs says
who may read one)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from exchange import files
from exchange.columns import LANGUAGES, lang_or_default
from exchange.models import ImportJob
from exchange.selectors import (
    export_job_list,
    import_job_get,
    import_job_list,
    import_job_progress,
)
from exchange.services import import_job_create, import_job_rerun
from exchange.template import template_build
from saas_platform.errors import DomainError
from tenants.current import tenant_current
from web.back_office_forms import ImportForm
from web.forms import TokenForm
from web.jobs import job_or_404, job_page, job_start_once
from web.navigation import screen_allowed

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "zh-hant": "繁體中文", "en": "English"}
RECENT = 10


def _can_import(user) -> bool:
    return user.has_perm("exchange.add_importjob")


def _screen(request, form=None, status=200):
    user = request.user
    if not screen_allowed(user, "import"):
        raise PermissionDenied
    context = {"nav": "import", "can_import": _can_import(user),
               "can_export": user.has_perm("exchange.add_exportjob"),
                      "templates": [(lang, LANGUAGE_NAMES[lang]) for lang in LANGUAGES]}
    if context["can_import"]:
        context["form"] = form or ImportForm()
        context["imports"] = import_job_list(user=user)[:RECENT]
    if context["can_export"]:
        context["exports"] = export_job_list(user=user)[:RECENT]
    template = "web/import.html"
    if status == 422 and request.htmx:
        template += "#upload"
    return render(request, template, context, status=status)


def _job_url(job) -> str:
    return reverse("web:import_job", args=[job.pk])


@require_http_methods(["GET", "POST"])
@login_required
def import_screen(request):
    if request.method == "GET":
        return _screen(request)
    if not _can_import(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        response = job_start_once(request, data["token"], lambda: import_job_create(
            user=request.user, upload=data["file"], mode=data["mode"], match=data["match"],
            lang=translation.get_language()),
            _job_url)
        if response is not None:
            return response
        form.add_error(None, _("This form is already being sent."))
    return _screen(request, form, status=422)


@require_GET
@login_required
def import_template(request):
    if not _can_import(request.user):
        raise PermissionDenied
    tenant = tenant_current()
    lang = lang_or_default(request.GET.get("lang") or tenant.locale)
    response = HttpResponse(template_build(lang=lang, region=tenant.region),
                            content_type=files.XLSX)
    response["Content-Disposition"] = f'attachment; filename="customers-template-{lang}.xlsx"'
    return response


def _job(request, pk: int) -> ImportJob:
    if not _can_import(request.user):
        raise PermissionDenied
    return job_or_404(import_job_get, request, pk)


@require_GET
@login_required
def import_job(request, pk: int):
    job = _job(request, pk)
    finished = job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED)
    return job_page(request, "web/import_job.html", {
        "nav": "import", "job": job, "finished": finished,
        "progress": import_job_progress(job),
        "error_file": reverse("web:import_error_file", args=[job.pk]) + f"?key={job.file_key}"
        if job.error_file_path else None,
    })


@require_GET
@login_required
def import_error_file(request, pk: int):
    job = _job(request, pk)
    return files.job_file_response(job, job.error_file_path, request.GET.get("key"),
                                   f"import-{job.pk}-errors.xlsx")


@require_POST
@login_required
def import_rerun(request, pk: int):
    job = _job(request, pk)
    form = TokenForm(request.POST)
    if not form.is_valid():
        return redirect(_job_url(job))
    try:
        response = job_start_once(request, form.cleaned_data["token"],
                                  lambda: import_job_rerun(job=job, user=request.user,
                                                           lang=translation.get_language()),
                                  _job_url)
    except DomainError as error:
        return render(request, "web/import_job.html", {
            "nav": "import", "job": job, "finished": True, "progress": 100,
            "rerun_error": error.message}, status=error.http_status)
    return response or redirect(_job_url(job))
