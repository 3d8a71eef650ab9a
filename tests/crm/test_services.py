from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from crm import hooks
from crm.exceptions import (
    CustomerDeactivateBlocked,
    CustomerDeleteBlocked,
    CustomerEditForbidden,
    CustomerFieldsInvalid,
    CustomerMergeConflict,
    CustomerNameTaken,
    CustomerParentInvalid,
    CustomerPhoneTaken,
    DepartmentNameTaken,
)
from crm.models import Contact, Customer, CustomerAudit
from crm.selectors import customer_name_conflicts, customer_phone_conflicts
from crm.services import (
    contact_create,
    contact_delete,
    customer_create,
    customer_deactivate,
    customer_delete,
    customer_merge,
    customer_merge_preview,
    customer_reactivate,
    customer_update,
    department_create,
    terminal_create,
)
from tests.crm.factories import branch, customer, next_phone, user


def test_create_defaults_owner_branch_code_and_audits(in_acme):
    sales = user("sales")
    c = customer_create(actor=sales, name=" Nguyễn  Thị Ánh ", phone="0912 111 222",
                        credit_limit="5.000.000")
    assert c.owner == sales and c.home_branch == branch("MAIN")
    assert c.code.startswith("KH") and c.role == "retail" and c.settlement_method == "on_account"
    assert c.name == "Nguyễn Thị Ánh" and c.phone == "+84912111222"
    assert c.credit_limit_amount == Decimal("5000000")
    audit = CustomerAudit.objects.get(customer_id=c.id)
    assert audit.action == "create" and audit.actor == sales
    assert audit.changes["name"] == [None, "Nguyễn Thị Ánh"]


def test_manager_primary_branch_is_home_branch(in_acme):
    c = customer(user("cashier"))
    assert c.home_branch == branch("B2")


def test_name_unique_after_case_space_and_unicode_folding(in_acme):
    first = customer(name="Trần Văn Bình")
    with pytest.raises(CustomerNameTaken) as err:
        customer(name="  TRẦN   văn bình")
    assert first.code in str(err.value) and err.value.existing.id == first.id
    decomposed = "Tra\u0302\u0300n Va\u0306n Bi\u0300nh"
    with pytest.raises(CustomerNameTaken):
        customer(name=decomposed)


def test_phone_of_another_active_customer_is_refused_naming_it(in_acme):
    first = customer(name="Lê Thị Hoa", phone="0912 333 444")
    with pytest.raises(CustomerPhoneTaken) as err:
        customer(name="Hoa Lê", phone="+84 912 333 444")
    assert first.code in str(err.value) and first.name in str(err.value)
    customer_deactivate(actor=user("owner"), customer=first)
    again = customer(name="Hoa Lê", phone="+84912333444")  # inactive ones do not block
    with pytest.raises(CustomerPhoneTaken):
        customer_reactivate(actor=user("owner"), customer=first)
    assert again.phone == first.phone


def test_bad_fields_raise_one_error_with_every_field(in_acme):
    with pytest.raises(CustomerFieldsInvalid) as err:
        customer_create(actor=user("owner"), name="", phone="12", group=999999)
    assert {p.field for p in err.value.problems} == {"name", "phone", "group"}
    assert not Customer.objects.filter(phone="12").exists()


def test_create_inside_an_outer_transaction_leaves_it_usable(in_acme):
    customer(name="Outer Existing")
    with transaction.atomic():
        with pytest.raises(CustomerNameTaken):
            customer(name="outer existing")
        ok = customer(name="Outer Second")
    assert Customer.objects.filter(pk=ok.pk).exists()


def test_referrer_by_phone_and_referral_count(in_acme):
    referrer = customer(name="Người Giới Thiệu", phone="0912 555 666")
    c = customer(name="Khách Được Giới Thiệu", referrer_phone="+84912555666")
    assert c.referrer == referrer
    with pytest.raises(CustomerFieldsInvalid) as err:
        customer(name="Không Ai", referrer_phone="0912 000 999")
    assert err.value.problems[0].field == "referrer_phone"


