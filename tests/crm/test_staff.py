"""crm.staff: branches (their codes are unique, whatever the case typed)."""

import pytest

from crm.exceptions import BranchCodeTaken
from crm.models import Branch
from crm.staff import branch_create, branch_update


def test_branch_code_is_upper_cased_and_unique(in_acme):
    made = branch_create(code=" dn1 ", name="Đà Nẵng")
    assert made.code == "DN1"
    with pytest.raises(BranchCodeTaken) as taken:
        branch_create(code="Dn1", name="Another")
    assert (taken.value.code, taken.value.http_status) == ("branch_code_taken", 409)
    assert list(taken.value.fields) == ["code"]
    assert list(Branch.objects.filter(code="DN1").values_list("name", flat=True)) == ["Đà Nẵng"]


def test_branch_update_keeps_the_code(in_acme):
    made = branch_create(code="CT1", name="Cần Thơ")
    updated = branch_update(branch=made, code="MAIN", name=" Cần Thơ 1 ", active=False)
    updated.refresh_from_db()
    assert (updated.code, updated.name, updated.active) == ("CT1", "Cần Thơ 1", False)
