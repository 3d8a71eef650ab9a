"""The customer screens beyond the first slice: list orderings and filters, the customer
form with its duplicate warning, every tab, the page's actions (permissions, refusals,
tokens, 422s) and the printable receipt."""

import re
import uuid
from decimal import Decimal

import pytest
from django.utils import translation

from crm.models import Branch, Contact, Customer
from finance.models import Voucher
from finance.orders import order_approve, order_create
from finance.vouchers import opening_balance_set, payment_record
from tests.finance.factories import customer_make, lines, product_make, user
from tests.web.conftest import HTMX, english, web_client
from web.templatetags.web import local_time


@pytest.fixture
def people(in_acme):
    """A debtor at MAIN, a clean customer at MAIN, a hidden (non-shared) one at B2."""
    boss = user("owner@acme.test")
    debtor = customer_make(name="Nguyễn Thị Ánh Đào", phone="+84912000111")
    opening_balance_set(customer=debtor, amount=Decimal("500000"), actor=boss)
    clean = customer_make(name="Phạm Văn Sạch", phone="+84912000444")
    hidden = customer_make(name="Trần Văn Bí Mật", phone="+84912000222",
                           branch=Branch.objects.get(code="B2"), owner=boss)
    debtor.refresh_from_db()
    return {"debtor": debtor, "clean": clean, "hidden": hidden, "boss": boss}


def names_in(html: str, *names: str) -> list[str]:
    """The given names in the order the page shows them."""
    return sorted((n for n in names if n in html), key=html.index)


# --- the list -------------------------------------------------------------------------


def test_columns_sort_by_the_apis_orderings_and_say_so(people, owner):
    asc = owner.get("/customers/", {"ordering": "receivable"}, **HTMX).content.decode()
    desc = owner.get("/customers/", {"ordering": "-receivable"}, **HTMX).content.decode()
    shown = ("Nguyễn Thị Ánh Đào", "Phạm Văn Sạch")
    assert names_in(asc, *shown) == ["Phạm Văn Sạch", "Nguyễn Thị Ánh Đào"]
    assert names_in(desc, *shown) == ["Nguyễn Thị Ánh Đào", "Phạm Văn Sạch"]
    assert 'aria-sort="ascending"' in asc and 'aria-sort="descending"' in desc
    # The sorted column's link flips the direction; the others sort ascending.
    assert 'href="?ordering=-receivable"' in asc and 'href="?ordering=name"' in asc
    by_name = owner.get("/customers/", {"ordering": "-name"}).content.decode()
    assert names_in(by_name, *shown) == ["Phạm Văn Sạch", "Nguyễn Thị Ánh Đào"]


def test_the_filters_are_the_apis(people, owner):
    owing = owner.get("/customers/", {"has_receivable": "true"}, **HTMX).content.decode()
    assert "Nguyễn Thị Ánh Đào" in owing and "Phạm Văn Sạch" not in owing
    b2 = Branch.objects.get(code="B2")
    at_b2 = owner.get("/customers/", {"branch": b2.pk}, **HTMX).content.decode()
    assert "Trần Văn Bí Mật" in at_b2 and "Nguyễn Thị Ánh Đào" not in at_b2
    page = owner.get("/customers/", {"status": "active"}).content.decode()
    assert 'id="customer-filters"' in page and '<label for="id_status">Status</label>' in page
    bad = owner.get("/customers/", {"status": "nonsense"}, **HTMX)
    assert bad.status_code == 200 and "Invalid filter value." in bad.content.decode()


# --- the form ---------------------------------------------------------------------------


def test_new_customer_saves_through_the_service_and_a_double_tap_makes_one(people, owner):
    form = owner.get("/customers/new").content.decode()
    token = re.search(r'name="token" value="([^"]+)"', form).group(1)
    body = {"token": token, "name": "Võ Thị Mới", "phone": "0912 555 666",
            "settlement_method": "cash", "credit_limit": "2.000.000",
            "credit_limit_enforced": "on"}
    first = owner.post("/customers/new", body)
    second = owner.post("/customers/new", body)
    made = Customer.objects.get(name="Võ Thị Mới")
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/customers/{made.pk}/"
    assert made.phone == "+84912555666" and made.credit_limit_amount == Decimal("2000000")
    assert made.credit_limit_enforced and made.settlement_method == "cash"
    assert made.owner.username == "owner@acme.test"


