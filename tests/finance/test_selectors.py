"""finance.selectors: who sees which orders, vouchers and report rows (branch isolation
on top of crm's one customer-visibility rule)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.exceptions import CustomerUnknown
from crm.models import Branch
from finance.exceptions import InvalidFinanceInput
from finance.models import Product
from finance.orders import order_create
from finance.selectors import (
    aging_report_list,
    daily_report_get,
    order_list,
    product_list,
    voucher_list,
)
from finance.vouchers import opening_balance_set
from tests.finance.factories import customer_make, lines, product_make, user


def _ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


@pytest.fixture
def shop(acme_schema):
    owner = user("owner@acme.test")
    main, b2 = Branch.objects.get(code="MAIN"), Branch.objects.get(code="B2")
    product = product_make()
    at_main, at_b2 = customer_make(branch=main), customer_make(branch=b2)
    managers = customer_make(branch=main, owner=user("manager@acme.test"))
    return {
        "main": main, "b2": b2, "at_main": at_main, "at_b2": at_b2,
        "order_main": order_create(actor=owner, customer=at_main, branch=main,
                                   lines=lines(product)),
        "order_b2": order_create(actor=owner, customer=at_b2, branch=b2, lines=lines(product)),
        "walk_in_b2": order_create(actor=owner, branch=b2, lines=lines(product)),
        "order_managers": order_create(actor=owner, customer=managers, branch=main,
                                       lines=lines(product)),
        "opening_main": opening_balance_set(customer=at_main, amount=Decimal("70000"),
                                            actor=owner, branch=main),
        "opening_b2": opening_balance_set(customer=at_b2, amount=Decimal("30000"),
                                          actor=owner, branch=b2),
    }


def test_orders_follow_the_branch_and_the_customer(shop):
    everything = {shop[k].pk for k in ("order_main", "order_b2", "walk_in_b2",
                                       "order_managers")}
    assert everything <= _ids(order_list(user=user("owner@acme.test")))
    cashier = _ids(order_list(user=user("cashier@acme.test")))  # B2, other owners' too
    assert {shop["order_b2"].pk, shop["walk_in_b2"].pk} <= cashier
    assert not {shop["order_main"].pk, shop["order_managers"].pk} & cashier
    sales = _ids(order_list(user=user("sales@acme.test")))  # MAIN, unowned or own customers
    assert shop["order_main"].pk in sales
    assert not {shop["order_b2"].pk, shop["walk_in_b2"].pk, shop["order_managers"].pk} & sales


def test_order_filters_and_unknown_values(shop):
    owner = user("owner@acme.test")
    assert _ids(order_list(user=owner, customer_id=shop["at_b2"].pk)) == {shop["order_b2"].pk}
    assert _ids(order_list(user=owner, customer_id=shop["at_b2"].pk, status="approved")) == set()
    assert _ids(order_list(user=owner, customer_id=shop["at_b2"].pk, status="nonsense")) == {
        shop["order_b2"].pk}


def test_vouchers_follow_the_same_rule(shop):
    cashier = _ids(voucher_list(user=user("cashier@acme.test")))
    assert shop["opening_b2"].pk in cashier and shop["opening_main"].pk not in cashier
    owner = user("owner@acme.test")
    assert _ids(voucher_list(user=owner, customer_id=shop["at_b2"].pk, type="payment",
                             purpose="opening")) == {shop["opening_b2"].pk}
    assert _ids(voucher_list(user=owner, customer_id=shop["at_b2"].pk, type="receipt")) == set()


def test_aging_by_branch_covers_the_branches_a_user_sees(shop):
    owner_rows = {row["branch"] for row in aging_report_list(user=user("owner@acme.test"))}
    assert {shop["main"].pk, shop["b2"].pk} <= owner_rows
    cashier_rows = aging_report_list(user=user("cashier@acme.test"), by="branch")
    assert [row["branch"] for row in cashier_rows] == [shop["b2"].pk]
    assert cashier_rows[0]["receivable"] >= Decimal("30000")
    with pytest.raises(InvalidFinanceInput) as refused:
        aging_report_list(user=user("owner@acme.test"), by="weekday")
    assert list(refused.value.fields) == ["by"]


def test_daily_report_of_a_branch_the_user_sees(shop):
    cashier = user("cashier@acme.test")
    today = daily_report_get(user=cashier)  # the primary branch by default
    assert (today["branch"], today["day"]) == (shop["b2"].pk, timezone.localdate())
    with pytest.raises(InvalidFinanceInput) as refused:
        daily_report_get(user=cashier, branch_id=shop["main"].pk)
    assert list(refused.value.fields) == ["branch"]
    day = datetime.date(2026, 1, 31)
    assert daily_report_get(user=user("owner@acme.test"), branch_id=shop["b2"].pk,
                            day=day)["day"] == day


def test_order_for_a_customer_the_actor_cannot_see_is_refused(shop):
    with pytest.raises(CustomerUnknown):
        order_create(actor=user("sales@acme.test"), customer=shop["at_b2"],
                     lines=lines(product_make()))


def test_product_list_searches_sku_and_name(acme_schema):
    found = product_make(sku="ZX-SEL-1")
    hidden = product_make(sku="ZX-SEL-2")
    Product.objects.filter(pk=hidden.pk).update(active=False)
    assert _ids(product_list(search="zx-sel")) >= {found.pk}
    assert [p.sku for p in product_list(search="zx-sel", active=False)] == ["ZX-SEL-2"]


def test_daily_report_figures_equal_the_ledger_with_cancelled_documents(acme_schema):
    """Issue 9 #7: a cancelled receipt and a cancelled order count back, as in the ledger."""
    from django.db.models import Sum

    from finance.models import LedgerEntry
    from finance.orders import order_cancel
    from finance.selectors import daily_report
    from finance.vouchers import payment_record, prepaid_topup, voucher_cancel

    owner = user("owner@acme.test")
    main = Branch.objects.get(code="MAIN")
    customer = customer_make(branch=main, prepaid_allowed=True)
    opening_balance_set(customer=customer, amount=Decimal("500000"), actor=owner)
    product = product_make("100000")
    order_create(actor=owner, customer=customer, lines=lines(product), approve=True,
                 paid_amount=Decimal("30000"), payment_method="cash")
    dropped = order_create(actor=owner, customer=customer, lines=lines(product), approve=True)
    payment_record(customer=customer, amount=Decimal("50000"), method="cash", actor=owner)
    bounced = payment_record(customer=customer, amount=Decimal("40000"), method="card",
                             actor=owner)
    prepaid_topup(customer=customer, amount=Decimal("20000"), method="transfer", actor=owner)
    undone = prepaid_topup(customer=customer, amount=Decimal("10000"), method="cash",
                           actor=owner)
    voucher_cancel(voucher=bounced, actor=owner)
    voucher_cancel(voucher=undone, actor=owner)
    order_cancel(order=dropped, actor=owner, reason="returned")

    report = daily_report(branch=main, day=timezone.localdate())
    entries = LedgerEntry.objects.filter(branch=main, created_at__date=timezone.localdate())

    def ledger(**where) -> Decimal:
        return entries.filter(**where).aggregate(s=Sum("amount"))["s"] or Decimal(0)

    assert report["sales"] == ledger(book="purchases") == Decimal("100000")
    assert report["receivable_new"] == ledger(book="receivable", order__isnull=False) == Decimal(
        "70000")
    assert report["receivable_collected"] == -ledger(book="receivable",
                                                     voucher__purpose="debt_payment")
    assert report["receivable_collected"] == Decimal("50000")
    assert report["prepaid_in"] - report["prepaid_out"] == ledger(book="prepaid")
    assert (report["prepaid_in"], report["prepaid_out"]) == (Decimal("20000"), 0)
    receipts_in_ledger = (-ledger(book="receivable", voucher__type="receipt")
                          + ledger(book="prepaid", voucher__type="receipt"))
    counter = Decimal("30000")  # paid at the counter on the order: no ledger entry
    assert sum(report["receipts_by_method"].values()) == receipts_in_ledger + counter
    assert report["receipts_by_method"] == {"cash": Decimal("80000"),
                                            "transfer": Decimal("20000")}
    assert (report["orders"], report["orders_cancelled"]) == (1, 1)


