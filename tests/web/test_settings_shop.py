"""Settings › the shop's sections (test client): who opens which, and each one's save
through its service, with errors next to the fields."""

import io
import uuid
from decimal import Decimal

from django.db import connection
from PIL import Image

from crm.models import Branch, CustomerGroup
from finance.models import AgreementPrice, FinanceSettings, PaymentMethod, Product, Voucher
from finance.selectors import payment_method_choices
from tenants.models import Tenant
from tests.web.conftest import english, web_client

SECTIONS = ("/settings/profile/", "/settings/users/", "/settings/tokens/",
            "/settings/branches/", "/settings/groups/", "/settings/products/",
            "/settings/payment-methods/", "/settings/coins/", "/settings/opening-balances/")


def _token() -> str:
    return str(uuid.uuid4())


def _in(tenant, read):
    connection.set_tenant(tenant)
    try:
        return read()
    finally:
        connection.set_schema_to_public()


def test_every_section_opens_for_the_owner_and_the_manager_gets_branches_and_groups(acme):
    owner = english(web_client(acme, "owner@acme.test"))
    for path in SECTIONS:
        assert owner.get(path).status_code == 200, path
    manager = english(web_client(acme, "manager@acme.test"))
    allowed = {"/settings/branches/", "/settings/groups/", "/settings/products/",
               "/settings/payment-methods/", "/settings/opening-balances/"}
    for path in SECTIONS:
        assert manager.get(path).status_code == (200 if path in allowed else 403), path
    menu = manager.get("/settings/branches/").content.decode()
    assert "Users and roles" not in menu and "Business profile" not in menu
    for role in ("sales", "cashier"):
        client = web_client(acme, f"{role}@acme.test")
        for path in SECTIONS:
            assert client.get(path).status_code == 403, (role, path)


def test_a_refusal_is_the_apps_own_translated_page_with_its_icon(acme):
    sales = web_client(acme, "sales@acme.test")
    refused = sales.get("/settings/")
    page = refused.content.decode()
    assert refused.status_code == 403
    assert '<link rel="icon" href="/static/web/favicon.svg"' in page
    assert 'lang="vi"' in page and "Không được phép" in page
    english(sales)
    assert "Not allowed" in sales.get("/settings/users/").content.decode()


def test_the_profile_saves_name_address_tax_code_language_and_shows_the_currency(acme, globex,
                                                                                 owner):
    page = owner.get("/settings/profile/").content.decode()
    assert 'id="currency">VND' in page
    saved = owner.post("/settings/profile/", {"token": _token(), "name": "Công ty Acme Mới",
                                              "address": "12 Lê Lợi, Q1", "tax_code": "0312345678",
                                              "locale": "vi"})
    assert saved.status_code == 302
    tenant = Tenant.objects.get(pk=acme.pk)
    assert (tenant.name, tenant.address, tenant.tax_code) == ("Công ty Acme Mới", "12 Lê Lợi, Q1",
                                                              "0312345678")
    assert Tenant.objects.get(pk=globex.pk).name == "環球貿易有限公司"  # only this tenant's
    refused = owner.post("/settings/profile/", {"token": _token(), "name": " ", "locale": "vi"})
    assert refused.status_code == 422
    assert "Enter the name of your business." in refused.content.decode()
    Tenant.objects.filter(pk=acme.pk).update(name="Công ty Acme", address="", tax_code="")


