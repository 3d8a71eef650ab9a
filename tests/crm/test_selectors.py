"""crm.selectors: the branches a user sees, and customers given as input."""

import pytest

from crm.exceptions import CustomerUnknown
from crm.models import Branch
from crm.selectors import (
    branch_visible,
    branch_visible_get,
    customer_form_choices,
    customer_visible_check,
)
from crm.services import customer_group_create
from tests.crm.factories import branch, customer, user


def test_branch_visible_is_every_branch_only_with_the_all_branches_permission(in_acme):
    every = set(Branch.objects.values_list("code", flat=True))
    assert set(branch_visible(user("owner")).values_list("code", flat=True)) == every
    assert list(branch_visible(user("cashier")).values_list("code", flat=True)) == ["B2"]
    assert set(branch_visible(user("manager")).values_list("code", flat=True)) == {"MAIN", "B2"}


def test_branch_visible_get_defaults_to_the_primary_branch(in_acme):
    assert branch_visible_get(user=user("manager")).code == "MAIN"
    assert branch_visible_get(user=user("manager"), branch_id=branch("B2").id).code == "B2"
    with pytest.raises(Branch.DoesNotExist):
        branch_visible_get(user=user("sales"), branch_id=branch("B2").id)


def test_customer_visible_check(in_acme):
    at_b2 = customer(user("owner"), home_branch=branch("B2").id)
    customer_visible_check(user=user("cashier"), customer=at_b2)
    customer_visible_check(user=user("sales"), customer=None)
    with pytest.raises(CustomerUnknown) as unknown:
        customer_visible_check(user=user("sales"), customer=at_b2)
    assert (unknown.value.http_status, list(unknown.value.fields)) == (400, ["customer"])


def test_customer_form_choices_are_the_three_ordered_lists_in_one_query(
        in_acme, django_assert_num_queries):
    from django.contrib.auth.models import User

    from crm.models import CustomerGroup

    for n, name in enumerate(("Đại lý", "Bán lẻ", "apple", "Zeta", "王")):
        customer_group_create(actor=user("owner"), code=f"G{n}", name=name)
    for who in ("cashier", "owner"):
        staff = user(who)
        expected = {
            "groups": list(CustomerGroup.objects.order_by("name").values_list("id", "name")),
            "owners": list(User.objects.filter(is_active=True).order_by("username")
                           .values_list("id", "username")),
            "branches": list(branch_visible(staff).order_by("name").values_list("id", "name")),
        }
        with django_assert_num_queries(1):
            assert customer_form_choices(user=staff) == expected
    assert [code for _id, code in customer_form_choices(user=user("cashier"))["branches"]] \
        == [branch("B2").name]
