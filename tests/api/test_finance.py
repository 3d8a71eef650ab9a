"""The finance API end to end: orders, vouchers, customer tabs, idempotency, isolation."""

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from crm.models import Branch
from finance.models import LedgerEntry, Order, Voucher
from tests.conftest import api_client
from tests.finance.factories import customer_make, product_make


@pytest.fixture
def shop(acme):
    """A product and two customers of acme: one at MAIN, one shared across branches."""
    with schema_context(acme.schema_name):
        return {"product": product_make("100000"), "main": customer_make(),
                "shared": customer_make(shared=True, prepaid_allowed=True),
                "cash": customer_make(settlement_method="cash")}


def _order(client, customer, quantity=1, **extra):
    headers = {name: extra.pop(name) for name in list(extra) if name.startswith("HTTP_")}
    return client.post("/api/v1/orders", {
        "customer": customer.pk if customer else None,
        "lines": [{"product": extra.pop("product"), "quantity": quantity}], **extra},
        format="json", **headers)


def test_order_with_approve_then_ledger_and_purchases(acme, shop):
    owner = api_client(acme, "owner@acme.test")
    response = _order(owner, shop["main"], 3, product=shop["product"].pk, approve=True,
                      paid_amount="50.000", payment_method="cash")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["total"], body["paid_amount"]) == ("approved", "300000", "50000")
    assert body["code"].startswith("DH")
    ledger = owner.get(f"/api/v1/customers/{shop['main'].pk}/ledger").json()
    assert [(r["code"], r["type"], r["amount"], r["balance_after"], r["status"])
            for r in ledger["results"]] == [(body["code"], "order", "250000", "250000",
                                             "approved")]
    assert ledger["next"] is None
    purchases = owner.get(f"/api/v1/customers/{shop['main'].pk}/purchases").json()
    assert [p["id"] for p in purchases["results"]] == [body["id"]]
    aging = owner.get(f"/api/v1/customers/{shop['main'].pk}/aging").json()
    assert aging["buckets"] == {"not_due": "0", "0_30": "250000", "31_60": "0", "61_90": "0",
                                "90_plus": "0"}
    coins = owner.get(f"/api/v1/customers/{shop['main'].pk}/coins").json()
    assert coins["results"][0]["amount"] == 30


def test_refused_approval_saves_nothing_and_names_the_rule(acme, shop):
    owner = api_client(acme, "owner@acme.test")
    walk_in = _order(owner, None, product=shop["product"].pk, approve=True)
    assert walk_in.status_code == 409 and walk_in.json()["code"] == "payment_required"
    cash = _order(owner, shop["cash"], product=shop["product"].pk, approve=True)
    assert cash.status_code == 409 and cash.json()["code"] == "payment_required"
    with schema_context(acme.schema_name):
        assert not Order.objects.exists()
    missing_method = _order(owner, None, product=shop["product"].pk, paid_amount="100000")
    assert missing_method.status_code == 400
    assert "payment_method" in missing_method.json()["fields"]


def test_credit_limit_error_names_limit_receivable_amount_and_what_is_left(acme, shop):
    owner = api_client(acme, "owner@acme.test")
    with schema_context(acme.schema_name):
        limited = customer_make(credit_limit_amount=Decimal("150000"), credit_limit_enforced=True)
    assert _order(owner, limited, product=shop["product"].pk, approve=True).status_code == 201
    refused = _order(owner, limited, product=shop["product"].pk, approve=True)
    assert refused.status_code == 409
    assert refused.json()["code"] == "credit_limit_exceeded"
    assert refused.json()["fields"] == {"credit_limit": "150000", "receivable": "100000",
                                        "amount": "100000", "available": "50000"}
    assert "150000" in refused.json()["detail"]