def test_the_logo_is_uploaded_checked_and_removed(acme, owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    png = io.BytesIO()
    Image.new("RGB", (40, 20), "navy").save(png, "PNG")
    png.seek(0)
    png.name = "logo.png"
    assert owner.post("/settings/profile/", {"token": _token(), "logo-sent": "1",
                                             "logo": png}).status_code == 302
    assert Tenant.objects.get(pk=acme.pk).logo_path.endswith(".png")
    assert 'class="logo-preview"' in owner.get("/settings/profile/").content.decode()
    junk = io.BytesIO(b"not an image")
    junk.name = "logo.png"
    refused = owner.post("/settings/profile/", {"token": _token(), "logo-sent": "1",
                                                "logo": junk})
    assert refused.status_code == 422 and "PNG or JPEG" in refused.content.decode()
    assert owner.post("/settings/profile/", {"token": _token(), "logo-sent": "1",
                                             "remove": "1"}).status_code == 302
    assert Tenant.objects.get(pk=acme.pk).logo_path == ""


def test_branches_are_added_and_edited_and_a_taken_code_is_named(acme):
    manager = english(web_client(acme, "manager@acme.test"))
    added = manager.post("/settings/branches/", {"token": _token(), "code": "hn1",
                                                 "name": "Hà Nội 1", "active": "on"})
    assert added.status_code == 302
    branch = _in(acme, lambda: Branch.objects.get(code="HN1"))
    taken = manager.post("/settings/branches/", {"token": _token(), "code": "HN1", "name": "x"})
    assert taken.status_code == 422 and "A branch with this code exists." in \
        taken.content.decode()
    empty = manager.post("/settings/branches/", {"token": _token(), "code": "", "name": ""})
    assert empty.status_code == 422 and "This field is required." in empty.content.decode()
    manager.post(f"/settings/branches/{branch.pk}/", {"token": _token(), "code": "ZZ",
                                                      "name": "Hà Nội Một"})
    fresh = _in(acme, lambda: Branch.objects.get(pk=branch.pk))
    assert (fresh.code, fresh.name, fresh.active) == ("HN1", "Hà Nội Một", False)


def test_a_group_and_its_agreement_price(acme, owner):
    made = owner.post("/settings/groups/", {"token": _token(), "code": "si", "name": "Khách sỉ"})
    assert made.status_code == 302
    group = _in(acme, lambda: CustomerGroup.objects.get(code="SI"))
    product = _in(acme, lambda: Product.objects.create(sku="P-1", name="Giấy A4",
                                                       list_price_amount=Decimal(50000)))
    price = owner.post(f"/settings/groups/{group.pk}/", {
        "token": _token(), "product": str(product.pk), "price": "45.000"})
    assert price.status_code == 302, price.content.decode()
    assert _in(acme, lambda: AgreementPrice.objects.get(group=group).price_amount) == 45000
    page = owner.get(f"/settings/groups/{group.pk}/").content.decode()
    assert "Giấy A4" in page and "45,000" in page
    bad = owner.post(f"/settings/groups/{group.pk}/", {
        "token": _token(), "product": str(product.pk), "price": "abc"})
    assert bad.status_code == 422 and "Not a valid amount." in bad.content.decode()
    dup = owner.post("/settings/groups/", {"token": _token(), "code": "SI", "name": "Khác"})
    assert dup.status_code == 422


def test_products_and_payment_methods(acme, owner):
    assert owner.post("/settings/products/", {"token": _token(), "sku": "T-1", "name": "Mực in",
                                              "unit": "hộp", "list_price": "120.000",
                                              "active": "on"}).status_code == 302
    product = _in(acme, lambda: Product.objects.get(sku="T-1"))
    assert product.list_price_amount == 120000
    taken = owner.post("/settings/products/", {"token": _token(), "sku": "T-1", "name": "x",
                                               "list_price": "1"})
    assert taken.status_code == 422 and "T-1" in taken.content.decode()
    assert owner.post("/settings/payment-methods/", {"token": _token(), "code": "momo",
                                                     "name": "MoMo", "active": "on"}
                      ).status_code == 302
    assert ("momo", "MoMo") in _in(acme, payment_method_choices)
    builtin = owner.post("/settings/payment-methods/", {"token": _token(), "code": "cash",
                                                        "name": "Tiền"})
    assert builtin.status_code == 422 and "built-in" in builtin.content.decode()
    method = _in(acme, lambda: PaymentMethod.objects.get(code="momo"))
    owner.post(f"/settings/payment-methods/{method.pk}/", {"token": _token(), "code": "momo",
                                                           "name": "MoMo QR"})
    assert _in(acme, lambda: PaymentMethod.objects.get(pk=method.pk).active) is False


def test_the_coin_rule_and_terms(acme, owner):
    saved = owner.post("/settings/coins/", {"token": _token(), "coin_earn_step_amount": "20.000",
                                            "coin_value_amount": "500",
                                            "payment_terms_days": "30"})
    assert saved.status_code == 302
    found = _in(acme, lambda: FinanceSettings.objects.get(pk=1))
    assert (found.coin_earn_step_amount, found.coin_value_amount, found.payment_terms_days) == (
        20000, 500, 30)
    refused = owner.post("/settings/coins/", {"token": _token(), "coin_earn_step_amount": "1",
                                              "coin_value_amount": "1",
                                              "payment_terms_days": "900"})
    assert refused.status_code == 422 and "Payment terms are 0 to 365 days." in \
        refused.content.decode()


def test_an_opening_balance_one_by_one_and_only_once(acme, owner):
    from tests.crm.factories import customer

    made = _in(acme, lambda: customer(name="Khách Đầu Kỳ"))
    token = _token()
    form = {"token": token, "customer": made.code, "amount": "1.500.000", "note": ""}
    assert owner.post("/settings/opening-balances/", form).status_code == 302
    assert owner.post("/settings/opening-balances/", form).status_code == 302  # double tap
    assert _in(acme, lambda: Voucher.objects.filter(customer=made, purpose="opening").count()
               ) == 1
    again = owner.post("/settings/opening-balances/", {**form, "token": _token()})
    assert again.status_code == 422 and "already has an opening balance" in \
        again.content.decode()
    unknown = owner.post("/settings/opening-balances/", {**form, "token": _token(),
                                                         "customer": "NOPE"})
    assert unknown.status_code == 422 and "No customer you can see has this code." in \
        unknown.content.decode()
    assert made.code in owner.get("/settings/opening-balances/").content.decode()


def test_an_accountant_reaches_exactly_the_opening_balances_section(acme):
    import re

    from crm.roles import ACCOUNTANT
    from crm.staff import staff_create
    from tests.conftest import PASSWORD
    from tests.crm.factories import customer

    made = _in(acme, lambda: (staff_create(
        username="accountant@acme.test", password=PASSWORD, roles=[ACCOUNTANT],
        branches=[Branch.objects.get(code="MAIN")]), customer(name="Khách Kế Toán"))[1])
    accountant = english(web_client(acme, "accountant@acme.test"))
    home = accountant.get("/").content.decode()
    assert '<a href="/settings/"' in home and ">Settings</a>" in home
    assert accountant.get("/settings/")["Location"] == "/settings/opening-balances/"
    page = accountant.get("/settings/opening-balances/")
    menu = re.search(r'<nav class="settings-nav".*?</nav>', page.content.decode(), re.S).group(0)
    assert page.status_code == 200
    assert re.findall(r'<a href="([^"]+)"', menu) == ["/settings/opening-balances/"]
    form = {"token": _token(), "customer": made.code, "amount": "250.000", "note": ""}
    assert accountant.post("/settings/opening-balances/", form).status_code == 302
    assert _in(acme, lambda: Voucher.objects.get(customer=made, purpose="opening").amount
               ) == Decimal("250000")
    for path in SECTIONS[:-1]:
        assert accountant.get(path).status_code == 403, path
