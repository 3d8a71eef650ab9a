"""Import / export of customers: every POST starts a job (202 {id, status}); the worker
does the work; GET shows progress; files are fetched only here, by the tenant's users."""

import json

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from api.base import APIView
from exchange.columns import LANGUAGES, lang_or_default
from exchange.files import job_file_response as file_response
from exchange.models import ExportJob, ImportJob
from exchange.selectors import (
    export_job_get,
    export_job_progress,
    import_job_get,
    import_job_progress,
)
from exchange.services import (
    export_job_create,
    export_job_rerun,
    import_job_create,
    import_job_rerun,
)
from exchange.template import template_build
from tenants.current import tenant_current

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CanImport(BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("exchange.add_importjob")


class CanExport(BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("exchange.add_exportjob")


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField()
    mode = serializers.ChoiceField(choices=ImportJob.Mode.choices,
                                   default=ImportJob.Mode.ALL_OR_NOTHING)
    match = serializers.ChoiceField(choices=ImportJob.Match.choices,
                                    default=ImportJob.Match.CODE)

    def validate_file(self, upload):
        if upload.size > settings.IMPORT_MAX_UPLOAD_MB * 1024 * 1024:
            limit = settings.IMPORT_MAX_UPLOAD_MB
            raise serializers.ValidationError(
                _("The file is larger than %(limit)d MB.") % {"limit": limit})
        return upload


class ImportJobSerializer(serializers.ModelSerializer):
    error_file = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = ["id", "status", "mode", "match", "original_name", "rows_total",
                  "rows_processed", "progress", "created", "updated", "failed",
                  "contacts_created", "warnings", "errors", "error_file",
                  "opening_balances_posted", "rerun_of", "created_at", "started_at",
                  "heartbeat_at", "finished_at", "expires_at"]

    def get_progress(self, job) -> int:
        return import_job_progress(job)

    def get_error_file(self, job) -> str | None:
        if not job.error_file_path:
            return None
        return self.context["request"].build_absolute_uri(
            f"/api/v1/imports/{job.pk}/error-file?key={job.file_key}")


class ExportJobSerializer(serializers.ModelSerializer):
    file = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = ["id", "status", "filters", "lang", "rows_total", "rows_processed", "progress",
                  "errors", "file", "created_at", "started_at", "heartbeat_at", "finished_at",
                  "expires_at"]

    def get_progress(self, job) -> int:
        return export_job_progress(job)

    def get_file(self, job) -> str | None:
        if not job.file_path:
            return None
        return self.context["request"].build_absolute_uri(
            f"/api/v1/exports/{job.pk}/file?key={job.file_key}")


def _accepted(job) -> Response:
    return Response({"id": job.pk, "status": job.status}, status=status.HTTP_202_ACCEPTED)


class ImportTemplateView(APIView):
    permission_classes = [CanImport]

    @extend_schema(responses={(200, XLSX): bytes})
    def get(self, request):
        # The request's language (?lang=, Accept-Language, else the tenant's), as imports.
        lang = lang_or_default(request.query_params.get("lang"))
        content = template_build(lang=lang, region=tenant_current().region)
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="customers-template-{lang}.xlsx"'
        return response


class ImportCustomersView(APIView):
    permission_classes = [CanImport]

    @extend_schema(request={"multipart/form-data": ImportRequestSerializer},
                   responses={202: dict})
    def post(self, request):
        serializer = ImportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = import_job_create(user=request.user, upload=serializer.validated_data["file"],
                                mode=serializer.validated_data["mode"],
                                match=serializer.validated_data["match"],
                                lang=translation.get_language())
        return _accepted(job)


class ImportJobView(APIView):
    permission_classes = [CanImport]

    @extend_schema(responses={200: ImportJobSerializer})
    def get(self, request, pk):
        job = import_job_get(user=request.user, pk=pk)
        return Response(ImportJobSerializer(job, context={"request": request}).data)


class ImportRerunView(APIView):
    permission_classes = [CanImport]

    @extend_schema(request=None, responses={202: dict})
    def post(self, request, pk):
        job = import_job_get(user=request.user, pk=pk)
        return _accepted(import_job_rerun(job=job, user=request.user,
                                          lang=translation.get_language()))


class ImportErrorFileView(APIView):
    permission_classes = [CanImport]

    @extend_schema(responses={(200, XLSX): bytes})
    def get(self, request, pk):
        job = import_job_get(user=request.user, pk=pk)
        return file_response(job, job.error_file_path, request.query_params.get("key"),
                              f"import-{job.pk}-errors.xlsx")


class ExportRequestSerializer(serializers.Serializer):
    filters = serializers.DictField(required=False, default=dict)
    lang = serializers.ChoiceField(choices=LANGUAGES, required=False)


class ExportCustomersView(APIView):
    permission_classes = [CanExport]

    @extend_schema(request=ExportRequestSerializer, responses={202: dict})
    def post(self, request):
        serializer = ExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lang = lang_or_default(serializer.validated_data.get("lang"))
        # Stored as JSON; odd values (numbers, nested lists) make the job fail, not the request.
        filters = json.loads(json.dumps(serializer.validated_data["filters"], default=str))
        job = export_job_create(user=request.user, filters=filters, lang=lang)
        return _accepted(job)


class ExportJobView(APIView):
    permission_classes = [CanExport]

    @extend_schema(responses={200: ExportJobSerializer})
    def get(self, request, pk):
        job = export_job_get(user=request.user, pk=pk)
        return Response(ExportJobSerializer(job, context={"request": request}).data)


class ExportRerunView(APIView):
    permission_classes = [CanExport]

    @extend_schema(request=None, responses={202: dict})
    def post(self, request, pk):
        job = export_job_get(user=request.user, pk=pk)
        return _accepted(export_job_rerun(job=job, user=request.user))


class ExportFileView(APIView):
    permission_classes = [CanExport]

    @extend_schema(responses={(200, XLSX): bytes})
    def get(self, request, pk):
        job = export_job_get(user=request.user, pk=pk)
        return file_response(job, job.file_path, request.query_params.get("key"),
                              f"customers-{job.pk}.xlsx")