def test_parent_cycles_and_inactive_parent(in_acme):
    owner = user("owner")
    group = customer(name="青島市XX建築有限公司")
    child = customer(name="青島市XX建築有限公司-採購部", parent=group.id)
    with pytest.raises(CustomerParentInvalid):
        customer_update(actor=owner, customer=group, parent=child.id)
    with pytest.raises(CustomerDeactivateBlocked):
        customer_deactivate(actor=owner, customer=group)
    customer_deactivate(actor=owner, customer=child)
    customer_deactivate(actor=owner, customer=group)
    with pytest.raises(CustomerParentInvalid):
        customer_reactivate(actor=owner, customer=child)
    with pytest.raises(CustomerParentInvalid):
        customer(name="Another child", parent=group.id)


@pytest.mark.breaks_money_invariants  # sets a stored balance directly
def test_deactivate_needs_zero_receivable(in_acme):
    c = customer()
    Customer.objects.filter(pk=c.pk).update(receivable_amount=Decimal("100"))
    with pytest.raises(CustomerDeactivateBlocked):
        customer_deactivate(actor=user("owner"), customer=c)
    assert Customer.objects.get(pk=c.pk).status == "active"


def test_deactivate_and_delete_hooks(in_acme):
    c = customer()
    def guard(customer):
        return ["has orders"] if customer.pk == c.pk else []
    hooks.customer_delete_guards.append(guard)
    hooks.customer_deactivate_guards.append(guard)
    try:
        with pytest.raises(CustomerDeleteBlocked) as err:
            customer_delete(actor=user("owner"), customer=c)
        assert "has orders" in str(err.value)
        with pytest.raises(CustomerDeactivateBlocked):
            customer_deactivate(actor=user("owner"), customer=c)
    finally:
        hooks.customer_delete_guards.remove(guard)
        hooks.customer_deactivate_guards.remove(guard)
    contact_create(actor=user("owner"), customer=c, name="A")
    customer_delete(actor=user("owner"), customer=c)
    assert not Customer.objects.filter(pk=c.pk).exists()
    assert CustomerAudit.objects.filter(customer_id=c.pk, action="delete").exists()


def test_delete_refused_while_others_point_at_it(in_acme):
    c = customer()
    customer(referrer=c.id)
    with pytest.raises(CustomerDeleteBlocked):
        customer_delete(actor=user("owner"), customer=c)


def test_ownership_rules(in_acme):
    sales, manager, cashier = user("sales"), user("manager"), user("cashier")
    mine = customer(sales)
    theirs = customer(manager)
    customer_update(actor=sales, customer=mine, note="mine")
    with pytest.raises(CustomerEditForbidden):
        customer_update(actor=sales, customer=theirs, note="not mine")
    customer_update(actor=manager, customer=mine, note="manager may")
    with pytest.raises(CustomerEditForbidden):
        customer_update(actor=cashier, customer=mine, note="cashier may not edit")
    assert customer(cashier).owner == cashier  # but may create
    from django.contrib.auth.models import Permission
    sales.user_permissions.add(Permission.objects.get(codename="change_other_owner_customer"))
    sales = user("sales")  # fresh permission cache
    customer_update(actor=sales, customer=theirs, note="granted")


def test_update_audits_before_and_after(in_acme):
    c = customer(name="Audit Me", role="retail")
    customer_update(actor=user("owner"), customer=c, role="agent", credit_limit="1.000.000")
    audit = CustomerAudit.objects.filter(customer_id=c.pk, action="update").get()
    assert audit.changes == {"role": ["retail", "agent"],
                             "credit_limit_amount": [None, "1000000"]}


def test_audit_is_append_only(in_acme):
    c = customer()
    audit = CustomerAudit.objects.get(customer_id=c.pk)
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        CustomerAudit.objects.filter(pk=audit.pk).update(note="forged")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        CustomerAudit.objects.filter(pk=audit.pk).delete()


def test_contacts_keep_one_primary(in_acme):
    c = customer()
    owner = user("owner")
    a = contact_create(actor=owner, customer=c, name="A", phone="0912 000 111")
    b = contact_create(actor=owner, customer=c, name="B", primary="yes")
    a.refresh_from_db()
    assert a.primary is False and b.primary is True and a.phone == "+84912000111"
    contact_delete(actor=owner, contact=b)
    assert Contact.objects.get(pk=a.pk).primary is True


def test_department_names_unique_per_customer(in_acme):
    c = customer()
    department_create(actor=user("owner"), customer=c, name="Phòng mua hàng")
    with pytest.raises(DepartmentNameTaken):
        department_create(actor=user("owner"), customer=c, name="Phòng mua hàng")


