"""Screens 2 and 3: the customer list (search as you type, keyset pages) and the customer
page (Info, Debt, Record payment), with the API's visibility and permissions."""

import re
import uuid
from decimal import Decimal

import pytest
from django.conf import settings

from crm.models import Branch
from finance.models import Voucher
from finance.vouchers import opening_balance_set
from tests.finance.factories import customer_make, user
from tests.web.conftest import web_client

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def customers(in_acme):
    """A MAIN customer with a debt, a non-shared B2 one, a shared B2 one."""
    owner = user("owner@acme.test")
    main = customer_make(name="Nguyễn Thị Ánh Đào", phone="0912000111")
    opening_balance_set(customer=main, amount=Decimal("500000"), actor=owner)
    b2 = Branch.objects.get(code="B2")
    hidden = customer_make(name="Trần Văn Bí Mật", phone="0912000222", branch=b2)
    shared = customer_make(name="Lê Chung", phone="0912000333", branch=b2, shared=True)
    main.refresh_from_db()
    return {"main": main, "hidden": hidden, "shared": shared}


def test_the_list_needs_a_login(acme):
    response = web_client(acme).get("/customers/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_list_is_a_page_and_its_search_a_fragment(customers, acme):
    client = web_client(acme, "owner@acme.test")
    page = client.get("/customers/")
    html = page.content.decode()
    assert page.status_code == 200 and "<html" in html and 'id="results"' in html
    assert "Nguyễn Thị Ánh Đào" in html and "500.000 ₫" in html
    # Typed without diacritics, answered as a fragment: only the results.
    fragment = client.get("/customers/", {"search": "anh dao"}, **HTMX).content.decode()
    assert "<html" not in fragment and fragment.lstrip().startswith('<div id="results"')
    assert "Nguyễn Thị Ánh Đào" in fragment and "Lê Chung" not in fragment
    by_code = client.get("/customers/", {"search": customers["main"].code}, **HTMX)
    assert "Nguyễn Thị Ánh Đào" in by_code.content.decode()


def test_a_cashier_never_sees_another_branchs_customer(customers, acme):
    cashier = web_client(acme, "cashier@acme.test")  # works at B2 only
    html = cashier.get("/customers/").content.decode()
    assert "Lê Chung" in html and "Trần Văn Bí Mật" in html  # B2's own and the shared one
    assert "Nguyễn Thị Ánh Đào" not in html  # MAIN's, not shared
    assert "Nguyễn" not in cashier.get("/customers/", {"search": "anh dao"},
                                       **HTMX).content.decode()
    assert cashier.get(f"/customers/{customers['main'].pk}/").status_code == 404
    assert cashier.get(f"/customers/{customers['main'].pk}/debt").status_code == 404
    response = cashier.post(f"/customers/{customers['main'].pk}/payments",
                            {"amount": "1000", "method": "cash", "token": str(uuid.uuid4())})
    assert response.status_code == 404


def test_keyset_pages_cover_every_row_once(in_acme, acme):
    made = {customer_make(name=f"Khách phân trang {n:02d}").code for n in range(25)}
    client = web_client(acme, "owner@acme.test")
    seen, url = [], "/customers/?search=phan+trang&ordering=name"
    while url:
        html = client.get(url, **HTMX).content.decode()
        seen += re.findall(r"Khách phân trang \d\d", html)
        next_link = re.search(r'href="(\?[^"]*)"[^>]*>Trang sau<', html)
        url = "/customers/" + next_link.group(1).replace("&amp;", "&") if next_link else None
    assert len(made) == 25
    assert seen == sorted(seen) and len(seen) == 25 == len(set(seen))


def test_tenant_isolation_the_other_tenants_customer_is_not_there(customers, globex):
    other = web_client(globex, "owner@globex.test")
    assert other.get(f"/customers/{customers['main'].pk}/").status_code in (404,)
    assert "Nguyễn Thị Ánh Đào" not in other.get("/customers/").content.decode()


def test_customer_page_tabs_are_urls_and_fragments(customers, acme):
    client = web_client(acme, "owner@acme.test")
    pk = customers["main"].pk
    info = client.get(f"/customers/{pk}/").content.decode()
    assert "<html" in info and 'role="tab"' in info and f'href="/customers/{pk}/debt"' in info
    debt = client.get(f"/customers/{pk}/debt", **HTMX)
    html = debt.content.decode()
    assert debt.status_code == 200 and "<html" not in html
    assert 'id="ledger"' in html and 'inputmode="decimal"' in html
    assert "500.000 ₫" in html


def test_record_payment_updates_the_balance_and_a_double_submit_makes_one_voucher(
        customers, acme):
    client = web_client(acme, "owner@acme.test")
    customer = customers["main"]
    token = str(uuid.uuid4())
    body = {"amount": "150.000", "method": "cash", "note": "", "token": token}
    first = client.post(f"/customers/{customer.pk}/payments", body, **HTMX)
    second = client.post(f"/customers/{customer.pk}/payments", body, **HTMX)
    assert first.status_code == second.status_code == 200
    assert "350.000 ₫" in second.content.decode()
    assert Voucher.objects.filter(customer=customer, type="receipt").count() == 1
    customer.refresh_from_db()
    assert customer.receivable_amount == Decimal("350000")


def test_payment_errors_come_back_next_to_the_field_as_422(customers, acme):
    client = web_client(acme, "owner@acme.test")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    customer = customers["main"]
    bad = client.post(f"/customers/{customer.pk}/payments",
                      {"amount": "abc", "method": "cash", "token": str(uuid.uuid4())}, **HTMX)
    assert bad.status_code == 422 and bad["HX-Retarget"] == "#payment-form"
    assert "field-invalid" in bad.content.decode()
    # More than the receivable, no prepaid: the service's rule, its message at the amount.
    over = client.post(f"/customers/{customer.pk}/payments",
                       {"amount": "900000", "method": "cash", "token": str(uuid.uuid4())},
                       **HTMX)
    html = over.content.decode()
    assert over.status_code == 422 and "more than the receivable" in html
    assert re.search(r'field-invalid">\s*<label for="id_amount"', html)
    assert not Voucher.objects.filter(customer=customer, type="receipt").exists()


def test_without_the_voucher_permission_there_is_no_form_and_a_post_is_refused(
        customers, acme):
    from django.contrib.auth.models import Permission

    sales = user("sales@acme.test")
    customer = customer_make(name="Khách của sales", owner=sales)
    perm = Permission.objects.get(codename="add_voucher", content_type__app_label="finance")
    for group in sales.groups.all():
        group.permissions.remove(perm)
    client = web_client(acme, "sales@acme.test")
    html = client.get(f"/customers/{customer.pk}/debt").content.decode()
    assert 'id="payment-form"' not in html
    response = client.post(f"/customers/{customer.pk}/payments",
                           {"amount": "1000", "method": "cash", "token": str(uuid.uuid4())})
    assert response.status_code == 403
