"""Screen 7: the quick sale at the counter -- picker through the visibility selector, credit
banner, lines at the resolved price, refusals that explain, walk-ins paid in full, one order
per token, and who may sell."""

import re
import uuid
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission

from crm.models import Branch, Customer, CustomerGroup
from finance.catalogue import agreement_price_create
from finance.models import Order
from finance.vouchers import opening_balance_set
from tests.finance.factories import customer_make, product_make, user
from tests.web.conftest import web_client

HTMX = {"HTTP_HX_REQUEST": "true"}


def _client(tenant, username="owner@acme.test"):
    client = web_client(tenant, username)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _sale(*, customer=None, lines=(), action="approve", token=None, **fields) -> dict:
    body = {"customer": customer.pk if customer else "", "token": token or str(uuid.uuid4()),
            "action": action, "method": "cash", "paid_amount": "", "new_name": "",
            "new_phone": "", "product": "", "quantity": "", "coins_redeem": ""}
    body["line_product"] = [str(product.pk) for product, _q in lines]
    body["line_quantity"] = [quantity for _p, quantity in lines]
    return {**body, **fields}


def _debtor(*, limit=None, receivable="0", **fields) -> Customer:
    """A customer whose receivable comes from the ledger (an opening balance)."""
    customer = customer_make(credit_limit_amount=None if limit is None else Decimal(limit),
                             credit_limit_enforced=limit is not None, **fields)
    if Decimal(receivable):
        opening_balance_set(customer=customer, amount=Decimal(receivable),
                            actor=user("owner@acme.test"))
    customer.refresh_from_db()
    return customer


def test_the_screen_needs_a_login_and_shows_the_sale_form(in_acme, acme):
    assert web_client(acme).get("/sale/").status_code == 302
    html = _client(acme).get("/sale/").content.decode()
    assert 'id="sale-form"' in html and "Approve sale" in html and 'href="/sale/"' in html
    assert 'name="token"' in html and 'inputmode="decimal"' in html


def test_picking_a_customer_shows_the_credit_banner_and_prices_lines_for_it(in_acme, acme):
    group = CustomerGroup.objects.create(name="Đại lý")
    customer = _debtor(limit="1000000", receivable="850000", group=group, name="Nguyễn Ánh")
    product = product_make("100000")
    agreement_price_create(product=product, group=group, price_amount=Decimal("90000"))
    client = _client(acme)
    picked = client.post("/sale/", _sale(action="", pick=str(customer.pk)), **HTMX)
    html = picked.content.decode()
    assert picked.status_code == 200 and "<html" not in html
    assert 'id="credit-banner" class="banner banner-near"' in html  # 150.000 of 1.000.000 left
    assert re.search(r'id="banner-available">150,000 ₫<', html)
    assert f'name="customer" value="{customer.pk}"' in html
    added = client.post("/sale/", _sale(customer=customer, action="add",
                                        product=str(product.pk), quantity="2"), **HTMX)
    html = added.content.decode()
    # The group's agreement price, from the finance resolver; the composer emptied.
    assert "90,000 ₫" in html and re.search(r'id="sale-total">180,000 ₫<', html)
    assert f'name="line_product" value="{product.pk}"' in html
    # An order of 180.000 on account would pass 1.000.000: refused, explained, not saved.
    refused = client.post("/sale/", _sale(customer=customer, lines=[(product, "2")]), **HTMX)
    html = refused.content.decode()
    assert refused.status_code == 422 and 'id="refusal"' in html
    for figure in ("1,000,000 ₫", "850,000 ₫", "180,000 ₫"):
        assert figure in html
    assert re.search(r'id="refusal-available">150,000 ₫<', html)
    assert "at most 150000 can be sold on account" in html
    assert not Order.objects.filter(customer=customer).exists()


def test_an_over_limit_customer_is_blocked_at_selection_and_at_approval(in_acme, acme):
    customer = _debtor(limit="250000", receivable="300000")
    product = product_make("1000")
    client = _client(acme)
    html = client.post("/sale/", _sale(action="", pick=str(customer.pk)), **HTMX
                       ).content.decode()
    assert "banner-blocked" in html and "no new sale can be made" in html
    assert re.search(r'value="approve"[^>]*\s+disabled', html)
    # Posted anyway (fully paid even): the service refuses any new order, nothing written.
    refused = client.post("/sale/", _sale(customer=customer, lines=[(product, "1")],
                                          paid_amount="1000"), **HTMX)
    assert refused.status_code == 422 and 'id="refusal"' in refused.content.decode()
    assert not Order.objects.filter(customer=customer).exists()