def test_daily_report_shows_the_refunds_paid_out_by_method(acme_schema):
    """Money paid back at the counter (PC vouchers: prepaid refunds, refunds of cancelled
    orders' receipts) is a figure of its own, counted back when the refund is cancelled."""
    from finance.orders import order_cancel
    from finance.selectors import daily_report
    from finance.vouchers import payment_record, prepaid_refund, prepaid_topup, voucher_cancel

    owner = user("owner@acme.test")
    main = Branch.objects.get(code="MAIN")
    customer = customer_make(branch=main, prepaid_allowed=True)
    prepaid_topup(customer=customer, amount=Decimal("90000"), method="cash", actor=owner)
    prepaid_refund(customer=customer, amount=Decimal("20000"), method="cash", actor=owner)
    undone = prepaid_refund(customer=customer, amount=Decimal("5000"), method="transfer",
                            actor=owner)
    voucher_cancel(voucher=undone, actor=owner)
    buyer = customer_make(branch=main)
    order = order_create(actor=owner, customer=buyer, lines=lines(product_make("40000")),
                         approve=True)
    payment_record(customer=buyer, amount=Decimal("40000"), method="card", actor=owner)
    order_cancel(order=order, actor=owner, reason="returned", refund_method="card")

    report = daily_report(branch=main, day=timezone.localdate())
    assert report["paid_out_by_method"] == {"card": Decimal("40000"), "cash": Decimal("20000")}
    assert report["receipts_by_method"] == {"card": Decimal("40000"), "cash": Decimal("90000")}


def test_aging_by_owner_holds_only_customers_the_user_sees(shop):
    """Issue 9 (access #2): by owner, the other branch's customers stayed in the sums."""
    from crm.models import Customer
    from crm.selectors import customer_visible

    sales = user("sales@acme.test")  # MAIN only, unowned or own customers
    total = sum(row["receivable"] for row in aging_report_list(user=sales, by="owner"))
    visible = sum(Customer.objects.filter(pk__in=customer_visible(sales))
                  .values_list("receivable_amount", flat=True))
    assert total == visible
    everyone = sum(row["receivable"] for row in aging_report_list(
        user=user("owner@acme.test"), by="owner"))
    assert everyone - total >= Decimal("30000")  # at least the B2 customer's opening
