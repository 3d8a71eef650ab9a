"""Statement batches: the zip (a PDF per customer whose text has the names, a summary
whose numeric cells are statement_build's figures), chunks that a redelivery does not
duplicate, resuming after a killed chunk, the heartbeat sweep, rerun, who may read a
batch (404 otherwise, other tenants included) and bad input."""

import io
import zipfile
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from pypdf import PdfReader

from crm.models import Contact, CustomerGroup
from exchange import statement_batch as batch
from exchange.models import StatementBatchChunk, StatementBatchJob
from exchange.services import jobs_sweep
from finance import vouchers
from finance.selectors import BUCKETS
from finance.statement_formats import statement_pdf
from finance.statements import statement_build
from tests.conftest import api_client
from tests.finance.factories import customer_make, user

VIETNAMESE = "Công ty TNHH Nguyễn Thị Ánh Đào ờ ỡ ặ"
CHINESE = "青島市XX建築有限公司"


def _today(tenant):
    return timezone.now().astimezone(ZoneInfo(tenant.timezone)).date()


def customers_with_activity(tenant, *, owner="owner@acme.test"):
    """A group of three customers: a Vietnamese and a Chinese name with debts and a
    receipt this month, and one with nothing at all."""
    actor = user(owner)
    group = CustomerGroup.objects.create(code=f"B{CustomerGroup.objects.count()}",
                                         name="Batch")
    made = [customer_make(name=VIETNAMESE, group=group), customer_make(name=CHINESE, group=group),
            customer_make(name="Khách không nợ", group=group)]
    for customer, target in zip(made[:2], (Decimal(1_500_000), Decimal(275_000)), strict=True):
        vouchers.debt_adjust(customer=customer, target_receivable=target, actor=actor)
        vouchers.payment_record(customer=customer, amount=Decimal(100_000), method="cash",
                                actor=actor)
    Contact.objects.create(customer=made[0], name="Kế toán", email="ketoan@example.test",
                           primary=True)
    return group, made


def _post(client, tenant, **body):
    today = _today(tenant)
    body = {"from": today.replace(day=1).isoformat(), "to": today.isoformat(), **body}
    return client.post("/api/v1/statements/batch", body, format="json")


def run_in_process(job_id: int, *, render=None, skip=()) -> None:
    """What the workers do, in this process: plan, every chunk (but `skip`), assemble."""
    batch.statement_batch_plan(job_id=job_id)
    for chunk in StatementBatchChunk.objects.filter(job_id=job_id).order_by("index"):
        if chunk.index not in skip:
            batch.statement_batch_chunk(job_id=job_id, index=chunk.index, render=render)
    batch.statement_batch_assemble(job_id=job_id)


def zip_of(client, job: dict) -> zipfile.ZipFile:
    path = "/" + job["file"].split("://", 1)[1].split("/", 1)[1]
    response = client.get(path)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def assert_zip_matches(archive: zipfile.ZipFile, customers, period) -> None:
    """Each customer's PDF has its name in its text; each summary row equals
    statement_build's figures, as numbers."""
    names = sorted(archive.namelist())
    assert names == sorted(["summary.xlsx", *(f"{c.code}.pdf" for c in customers)])
    for customer in customers:
        text = PdfReader(io.BytesIO(archive.read(f"{customer.code}.pdf"))).pages[0].extract_text()
        assert customer.name in text
    sheet = openpyxl.load_workbook(io.BytesIO(archive.read("summary.xlsx"))).active
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {c.code for c in customers}
    for customer in customers:
        statement = statement_build(customer=customer, period_from=period[0],
                                    period_to=period[1])
        row = rows[customer.code]
        assert row[1] == customer.name
        assert all(isinstance(v, int | float) for v in row[2:])
        expected = [statement.opening, statement.debits, statement.credits, statement.closing,
                    *(statement.aging[b] for b in BUCKETS)]
        assert [Decimal(str(v)) for v in row[2:]] == expected


@pytest.fixture
def small_chunks(settings):
    settings.STATEMENT_BATCH_CHUNK = 2


def _job(client, job_id) -> dict:
    response = client.get(f"/api/v1/statements/batch/{job_id}")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_batch_makes_a_zip_of_pdfs_and_a_summary_equal_to_the_statements(
        acme, acme_owner, small_chunks):
    with schema_context(acme.schema_name):
        group, made = customers_with_activity(acme)
    response = _post(acme_owner, acme, group=group.pk, lang="vi")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    job_id = response.json()["id"]
    with schema_context(acme.schema_name):
        connection.tenant = acme
        run_in_process(job_id)
        job = _job(acme_owner, job_id)
        assert (job["status"], job["total"], job["processed"], job["statements"],
                job["chunks_total"], job["progress"]) == ("done", 3, 3, 3, 2, 100)
        today = _today(acme)
        assert_zip_matches(zip_of(acme_owner, job), made, (today.replace(day=1), today))