def test_merge_moves_everything_and_keeps_the_merged_record(in_acme):
    owner = user("owner")
    target = customer(name="Công ty Hòa Bình")
    source = customer(name="Cty Hoa Binh")
    contact_create(actor=owner, customer=target, name="T1")
    contact_create(actor=owner, customer=source, name="S1")
    department_create(actor=owner, customer=source, name="Kho")
    terminal_create(actor=owner, customer=source, name="Cửa hàng 1", phone="0912 777 888")
    referred = customer(referrer=source.id)
    sub = customer(parent=source.id)
    steps = []
    hooks.customer_merge_steps.append(lambda **kw: steps.append(kw))
    try:
        preview = customer_merge_preview(actor=owner, source=source, target=target)
        assert preview["moves"]["contacts"] == 1 and preview["conflicts"] == []
        customer_merge(actor=owner, source=source, target=target)
    finally:
        hooks.customer_merge_steps.pop()
    source.refresh_from_db()
    assert source.status == "inactive" and source.merged_into == target
    assert target.contacts.count() == 2 and target.contacts.filter(primary=True).count() == 1
    assert target.departments.count() == 1 and target.terminals.count() == 1
    assert Customer.objects.get(pk=referred.pk).referrer == target
    assert Customer.objects.get(pk=sub.pk).parent == target
    assert steps and steps[0]["source"].pk == source.pk
    assert CustomerAudit.objects.filter(customer_id=source.pk, action="merge").exists()


def test_merge_conflict_stops_and_changes_nothing(in_acme):
    owner = user("owner")
    a, b = customer(), customer()
    department_create(actor=owner, customer=a, name="Kho")
    department_create(actor=owner, customer=b, name="Kho")
    contact_create(actor=owner, customer=a, name="Stays")
    with pytest.raises(CustomerMergeConflict) as err:
        customer_merge(actor=owner, source=a, target=b)
    assert "Kho" in str(err.value)
    assert a.contacts.count() == 1 and Customer.objects.get(pk=a.pk).status == "active"
    with pytest.raises(CustomerEditForbidden):
        customer_merge(actor=user("sales"), source=a, target=b)


def test_bulk_conflict_selectors(in_acme):
    c = customer(name="Bulk Name", phone="0912 999 000")
    assert customer_name_conflicts(["bulk name", "nobody"]) == {
        "bulk name": (c.id, c.code, c.name)}
    assert customer_name_conflicts(["bulk name"], exclude_ids=[c.id]) == {}
    assert customer_phone_conflicts(["+84912999000", ""])["+84912999000"].code == c.code


def test_database_refuses_duplicate_name_key_even_bypassing_services(in_acme):
    c = customer()
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(code="X1", name="x", name_key=c.name_key,
                                home_branch=branch("MAIN"))


def test_taiwan_tenant_normalises_with_its_region(in_globex):
    c = customer_create(actor=user("owner", "globex"), name="王小明", phone="0912-345-678")
    assert c.phone == "+886912345678"
    assert connection.tenant.country == "TW"


def test_next_phone_helper_gives_valid_numbers(in_acme):
    assert customer(phone=next_phone()).phone.startswith("+84912")


def test_a_change_that_would_hide_the_customer_from_its_actor_is_refused(acme):
    """Before: a salesperson setting another branch as home wrote, then the API answered
    500 (the saved customer was invisible to the very request that saved it)."""
    from django_tenants.utils import schema_context

    from crm.exceptions import CustomerEditForbidden
    from crm.models import Branch, Customer
    from tests.crm.factories import customer, user

    with schema_context(acme.schema_name):
        sales = user("sales")  # MAIN only, cannot see other branches
        other = Branch.objects.get(code="B2")
        with pytest.raises(CustomerEditForbidden):
            customer(actor=sales, name="Ẩn đi", home_branch=other, shared=False)
        assert not Customer.objects.filter(name="Ẩn đi").exists()
        mine = customer(actor=sales, name="Của tôi")
        with pytest.raises(CustomerEditForbidden):
            customer_update(actor=sales, customer=mine, home_branch=other, shared=False)
        mine.refresh_from_db()
        assert mine.home_branch.code == "MAIN"
