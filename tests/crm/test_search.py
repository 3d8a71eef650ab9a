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


ORDERS = [[f"-{field}", "-id"] if descending else [field, "id"]
          for field in ("name_key", "code", "receivable_amount", "total_purchased_amount",
                        "created_at") for descending in (False, True)]


@pytest.mark.breaks_money_invariants  # sets stored balances directly
@pytest.mark.parametrize("order", ORDERS)
def test_every_way_of_reading_a_search_gives_the_plain_querys_page(in_acme, order):
    from crm.selectors import _UNIQUE_KEYS, _walk_ids, customer_rows
    from tests.crm.factories import user

    owner = user("owner")
    for i in range(25):
        made = customer(name=f"Nguyễn Văn {i:02d}")
        Customer.objects.filter(pk=made.pk).update(receivable_amount=(i % 4) * 100)
        customer(name=f"Trần Thị {i:02d}")
    qs = Customer.objects.all()
    walk_order = order[:1] if order[0].lstrip("-") in _UNIQUE_KEYS else order
    for term in ("nguyen", "tran thi 07", "nguyen van 1", "nobody"):
        search = customer_search_filter(term)
        plain = list(qs.filter(search).order_by(*order).values_list("id", flat=True)[:21])
        rows = customer_rows(qs, search, order=order, limit=21, user=owner)
        assert [c.id for c in rows] == plain, term
        assert all(hasattr(c, "referral_count") for c in rows)
        # The walk over every row, and over a window: the matches among its first rows.
        assert _walk_ids(qs, search, order=walk_order, limit=21, rows=None) == plain
        window = list(qs.order_by(*order).values_list("id", flat=True)[:10])
        assert _walk_ids(qs, search, order=walk_order, limit=21, rows=10) == [
            i for i in plain if i in window]


def test_a_search_keeps_the_visibility_rules(in_acme):
    from crm.selectors import customer_rows, customer_visible
    from tests.crm.factories import branch, user

    sales = user("sales")
    mine = {customer(name=f"Nguyễn Thị {i}", owner=sales.id,
                     home_branch=branch("MAIN").id).id for i in range(3)}
    customer(name="Nguyễn Thị other branch", owner=sales.id, home_branch=branch("B2").id)
    customer(name="Nguyễn Thị another owner", home_branch=branch("MAIN").id)
    for order in (["name_key", "id"], ["-created_at", "-id"]):
        rows = customer_rows(customer_visible(sales), customer_search_filter("nguyen thi"),
                             order=order, limit=21, user=sales)
        assert {c.id for c in rows} == mine


def test_the_lists_referral_columns_count_only_customers_the_user_sees(in_acme):
    """A salesperson sees how many of *their visible* customers one referred, and no
    phone of a referrer they may not see (DESIGN §3: every customer lookup is visible-only)."""
    from crm.models import Customer
    from crm.selectors import customer_get, customer_rows, customer_visible
    from tests.crm.factories import branch, user

    sales, owner = user("sales"), user("owner")
    main = branch("MAIN").id
    hidden = customer(name="Người Giới Thiệu Ẩn", owner=owner.id, home_branch=main)
    mine = customer(name="Người Giới Thiệu Của Tôi", owner=sales.id, home_branch=main)
    customer(name="Được Giới Thiệu Thấy", owner=sales.id, home_branch=main, referrer=mine.id)
    customer(name="Được Giới Thiệu Không Thấy", owner=owner.id, home_branch=main,
             referrer=mine.id)
    referred = customer(name="Được Người Ẩn Giới Thiệu", owner=sales.id, home_branch=main,
                        referrer=hidden.id)
    assert not customer_visible(sales).filter(pk=hidden.pk).exists()

    assert customer_get(user=sales, customer_id=mine.pk).referral_count == 1
    assert customer_get(user=owner, customer_id=mine.pk).referral_count == 2
    assert customer_get(user=sales, customer_id=referred.pk).referrer_phone is None
    assert customer_get(user=owner, customer_id=referred.pk).referrer_phone == hidden.phone
    rows = customer_rows(customer_visible(sales).filter(pk__in=[mine.pk, referred.pk]), None,
                         order=["code"], limit=5, user=sales)
    assert [(c.referral_count, c.referrer_phone) for c in rows] == [(1, None), (0, None)] \
        if rows[0].pk == mine.pk else [(0, None), (1, None)]
    assert Customer.objects.get(pk=referred.pk).referrer_id == hidden.pk  # the data stays