def test_payment_debt_adjust_and_cancel(acme, shop):
    owner = api_client(acme, "owner@acme.test")
    order = _order(owner, shop["main"], 2, product=shop["product"].pk, approve=True).json()
    paid = owner.post(f"/api/v1/customers/{shop['main'].pk}/payments",
                      {"amount": 50000, "method": "card"}, format="json")
    assert paid.status_code == 201
    assert (paid.json()["code"], paid.json()["receivable_after"]) == ("PT000001", "150000")
    too_much = owner.post(f"/api/v1/customers/{shop['main'].pk}/payments",
                          {"amount": "150001", "method": "cash"}, format="json")
    assert too_much.status_code == 409
    adjust = owner.post(f"/api/v1/customers/{shop['main'].pk}/debt-adjust",
                        {"target_receivable": "120000", "note": "đối chiếu"}, format="json")
    assert adjust.status_code == 201
    assert (adjust.json()["code"][:2], adjust.json()["purpose"], adjust.json()["amount"]) == (
        "PC", "adjustment", "-30000")
    negative = owner.post(f"/api/v1/customers/{shop['main'].pk}/debt-adjust",
                          {"target_receivable": "-1"}, format="json")
    assert negative.status_code == 400 and "target_receivable" in negative.json()["fields"]
    cancel = owner.post(f"/api/v1/vouchers/{paid.json()['id']}/cancel", {"reason": "nhầm"},
                        format="json")
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    ledger = owner.get(f"/api/v1/customers/{shop['main'].pk}/ledger").json()["results"]
    assert ledger[-1]["balance_after"] == "170000"
    cancelled = owner.post(f"/api/v1/orders/{order['id']}/cancel", {"reason": "trả hàng"},
                           format="json")
    # the adjustment settled 30000 of the order: cancelling it first (issue 9 #6)
    assert cancelled.status_code == 409 and cancelled.json()["code"] == "settled_by_adjustment"
    assert cancelled.json()["fields"]["vouchers"] == [adjust.json()["code"]]
    assert owner.post(f"/api/v1/vouchers/{adjust.json()['id']}/cancel",
                      format="json").status_code == 200
    cancelled = owner.post(f"/api/v1/orders/{order['id']}/cancel", {"reason": "trả hàng"},
                           format="json")
    assert cancelled.status_code == 200 and cancelled.json()["cancel_reason"] == "trả hàng"
    receivable = owner.get(f"/api/v1/customers/{shop['main'].pk}").json()["receivable"]
    assert Decimal(receivable) == 0
    assert owner.get("/api/v1/orders?status=cancelled").json()["results"][0]["id"] == order["id"]


def test_who_may_adjust_debt_and_cancel_vouchers(acme, shop):
    owner = api_client(acme, "owner@acme.test")
    _order(owner, shop["main"], product=shop["product"].pk, approve=True)
    sales = api_client(acme, "sales@acme.test")
    url = f"/api/v1/customers/{shop['main'].pk}/debt-adjust"
    assert sales.post(url, {"target_receivable": "0"}, format="json").status_code == 403
    voucher = sales.post(f"/api/v1/customers/{shop['main'].pk}/payments",
                         {"amount": "1000", "method": "cash"}, format="json")
    assert voucher.status_code == 201  # every role takes payments
    assert sales.post(f"/api/v1/vouchers/{voucher.json()['id']}/cancel").status_code == 403
    manager = api_client(acme, "manager@acme.test")
    assert manager.post(url, {"target_receivable": "0", "purpose": "write_off"},
                        format="json").status_code == 201


