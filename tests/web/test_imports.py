"""The Import screen: the template in each language, the upload (mode, match), the job's
page with its progress fragment, counts, row errors, error workbook and rerun; who may see
which job (crm.jobs: 404 otherwise); bad input is a 422 naming the field; nothing written."""

import io
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import translation
from django_tenants.utils import schema_context
from openpyxl import load_workbook

from crm.models import Customer
from exchange.models import ImportJob
from exchange.services import import_run
from tests.exchange.factories import customer, workbook_bytes
from tests.web.conftest import HTMX, english, web_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXCHANGE_HEARTBEAT_SECONDS = 0  # the job runs here, not in a worker


def two_bad_rows() -> bytes:
    return workbook_bytes([
        customer(code="WI000001", name="Nguyễn Văn Tốt", phone="0912700001"),
        customer(code="WI000002", name="Bad Phone", phone="not a phone"),
        customer(code="WI000003", name="", phone="0912700003"),
        customer(code="WI000004", name="陳大文", phone="0912700004")])


def _post(client, content=None, *, name="customers.xlsx", token=None, headers=None, **data):
    fields = {"mode": "valid_rows", "match": "code", "token": token or str(uuid.uuid4()),
              **data}
    if content is not None:
        fields["file"] = SimpleUploadedFile(name, content)
    return client.post("/import/", fields, **(headers or {}))


def _run(tenant, job_id: int) -> None:
    with schema_context(tenant.schema_name):
        connection.tenant = tenant
        import_run(job_id=job_id)


def _job_id(response) -> int:
    assert response.status_code == 302, response.content
    return int(re.search(r"/imports/(\d+)/$", response["Location"]).group(1))


def _jobs(tenant) -> int:
    with schema_context(tenant.schema_name):
        return ImportJob.objects.count()


def test_the_import_screen_names_its_controls(owner):
    html = owner.get("/import/").content.decode()
    assert re.search(r'<label for="id_file">File</label>', html)
    for label in ("All or nothing", "Valid rows", "Code", "Phone"):
        assert re.search(rf'<input type="radio"[^>]*>\s*{label}</label>', html), label
    assert ">Upload</button>" in html
    for lang in ("vi", "zh-hant", "en"):
        assert f"/import/template?lang={lang}" in html


@pytest.mark.parametrize("lang, header", [("vi", "Tên khách hàng"), ("zh-hant", "客戶名稱"),
                                          ("en", "Name")])
def test_the_template_downloads_in_each_language(owner, lang, header):
    response = owner.get(f"/import/template?lang={lang}")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'customers-template-{lang}.xlsx"')
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert header in [cell.value for cell in next(book.worksheets[0].iter_rows(max_row=1))]


