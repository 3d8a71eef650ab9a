"""Export of the filtered customer list: the list's button (for those who may export), the
job started with the list's filters (once per token), its page and file, who may read it
(404 otherwise), a bad filter refused before any job."""

import io
import re
import uuid

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from openpyxl import load_workbook

from exchange.models import ExportJob
from exchange.services import export_run
from tests.finance.factories import customer_make
from tests.web.conftest import HTMX, english, web_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXCHANGE_HEARTBEAT_SECONDS = 0


@pytest.fixture
def listed(in_acme):
    return [customer_make(name="Nguyễn Xuất Một"), customer_make(name="Nguyễn Xuất Hai"),
            customer_make(name="Trần Không Xuất")]


def _exports(tenant) -> int:
    with schema_context(tenant.schema_name):
        return ExportJob.objects.count()


def test_the_list_offers_the_export_to_those_who_may(owner, acme):
    html = owner.get("/customers/?search=nguyen").content.decode()
    form = re.search(r'<form method="post" action="/exports/customers".*?</form>', html, re.S)
    assert form and 'hx-include="#customer-filters"' in form.group(0)
    assert '<input type="hidden" name="search" value="nguyen">' in form.group(0)  # no script
    assert "Export the list" in form.group(0)
    sales = english(web_client(acme, "sales@acme.test"))
    assert "/exports/customers" not in sales.get("/customers/").content.decode()
    accountant_free = sales.post("/exports/customers", {"token": str(uuid.uuid4())})
    assert accountant_free.status_code == 403


def test_the_filtered_list_is_exported(listed, owner, acme):
    token = str(uuid.uuid4())
    response = owner.post("/exports/customers", {"token": token, "search": "nguyen xuat",
                                                 "ordering": "-created"}, **HTMX)
    assert response.status_code == 200
    url = response["HX-Redirect"]
    assert re.fullmatch(r"/exports/\d+/", url)
    again = owner.post("/exports/customers", {"token": token, "search": "nguyen xuat"}, **HTMX)
    assert again["HX-Redirect"] == url  # a double tap: one job
    job_id = int(url.split("/")[2])
    with schema_context(acme.schema_name):
        assert ExportJob.objects.get(pk=job_id).filters == {"search": "nguyen xuat"}
    page = owner.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in page and 'id="job-status">Queued<' in page
    with schema_context(acme.schema_name):
        connection.tenant = acme
        export_run(job_id=job_id)
    fragment = owner.get(url, **HTMX).content.decode()
    assert "hx-trigger" not in fragment and 'id="job-status">Done<' in fragment
    assert re.search(r'id="export-rows">2<', fragment)
    link = re.search(r'href="(/exports/\d+/file\?key=[^"]+)"', fragment).group(1)
    download = owner.get(link)
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    names = [row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["Nguyễn Xuất Hai", "Nguyễn Xuất Một"]
    assert f"/exports/{job_id}/" in owner.get("/import/").content.decode()


def test_a_bad_filter_is_refused_and_starts_nothing(owner, acme):
    before = _exports(acme)
    response = owner.post("/exports/customers", {"token": str(uuid.uuid4()),
                                                 "created_from": "not a date"}, **HTMX)
    assert response.status_code == 422 and "Invalid filter value." in response.content.decode()
    assert owner.post("/exports/customers", {}).status_code == 400
    assert _exports(acme) == before


def test_who_may_read_an_export(listed, owner, acme, globex):
    url = owner.post("/exports/customers", {"token": str(uuid.uuid4())}, **HTMX)["HX-Redirect"]
    job_id = int(url.split("/")[2])
    with schema_context(acme.schema_name):
        connection.tenant = acme
        export_run(job_id=job_id)
        key = ExportJob.objects.get(pk=job_id).file_key
    manager = web_client(acme, "manager@acme.test")
    for path in (url, f"/exports/{job_id}/file?key={key}"):
        assert manager.get(path).status_code == 404
        assert web_client(globex, "owner@globex.test").get(path).status_code == 404
    assert owner.get(f"/exports/{job_id}/file?key=nope").status_code == 404
    assert owner.post(f"/exports/{job_id}/rerun", {"token": str(uuid.uuid4())}
                      ).status_code == 409  # only a failed export runs again


@pytest.mark.parametrize("language", ["vi", "zh-hant"])
def test_the_export_pages_hold_no_english_words(listed, owner, language):
    url = owner.post("/exports/customers", {"token": str(uuid.uuid4())}, **HTMX)["HX-Redirect"]
    owner.cookies["django_language"] = language
    for path in ("/customers/", url):
        text = re.sub(r"<[^>]+>", " ", owner.get(path).content.decode()).replace("English", "")
        for word in ("Export", "Queued", "Customers", "Download", "leave"):
            assert not re.search(rf"\b{word}\b", text), (path, word)


def test_an_accountant_exports_but_does_not_import(acme, in_acme):
    from crm.models import Branch
    from crm.roles import ACCOUNTANT
    from crm.staff import staff_create
    from tests.conftest import PASSWORD

    staff_create(username="accountant@acme.test", password=PASSWORD, roles=[ACCOUNTANT],
                 branches=[Branch.objects.get(code="MAIN")])
    client = english(web_client(acme, "accountant@acme.test"))
    html = client.get("/import/").content.decode()
    assert "Recent exports" in html and 'id="upload"' not in html
    assert client.get("/import/template").status_code == 403
    assert client.post("/import/", {}).status_code == 403
    assert "/exports/customers" in client.get("/customers/").content.decode()