def test_idempotency_key_replays_and_rejects_another_body(acme, shop):
    owner = api_client(acme, "owner@acme.test")
    _order(owner, shop["main"], product=shop["product"].pk, approve=True)
    url = f"/api/v1/customers/{shop['main'].pk}/payments"
    first = owner.post(url, {"amount": "1000", "method": "cash"}, format="json",
                       HTTP_IDEMPOTENCY_KEY="k-1")
    again = owner.post(url, {"method": "cash", "amount": "1000"}, format="json",
                       HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    other = owner.post(url, {"amount": "2000", "method": "cash"}, format="json",
                       HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422
    order_first = _order(owner, None, product=shop["product"].pk, approve=True,
                         paid_amount="100000", payment_method="cash",
                         HTTP_IDEMPOTENCY_KEY="o-1")
    order_again = _order(owner, None, product=shop["product"].pk, approve=True,
                         paid_amount="100000", payment_method="cash",
                         HTTP_IDEMPOTENCY_KEY="o-1")
    assert order_first.json() == order_again.json()
    with schema_context(acme.schema_name):
        assert Voucher.objects.filter(customer=shop["main"]).count() == 1
        assert Order.objects.filter(customer__isnull=True).count() == 1
        assert LedgerEntry.objects.filter(customer=shop["main"], book="receivable").count() == 2


def test_prepaid_topup_refund_and_history(acme, shop):
    owner = api_client(acme, "owner@acme.test")
    base = f"/api/v1/customers/{shop['shared'].pk}/prepaid"
    topup = owner.post(f"{base}/topup", {"amount": "500000", "method": "transfer"},
                       format="json")
    assert topup.status_code == 201 and topup.json()["purpose"] == "prepaid_topup"
    refund = owner.post(f"{base}/refund", {"amount": "600000", "method": "cash"}, format="json")
    assert refund.status_code == 409 and refund.json()["code"] == "insufficient_prepaid"
    refund = owner.post(f"{base}/refund", {"amount": "200000", "method": "cash"}, format="json")
    assert refund.status_code == 201 and refund.json()["code"].startswith("PC")
    history = owner.get(base).json()["results"]
    assert [r["balance_after"] for r in history] == ["500000", "300000"]
    not_allowed = owner.post(f"/api/v1/customers/{shop['main'].pk}/prepaid/topup",
                             {"amount": "1000", "method": "cash"}, format="json")
    assert not_allowed.status_code == 409


def test_products_and_prices_cannot_be_deleted_in_use(acme, shop):
    owner = api_client(acme, "owner@acme.test")
    created = owner.post("/api/v1/products", {"sku": "A-1", "name": "Giấy A4",
                                              "list_price": "55.000"}, format="json")
    assert created.status_code == 201 and created.json()["list_price"] == "55000"
    price = owner.post("/api/v1/agreement-prices", {"product": created.json()["id"],
                                                    "customer": shop["main"].pk,
                                                    "price": 50000}, format="json")
    assert price.status_code == 201
    sale = _order(owner, shop["main"], product=created.json()["id"], approve=True).json()
    assert sale["total"] == "50000"
    assert owner.delete(f"/api/v1/agreement-prices/{price.json()['id']}").status_code == 409
    assert owner.delete(f"/api/v1/products/{created.json()['id']}").status_code == 409
    cashier = api_client(acme, "cashier@acme.test")
    assert cashier.post("/api/v1/products", {"sku": "B", "name": "B", "list_price": 1},
                        format="json").status_code == 403
    bad = owner.post("/api/v1/products", {"sku": "C", "name": "C", "list_price": "1,5"},
                     format="json")
    assert bad.status_code == 400 and "list_price" in bad.json()["fields"]


def test_branch_isolation(acme, shop):
    owner = api_client(acme, "owner@acme.test")
    main_order = _order(owner, shop["main"], product=shop["product"].pk, approve=True).json()
    cashier = api_client(acme, "cashier@acme.test")  # works at B2 only
    main_id = shop["main"].pk
    for path in ("ledger", "purchases", "aging", "prepaid", "coins"):
        assert cashier.get(f"/api/v1/customers/{main_id}/{path}").status_code == 404
    assert cashier.post(f"/api/v1/customers/{main_id}/payments",
                        {"amount": "1", "method": "cash"}, format="json").status_code == 404
    assert cashier.get(f"/api/v1/orders/{main_order['id']}").status_code == 404
    assert cashier.get("/api/v1/orders").json()["results"] == []
    unknown = _order(cashier, shop["main"], product=shop["product"].pk)
    assert unknown.status_code == 400 and "customer" in unknown.json()["fields"]
    # a shared customer buys and pays at B2
    sold = _order(cashier, shop["shared"], product=shop["product"].pk, approve=True)
    assert sold.status_code == 201
    with schema_context(acme.schema_name):
        assert sold.json()["branch"] == Branch.objects.get(code="B2").pk
    report = cashier.get("/api/v1/reports/daily").json()
    assert report["sales"] == "100000" and report["receivable_new"] == "100000"
    assert cashier.get(f"/api/v1/reports/daily?branch={main_order['branch']}").status_code == 400
    assert cashier.get("/api/v1/reports/aging").status_code == 403
    aging = owner.get("/api/v1/reports/aging?by=branch").json()["results"]
    assert sum(Decimal(row["receivable"]) for row in aging) == Decimal("200000")


def test_tenant_isolation(acme, globex, shop):
    owner = api_client(acme, "owner@acme.test")
    order = _order(owner, shop["main"], product=shop["product"].pk, approve=True).json()
    voucher = owner.post(f"/api/v1/customers/{shop['main'].pk}/payments",
                         {"amount": "1000", "method": "cash"}, format="json").json()
    other = api_client(globex, "owner@globex.test")
    assert other.get(f"/api/v1/orders/{order['id']}").status_code == 404
    assert other.get(f"/api/v1/vouchers/{voucher['id']}").status_code == 404
    assert other.post(f"/api/v1/vouchers/{voucher['id']}/cancel").status_code == 404
    assert other.get(f"/api/v1/products/{shop['product'].pk}").status_code == 404
    for path in ("ledger", "purchases", "aging"):
        assert other.get(f"/api/v1/customers/{shop['main'].pk}/{path}").status_code == 404
    assert other.post(f"/api/v1/customers/{shop['main'].pk}/payments",
                      {"amount": "1", "method": "cash"}, format="json").status_code == 404
    assert other.get("/api/v1/vouchers").json()["results"] == []


def test_order_creates_its_customer_inline(acme, shop):
    cashier = api_client(acme, "cashier@acme.test")
    response = _order(cashier, None, 2, product=shop["product"].pk, approve=True,
                      new_customer={"name": "Trần Văn Mới", "phone": "0912 000 111"})
    assert response.status_code == 201, response.json()
    with schema_context(acme.schema_name):
        order = Order.objects.select_related("customer").get(pk=response.json()["id"])
        assert order.customer.name == "Trần Văn Mới"
        assert order.customer.phone == "+84912000111"
        assert order.customer.home_branch.code == "B2"
        assert order.customer.receivable_amount == Decimal("200000")
    duplicate = _order(cashier, None, product=shop["product"].pk, approve=True,
                       new_customer={"name": "trần  văn mới", "phone": "0912000222"})
    assert duplicate.status_code in (400, 409)
    with schema_context(acme.schema_name):
        assert Order.objects.count() == 1  # the refused customer left no order either


def test_crm_deactivate_and_merge_use_finance(acme, shop):
    owner = api_client(acme, "owner@acme.test")
    _order(owner, shop["main"], product=shop["product"].pk, approve=True)
    deactivate = owner.post(f"/api/v1/customers/{shop['main'].pk}/deactivate", format="json")
    assert deactivate.status_code == 409, deactivate.json()
    assert "100000" in deactivate.json()["detail"]
    delete = owner.delete(f"/api/v1/customers/{shop['main'].pk}")
    assert delete.status_code == 409 and delete.json()["code"] == "customer_in_use"
    with schema_context(acme.schema_name):
        priced = customer_make()
        from finance.catalogue import agreement_price_create

        agreement_price_create(product=shop["product"], customer=priced,
                               price_amount=Decimal("1"))
    assert owner.delete(f"/api/v1/customers/{priced.pk}").status_code == 409
    fresh = owner.post(f"/api/v1/customers/{shop['shared'].pk}/deactivate", format="json")
    assert fresh.status_code == 200  # no receivable, nothing blocks it
    from crm.services import customer_merge
    from finance.checks import balances_mismatched
    from tests.finance.factories import user

    with schema_context(acme.schema_name):
        survivor = customer_make()
        customer_merge(actor=user("owner@acme.test"), source=shop["main"], target=survivor)
        survivor.refresh_from_db()
        assert survivor.receivable_amount == Decimal("100000")
        assert survivor.total_purchased_amount == Decimal("100000")
        assert balances_mismatched() == []


def test_coin_rule_is_set_by_the_owner_only(acme, shop):
    owner = api_client(acme, "owner@acme.test")
    assert owner.get("/api/v1/finance-settings").json() == {
        "coin_earn_step": "10000", "coin_value": "100", "payment_terms_days": 0}
    manager = api_client(acme, "manager@acme.test")
    assert manager.patch("/api/v1/finance-settings", {"coin_value": "1"},
                         format="json").status_code == 403
    changed = owner.patch("/api/v1/finance-settings", {"coin_earn_step": "50000"},
                          format="json")
    assert changed.status_code == 200 and changed.json()["coin_earn_step"] == "50000"
    sale = _order(owner, shop["main"], 2, product=shop["product"].pk, approve=True).json()
    assert sale["coins_earned"] == 4


def test_price_override_needs_the_permission_and_pages_link(acme, shop):
    cashier = api_client(acme, "cashier@acme.test")
    lines = [{"product": shop["product"].pk, "quantity": 1, "unit_price": "1"}]
    refused = cashier.post("/api/v1/orders", {"customer": shop["shared"].pk, "lines": lines},
                           format="json")
    assert refused.status_code == 400 and "lines[0].unit_price" in refused.json()["fields"]
    manager = api_client(acme, "manager@acme.test")
    for _ in range(3):
        sold = manager.post("/api/v1/orders", {"customer": shop["shared"].pk, "lines": lines,
                                               "approve": True, "channel": "facebook"},
                            format="json")
        assert sold.status_code == 201 and sold.json()["total"] == "1"
    page = manager.get(f"/api/v1/customers/{shop['shared'].pk}/ledger?page_size=2").json()
    assert len(page["results"]) == 2 and page["next"] and page["previous"] is None
    second = manager.get(page["next"]).json()
    assert [r["balance_after"] for r in second["results"]] == ["3"]


def test_department_must_belong_to_the_customer(acme, shop):
    from crm.models import CustomerDepartment

    owner = api_client(acme, "owner@acme.test")
    with schema_context(acme.schema_name):
        other = customer_make()
        department = CustomerDepartment.objects.create(customer=other, name="Kế toán")
    wrong = _order(owner, shop["main"], product=shop["product"].pk, department=department.pk)
    assert wrong.status_code == 400 and "department" in wrong.json()["fields"]
    right = _order(owner, other, product=shop["product"].pk, department=department.pk)
    assert right.status_code == 201 and right.json()["department"] == department.pk


@pytest.mark.parametrize("extra, field", [
    ({"coins_redeem": 10 ** 30}, "coins_redeem"),
    ({"coins_redeem": 5}, "coins_redeem"),  # more than the customer has
    ({"new_customer": {"name": "Khóa lạ", "phone": "0912 000 333", "bogus": 1}}, "bogus"),
    ({"new_customer": {"name": "Hạn mức lớn", "phone": "0912 000 334",
                       "credit_limit": "1" * 31}}, "credit_limit"),
    ({"new_customer": "not an object"}, "new_customer"),
])
def test_out_of_range_and_unknown_input_is_a_400_naming_the_field(acme, shop, extra, field):
    """Each of these answered 500 in the review."""
    owner = api_client(acme, "owner@acme.test")
    response = _order(owner, None if "new_customer" in extra else shop["main"],
                      product=shop["product"].pk, approve=True, **extra)
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    with schema_context(acme.schema_name):
        assert Order.objects.count() == 0


@pytest.mark.parametrize("path", [
    "/api/v1/customers?cursor=garbage", "/api/v1/customers?cursor=eyJ4IjogMX0=",
    "/api/v1/customers?page_size=10000000000000000000000",
    "/api/v1/customers?created_from=not-a-date",
])
def test_malformed_list_parameters_are_a_4xx(acme, path):
    response = api_client(acme, "owner@acme.test").get(path)
    assert 400 <= response.status_code < 500, (path, response.status_code, response.content)


def test_the_daily_report_counts_the_shops_day_not_the_servers(acme, shop):
    """The API answers in the tenant's time zone (tenants.middleware): with the shop on a
    zone whose date differs from UTC's right now, a payment made now is on the shop's
    today."""
    import datetime
    import zoneinfo

    from tenants.models import Tenant

    now = datetime.datetime.now(datetime.UTC)
    zone = next(name for name in ("Etc/GMT-14", "Etc/GMT+12")
                if now.astimezone(zoneinfo.ZoneInfo(name)).date() != now.date())
    shop_today = now.astimezone(zoneinfo.ZoneInfo(zone)).date()
    before = acme.timezone
    Tenant.objects.filter(pk=acme.pk).update(timezone=zone)
    try:
        owner = api_client(acme, "owner@acme.test")
        paid = owner.post(f"/api/v1/customers/{shop['shared'].pk}/prepaid/topup",
                          {"amount": "7000", "method": "transfer"}, format="json")
        assert paid.status_code == 201, paid.json()
        report = owner.get("/api/v1/reports/daily").json()
        assert report["day"] == shop_today.isoformat()
        assert report["receipts_by_method"].get("transfer") == "7000"
        asked = owner.get(f"/api/v1/reports/daily?day={shop_today.isoformat()}").json()
        assert asked["receipts_by_method"].get("transfer") == "7000"
    finally:
        Tenant.objects.filter(pk=acme.pk).update(timezone=before)