def test_an_upload_in_valid_rows_mode_lists_the_two_bad_rows_and_their_workbook(owner, acme):
    job_id = _job_id(_post(owner, two_bad_rows()))
    page = owner.get(f"/imports/{job_id}/").content.decode()
    assert 'hx-trigger="every 1s"' in page  # queued: the page polls
    _run(acme, job_id)
    fragment = owner.get(f"/imports/{job_id}/", **HTMX).content.decode()
    assert fragment.lstrip().startswith('<section id="job"')
    assert "hx-trigger" not in fragment  # finished: the polling stops
    assert 'id="job-status">Done<' in fragment and 'value="100"' in fragment
    assert re.search(r'id="count-created">2<', fragment)
    assert re.search(r'id="count-failed">2<', fragment)
    table = re.search(r'<table class="table" id="row-errors">.*?</table>', fragment, re.S).group(0)
    assert [h for h in re.findall(r"<th[^>]*>([^<]+)</th>", table)] == [
        "Sheet", "Row", "Column", "Reason"]
    rows = re.findall(r"<tr><td>([^<]*)</td><td class=\"num\">(\d+)</td>", table)
    assert sorted(rows) == [("Customers", "3"), ("Customers", "4")]
    assert "not a phone" in table
    link = re.search(r'href="(/imports/\d+/error-file\?key=[^"]+)"', fragment).group(1)
    download = owner.get(link)
    assert download.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    codes = [row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert codes == ["WI000002", "WI000003"]
    with schema_context(acme.schema_name):
        assert set(Customer.objects.filter(code__startswith="WI").values_list(
            "code", flat=True)) == {"WI000001", "WI000004"}


def _reasons_and_workbook_header(client, tenant, job_id) -> tuple[list[str], str]:
    with translation.override("zh-hant"):  # whatever the worker's own language is
        _run(tenant, job_id)
    with schema_context(tenant.schema_name):
        reasons = sorted(e["detail"] for e in ImportJob.objects.get(pk=job_id).errors)
    page = client.get(f"/imports/{job_id}/").content.decode()
    link = re.search(r'href="(/imports/\d+/error-file\?key=[^"]+)"', page).group(1)
    download = b"".join(client.get(link).streaming_content)
    header = next(load_workbook(io.BytesIO(download), read_only=True).worksheets[0]
                  .iter_rows(max_row=1, values_only=True))
    return reasons, header[-1]


def test_the_reasons_are_in_the_uploading_users_language_not_the_tenants(owner, acme):
    assert acme.locale == "vi"
    job_id = _job_id(_post(owner, two_bad_rows()))
    with schema_context(acme.schema_name):
        assert ImportJob.objects.get(pk=job_id).lang == "en"
    assert _reasons_and_workbook_header(owner, acme, job_id) == (
        ["Name: This field is required.", "Phone: “not a phone” is not a valid phone number."],
        "Reason")
    vietnamese = web_client(acme, "owner@acme.test")  # no choice made: the tenant's locale
    job_id = _job_id(_post(vietnamese, two_bad_rows()))
    assert _reasons_and_workbook_header(vietnamese, acme, job_id) == (
        ["Name: Trường này là bắt buộc.",  # the column as the file names it
         "Phone: “not a phone” không phải là số điện thoại hợp lệ."], "Lý do")


def test_all_or_nothing_writes_nothing_and_the_failed_job_can_run_again(owner, acme):
    job_id = _job_id(_post(owner, two_bad_rows(), mode="all_or_nothing", match="phone"))
    _run(acme, job_id)
    page = owner.get(f"/imports/{job_id}/").content.decode()
    assert 'id="job-status">Failed<' in page and "Run again" in page
    with schema_context(acme.schema_name):
        assert not Customer.objects.filter(code__startswith="WI").exists()
        assert ImportJob.objects.get(pk=job_id).match == "phone"
    token = str(uuid.uuid4())
    again = owner.post(f"/imports/{job_id}/rerun", {"token": token})
    new_id = _job_id(again)
    assert new_id != job_id
    assert owner.post(f"/imports/{job_id}/rerun", {"token": token})["Location"] == \
        again["Location"]  # a double tap: the same new job
    with schema_context(acme.schema_name):
        assert ImportJob.objects.get(pk=new_id).rerun_of_id == job_id
    done = _job_id(_post(owner, two_bad_rows()))
    _run(acme, done)
    refused = owner.post(f"/imports/{done}/rerun", {"token": str(uuid.uuid4())})
    assert refused.status_code == 409 and "Only a failed job can be run again." in \
        refused.content.decode()


def test_a_double_tapped_upload_starts_one_job(owner, acme):
    before = _jobs(acme)
    token = str(uuid.uuid4())
    first = _post(owner, two_bad_rows(), token=token)
    second = _post(owner, two_bad_rows(), token=token)
    assert first["Location"] == second["Location"]
    assert _jobs(acme) == before + 1


@pytest.mark.parametrize("data, field, message", [
    ({}, "file", "This field is required."),
    ({"mode": "everything"}, "mode", "Select a valid choice."),
    ({"match": "email"}, "match", "Select a valid choice."),
])
def test_bad_input_is_a_422_naming_the_field_and_starts_nothing(owner, acme, data, field,
                                                               message):
    before = _jobs(acme)
    content = None if field == "file" else two_bad_rows()
    response = _post(owner, content, **data)
    assert response.status_code == 422
    html = response.content.decode()
    block = re.search(r'<(div|fieldset) class="field[^"]*field-invalid">.*?</\1>', html, re.S)
    assert block and (f'for="id_{field}"' in block.group(0) or f'id_{field}_0' in block.group(0))
    assert message in block.group(0)
    assert _jobs(acme) == before


def test_a_too_large_file_is_refused_in_the_users_language(acme, settings):
    settings.IMPORT_MAX_UPLOAD_MB = 0
    client = web_client(acme, "owner@acme.test")  # the tenant's Vietnamese
    response = _post(client, two_bad_rows(), headers=HTMX)
    assert response.status_code == 422
    assert "Tệp lớn hơn 0 MB." in response.content.decode()
    assert response.content.decode().lstrip().startswith('<section class="card" id="upload"')


def test_an_htmx_upload_is_sent_to_the_jobs_page(owner):
    response = _post(owner, two_bad_rows(), headers=HTMX)
    assert response.status_code == 200
    assert re.fullmatch(r"/imports/\d+/", response["HX-Redirect"])


def test_who_may_see_a_job(owner, acme, globex):
    job_id = _job_id(_post(owner, two_bad_rows()))
    _run(acme, job_id)
    with schema_context(acme.schema_name):
        key = ImportJob.objects.get(pk=job_id).file_key
    manager = english(web_client(acme, "manager@acme.test"))
    for path in (f"/imports/{job_id}/", f"/imports/{job_id}/error-file?key={key}"):
        assert manager.get(path).status_code == 404  # not theirs, no view_all_jobs
        assert web_client(globex, "owner@globex.test").get(path).status_code == 404
    assert manager.post(f"/imports/{job_id}/rerun", {"token": str(uuid.uuid4())}
                        ).status_code == 404
    assert owner.get(f"/imports/{job_id}/error-file?key=wrong").status_code == 404
    sales = web_client(acme, "sales@acme.test")
    for path in ("/import/", "/import/template", f"/imports/{job_id}/"):
        assert sales.get(path).status_code == 403
    assert web_client(acme).get("/import/").status_code == 302  # a visitor: the login
    # The manager's own import is theirs to read.
    own = _job_id(_post(manager, two_bad_rows()))
    assert manager.get(f"/imports/{own}/").status_code == 200


@pytest.mark.parametrize("language", ["vi", "zh-hant"])
def test_the_import_pages_hold_no_english_words(owner, acme, language):
    job_id = _job_id(_post(owner, two_bad_rows()))
    _run(acme, job_id)
    owner.cookies["django_language"] = language
    for path in ("/import/", f"/imports/{job_id}/"):
        text = re.sub(r"<[^>]+>", " ", owner.get(path).content.decode())
        text = text.replace("English", "")
        for word in ("File", "Upload", "All or nothing", "Valid rows", "Sheet", "Reason",
                     "Created", "Updated", "Failed", "Done", "Template", "Recent"):
            assert not re.search(rf"\b{word}\b", text), (path, word)