def test_nonzero_only_leaves_out_customers_with_nothing_to_state(acme, acme_owner):
    with schema_context(acme.schema_name):
        group, made = customers_with_activity(acme)
    job_id = _post(acme_owner, acme, group=group.pk, nonzero_only=True).json()["id"]
    with schema_context(acme.schema_name):
        connection.tenant = acme
        run_in_process(job_id)
        job = _job(acme_owner, job_id)
        assert (job["total"], job["statements"]) == (3, 2)
        names = zip_of(acme_owner, job).namelist()
        assert f"{made[2].code}.pdf" not in names and f"{made[0].code}.pdf" in names


def test_a_redelivered_chunk_renders_nothing_twice_and_counts_once(acme, acme_owner,
                                                                   small_chunks):
    with schema_context(acme.schema_name):
        group, _made = customers_with_activity(acme)
    job_id = _post(acme_owner, acme, group=group.pk).json()["id"]
    rendered = []

    def render(statement):
        rendered.append(statement.customer.code)
        return statement_pdf(statement)

    with schema_context(acme.schema_name):
        connection.tenant = acme
        batch.statement_batch_plan(job_id=job_id)
        batch.statement_batch_plan(job_id=job_id)  # the plan redelivered: no second plan
        assert StatementBatchChunk.objects.filter(job_id=job_id).count() == 2
        for _delivery in range(2):
            batch.statement_batch_chunk(job_id=job_id, index=0, render=render)
        assert len(rendered) == 2  # the second delivery found chunk 0 done
        job = StatementBatchJob.objects.get(pk=job_id)
        assert (job.processed, job.chunks_done, job.statements) == (2, 1, 2)
        batch.statement_batch_chunk(job_id=job_id, index=1, render=render)
        batch.statement_batch_assemble(job_id=job_id)
        batch.statement_batch_assemble(job_id=job_id)
        archive = zip_of(acme_owner, _job(acme_owner, job_id))
        assert len(archive.namelist()) == len(set(archive.namelist())) == 4


def test_a_chunk_killed_mid_render_is_redone_alone_and_the_batch_resumes(
        acme, acme_owner, small_chunks):
    with schema_context(acme.schema_name):
        group, made = customers_with_activity(acme)
    job_id = _post(acme_owner, acme, group=group.pk).json()["id"]
    rendered = []

    def dies_after_one(statement):
        if rendered:
            raise SystemExit("worker killed")  # not an Exception: nothing catches it
        rendered.append(statement.customer.code)
        return statement_pdf(statement)

    with schema_context(acme.schema_name):
        connection.tenant = acme
        batch.statement_batch_plan(job_id=job_id)
        batch.statement_batch_chunk(job_id=job_id, index=1)  # finished before the kill
        with pytest.raises(SystemExit):
            batch.statement_batch_chunk(job_id=job_id, index=0, render=dies_after_one)
        job = StatementBatchJob.objects.get(pk=job_id)
        assert (job.status, job.chunks_done, job.processed) == ("running", 1, 1)
        assert not StatementBatchChunk.objects.get(job_id=job_id, index=0).done

        redone = []

        def counting(statement):
            redone.append(statement.customer.code)
            return statement_pdf(statement)

        run_in_process(job_id, render=counting)  # the redelivery: plan re-sends, chunks run
        assert sorted(redone) == sorted(c.code for c in made[:2])  # chunk 0 only
        job = _job(acme_owner, job_id)
        assert job["status"] == "done" and job["processed"] == 3
        today = _today(acme)
        assert_zip_matches(zip_of(acme_owner, job), made, (today.replace(day=1), today))


def _first_chunk_done(tenant, client) -> int:
    """A batch of the group's customers, planned, its first chunk rendered, the second not."""
    with schema_context(tenant.schema_name):
        group, _made = customers_with_activity(tenant)
    job_id = _post(client, tenant, group=group.pk).json()["id"]
    with schema_context(tenant.schema_name):
        connection.tenant = tenant
        batch.statement_batch_plan(job_id=job_id)
        batch.statement_batch_chunk(job_id=job_id, index=0)
    return job_id


