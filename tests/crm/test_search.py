import pytest
from django.db import connection

from crm.models import Customer
from crm.search import cjk_grams, customer_search_filter, phone_prefixes
from tests.crm.factories import customer


def found(term: str) -> set[str]:
    return set(Customer.objects.filter(customer_search_filter(term)).values_list("name",
                                                                               flat=True))


@pytest.fixture
def people(in_acme):
    customer(name="Nguyễn Thị Ánh", phone="0912 345 678", email="anh.nguyen@example.com")
    customer(name="Trần Văn Đạo", phone="0987 654 321")
    customer(name="青島市XX建築有限公司", phone="0912 888 111")
    customer(name="王小明", phone="0912 888 222")
    customer(name="Nguyên Khang", phone="0912 888 333")


def test_columns_are_maintained_by_the_database(people):
    row = Customer.objects.get(name="青島市XX建築有限公司")
    assert {"青", "建築", "建", "築有"} <= set(row.name_grams)
    assert "XX" not in row.name_grams
    assert row.phone_digits == "84912888111"
    assert Customer.objects.get(name="Trần Văn Đạo").search_text.startswith("tran van dao")
    with connection.cursor() as cursor:  # a raw insert, as COPY would do, gets them too
        cursor.execute("INSERT INTO crm_customer (code, name, name_key, phone, email, address,"
                       " role, settlement_method, prepaid_allowed, credit_limit_enforced,"
                       " home_branch_id, shared, status, tax_code, note, receivable_amount,"
                       " prepaid_amount, coins, total_purchased_amount, created_at,"
                       " updated_at) SELECT 'RAW1', '建築王', 'raw', '', '', '', 'retail',"
                       " 'on_account', false, false, id, false, 'active', '', '', 0, 0, 0, 0,"
                       " now(), now() FROM crm_branch WHERE code = 'MAIN'")
    assert "建築王" in found("築王")


@pytest.mark.parametrize("term,expected", [
    ("nguyen thi anh", {"Nguyễn Thị Ánh"}),
    ("Nguyễn Thị", {"Nguyễn Thị Ánh"}),
    ("NGUYEN", {"Nguyễn Thị Ánh", "Nguyên Khang"}),
    ("dao", {"Trần Văn Đạo"}),
    ("anh nguyen", {"Nguyễn Thị Ánh"}),  # words in any order
    ("王", {"王小明"}),
    ("建築", {"青島市XX建築有限公司"}),
    ("青島市", {"青島市XX建築有限公司"}),
    ("xx建築", {"青島市XX建築有限公司"}),
    ("建有", set()),  # not adjacent
    ("0912 345 678", {"Nguyễn Thị Ánh"}),
    ("+84912345678", {"Nguyễn Thị Ánh"}),
    ("0912.345", {"Nguyễn Thị Ánh"}),
    ("912345", {"Nguyễn Thị Ánh"}),
    ("0912 888", {"青島市XX建築有限公司", "王小明", "Nguyên Khang"}),
    ("anh.nguyen@example", {"Nguyễn Thị Ánh"}),
    ("nobody", set()),
    ("100%", set()),
])
def test_search(people, term, expected):
    assert found(term) == expected


def test_search_by_code(people):
    c = Customer.objects.get(name="王小明")
    assert found(c.code) == {"王小明"}
    assert found(c.code.lower()) == {"王小明"}


def test_helpers():
    assert cjk_grams("建築") == ["建築"]
    assert cjk_grams("王") == ["王"]
    assert cjk_grams("青島市") == ["島市", "青島"]
    assert phone_prefixes("0912 34", "VN") == ["8491234"]
    assert phone_prefixes("+886 912", "TW") == ["886912"]
    assert phone_prefixes("12", "VN") == []
