from decimal import Decimal

import pytest

from finance.checks import balances_mismatched
from finance.exceptions import (
    InsufficientPrepaid,
    InvalidFinanceInput,
    InvalidStatus,
    OpeningBalanceExists,
    PaymentExceedsReceivable,
    PrepaidNotAllowed,
    WriteOffForbidden,
)
from finance.models import Allocation, LedgerEntry, Voucher
from finance.orders import order_cancel, order_create
from finance.vouchers import (
    debt_adjust,
    opening_balance_set,
    payment_record,
    prepaid_refund,
    prepaid_topup,
    voucher_cancel,
)
from tests.finance.factories import customer_make, lines, product_make, user


def _receivable(customer):
    customer.refresh_from_db()
    return customer.receivable_amount


def test_payment_settles_oldest_orders_first_and_named_ones_before(acme_schema):
    owner = user("owner@acme.test")
    customer = customer_make()
    product = product_make("100000")
    old, mid, new = (order_create(actor=owner, customer=customer, lines=lines(product),
                                  approve=True) for _ in range(3))
    voucher = payment_record(customer=customer, amount=Decimal("150000"), method="cash",
                             actor=owner, order_ids=[new.pk])
    assert voucher.code.startswith("PT") and voucher.receivable_after == Decimal("150000")
    settled = dict(Allocation.objects.filter(voucher=voucher).values_list("order_id", "amount"))
    assert settled == {new.pk: Decimal("100000"), old.pk: Decimal("50000")}
    voucher_cancel(voucher=voucher, actor=owner)
    assert _receivable(customer) == Decimal("300000")
    old.refresh_from_db()
    assert old.settled_amount == 0
    with pytest.raises(InvalidStatus):
        voucher_cancel(voucher=voucher, actor=owner)
    assert balances_mismatched() == []


def test_excess_payment_goes_to_prepaid_only_when_allowed(acme_schema):
    owner = user("owner@acme.test")
    plain = customer_make()
    opening_balance_set(customer=plain, amount=Decimal("100000"), actor=owner)
    with pytest.raises(PaymentExceedsReceivable):
        payment_record(customer=plain, amount=Decimal("100001"), method="cash", actor=owner)
    assert not Voucher.objects.filter(customer=plain, type="receipt").exists()

    prepaid = customer_make(prepaid_allowed=True)
    opening_balance_set(customer=prepaid, amount=Decimal("100000"), actor=owner)
    payment_record(customer=prepaid, amount=Decimal("130000"), method="transfer", actor=owner)
    prepaid.refresh_from_db()
    assert (prepaid.receivable_amount, prepaid.prepaid_amount) == (0, Decimal("30000"))
    with pytest.raises(OpeningBalanceExists):
        opening_balance_set(customer=prepaid, amount=Decimal("1"), actor=owner)


def test_debt_adjust_is_a_payment_voucher_of_the_signed_change(acme_schema):
    owner = user("owner@acme.test")
    customer = customer_make()
    opening_balance_set(customer=customer, amount=Decimal("500000"), actor=owner)
    up = debt_adjust(customer=customer, target_receivable=Decimal("650000"), actor=owner)
    assert (up.code[:2], up.type, up.purpose, up.amount) == ("PC", "payment", "adjustment",
                                                             Decimal("150000"))
    down = debt_adjust(customer=customer, target_receivable=Decimal("0"), actor=owner,
                       write_off=True)
    assert (down.purpose, down.amount, down.receivable_after) == ("write_off",
                                                                  Decimal("-650000"), 0)
    with pytest.raises(InvalidFinanceInput):
        debt_adjust(customer=customer, target_receivable=Decimal("-1"), actor=owner)
    with pytest.raises(InvalidFinanceInput):
        debt_adjust(customer=customer, target_receivable=Decimal("10"), actor=owner,
                    write_off=True)
    assert _receivable(customer) == 0


def test_write_off_needs_its_own_permission(acme_schema):
    from django.contrib.auth.models import Permission, User

    from crm.models import Branch
    from crm.staff import staff_create

    adjuster = staff_create(username="adjuster@acme.test", roles=[],
                            branches=[Branch.objects.get(code="MAIN")])
    adjuster.user_permissions.add(Permission.objects.get(codename="adjust_debt"))
    adjuster = User.objects.get(pk=adjuster.pk)  # a fresh permission cache
    customer = customer_make()
    opening_balance_set(customer=customer, amount=Decimal("500000"), actor=user("owner@acme.test"))
    with pytest.raises(WriteOffForbidden) as refused:
        debt_adjust(customer=customer, target_receivable=Decimal("0"), actor=adjuster,
                    write_off=True)
    assert (refused.value.http_status, refused.value.code) == (403, "permission_denied")
    assert _receivable(customer) == Decimal("500000")
    debt_adjust(customer=customer, target_receivable=Decimal("400000"), actor=adjuster)
    assert _receivable(customer) == Decimal("400000")


