from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.validation import contact_fields_clean, customer_fields_clean


def clean(data, **kw):
    return customer_fields_clean(data, region="VN", currency="VND", **kw)


def codes(problems):
    return {(p.field, p.code) for p in problems}


def test_name_and_phone_are_required_on_create_only():
    _cleaned, problems = clean({})
    assert codes(problems) == {("name", "required"), ("phone", "required")}
    cleaned, problems = clean({"note": "x"}, partial=True)
    assert problems == [] and cleaned == {"note": "x"}


def test_plain_fields_are_normalised():
    cleaned, problems = clean({
        "name": "  Nguyễn   Thị  Ánh ", "phone": "0912 345 678", "email": "Anh@Example.COM",
        "address": " 12  Lý Thái Tổ ", "credit_limit": "5.000.000", "role": "Đại lý",
        "settlement_method": "現結", "prepaid_allowed": "có", "shared": "否",
        "credit_limit_enforced": 1, "status": "Active", "code": " kh000123 ",
    })
    assert problems == []
    assert cleaned["name"] == "Nguyễn Thị Ánh"
    assert cleaned["name_key"] == "nguyễn thị ánh"
    assert cleaned["phone"] == "+84912345678"
    assert cleaned["email"] == "Anh@example.com"
    assert cleaned["address"] == "12 Lý Thái Tổ"
    assert cleaned["credit_limit"] == Decimal("5000000")
    assert cleaned["role"] == "agent"
    assert cleaned["settlement_method"] == "cash"
    assert cleaned["prepaid_allowed"] is True and cleaned["shared"] is False
    assert cleaned["credit_limit_enforced"] is True
    assert cleaned["status"] == "active"
    assert cleaned["code"] == "KH000123"


@pytest.mark.parametrize("label,value", [
    ("retail", "retail"), ("Retail", "retail"), ("Khách lẻ", "retail"), ("零售", "retail"),
    ("collaborator", "collaborator"), ("Cộng tác viên", "collaborator"),
    ("agent", "agent"), ("dai ly", "agent"), ("代理", "agent"),
])
def test_role_labels_in_three_languages(label, value):
    cleaned, problems = clean({"role": label}, partial=True)
    assert problems == [] and cleaned["role"] == value


def test_each_bad_field_is_named_with_a_stable_code():
    _cleaned, problems = clean({
        "name": "x" * 256, "phone": "12", "email": "not-mail", "credit_limit": "abc",
        "role": "king", "shared": "maybe", "tax_code": "9" * 33,
    })
    assert codes(problems) == {
        ("name", "too_long"), ("phone", "invalid_phone"), ("email", "invalid_email"),
        ("credit_limit", "invalid_amount"), ("role", "invalid_choice"),
        ("shared", "invalid_boolean"), ("tax_code", "too_long"),
    }


def test_negative_and_fractional_vnd_limits_are_refused():
    assert codes(clean({"credit_limit": "-5"}, partial=True)[1]) == {
        ("credit_limit", "negative_amount")}
    assert codes(clean({"credit_limit": "10.5"}, partial=True)[1]) == {
        ("credit_limit", "invalid_amount")}
    cleaned, problems = customer_fields_clean({"credit_limit": "1,234.50"}, region="CN",
                                              currency="CNY", partial=True)
    assert problems == [] and cleaned["credit_limit"] == Decimal("1234.50")


def test_enforced_limit_needs_an_amount():
    _cleaned, problems = clean({"name": "A", "phone": "0912345678",
                                "credit_limit_enforced": True})
    assert ("credit_limit", "required") in codes(problems)


def test_messages_are_translated():
    with translation.override("en"):
        _c, problems = clean({})
    assert problems[0].message == "This field is required."


def test_blank_choice_and_boolean_mean_not_given():
    cleaned, problems = clean({"role": "", "shared": None, "credit_limit": ""}, partial=True)
    assert problems == [] and cleaned == {"credit_limit": None}


def test_taiwan_phone_and_referrer_phone():
    cleaned, problems = customer_fields_clean(
        {"name": "王小明", "phone": "0912-345-678", "referrer_phone": "+84 912 345 678"},
        region="TW", currency="TWD")
    assert problems == []
    assert cleaned["phone"] == "+886912345678"
    assert cleaned["referrer_phone"] == "+84912345678"


def test_contact_fields():
    cleaned, problems = contact_fields_clean(
        {"name": " Trần  Văn B ", "phone": "0912.345.678", "primary": "yes"}, region="VN")
    assert problems == []
    assert cleaned == {"name": "Trần Văn B", "phone": "+84912345678", "primary": True}
    _c, problems = contact_fields_clean({"phone": "abc"}, region="VN")
    assert codes(problems) == {("name", "required"), ("phone", "invalid_phone")}


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(
    st.sampled_from(["name", "phone", "email", "role", "shared", "credit_limit", "status",
                     "note", "prepaid_allowed", "code"]),
    st.one_of(st.none(), st.text(max_size=30), st.integers(), st.booleans())))
def test_never_raises_and_problems_name_given_fields(data):
    cleaned, problems = clean(data, partial=True)
    assert {p.field for p in problems} <= set(data) | {"credit_limit"}
    assert not (set(cleaned) - {"name_key"}) & {p.field for p in problems}
