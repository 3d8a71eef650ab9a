"""Hypothesis-made workbooks (types, huge numbers, formulas, control characters, NFD text)
through the real import: a job ends `done` or `failed` with row errors -- never an
internal error -- and an all-or-nothing job that failed wrote nothing."""

import datetime
import unicodedata

from django.db import connection
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from crm.models import Contact, Customer
from exchange.columns import CONTACT_TEMPLATE_COLUMNS, CUSTOMER_TEMPLATE_COLUMNS
from tests.exchange.factories import import_through_api, workbook_bytes

_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]),
                max_size=40).map(lambda t: ILLEGAL_CHARACTERS_RE.sub("", t))
_cell = st.one_of(
    st.none(),
    _text,
    _text.map(lambda t: unicodedata.normalize("NFD", "Nguyễn " + t)),
    st.sampled_from(["=1+1", "=HYPERLINK(\"x\")", "0912 345 678", "+84 912 345 679",
                     "có", "không", "Bán sỉ", "MAIN", "1.000.000", "1,5", "-5", "∞"]),
    st.integers(min_value=-(10 ** 20), max_value=10 ** 20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=datetime.date(1900, 3, 1), max_value=datetime.date(2100, 1, 1)),
)
_customer_row = st.lists(_cell, min_size=len(CUSTOMER_TEMPLATE_COLUMNS),
                         max_size=len(CUSTOMER_TEMPLATE_COLUMNS))
_contact_row = st.lists(_cell, min_size=len(CONTACT_TEMPLATE_COLUMNS),
                        max_size=len(CONTACT_TEMPLATE_COLUMNS))


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(customers=st.lists(_customer_row, max_size=6), contacts=st.lists(_contact_row, max_size=4),
       mode=st.sampled_from(["all_or_nothing", "valid_rows"]))
def test_any_workbook_ends_done_or_failed_with_reasons(acme_owner_client, acme_tenant,
                                                       customers, contacts, mode):
    with schema_context(acme_tenant.schema_name):
        before = (Customer.objects.count(), Contact.objects.count())
    job = import_through_api(acme_owner_client, acme_tenant,
                             workbook_bytes(customers, contacts), mode=mode)
    assert job["status"] in {"done", "failed"}, job
    assert all(error["code"] != "internal_error" for error in job["errors"]), job["errors"]
    if job["status"] == "failed":
        assert job["errors"], job
        if mode == "all_or_nothing":
            with schema_context(acme_tenant.schema_name):
                assert (Customer.objects.count(), Contact.objects.count()) == before
    connection.set_schema_to_public()
