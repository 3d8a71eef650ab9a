"""The letterhead logo: PNG or JPEG only, size and pixels bounded, per tenant, drawn on
the statement PDF; only those who may change settings upload it."""

import datetime
import io

import pytest
from django.conf import settings
from django_tenants.utils import schema_context
from PIL import Image
from pypdf import PdfReader

from finance.orders import order_create
from finance.statement_formats import statement_pdf
from finance.statements import statement_as_dict, statement_build
from tenants.current import tenant_current
from tests.conftest import api_client
from tests.finance.factories import customer_make, lines, product_make, user

URL = "/api/v1/letterhead/logo"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _image(kind: str, size=(120, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, kind)
    return buffer.getvalue()


def _upload(client, content: bytes, name="logo.png"):
    upload = io.BytesIO(content)
    upload.name = name
    return client.put(URL, {"file": upload}, format="multipart", HTTP_ACCEPT_LANGUAGE="en")


def test_logo_upload_shows_on_the_statement_pdf(acme, globex,
                                                django_capture_on_commit_callbacks):
    owner = api_client(acme, "owner@acme.test")
    assert owner.get("/api/v1/letterhead").json()["logo"] is None
    response = _upload(owner, _image("PNG"))
    assert response.status_code == 200, response.content
    assert response.json()["logo"].endswith(URL)
    fetched = owner.get(URL)
    assert fetched.status_code == 200 and fetched["Content-Type"] == "image/png"
    assert b"".join(fetched.streaming_content) == _image("PNG")
    with schema_context(acme.schema_name):
        customer = customer_make()
        order_create(actor=user("owner@acme.test"), customer=customer,
                     lines=lines(product_make("50000")), approve=True)
        today = datetime.datetime.now(tenant_current().timezone).date()
        statement = statement_build(customer=customer, period_from=today, period_to=today)
        assert statement.tenant.logo is not None and statement.tenant.logo.is_file()
        assert statement_as_dict(statement)["tenant"]["logo"] is True
        page = PdfReader(io.BytesIO(statement_pdf(statement))).pages[0]
        assert len(page.images) == 1
    # JPEG replaces it; the old file goes
    old = sorted((settings.MEDIA_ROOT / "letterhead").rglob("*.png"))
    with django_capture_on_commit_callbacks(execute=True):
        assert _upload(owner, _image("JPEG"), "logo.jpg").status_code == 200
    assert owner.get(URL)["Content-Type"] == "image/jpeg"
    assert not any(p.exists() for p in old)
    # another tenant has none, and never reads acme's
    other = api_client(globex, "owner@globex.test")
    assert other.get("/api/v1/letterhead").json()["logo"] is None
    assert other.get(URL).status_code == 404
    assert owner.delete(URL).status_code == 204
    assert owner.get(URL).status_code == 404


def test_bad_logos_are_refused_with_the_field_named(acme):
    owner = api_client(acme, "owner@acme.test")
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    big = _image("PNG", (2100, 50))
    for content in (b"not an image at all", gif.getvalue(), big, _image("PNG")[:60],
                    b"\x89PNG" + b"\0" * (600 * 1024)):
        response = _upload(owner, content)
        assert response.status_code == 400, response.content
        assert "logo" in response.json()["fields"], response.json()
    assert owner.get("/api/v1/letterhead").json()["logo"] is None


def test_only_who_may_change_settings_uploads(acme):
    for username in ("manager@acme.test", "cashier@acme.test"):
        assert _upload(api_client(acme, username), _image("PNG")).status_code == 403