def test_a_sale_on_account_is_approved_and_its_confirmation_links_the_debt_tab(in_acme, acme):
    customer = _debtor(limit="1000000", receivable="100000", name="Trần Văn Mua")
    product = product_make("120000")
    client = _client(acme)
    response = client.post("/sale/", _sale(customer=customer, lines=[(product, "1.5")],
                                           paid_amount="80.000"), **HTMX)
    order = Order.objects.get(customer=customer)
    assert response.status_code == 200 and response["HX-Redirect"] == f"/sale/{order.pk}/"
    assert order.status == Order.Status.APPROVED and order.total_amount == Decimal("180000")
    assert order.paid_amount == Decimal("80000") and order.payment_method == "cash"
    customer.refresh_from_db()
    assert customer.receivable_amount == Decimal("200000")  # 100.000 + the unpaid 100.000
    done = client.get(f"/sale/{order.pk}/").content.decode()
    assert order.code in done and f'href="/customers/{customer.pk}/debt"' in done
    assert re.search(r'id="done-on-account">100,000 ₫<', done)
    assert re.search(r'id="done-receivable">200,000 ₫<', done)
    debt = client.get(f"/customers/{customer.pk}/debt").content.decode()
    assert order.code in debt


def test_a_walk_in_must_pay_in_full(in_acme, acme):
    product = product_make("50000")
    client = _client(acme)
    unpaid = client.post("/sale/", _sale(lines=[(product, "2")], paid_amount="60000"), **HTMX)
    html = unpaid.content.decode()
    assert unpaid.status_code == 422 and "A walk-in sale must be paid in full" in html
    assert re.search(r'field-invalid">\s*<label for="id_paid_amount"', html)
    assert not Order.objects.exists()
    # "Paid in full" fills in the quoted total; then it goes through.
    filled = client.post("/sale/", _sale(lines=[(product, "2")], action="pay_full"), **HTMX)
    assert 'name="paid_amount" value="100000"' in filled.content.decode()
    paid = client.post("/sale/", _sale(lines=[(product, "2")], paid_amount="100000"))
    order = Order.objects.get()
    assert paid.status_code == 302 and paid["Location"] == f"/sale/{order.pk}/"
    assert order.customer is None and order.status == Order.Status.APPROVED
    assert "Walk-in customer" in client.get(paid["Location"]).content.decode()


def test_a_double_tap_makes_one_order(in_acme, acme):
    customer = _debtor()
    product = product_make("10000")
    client = _client(acme)
    body = _sale(customer=customer, lines=[(product, "3")], token=str(uuid.uuid4()))
    first = client.post("/sale/", body, **HTMX)
    second = client.post("/sale/", body, **HTMX)
    assert first["HX-Redirect"] == second["HX-Redirect"]
    assert Order.objects.filter(customer=customer).count() == 1
    customer.refresh_from_db()
    assert customer.receivable_amount == Decimal("30000")


def test_inline_customer_creation_and_its_duplicate_phone(in_acme, acme):
    existing = customer_make(name="Lê Có Rồi", phone="+84912000999")
    product = product_make("10000")
    client = _client(acme)
    made = client.post("/sale/", _sale(lines=[(product, "1")], new_name="Phạm Mới",
                                       new_phone="0913 000 111"))
    assert made.status_code == 302
    order = Order.objects.get()
    assert order.customer.name == "Phạm Mới" and order.customer.phone == "+84913000111"
    dup = client.post("/sale/", _sale(lines=[(product, "1")], new_name="Phạm Khác",
                                      new_phone="0912 000 999"), **HTMX)
    html = dup.content.decode()
    assert dup.status_code == 422 and f"another active customer: {existing.code}" in html
    assert re.search(r'field-invalid">\s*<label for="id_new_phone"', html)
    assert f'name="pick" value="{existing.pk}"' in html  # offered instead
    assert Order.objects.count() == 1 and not Customer.objects.filter(name="Phạm Khác").exists()


