"""Workbooks for import tests, built in memory with openpyxl."""

import io

from django.db import connection
from django.test.utils import CaptureQueriesContext  # noqa: F401 - re-exported for tests
from django_tenants.utils import schema_context
from openpyxl import Workbook

from exchange.columns import CONTACT_TEMPLATE_COLUMNS, CUSTOMER_TEMPLATE_COLUMNS
from exchange.models import ImportJob
from exchange.services import import_run

CUSTOMER_HEADERS = [c.header("en") for c in CUSTOMER_TEMPLATE_COLUMNS]
CONTACT_HEADERS = [c.header("en") for c in CONTACT_TEMPLATE_COLUMNS]
CUSTOMER_KEYS = [c.key for c in CUSTOMER_TEMPLATE_COLUMNS]
CONTACT_KEYS = [c.key for c in CONTACT_TEMPLATE_COLUMNS]


def customer(**values) -> list:
    return [values.get(k) for k in CUSTOMER_KEYS]


def contact(**values) -> list:
    return [values.get(k) for k in CONTACT_KEYS]


def workbook_bytes(customers=(), contacts=(), *, customer_headers=None, contact_headers=None,
                   sheets=("Customers", "Contacts"), edit=None) -> bytes:
    book = Workbook()
    first = book.active
    first.title = sheets[0]
    grids = {sheets[0]: [customer_headers or CUSTOMER_HEADERS, *customers]}
    if len(sheets) > 1:
        book.create_sheet(sheets[1])
        grids[sheets[1]] = [contact_headers or CONTACT_HEADERS, *contacts]
    for title, grid in grids.items():
        for row in grid:
            book[title].append(row)
        for cells in book[title].iter_rows():
            for cell in cells:
                if cell.data_type == "f":  # text that looks like a formula stays text
                    cell.data_type = "s"
    if edit:
        edit(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def vn_customers(n: int, *, start: int = 0, prefix: str = "Khách") -> list:
    return [customer(code=f"TK{700000 + i:06d}", name=f"{prefix} {i}",
                     phone=f"0912 {100000 + i:06d}"[:12], group="Bán sỉ")
            for i in range(start, start + n)]


def upload(client, content: bytes, *, name="customers.xlsx", **data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/api/v1/imports/customers",
                       {"file": SimpleUploadedFile(name, content), **data}, format="multipart")


def import_through_api(client, tenant, content: bytes, *, name="customers.xlsx", **data) -> dict:
    """POST the file (202), run the job here as the worker would, return GET's body."""
    response = upload(client, content, name=name, **data)
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    with schema_context(tenant.schema_name):
        connection.tenant = tenant
        import_run(job_id=job_id)
    job = client.get(f"/api/v1/imports/{job_id}")
    assert job.status_code == 200
    return job.json()


def job_of(tenant, job_id) -> ImportJob:
    with schema_context(tenant.schema_name):
        return ImportJob.objects.get(pk=job_id)