def test_the_services_errors_come_back_next_to_the_fields(people, owner):
    response = owner.post("/customers/new", {"token": str(uuid.uuid4()), "name": "",
                                             "phone": "12"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 422 and "<html" not in html
    assert re.search(r'field-invalid">\s*<label for="id_name"', html)
    assert re.search(r'field-invalid">\s*<label for="id_phone"', html)
    taken = owner.post("/customers/new", {"token": str(uuid.uuid4()), "name": "Ai Đó",
                                          "phone": "0912000111"}, **HTMX)
    assert taken.status_code == 422
    assert re.search(r'field-invalid">\s*<label for="id_phone"', taken.content.decode())
    assert not Customer.objects.filter(name="Ai Đó").exists()


def test_edit_changes_the_customer_and_is_refused_to_whom_may_not(people, owner, acme):
    clean = people["clean"]
    page = owner.get(f"/customers/{clean.pk}/edit").content.decode()
    assert 'value="Phạm Văn Sạch"' in page
    body = {"token": str(uuid.uuid4()), "name": "Phạm Văn Sạch Sẽ", "phone": clean.phone,
            "home_branch": clean.home_branch_id, "role": "agent", "prepaid_allowed": "on"}
    response = owner.post(f"/customers/{clean.pk}/edit", body)
    assert response.status_code == 302 and response["Location"] == f"/customers/{clean.pk}/"
    clean.refresh_from_db()
    assert clean.name == "Phạm Văn Sạch Sẽ" and clean.role == "agent" and clean.prepaid_allowed
    cashier = web_client(acme, "cashier@acme.test")  # may create, not edit
    shared = customer_make(name="Khách chung", branch=Branch.objects.get(code="B2"))
    assert cashier.get(f"/customers/{shared.pk}/edit").status_code == 403
    assert cashier.post(f"/customers/{shared.pk}/edit", body).status_code == 403
    assert "/edit" not in cashier.get(f"/customers/{shared.pk}/").content.decode()


def test_the_duplicate_warning_offers_only_a_customer_the_user_may_see(people, owner, acme):
    seen = owner.get("/customers/duplicates", {"name": "nguyễn thị  ánh đào", "phone": ""})
    html = seen.content.decode()
    assert "Nguyễn Thị Ánh Đào" in html and f'href="/customers/{people["debtor"].pk}/"' in html
    by_phone = owner.get("/customers/duplicates", {"phone": "0912 000 111"}).content.decode()
    assert people["debtor"].code in by_phone
    # Editing the customer itself: no warning about itself.
    itself = owner.get("/customers/duplicates", {"name": "Nguyễn Thị Ánh Đào",
                                                 "exclude": people["debtor"].pk})
    assert itself.content.decode().strip() == ""
    cashier = english(web_client(acme, "cashier@acme.test"))  # B2: the debtor is MAIN's
    hidden = cashier.get("/customers/duplicates", {"phone": "0912000111"}).content.decode()
    assert "belongs to another active customer" in hidden
    assert people["debtor"].code not in hidden and "href" not in hidden


# --- the tabs ---------------------------------------------------------------------------


def test_every_tab_is_its_own_url_with_its_data(people, owner):
    debtor, boss = people["debtor"], people["boss"]
    Contact.objects.create(customer=debtor, name="Chị Lan", phone="+84900000001", primary=True)
    product = product_make("200000")
    order = order_create(actor=boss, customer=debtor, lines=lines(product))
    order_approve(order=order, actor=boss)
    pk = debtor.pk
    info = owner.get(f"/customers/{pk}/").content.decode()
    for tab in ("debt", "purchases", "prepaid", "coins", "audit"):
        assert f'role="tab" href="/customers/{pk}/{tab}"' in info
    assert "Chị Lan" in info and 'id="terminals"' in info
    purchases = owner.get(f"/customers/{pk}/purchases", **HTMX).content.decode()
    assert order.code in purchases and "200,000 ₫" in purchases
    assert re.search(r'aria-selected="true"[^>]*>Purchase history<', purchases)
    coins = owner.get(f"/customers/{pk}/coins").content.decode()
    assert 'id="ledger"' in coins and "Coins after" in coins
    audit = owner.get(f"/customers/{pk}/audit").content.decode()
    assert 'id="audit"' in audit


def test_a_long_debt_tab_is_paginated(people, owner):
    debtor, boss = people["debtor"], people["boss"]
    for _ in range(55):
        payment_record(customer=debtor, amount=Decimal("1000"), method="cash", actor=boss)
    first = owner.get(f"/customers/{debtor.pk}/debt").content.decode()
    second = owner.get(f"/customers/{debtor.pk}/debt", {"page": 2}).content.decode()
    assert first.count("<tr>") - 1 == 50 and "Page 1 of 2" in first
    opening = Voucher.objects.get(customer=debtor, purpose="opening")
    assert opening.code in second and opening.code not in first


def test_a_cashier_of_another_branch_gets_404_on_every_tab_and_action(people, acme):
    cashier = web_client(acme, "cashier@acme.test")  # B2's; the clean customer is MAIN's
    pk = people["clean"].pk
    for tab in ("", "debt", "purchases", "prepaid", "coins", "audit"):
        assert cashier.get(f"/customers/{pk}/{tab}").status_code == 404, tab
    for action in ("payments", "prepaid/topup", "deactivate"):
        response = cashier.post(f"/customers/{pk}/{action}",
                                {"amount": "1", "method": "cash", "token": str(uuid.uuid4())})
        assert response.status_code == 404, action


# --- the actions ------------------------------------------------------------------------


def test_adjust_debt_sets_the_new_receivable_once(people, owner):
    debtor = people["debtor"]
    body = {"token": str(uuid.uuid4()), "target_receivable": "300.000", "note": "đối chiếu"}
    first = owner.post(f"/customers/{debtor.pk}/debt-adjust", body, **HTMX)
    second = owner.post(f"/customers/{debtor.pk}/debt-adjust", body, **HTMX)
    assert first.status_code == second.status_code == 200
    debtor.refresh_from_db()
    assert debtor.receivable_amount == Decimal("300000")
    made = Voucher.objects.filter(customer=debtor, purpose="adjustment")
    assert made.count() == 1 and made.get().amount == Decimal("-200000")
    same = owner.post(f"/customers/{debtor.pk}/debt-adjust",
                      {"token": str(uuid.uuid4()), "target_receivable": "300000"}, **HTMX)
    assert same.status_code == 422 and same["HX-Retarget"] == "#adjust-form"
    assert "already" in same.content.decode()


def test_write_off_only_lowers_and_is_a_write_off_voucher(people, owner):
    debtor = people["debtor"]
    raise_it = owner.post(f"/customers/{debtor.pk}/debt-adjust",
                          {"token": str(uuid.uuid4()), "target_receivable": "900000",
                           "write_off": "on"}, **HTMX)
    assert raise_it.status_code == 422 and "only lower" in raise_it.content.decode()
    owner.post(f"/customers/{debtor.pk}/debt-adjust",
               {"token": str(uuid.uuid4()), "target_receivable": "0", "write_off": "on"})
    assert Voucher.objects.get(customer=debtor, purpose="write_off").amount == Decimal("-500000")


def test_a_cashier_sees_no_back_office_action_and_is_refused_when_posting(people, acme):
    shared = customer_make(name="Khách chung nợ", branch=Branch.objects.get(code="B2"),
                           shared=True)
    opening_balance_set(customer=shared, amount=Decimal("100000"), actor=people["boss"])
    voucher = Voucher.objects.get(customer=shared)
    cashier = web_client(acme, "cashier@acme.test")
    debt = cashier.get(f"/customers/{shared.pk}/debt").content.decode()
    assert 'id="payment-form"' in debt
    assert 'id="adjust-form"' not in debt and "/cancel" not in debt
    prepaid = cashier.get(f"/customers/{shared.pk}/prepaid").content.decode()
    assert 'id="topup-form"' in prepaid and 'id="refund-form"' not in prepaid
    token = {"token": str(uuid.uuid4())}
    assert cashier.post(f"/customers/{shared.pk}/debt-adjust",
                        {**token, "target_receivable": "0"}).status_code == 403
    assert cashier.post(f"/customers/{shared.pk}/vouchers/{voucher.pk}/cancel",
                        token).status_code == 403
    assert cashier.post(f"/customers/{shared.pk}/prepaid/refund",
                        {**token, "amount": "1", "method": "cash"}).status_code == 403
    assert cashier.post(f"/customers/{shared.pk}/delete", token).status_code == 403
    shared.refresh_from_db()
    assert shared.receivable_amount == Decimal("100000")


def test_the_statement_action_is_shown_to_whom_may_read_statements(people, owner, acme):
    debtor = people["debtor"]
    page = owner.get(f"/customers/{debtor.pk}/").content.decode()
    link = re.search(r'<a class="button" id="statement" href="([^"]+)">Statement</a>', page)
    assert link and link.group(1) == f"/statements/customers/{debtor.pk}/"
    statement = owner.get(link.group(1))
    assert statement.status_code == 200 and debtor.name in statement.content.decode()
    shared = customer_make(name="Khách chung", branch=Branch.objects.get(code="B2"), shared=True)
    cashier = web_client(acme, "cashier@acme.test")
    page = cashier.get(f"/customers/{shared.pk}/")
    assert page.status_code == 200 and 'id="statement"' not in page.content.decode()
    assert cashier.get(f"/statements/customers/{shared.pk}/").status_code == 403


def test_cancel_a_voucher_once_with_the_reason(people, owner):
    debtor, boss = people["debtor"], people["boss"]
    receipt = payment_record(customer=debtor, amount=Decimal("100000"), method="cash",
                             actor=boss)
    debt = owner.get(f"/customers/{debtor.pk}/debt").content.decode()
    assert f"/customers/{debtor.pk}/vouchers/{receipt.pk}/cancel" in debt
    body = {"token": str(uuid.uuid4()), "reason": "thu nhầm", "tab": "debt"}
    first = owner.post(f"/customers/{debtor.pk}/vouchers/{receipt.pk}/cancel", body)
    second = owner.post(f"/customers/{debtor.pk}/vouchers/{receipt.pk}/cancel", body)
    assert first.status_code == second.status_code == 302
    receipt.refresh_from_db()
    assert receipt.status == "cancelled" and "thu nhầm" in receipt.note
    debtor.refresh_from_db()
    assert debtor.receivable_amount == Decimal("500000")
    again = owner.post(f"/customers/{debtor.pk}/vouchers/{receipt.pk}/cancel",
                       {"token": str(uuid.uuid4())})
    assert again.status_code == 422 and "already cancelled" in again.content.decode()


def test_prepaid_top_up_is_disabled_with_the_reason_until_allowed(people, owner):
    clean = people["clean"]
    page = owner.get(f"/customers/{clean.pk}/prepaid").content.decode()
    assert "may not keep a prepaid balance" in page
    assert re.search(r'<button type="submit" class="button button-primary" disabled', page)
    body = {"topup-token": str(uuid.uuid4()), "topup-amount": "50000", "topup-method": "cash"}
    refused = owner.post(f"/customers/{clean.pk}/prepaid/topup", body, **HTMX)
    assert refused.status_code == 422 and refused["HX-Retarget"] == "#topup-form"
    Customer.objects.filter(pk=clean.pk).update(prepaid_allowed=True)
    assert owner.post(f"/customers/{clean.pk}/prepaid/topup", body, **HTMX).status_code == 200
    assert owner.post(f"/customers/{clean.pk}/prepaid/topup", body, **HTMX).status_code == 200
    clean.refresh_from_db()
    assert clean.prepaid_amount == Decimal("50000")
    refund = {"refund-token": str(uuid.uuid4()), "refund-amount": "20000",
              "refund-method": "cash"}
    assert owner.post(f"/customers/{clean.pk}/prepaid/refund", refund).status_code == 302
    clean.refresh_from_db()
    assert clean.prepaid_amount == Decimal("30000")


def test_deactivate_and_delete_are_disabled_with_the_reason_and_refused(people, owner):
    debtor = people["debtor"]
    page = owner.get(f"/customers/{debtor.pk}/").content.decode()
    assert re.search(r"disabled aria-describedby=\"customer_deactivate-why\"", page)
    assert "still has a receivable" in page and 'id="customer_delete-why"' in page
    refused = owner.post(f"/customers/{debtor.pk}/deactivate", {"token": str(uuid.uuid4())})
    assert refused.status_code == 422 and "cannot be deactivated" in refused.content.decode()
    debtor.refresh_from_db()
    assert debtor.status == "active"


def test_deactivate_reactivate_and_delete_a_clean_customer(people, owner):
    clean = people["clean"]
    token = str(uuid.uuid4())
    assert owner.post(f"/customers/{clean.pk}/deactivate", {"token": token}).status_code == 302
    clean.refresh_from_db()
    assert clean.status == "inactive"
    assert "/reactivate" in owner.get(f"/customers/{clean.pk}/").content.decode()
    owner.post(f"/customers/{clean.pk}/reactivate", {"token": str(uuid.uuid4())})
    clean.refresh_from_db()
    assert clean.status == "active"
    token = str(uuid.uuid4())
    first = owner.post(f"/customers/{clean.pk}/delete", {"token": token})
    second = owner.post(f"/customers/{clean.pk}/delete", {"token": token})
    assert first.status_code == second.status_code == 302
    assert second["Location"] == "/customers/"
    assert not Customer.objects.filter(pk=clean.pk).exists()


# --- the receipt ------------------------------------------------------------------------


def test_after_a_payment_a_printable_receipt_in_a4_and_80mm(people, owner, acme):
    debtor = people["debtor"]
    response = owner.post(f"/customers/{debtor.pk}/payments",
                          {"token": str(uuid.uuid4()), "amount": "150000", "method": "card"},
                          **HTMX)
    voucher = Voucher.objects.get(customer=debtor, type="receipt")
    url = f"/customers/{debtor.pk}/vouchers/{voucher.pk}/receipt"
    assert url in response.content.decode() and voucher.code in response.content.decode()
    a4 = owner.get(url).content.decode()
    thermal = owner.get(url, {"layout": "thermal"}).content.decode()
    assert 'class="receipt receipt-a4"' in a4 and 'class="receipt receipt-thermal"' in thermal
    with translation.override("en"):
        local = local_time(voucher.created_at)  # in the tenant's time zone
    assert "+07" not in local and local
    for html in (a4, thermal):
        assert voucher.code in html and "150,000 ₫" in html and "350,000 ₫" in html
        assert "Card" in html and local in html
    cashier = web_client(acme, "cashier@acme.test")
    assert cashier.get(url).status_code == 404  # MAIN's customer


def test_tenant_isolation_of_the_new_screens(people, globex):
    other = web_client(globex, "owner@globex.test")
    debtor = people["debtor"]
    for path in ("purchases", "prepaid", "coins", "audit", "edit"):
        assert other.get(f"/customers/{debtor.pk}/{path}").status_code == 404, path
    assert "Nguyễn" not in other.get("/customers/duplicates",
                                     {"name": "Nguyễn Thị Ánh Đào"}).content.decode()
