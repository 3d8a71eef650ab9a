from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from exchange import files
from exchange.models import ExportJob, ImportJob
from exchange.services import jobs_sweep


def _job(model, **fields):
    return model.objects.create(file_key="k", expires_at=timezone.now() + timedelta(hours=1),
                                **fields)


def test_the_sweeper_fails_stale_jobs_in_every_tenant_and_spares_live_ones(acme, globex):
    now = timezone.now()
    stale = now - timedelta(seconds=settings.EXCHANGE_HEARTBEAT_TIMEOUT + 5)
    jobs = {}
    for tenant in (acme, globex):
        with schema_context(tenant.schema_name):
            jobs[tenant.subdomain] = (
                _job(ImportJob, status="writing", heartbeat_at=stale, upload_path="x"),
                _job(ImportJob, status="validating", heartbeat_at=now, upload_path="x"),
                _job(ImportJob, status="queued", upload_path="x"),
                _job(ExportJob, status="writing", heartbeat_at=stale),
            )
    assert jobs_sweep(now=now) >= 4
    for tenant in (acme, globex):
        with schema_context(tenant.schema_name):
            dead, live, queued, export = jobs[tenant.subdomain]
            for job in (dead, live, queued, export):
                job.refresh_from_db()
            assert dead.status == export.status == "failed"
            assert dead.errors[0]["code"] == "worker_lost" and dead.finished_at == now
            assert live.status == "validating" and queued.status == "queued"


def test_expired_files_are_deleted(acme, settings, tmp_path):
    with schema_context(acme.schema_name):
        relative = files.tenant_relative_path("exports", "old.xlsx")
        path = files.file_save(relative, [b"data"])
        job = _job(ExportJob, status="done", file_path=relative)
        ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(1))
    assert path.exists()
    jobs_sweep()
    assert not path.exists()
    with schema_context(acme.schema_name):
        job.refresh_from_db()
        assert job.file_path == ""


def test_a_path_of_another_tenant_is_never_opened(acme, globex):
    with schema_context(globex.schema_name):
        theirs = files.tenant_relative_path("exports", "x.xlsx")
    with schema_context(acme.schema_name):
        for relative in (theirs, f"exchange/{acme.schema_name}/../{globex.schema_name}/x"):
            try:
                files.absolute(relative)
            except FileNotFoundError:
                continue
            raise AssertionError(relative)


def test_a_writer_whose_job_was_swept_does_not_commit(acme):
    import pytest

    from exchange.importing import JobSwept, _still_ours

    with schema_context(acme.schema_name):
        job = _job(ImportJob, status="writing", heartbeat_at=timezone.now(), upload_path="x")
        _still_ours(job.pk)  # still ours: the write may commit
        ImportJob.objects.filter(pk=job.pk).update(status="failed")
        with pytest.raises(JobSwept):
            _still_ours(job.pk)


def test_the_heartbeat_stamps_a_running_job_from_its_own_connection(committed_tenant):
    import time

    from exchange.reporting import Heartbeat

    with schema_context(committed_tenant.schema_name):
        job = _job(ImportJob, status="validating", upload_path="x")
        with Heartbeat(ImportJob, job.pk, interval=0.01) as heartbeat:
            heartbeat.report(rows_processed=7)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                job.refresh_from_db()
                if job.heartbeat_at and job.rows_processed == 7:
                    break
                time.sleep(0.01)
        assert job.heartbeat_at is not None and job.rows_processed == 7


def test_a_job_no_worker_picked_up_is_failed_with_a_reason_and_can_be_rerun(acme, settings):
    from django.db import connection

    from exchange.services import export_job_rerun
    from tests.conftest import api_client

    now = timezone.now()
    with schema_context(acme.schema_name):
        fresh = _job(ExportJob, status="queued")
        forgotten = _job(ExportJob, status="queued")
        ExportJob.objects.filter(pk=forgotten.pk).update(
            created_at=now - timedelta(seconds=settings.EXCHANGE_QUEUED_TIMEOUT + 1))
    jobs_sweep(now=now)
    with schema_context(acme.schema_name):
        fresh.refresh_from_db()
        forgotten.refresh_from_db()
        assert fresh.status == "queued"
        assert forgotten.status == "failed"
        assert forgotten.errors[0]["code"] == "not_picked_up"
        assert "5 phút" in forgotten.errors[0]["detail"]  # acme's language (vi), 5 minutes

    owner = api_client(acme, "owner@acme.test")
    with schema_context(acme.schema_name):
        from django.contrib.auth.models import User

        ExportJob.objects.filter(pk=forgotten.pk).update(
            created_by=User.objects.get(username="owner@acme.test"), filters={"role": "agent"})
    response = owner.post(f"/api/v1/exports/{forgotten.pk}/rerun")
    assert response.status_code == 202, response.content
    with schema_context(acme.schema_name):
        again = ExportJob.objects.get(pk=response.json()["id"])
        assert again.status == "queued" and again.filters == {"role": "agent"}
        # Only a failed job runs again.
        connection.tenant = acme
        from exchange.exceptions import JobNotFinished

        try:
            export_job_rerun(job=again, user=again.created_by)
        except JobNotFinished:
            pass
        else:
            raise AssertionError("a queued job was rerun")
    assert owner.post(f"/api/v1/exports/{again.pk}/rerun").status_code == 409
    # Another user's export is not theirs to rerun.
    assert api_client(acme, "manager@acme.test").post(
        f"/api/v1/exports/{forgotten.pk}/rerun").status_code == 404


def test_an_import_whose_worker_dies_after_the_commit_says_done(acme):
    """Before: the job was marked done only after the write's commit, so a worker killed in
    between left it `writing`, and the sweeper then said nothing was written."""
    from django.db import connection

    from exchange.importing import import_execute
    from exchange.services import _claim
    from tests.conftest import api_client
    from tests.exchange.factories import upload, vn_customers, workbook_bytes

    owner = api_client(acme, "owner@acme.test")
    response = upload(owner, workbook_bytes(vn_customers(3, start=900)))
    job_id = response.json()["id"]
    with schema_context(acme.schema_name):
        connection.tenant = acme
        assert _claim(ImportJob, job_id, ImportJob.Status.VALIDATING)
        import_execute(ImportJob.objects.get(pk=job_id))  # ... and the worker dies here
        job = ImportJob.objects.get(pk=job_id)
        assert job.status == "done" and job.created == 3 and job.finished_at is not None
    stale = timezone.now() + timedelta(seconds=settings.EXCHANGE_HEARTBEAT_TIMEOUT + 60)
    jobs_sweep(now=stale)
    with schema_context(acme.schema_name):
        assert ImportJob.objects.get(pk=job_id).status == "done"
