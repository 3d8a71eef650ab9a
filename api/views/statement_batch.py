"""Statement batches (DESIGN §6): POST starts one (202 {id, status}); GET shows its
progress; the zip is fetched here only, by those crm.jobs lets read the job."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from api.base import APIView
from exchange.files import job_file_response as file_response
from exchange.models import StatementBatchJob
from exchange.selectors import statement_batch_get, statement_batch_progress
from exchange.statement_batch import statement_batch_create, statement_batch_rerun
from tenants.current import tenant_current

LANGUAGES = ("vi", "zh-hant", "en")


class CanRunStatements(BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("finance.view_report")


class StatementBatchRequestSerializer(serializers.Serializer):
    # `from` and `to` (DESIGN §6); `from` is a Python keyword, hence the class namespace.
    locals()["from"] = serializers.DateField()
    locals()["to"] = serializers.DateField()
    branch = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                      max_value=2**63 - 1)
    owner = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                     max_value=2**63 - 1)
    group = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                     max_value=2**63 - 1)
    nonzero_only = serializers.BooleanField(required=False, default=False)
    consolidated = serializers.BooleanField(required=False, default=False)
    email = serializers.BooleanField(required=False, default=False)
    lang = serializers.ChoiceField(choices=LANGUAGES, required=False)


class StatementBatchSerializer(serializers.ModelSerializer):
    file = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    # The request's names (DESIGN §6): `from` and `to`.
    period = serializers.SerializerMethodField()

    class Meta:
        model = StatementBatchJob
        fields = ["id", "status", "period", "filters", "lang", "consolidated", "email",
                  "total", "processed", "progress", "statements", "emails_sent",
                  "chunks_total", "chunks_done", "errors", "file", "rerun_of", "created_at",
                  "started_at", "heartbeat_at", "finished_at", "expires_at"]

    def get_period(self, job) -> dict:
        return {"from": job.period_from.isoformat(), "to": job.period_to.isoformat()}

    def get_progress(self, job) -> int:
        return statement_batch_progress(job)

    def get_file(self, job) -> str | None:
        if not job.file_path or job.status != StatementBatchJob.Status.DONE:
            return None
        return self.context["request"].build_absolute_uri(
            f"/api/v1/statements/batch/{job.pk}/file?key={job.file_key}")


def _accepted(job) -> Response:
    return Response({"id": job.pk, "status": job.status}, status=status.HTTP_202_ACCEPTED)


class StatementBatchCreateView(APIView):
    permission_classes = [IsAuthenticated, CanRunStatements]

    @extend_schema(request=StatementBatchRequestSerializer, responses={202: dict})
    def post(self, request):
        serializer = StatementBatchRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        filters = {k: data[k] for k in ("branch", "owner", "group") if data.get(k)}
        filters["nonzero_only"] = data["nonzero_only"]
        job = statement_batch_create(
            user=request.user, period_from=data["from"], period_to=data["to"],
            filters=filters, lang=data.get("lang") or tenant_current().locale,
            consolidated=data["consolidated"], email=data["email"])
        return _accepted(job)


class StatementBatchView(APIView):
    permission_classes = [IsAuthenticated, CanRunStatements]

    @extend_schema(responses={200: StatementBatchSerializer})
    def get(self, request, pk):
        job = statement_batch_get(user=request.user, pk=pk)
        return Response(StatementBatchSerializer(job, context={"request": request}).data)


class StatementBatchRerunView(APIView):
    permission_classes = [IsAuthenticated, CanRunStatements]

    @extend_schema(request=None, responses={202: dict})
    def post(self, request, pk):
        job = statement_batch_get(user=request.user, pk=pk)
        return _accepted(statement_batch_rerun(job=job, user=request.user))


class StatementBatchFileView(APIView):
    permission_classes = [IsAuthenticated, CanRunStatements]

    @extend_schema(responses={(200, "application/zip"): bytes})
    def get(self, request, pk):
        job = statement_batch_get(user=request.user, pk=pk)
        return file_response(job, job.file_path, request.query_params.get("key"),
                             job.file_path.rsplit("/", 1)[-1], content_type="application/zip")