def test_a_silent_batch_is_failed_by_the_sweeper_with_a_reason_then_rerun(
        acme, acme_owner, small_chunks):
    job_id = _first_chunk_done(acme, acme_owner)
    with schema_context(acme.schema_name):
        # A worker takes chunk 1 (as statement_batch_chunk marks it) and dies on it.
        StatementBatchChunk.objects.filter(job_id=job_id, index=1).update(
            started_at=timezone.now())
    assert acme_owner.post(f"/api/v1/statements/batch/{job_id}/rerun").status_code == 409
    later = timezone.now() + timedelta(seconds=settings.EXCHANGE_HEARTBEAT_TIMEOUT + 1)
    assert jobs_sweep(now=later - timedelta(seconds=2)) == 0  # still within the timeout
    assert jobs_sweep(now=later) >= 1
    job = _job(acme_owner, job_id)
    assert job["status"] == "failed" and job["file"] is None
    assert job["errors"][0]["code"] == "worker_lost"
    assert "statement" in job["errors"][0]["detail"].lower() or "bảng" in \
        job["errors"][0]["detail"].lower()
    with schema_context(acme.schema_name):  # a late chunk of the failed job does nothing
        connection.tenant = acme
        batch.statement_batch_chunk(job_id=job_id, index=1)
        assert StatementBatchJob.objects.get(pk=job_id).chunks_done == 1

    response = acme_owner.post(f"/api/v1/statements/batch/{job_id}/rerun")
    assert response.status_code == 202, response.content
    rerun_id = response.json()["id"]
    with schema_context(acme.schema_name):
        connection.tenant = acme
        run_in_process(rerun_id)
    rerun = _job(acme_owner, rerun_id)
    assert rerun["status"] == "done" and rerun["rerun_of"] == job_id
    assert rerun["period"] == job["period"] and rerun["filters"] == job["filters"]
    assert len(zip_of(acme_owner, rerun).namelist()) == 4


def test_a_batch_whose_chunks_wait_for_busy_workers_is_not_called_lost(
        acme, acme_owner, small_chunks):
    """Chunks queued behind other jobs send no heartbeat: the batch waits as a queued job
    may (EXCHANGE_QUEUED_TIMEOUT), then fails as not picked up, not as a lost worker."""
    job_id = _first_chunk_done(acme, acme_owner)  # chunk 1 waits in the queue
    now = timezone.now()
    assert jobs_sweep(now=now + timedelta(seconds=settings.EXCHANGE_HEARTBEAT_TIMEOUT + 1)) == 0
    assert _job(acme_owner, job_id)["status"] == "running"
    assert jobs_sweep(now=now + timedelta(seconds=settings.EXCHANGE_QUEUED_TIMEOUT + 1)) >= 1
    job = _job(acme_owner, job_id)
    assert job["status"] == "failed" and job["errors"][0]["code"] == "not_picked_up"


def test_the_sweeper_translates_the_reason_and_deletes_expired_files(acme, acme_owner):
    with schema_context(acme.schema_name):
        group, _made = customers_with_activity(acme)
    job_id = _post(acme_owner, acme, group=group.pk).json()["id"]
    with schema_context(acme.schema_name):
        connection.tenant = acme
        run_in_process(job_id)
        job = StatementBatchJob.objects.get(pk=job_id)
        path = batch.files.absolute(job.file_path)
        assert path.exists()
        StatementBatchJob.objects.filter(pk=job_id).update(
            expires_at=timezone.now() - timedelta(hours=1))
    jobs_sweep()
    assert not path.exists() and not path.parent.exists()
    with schema_context(acme.schema_name):
        assert StatementBatchJob.objects.get(pk=job_id).file_path == ""


def test_statements_are_emailed_to_the_primary_contact_when_asked(acme, acme_owner):
    with schema_context(acme.schema_name):
        group, made = customers_with_activity(acme)
    job_id = _post(acme_owner, acme, group=group.pk, email=True, lang="vi").json()["id"]
    with schema_context(acme.schema_name):
        connection.tenant = acme
        run_in_process(job_id)
        batch.statement_batch_chunk(job_id=job_id, index=0)  # redelivered: no second mail
    assert [m.to for m in mail.outbox] == [["ketoan@example.test"]]
    assert mail.outbox[0].attachments[0][0] == f"{made[0].code}.pdf"
    assert _job(acme_owner, job_id)["emails_sent"] == 1


