"""The import's pipeline: the customers are written on a second thread while the contacts
are validated. It must give the results and errors of one pass over the whole file, and
roll back what the writer wrote when a contact fails an all-or-nothing import."""

import threading

import pytest
from django_tenants.utils import schema_context

from crm.models import Contact, Customer, CustomerAudit, CustomerGroup
from exchange.writing import _beside
from tests.conftest import api_client
from tests.exchange.factories import contact, customer, import_through_api, workbook_bytes


def _errors(job) -> list[tuple]:
    return [(e["sheet"], e["row"], e["code"]) for e in job["errors"]]


def test_errors_come_in_the_order_of_one_pass_over_the_file(acme):
    owner = api_client(acme, "owner@acme.test")
    book = workbook_bytes(
        [customer(code="TKQ00001", name="Sai số", phone="12"),
         customer(code="TKQ00002", name="Con của dòng sai", phone="0912 720 002",
                  parent_code="TKQ00001"),
         customer(code="TKQ00003", name="Đúng", phone="0912 720 003", group="Nhóm Q")],
        [contact(customer_code="TKQ00003", name="Thư sai", email="not-an-email"),
         contact(customer_code="TKQ00001", name="Của dòng sai"),
         contact(customer_code="TKQ09999", name="Không ai"),
         contact(customer_code="TKQ00003", name="Kế toán Q", phone="0912 720 004")])
    job = import_through_api(owner, acme, book, mode="valid_rows")
    # Both sheets' field errors first, then the rows failed by the rows they refer to.
    assert _errors(job) == [("Customers", 2, "invalid_phone"),
                            ("Contacts", 2, "invalid_email"),
                            ("Customers", 3, "row_failed"),
                            ("Contacts", 3, "row_failed"),
                            ("Contacts", 4, "unknown_customer")]
    assert job["status"] == "done" and (job["created"], job["failed"]) == (1, 2)
    assert job["error_file"]
    with schema_context(acme.schema_name):
        assert list(Customer.objects.filter(code__startswith="TKQ").values_list(
            "code", flat=True)) == ["TKQ00003"]
        assert list(Contact.objects.filter(customer__code="TKQ00003").values_list(
            "name", flat=True)) == ["Kế toán Q"]
        assert CustomerAudit.objects.filter(customer_code="TKQ00003").count() == 1


def test_a_bad_contact_rolls_back_the_customers_the_writer_wrote(acme):
    owner = api_client(acme, "owner@acme.test")
    book = workbook_bytes(
        [customer(code="TKR00001", name="Một", phone="0912 730 001", group="Nhóm R",
                  opening_receivable="100.000"),
         customer(code="TKR00002", name="Hai", phone="0912 730 002")],
        [contact(customer_code="TKR00001", name="Đúng", phone="0912 730 003"),
         contact(customer_code="TKR00002", name="Sai", phone="99")])
    job = import_through_api(owner, acme, book)  # all or nothing
    assert job["status"] == "failed"
    assert _errors(job) == [("Contacts", 3, "invalid_phone")]
    with schema_context(acme.schema_name):
        assert not Customer.objects.filter(code__startswith="TKR").exists()
        assert not CustomerAudit.objects.filter(customer_code__startswith="TKR").exists()
        assert not CustomerGroup.objects.filter(name="Nhóm R").exists()
        assert not Contact.objects.filter(name="Đúng").exists()
    # The same file with the contact fixed goes in whole.
    book = workbook_bytes(
        [customer(code="TKR00001", name="Một", phone="0912 730 001", group="Nhóm R"),
         customer(code="TKR00002", name="Hai", phone="0912 730 002")],
        [contact(customer_code="TKR00002", name="Sai", phone="0912 730 004")])
    job = import_through_api(owner, acme, book)
    assert job["status"] == "done" and job["created"] == 2, job["errors"]


def test_beside_waits_for_the_writer_and_hands_its_error_over():
    finished = threading.Event()

    def work():
        finished.wait(5)
        raise ValueError("writer failed")

    with pytest.raises(ValueError, match="writer failed"):
        _beside(finished.set, work)


def test_beside_waits_for_the_writer_when_the_other_side_fails():
    done = []

    def work():
        done.append(threading.current_thread().name)
        return "written"

    def meanwhile():
        raise RuntimeError("contacts refused")

    with pytest.raises(RuntimeError, match="contacts refused"):
        _beside(meanwhile, work)
    assert done == ["import-writer"]  # finished before the error left _beside
    assert _beside(lambda: None, work) == "written"