def test_prepaid_topup_spend_refund_and_cancel_never_go_negative(acme_schema):
    owner = user("owner@acme.test")
    with pytest.raises(PrepaidNotAllowed):
        prepaid_topup(customer=customer_make(), amount=Decimal("1000"), method="cash",
                      actor=owner)
    customer = customer_make(prepaid_allowed=True)
    topup = prepaid_topup(customer=customer, amount=Decimal("200000"), method="cash", actor=owner)
    order = order_create(actor=owner, customer=customer, lines=lines(product_make("150000")),
                         paid_amount=Decimal("150000"), payment_method="prepaid", approve=True)
    customer.refresh_from_db()
    assert customer.prepaid_amount == Decimal("50000") and customer.receivable_amount == 0
    with pytest.raises(InsufficientPrepaid):
        voucher_cancel(voucher=topup, actor=owner)  # its money was spent
    with pytest.raises(InsufficientPrepaid):
        prepaid_refund(customer=customer, amount=Decimal("50001"), method="cash", actor=owner)
    prepaid_refund(customer=customer, amount=Decimal("50000"), method="cash", actor=owner)
    order_cancel(order=order, actor=owner, reason="đổi ý")  # gives the prepaid back
    customer.refresh_from_db()
    assert customer.prepaid_amount == Decimal("150000")
    assert balances_mismatched() == []


def test_service_idempotency_key_returns_the_first_voucher(acme_schema):
    owner = user("owner@acme.test")
    customer = customer_make()
    opening_balance_set(customer=customer, amount=Decimal("100000"), actor=owner)
    first = payment_record(customer=customer, amount=Decimal("1000"), method="cash",
                           actor=owner, idempotency_key="pay-1")
    again = payment_record(customer=customer, amount=Decimal("1000"), method="cash",
                           actor=owner, idempotency_key="pay-1")
    assert first.pk == again.pk
    assert LedgerEntry.objects.filter(voucher=first).count() == 1
    assert _receivable(customer) == Decimal("99000")


def test_unknown_or_tenant_methods(acme_schema):
    from finance.models import PaymentMethod

    owner = user("owner@acme.test")
    customer = customer_make()
    opening_balance_set(customer=customer, amount=Decimal("100000"), actor=owner)
    with pytest.raises(InvalidFinanceInput):
        payment_record(customer=customer, amount=Decimal("1"), method="momo", actor=owner)
    PaymentMethod.objects.create(code="momo", name="MoMo")
    assert payment_record(customer=customer, amount=Decimal("1"), method="momo",
                          actor=owner).method == "momo"


def test_merge_moves_balances_by_a_transfer_pair(acme_schema):
    from crm.hooks import customer_merge_run

    owner = user("owner@acme.test")
    source = customer_make(prepaid_allowed=True)
    target = customer_make()
    opening_balance_set(customer=source, amount=Decimal("70000"), actor=owner)
    prepaid_topup(customer=source, amount=Decimal("5000"), method="cash", actor=owner)
    customer_merge_run(source=source, target=target, actor=owner)
    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.receivable_amount, source.prepaid_amount) == (0, 0)
    assert (target.receivable_amount, target.prepaid_amount) == (Decimal("70000"),
                                                                  Decimal("5000"))
    assert LedgerEntry.objects.filter(kind="transfer").count() == 4
    assert balances_mismatched() == []


def test_prepared_posting_follows_the_tenant_on_one_connection(acme, globex):
    from django_tenants.utils import schema_context

    codes = {}
    for tenant in (acme, globex, acme, globex):
        with schema_context(tenant.schema_name):
            customer = customer_make()
            opening_balance_set(customer=customer, amount=Decimal("5000"),
                                actor=user(f"owner@{tenant.subdomain}.test"))
            voucher = payment_record(customer=customer, amount=Decimal("1000"), method="cash",
                                     actor=user(f"owner@{tenant.subdomain}.test"))
            assert Voucher.objects.filter(pk=voucher.pk, customer=customer).exists()
            codes.setdefault(tenant.subdomain, []).append(voucher.code)
            assert balances_mismatched() == []
    assert codes["globex"] == ["PT000001", "PT000002"]
    assert codes["acme"] == ["PT000001", "PT000002"]


def test_cancel_refused_on_a_merged_or_inactive_customer(acme_schema):
    """Issue 9 #5: a cancel would put the debt back on a record nobody collects from."""
    from crm.services import customer_deactivate, customer_merge, customer_reactivate
    from finance.exceptions import CustomerClosed

    owner = user("owner@acme.test")
    merged, survivor, resting = customer_make(), customer_make(), customer_make()
    receipts = {}
    for customer in (merged, resting):
        opening_balance_set(customer=customer, amount=Decimal("100000"), actor=owner)
        receipts[customer.pk] = payment_record(customer=customer, amount=Decimal("100000"),
                                               method="cash", actor=owner)
    customer_merge(actor=owner, source=merged, target=survivor)
    customer_deactivate(actor=owner, customer=resting)
    with pytest.raises(CustomerClosed, match=survivor.code) as refused:
        voucher_cancel(voucher=receipts[merged.pk], actor=owner)
    assert refused.value.http_status == 409 and refused.value.code == "customer_closed"
    with pytest.raises(CustomerClosed, match=receipts[resting.pk].code) as refused:
        voucher_cancel(voucher=receipts[resting.pk], actor=owner)
    assert "survivor" not in (refused.value.fields or {})
    assert {_receivable(merged), _receivable(survivor), _receivable(resting)} == {0}
    assert Voucher.objects.filter(status="cancelled").filter(
        pk__in=[v.pk for v in receipts.values()]).count() == 0
    customer_reactivate(actor=owner, customer=resting)
    voucher_cancel(voucher=receipts[resting.pk], actor=owner)
    assert _receivable(resting) == Decimal("100000")
