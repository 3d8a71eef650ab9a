"""crm.name_buckets: the name-order search walks only the ranges that can hold a match,
and gives exactly the plain filter + sort's page, whatever was written since a refresh."""

import threading

import pytest
from django.db import connection, connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm import name_buckets
from crm.models import Customer, CustomerNameBucket, CustomerNameDirty
from crm.name_buckets import name_bucket_ids, name_buckets_refresh, search_grams
from crm.search import customer_search_filter
from crm.selectors import customer_rows, customer_visible
from crm.services import customer_update
from tests.crm.factories import branch, customer, user

TERMS = ["nguyen", "Nguyễn", "tran", "thi", "van 1", "王", "建築", "青島市", "kh", "nobody",
         "an"]


@pytest.fixture
def small_buckets(monkeypatch):
    monkeypatch.setattr(name_buckets, "BUCKET_ROWS", 4)


def raw_insert(names: list[str]) -> None:
    """Customers written as an import's COPY writes them: one statement, no ORM."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO crm_customer (code, name, name_key, phone, email, address, role,"
            " settlement_method, prepaid_allowed, credit_limit_enforced, home_branch_id,"
            " shared, status, tax_code, note, receivable_amount, prepaid_amount, coins,"
            " total_purchased_amount, created_at, updated_at)"
            " SELECT 'NB' || left(md5(n.name), 24), n.name, lower(n.name), '', '', '', 'retail',"
            " 'on_account', false, false, b.id, false, 'active', '', '', 0, 0, 0, 0, now(), now()"
            " FROM unnest(%s::text[]) WITH ORDINALITY AS n(name, i), crm_branch b"
            " WHERE b.code = 'MAIN'", [names])


def plain(qs, term: str, descending: bool) -> list[int]:
    order = ["-name_key"] if descending else ["name_key"]
    return list(qs.filter(customer_search_filter(term)).order_by(*order)
                .values_list("id", flat=True)[:21])


def walked(qs, term: str, descending: bool) -> list[int] | None:
    search = customer_search_filter(term)
    if not search.grams:
        return plain(qs, term, descending)  # the buckets do not serve such a term
    return name_bucket_ids(qs, search, grams=search.grams, descending=descending, limit=21)


def assert_exact(qs=None) -> None:
    qs = Customer.objects.all() if qs is None else qs
    for term in TERMS:
        for descending in (False, True):
            assert walked(qs, term, descending) == plain(qs, term, descending), (term,
                                                                                  descending)


MIXED = ([f"Bùi Văn {i}" for i in range(30)] + [f"Nguyễn Thị {i}" for i in range(12)]
         + [f"Trần Văn {i}" for i in range(30)] + ["王小明", "王建國", "李華"]
         + [f"青島市{c}建築有限公司" for c in "偉芳娜秀"])


def test_grams_a_term_implies(in_acme):
    assert search_grams(["nguyen"], []) == ["guy", "ngu", "uye", "yen"]
    assert search_grams(["an"], []) == []
    assert search_grams(["kh00.12"], []) == ["h00", "kh0"]
    assert search_grams(["a.b-cd", "xyz"], ["王"]) == ["xyz", "王"]
    assert customer_search_filter("0912 345").grams == []  # a phone matches elsewhere


def test_only_the_ranges_holding_the_grams_are_listed(in_acme, small_buckets):
    raw_insert(MIXED)
    written = name_buckets_refresh()
    assert written >= 15
    assert not CustomerNameDirty.objects.exists()
    assert CustomerNameBucket.objects.filter(first_key="").exists()
    with_nguyen = CustomerNameBucket.objects.filter(grams__contains=search_grams(["nguyen"], []))
    # The 12 Nguyễn sit together in the name order: a few buckets of the many.
    assert 3 <= with_nguyen.count() <= 5
    assert CustomerNameBucket.objects.filter(grams__contains=["王"]).count() <= 2
    assert_exact()
    # Keyset pages: the rows after (or before) a key.
    assert_exact(Customer.objects.filter(name_key__gt="nguyễn thị 5"))
    assert_exact(Customer.objects.filter(name_key__lt="nguyễn thị 5"))
    assert_exact(Customer.objects.none())


def test_exact_through_writes_before_and_after_a_refresh(in_acme, small_buckets):
    raw_insert(MIXED)
    name_buckets_refresh()
    owner = user("owner")
    added = customer(name="Nguyễn Văn Mới")  # a new customer far from the Nguyễn buckets
    assert CustomerNameDirty.objects.filter(low=added.name_key).exists()
    assert_exact()
    bui = Customer.objects.get(name="Bùi Văn 3")
    customer_update(actor=owner, customer=bui, name="Nguyễn Bùi 3")  # renamed into the term
    assert_exact()
    # An e-mail is searched too; a raw update (as an import's) marks its key as well.
    Customer.objects.filter(name="Trần Văn 7").update(email="nguyen.tran@example.com")
    assert_exact()
    Customer.objects.filter(name__startswith="Nguyễn Thị 1").delete()
    assert_exact()
    name_buckets_refresh()
    assert not CustomerNameDirty.objects.exists()
    assert_exact()
    # A write that changes no searched column marks nothing.
    Customer.objects.filter(name="Trần Văn 8").update(note="called", tax_code="123")
    assert not CustomerNameDirty.objects.exists()


def test_merged_customers_stay_exact(in_acme, small_buckets):
    from crm.services.merge import customer_merge

    source = customer(name="Nguyễn Văn Nguồn")
    target = customer(name="Trần Văn Đích")
    raw_insert(MIXED)
    name_buckets_refresh()
    customer_merge(actor=user("owner"), source=source, target=target)
    assert_exact()
    assert_exact(Customer.objects.filter(status=Customer.Status.ACTIVE))


def test_one_statement_marks_one_range(in_acme):
    CustomerNameDirty.objects.all().delete()
    raw_insert(["Zeta Một", "Alpha Hai", "Mu Ba"])
    assert list(CustomerNameDirty.objects.values_list("low", "high")) == [
        ("alpha hai", "zeta một")]


def test_the_list_reads_name_order_through_the_buckets(in_acme, small_buckets):
    sales = user("sales")
    mine = [customer(name=f"Nguyễn Thị Sales {i}", owner=sales.id,
                     home_branch=branch("MAIN").id) for i in range(3)]
    customer(name="Nguyễn Thị other branch", owner=sales.id, home_branch=branch("B2").id)
    customer(name="Nguyễn Thị another owner", home_branch=branch("MAIN").id)
    raw_insert(MIXED)
    name_buckets_refresh()
    for order in (["name_key", "id"], ["-name_key", "-id"]):
        rows = customer_rows(customer_visible(sales), customer_search_filter("nguyen"),
                             order=order, limit=21, user=sales)
        expected = list(customer_visible(sales).filter(customer_search_filter("nguyen"))
                        .order_by(*order).values_list("id", flat=True)[:21])
        assert [c.id for c in rows] == expected
        assert {c.id for c in mine} <= set(expected)  # the unowned MAIN ones are hers too
        assert all(hasattr(c, "referral_count") for c in rows)
    assert_exact(customer_visible(sales))


def test_when_more_ranges_are_listed_than_the_walk_reads_it_says_so(in_acme, small_buckets,
                                                                  monkeypatch):
    raw_insert(["Aaa Inactive", *MIXED])
    Customer.objects.filter(name="Aaa Inactive").update(status=Customer.Status.INACTIVE)
    name_buckets_refresh()
    monkeypatch.setattr(name_buckets, "WALK_MAX_BUCKETS", 1)
    # "van" is in many ranges after the first inactive customer, and no inactive one has it.
    search = customer_search_filter("van")
    qs = Customer.objects.filter(status=Customer.Status.INACTIVE)
    assert name_bucket_ids(qs, search, grams=search.grams, descending=False, limit=21) is None
    # customer_rows then takes its other paths, with the same answer.
    rows = customer_rows(qs, search, order=["name_key", "id"], limit=21, user=user("owner"))
    assert rows == []


_word = st.sampled_from(["Nguyễn", "Trần", "Văn", "Thị", "An", "Bình", "王", "小明", "建築",
                         "Yến", "Nguyên"])
_name = st.lists(_word, min_size=1, max_size=3).map(" ".join)
_operation = st.one_of(
    st.tuples(st.just("insert"), st.lists(_name, min_size=1, max_size=6)),
    st.tuples(st.just("rename"), st.integers(0, 1000), _name),
    st.tuples(st.just("delete"), st.integers(0, 1000)),
    st.tuples(st.just("refresh")),
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(operations=st.lists(_operation, min_size=1, max_size=8),
       term=st.sampled_from(["nguyen", "tran", "van", "thi", "yen", "王", "小明", "建築",
                             "binh", "an nguyen"]))
def test_any_writes_and_refreshes_keep_the_walk_equal_to_filter_and_sort(
        in_acme, small_buckets, operations, term):
    with transaction.atomic():
        suffix = 0
        for operation in operations:
            ids = list(Customer.objects.order_by("id").values_list("id", flat=True))
            if operation[0] == "insert":
                names = []
                for name in operation[1]:
                    suffix += 1
                    names.append(f"{name} {suffix}")
                raw_insert(names)
            elif operation[0] == "rename" and ids:
                suffix += 1
                name = f"{operation[2]} r{suffix}"
                Customer.objects.filter(pk=ids[operation[1] % len(ids)]).update(
                    name=name, name_key=name.lower())
            elif operation[0] == "delete" and ids:
                Customer.objects.filter(pk=ids[operation[1] % len(ids)]).delete()
            elif operation[0] == "refresh":
                name_buckets_refresh()
        for qs in (Customer.objects.all(), Customer.objects.filter(name_key__gt="nguyễn"),
                   Customer.objects.filter(name_key__lt="thị")):
            for descending in (False, True):
                assert walked(qs, term, descending) == plain(qs, term, descending)
        transaction.set_rollback(True)


def test_a_refresh_during_an_open_write_leaves_it_listed(committed_tenant, monkeypatch):
    """A writer's customer and its dirty range commit together: a refresh that runs while
    the write is open sees neither, so it keeps the range listed after the commit."""
    monkeypatch.setattr(name_buckets, "BUCKET_ROWS", 4)
    connection.set_tenant(committed_tenant)
    raw_insert(MIXED)
    name_buckets_refresh()
    inserted, refreshed = threading.Event(), threading.Event()
    failures = []

    def write():
        try:
            connection.set_tenant(committed_tenant)
            with transaction.atomic():
                raw_insert(["Bùi Nguyễn Mới"])  # in a bucket without "nguyen" so far
                inserted.set()
                assert refreshed.wait(30)
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)
        finally:
            inserted.set()
            connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    assert inserted.wait(30)
    name_buckets_refresh()
    refreshed.set()
    writer.join()
    assert not failures
    added = Customer.objects.get(name="Bùi Nguyễn Mới")
    assert CustomerNameDirty.objects.filter(low=added.name_key).exists()
    assert added.id in walked(Customer.objects.all(), "nguyen", False)
    assert_exact()
    name_buckets_refresh()
    assert not CustomerNameDirty.objects.exists()
    assert added.id in walked(Customer.objects.all(), "nguyen", False)
    assert_exact()
