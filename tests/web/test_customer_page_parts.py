"""The customer page's credit meter, Sell link, Record payment's full-debt button and live
receivable-after, and the Aging tab (permissions and tenant isolation included)."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from crm.models import Branch
from finance.orders import order_approve, order_create
from finance.vouchers import opening_balance_set
from tests.finance.factories import customer_make, lines, product_make, user
from tests.web.conftest import HTMX, english, web_client


@pytest.fixture
def debtor(in_acme):
    customer = customer_make(name="Nguyễn Văn Nợ", phone="+84912000777",
                             credit_limit_amount=Decimal("1000000"), credit_limit_enforced=True)
    opening_balance_set(customer=customer, amount=Decimal("250000"), actor=user("owner@acme.test"))
    customer.refresh_from_db()
    return customer


def _meter(html: str) -> str:
    found = re.search(r'<div class="meter" role="meter"[^>]*>', html)
    return found.group(0) if found else ""


def test_the_credit_meter_shows_used_over_limit(debtor, owner):
    html = owner.get(f"/customers/{debtor.pk}/").content.decode()
    meter = _meter(html)
    assert 'aria-valuemin="0"' in meter and 'aria-valuemax="1000000' in meter
    assert 'aria-valuenow="250000' in meter
    assert "Credit used: 250,000 ₫ / 1,000,000 ₫" in html and "width: 25%" in html
    assert "reference only" not in html


def test_the_credit_meter_says_reference_only_and_is_absent_without_limit(debtor, owner):
    debtor.credit_limit_enforced = False
    debtor.save(update_fields=["credit_limit_enforced"])
    html = owner.get(f"/customers/{debtor.pk}/").content.decode()
    assert _meter(html) and "reference only" in html
    debtor.credit_limit_amount = None
    debtor.save(update_fields=["credit_limit_amount"])
    html = owner.get(f"/customers/{debtor.pk}/").content.decode()
    assert not _meter(html) and "Credit used" not in html


def test_sell_links_to_the_quick_sale_only_for_who_may_sell(acme, in_acme):
    sales = user("sales@acme.test")
    customer = customer_make(name="Khách Bán", owner=sales)
    client = english(web_client(acme, "sales@acme.test"))
    link = f'href="/sale/?customer={customer.pk}"'
    assert link in client.get(f"/customers/{customer.pk}/").content.decode()
    sale = client.get(f"/sale/?customer={customer.pk}").content.decode()
    assert "Khách Bán" in sale
    perm = Permission.objects.get(codename="add_order", content_type__app_label="finance")
    for group in sales.groups.all():
        group.permissions.remove(perm)
    client = english(web_client(acme, "sales@acme.test"))
    assert link not in client.get(f"/customers/{customer.pk}/").content.decode()


def test_full_debt_fills_the_receivable_and_the_preview_follows_the_amount(debtor, owner):
    debt = owner.get(f"/customers/{debtor.pk}/debt").content.decode()
    assert 'id="full-debt" data-amount="250,000 ₫"' in debt
    assert f'hx-get="/customers/{debtor.pk}/payments/preview"' in debt
    assert re.search(r'Receivable after: <strong>250,000 ₫</strong>', debt)
    url = f"/customers/{debtor.pk}/payments/preview"
    part = owner.get(url, {"amount": "100,000"}, **HTMX)
    assert part.status_code == 200
    html = part.content.decode()
    assert html.strip().startswith('<p id="payment-preview"') and "150,000 ₫" in html
    full = owner.get(url, {"amount": "250,000 ₫"}, **HTMX).content.decode()
    assert "<strong>0 ₫</strong>" in full
    over = owner.get(url, {"amount": "300000"}, **HTMX).content.decode()
    assert "<strong>0 ₫</strong>" in over and "To prepaid: 50,000 ₫" in over
    bad = owner.get(url, {"amount": "abc"}, **HTMX)
    assert bad.status_code == 200 and "Not a valid amount." in bad.content.decode()
    huge = owner.get(url, {"amount": "9" * 30}, **HTMX)
    assert huge.status_code == 200 and "Not a valid amount." in huge.content.decode()
    debtor.refresh_from_db()
    assert debtor.receivable_amount == Decimal("250000")  # a preview writes nothing


def test_the_preview_is_refused_without_add_voucher_and_hidden_customers_404(debtor, acme):
    hidden = customer_make(name="Khách B2", branch=Branch.objects.get(code="B2"))
    sales = user("sales@acme.test")
    mine = customer_make(name="Khách của Sales", owner=sales)
    perm = Permission.objects.get(codename="add_voucher", content_type__app_label="finance")
    client = web_client(acme, "sales@acme.test")
    assert client.get(f"/customers/{hidden.pk}/payments/preview").status_code == 404
    for group in sales.groups.all():
        group.permissions.remove(perm)
    client = web_client(acme, "sales@acme.test")
    assert client.get(f"/customers/{mine.pk}/payments/preview").status_code == 403


def test_the_aging_tab_has_the_buckets_and_the_open_orders(debtor, owner):
    boss = user("owner@acme.test")
    order = order_create(actor=boss, customer=debtor, lines=lines(product_make("200000")))
    order_approve(order=order, actor=boss)
    order.refresh_from_db()
    info = owner.get(f"/customers/{debtor.pk}/").content.decode()
    assert f'role="tab" href="/customers/{debtor.pk}/aging"' in info
    html = owner.get(f"/customers/{debtor.pk}/aging", **HTMX).content.decode()
    assert re.search(r'aria-selected="true"[^>]*>Aging<', html)
    for label in ("Not yet due", "0–30 days", "31–60 days", "61–90 days", "Over 90 days"):
        assert label in html
    assert "450,000 ₫" in html  # the receivable: the opening balance and the order
    table = html[html.index('id="open-orders"'):]
    assert order.code in table and "200,000 ₫" in table
    assert order.due_date.strftime("%m/%d/%Y") in table


def test_the_aging_tab_is_isolated_per_tenant_and_branch(debtor, acme, globex):
    other = web_client(globex, "owner@globex.test")
    assert other.get(f"/customers/{debtor.pk}/aging").status_code == 404
    hidden = customer_make(name="Khách B2 aging", branch=Branch.objects.get(code="B2"))
    sales = web_client(acme, "sales@acme.test")
    assert sales.get(f"/customers/{hidden.pk}/aging").status_code == 404