def test_bad_input_comes_back_at_its_field(in_acme, acme):
    product = product_make("10000")
    client = _client(acme)
    for fields, name in (({"paid_amount": "abc"}, "paid_amount"),
                         ({"action": "add", "product": str(product.pk), "quantity": "x"},
                          "quantity"),
                         ({"action": "add", "quantity": "1"}, "product")):
        response = client.post("/sale/", _sale(**fields), **HTMX)
        assert response.status_code == 422, fields
        assert re.search(rf'field-invalid">\s*<label for="id_{name}"', response.content.decode())
    assert client.post("/sale/", _sale(), **HTMX).status_code == 422  # no line
    assert not Order.objects.exists()


def test_the_picker_and_the_sale_see_only_visible_customers(in_acme, acme, globex):
    b2 = Branch.objects.get(code="B2")
    main_only = customer_make(name="Nguyễn Thị Ánh Đào", phone="0912000111")
    own = customer_make(name="Nguyễn Thị Ánh Hồng", branch=b2)
    cashier = _client(acme, "cashier@acme.test")  # works at B2 only
    found = cashier.get("/sale/customers", {"customer_search": "nguyen thi anh"}, **HTMX)
    html = found.content.decode()
    assert found.status_code == 200 and "<html" not in html
    assert "Ánh Hồng" in html and "Ánh Đào" not in html
    picked = cashier.post("/sale/", _sale(action="", pick=str(main_only.pk)), **HTMX)
    assert picked.status_code == 422 and "Unknown customer." in picked.content.decode()
    product = product_make("10000")
    sold = cashier.post("/sale/", _sale(customer=main_only, lines=[(product, "1")]), **HTMX)
    assert sold.status_code == 422 and not Order.objects.filter(customer=main_only).exists()
    cashier.post("/sale/", _sale(customer=own, lines=[(product, "1")]))
    order = Order.objects.get(customer=own)
    # Another tenant: neither the customer nor the order is there.
    other = web_client(globex, "owner@globex.test")
    assert "Ánh" not in other.get("/sale/customers", {"customer_search": "anh"}).content.decode()
    assert other.get(f"/sale/{order.pk}/").status_code == 404


def test_a_role_that_may_not_sell_sees_no_sale_and_is_refused(in_acme, acme):
    sales = user("sales@acme.test")
    perm = Permission.objects.get(codename="add_order", content_type__app_label="finance")
    for group in sales.groups.all():
        group.permissions.remove(perm)
    client = _client(acme, "sales@acme.test")
    assert 'href="/sale/"' not in client.get("/customers/").content.decode()
    assert client.get("/sale/").status_code == 403
    assert client.get("/sale/customers", {"customer_search": "a"}).status_code == 403
    product = product_make("10000")
    refused = client.post("/sale/", _sale(lines=[(product, "1")], paid_amount="10000"))
    assert refused.status_code == 403 and not Order.objects.exists()


@pytest.mark.parametrize("quantity", ["1e20", "-1", "NaN"])
def test_a_quantity_that_cannot_be_sold_is_refused_not_a_500(in_acme, acme, quantity):
    product = product_make("10000")
    response = _client(acme).post("/sale/", _sale(action="add", product=str(product.pk),
                                                  quantity=quantity), **HTMX)
    assert response.status_code == 422


@pytest.mark.parametrize("language, approve, banner", [
    ("vi", "Duyệt đơn bán", "Đã vượt hạn mức công nợ"),
    ("zh-hant", "核准銷貨", "已超過信用額度")])
def test_the_screen_in_vietnamese_and_chinese_holds_no_english(in_acme, acme, language,
                                                              approve, banner):
    customer = _debtor(limit="100000", receivable="150000")
    client = web_client(acme, "owner@acme.test")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.post("/sale/", _sale(action="", pick=str(customer.pk))).content.decode()
    assert approve in html and banner in html
    for english in ("Approve sale", "Walk-in", "Lines", "Product", "Quantity", "Paid amount",
                    "Credit limit", "Add line", "Coins"):
        assert english not in html, english