def _done_batch(client, tenant) -> dict:
    with schema_context(tenant.schema_name):
        group, _made = customers_with_activity(tenant)
    response = _post(client, tenant, group=group.pk)
    assert response.status_code == 202, response.content
    with schema_context(tenant.schema_name):
        connection.tenant = tenant
        run_in_process(response.json()["id"])
    return _job(client, response.json()["id"])


def test_a_batch_is_read_by_its_creator_the_owner_and_view_all_jobs_only(acme, globex):
    sales = api_client(acme, "sales@acme.test")
    job = _done_batch(sales, acme)
    file_path = "/" + job["file"].split("://", 1)[1].split("/", 1)[1]
    paths = [f"/api/v1/statements/batch/{job['id']}", file_path]
    owner = api_client(acme, "owner@acme.test")
    for path in paths:
        assert owner.get(path).status_code == 200, path
    manager = api_client(acme, "manager@acme.test")
    for client in (manager, api_client(globex, "owner@globex.test")):
        for path in paths:
            assert client.get(path).status_code == 404, path
        assert client.post(f"/api/v1/statements/batch/{job['id']}/rerun").status_code == 404
    with schema_context(acme.schema_name):
        User.objects.get(username="manager@acme.test").user_permissions.add(
            Permission.objects.get(codename="view_all_jobs"))
    manager = api_client(acme, "manager@acme.test")
    assert manager.get(paths[0]).status_code == 200
    assert owner.get(file_path.replace("key=", "key=x")).status_code == 404
    cashier = api_client(acme, "cashier@acme.test")  # no statements at all
    assert cashier.get(paths[0]).status_code == 403
    assert _post(cashier, acme).status_code == 403


def test_the_batch_covers_only_customers_its_creator_may_see(acme):
    """A salesperson's batch holds their own customers, not the owner's (unowned ones are
    everybody's)."""
    with schema_context(acme.schema_name):
        group, made = customers_with_activity(acme)
        for customer, owner in zip(made, ("owner@acme.test", "sales@acme.test",
                                          "owner@acme.test"), strict=True):
            customer.owner = user(owner)
            customer.save(update_fields=["owner"])
    client = api_client(acme, "sales@acme.test")
    job_id = _post(client, acme, group=group.pk).json()["id"]
    with schema_context(acme.schema_name):
        connection.tenant = acme
        run_in_process(job_id)
    names = zip_of(client, _job(client, job_id)).namelist()
    assert sorted(names) == sorted(["summary.xlsx", f"{made[1].code}.pdf"])


@pytest.mark.parametrize("body, field", [
    ({"from": "2026-13-01"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"from": "2026-03-02", "to": "2026-03-01"}, "to"),
    ({"from": "2024-01-01", "to": "2026-01-01"}, "to"),
    ({"branch": "x"}, "branch"),
    ({"branch": 99999999}, "branch"),
    ({"owner": 99999999}, "owner"),
    ({"group": -1}, "group"),
    ({"lang": "fr"}, "lang"),
    ({"nonzero_only": "maybe"}, "nonzero_only"),
])
def test_bad_input_is_a_4xx_naming_the_field_and_writes_nothing(acme, acme_owner, body,
                                                                field):
    response = _post(acme_owner, acme, **body)
    assert 400 <= response.status_code < 500, response.content
    assert field in response.json().get("fields", response.json()), response.json()
    with schema_context(acme.schema_name):
        assert not StatementBatchJob.objects.exists()


def test_missing_period_is_a_400(acme, acme_owner):
    response = acme_owner.post("/api/v1/statements/batch", {}, format="json")
    assert response.status_code == 400
    assert {"from", "to"} <= set(response.json()["fields"])
    assert acme_owner.get("/api/v1/statements/batch/999999").status_code == 404


def test_a_consolidated_batch_adds_the_group_statement_of_a_group_company(acme, acme_owner):
    with schema_context(acme.schema_name):
        group, made = customers_with_activity(acme)
        made[1].parent = made[0]
        made[1].save(update_fields=["parent"])
    job_id = _post(acme_owner, acme, group=group.pk, consolidated=True).json()["id"]
    with schema_context(acme.schema_name):
        connection.tenant = acme
        run_in_process(job_id)
        archive = zip_of(acme_owner, _job(acme_owner, job_id))
        assert f"{made[0].code}-group.pdf" in archive.namelist()
        text = PdfReader(io.BytesIO(archive.read(f"{made[0].code}-group.pdf"))).pages[0] \
            .extract_text()
        assert made[1].code in text and VIETNAMESE in text

