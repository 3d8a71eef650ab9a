"""`manage.py bench search --customers 1000000`: customer search and list at size.

Builds a scratch tenant, COPYs realistic Vietnamese and Chinese customers into it (the
search columns are computed by the database, as for an import), then times the API's own
list query (selector + keyset order + limit) for each kind of search, as the owner and
as a salesperson (whose visibility rules stay in the query), next to the same query with
index scans disabled (a sequential scan) measured in the same run. Each kind's pages are
checked against that sequential scan's, row for row and in order ("exact"). The scratch
tenant is dropped at the end, unless `--keep` keeps it for the next run.
"""

import io
import random
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import User
from django.db import connection, transaction
from django_tenants.utils import schema_context

from bench.timing import percentile, table

TARGET_P95_MS = 50.0

_VN_FAMILY = (["Nguyễn"] * 8 + ["Trần"] * 11 + ["Lê"] * 10 + ["Phạm"] * 9 + ["Hoàng"] * 8
              + ["Huỳnh"] * 6 + ["Phan"] * 6 + ["Vũ"] * 6 + ["Võ"] * 6 + ["Đặng"] * 5
              + ["Bùi"] * 5 + ["Đỗ"] * 5 + ["Hồ"] * 4 + ["Ngô"] * 4 + ["Dương"] * 4
              + ["Lý"] * 3)
_VN_MIDDLE = ["Thị", "Văn", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quốc", "Xuân", "Kim"]
_VN_GIVEN = ["Anh", "Ánh", "Bình", "Châu", "Dũng", "Đào", "Giang", "Hà", "Hải", "Hạnh",
             "Hiếu", "Hoa", "Hùng", "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam",
             "Nga", "Ngân", "Nhung", "Phúc", "Phương", "Quân", "Quang", "Sơn", "Tâm", "Thảo",
             "Thắng", "Trang", "Trung", "Tuấn", "Tú", "Vân", "Việt", "Yến", "Đạt", "Khoa"]
_CN_FAMILY = ["王", "李", "張", "劉", "陳", "楊", "黃", "趙", "吳", "周", "徐", "孫", "馬",
              "朱", "胡", "郭", "何", "高", "林", "羅"]
_CN_GIVEN = list("偉芳娜秀英敏靜麗強磊軍洋勇艷傑娟濤明超蘭霞平剛桂小建國華志")
_CN_CITY = ["青島市", "上海市", "北京市", "廣州市", "深圳市", "臺北市", "高雄市", "杭州市",
            "南京市", "天津市"]
_CN_TRADE = ["建築", "電器", "印刷", "貿易", "科技", "食品", "物流", "服飾", "傢俱", "文具"]
_CN_SUFFIX = ["有限公司", "股份有限公司", "商行", "工作室"]
_MAIL = ["gmail.com", "yahoo.com", "outlook.com", "qq.com", "163.com"]

COLUMNS = ("code", "name", "name_key", "phone", "email", "address", "owner_id", "role",
           "settlement_method", "prepaid_allowed", "credit_limit_enforced", "home_branch_id",
           "shared", "status", "tax_code", "note", "receivable_amount", "prepaid_amount",
           "coins", "total_purchased_amount", "created_at", "updated_at")


def add_arguments(parser):
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20,
                        help="timed runs of each query kind (the baseline runs 3)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline-runs", type=int, default=3,
                        help="runs of each sequential-scan baseline (slow at size)")
    parser.add_argument("--only", default="", help="only query kinds containing this text")
    parser.add_argument("--keep", default="", metavar="SUBDOMAIN",
                        help="keep the loaded scratch tenant under this subdomain and reuse it"
                             " on the next run with the same --customers and --seed (a 1M load"
                             " takes minutes); without it the tenant is removed at the end")
    parser.add_argument("--drop", action="store_true",
                        help="with --keep: remove the kept tenant at the end of this run")


def _unaccent_ascii(text: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def _rows(count: int, branch_ids: list[int], owner_ids: list[int], rng: random.Random):
    """Customers as COPY text lines: 70% Vietnamese people, 30% Chinese people and firms;
    40% without an owner, the rest spread over the salespeople."""
    now = datetime.now(UTC)
    names_seen: set[str] = set()
    for i in range(count):
        vietnamese = rng.random() < 0.7
        if vietnamese:
            base = (f"{rng.choice(_VN_FAMILY)} {rng.choice(_VN_MIDDLE)} "
                    f"{rng.choice(_VN_GIVEN)}")
            phone = f"+849{10_000_000 + i:08d}"
        elif rng.random() < 0.6:
            base = rng.choice(_CN_FAMILY) + "".join(rng.choices(_CN_GIVEN, k=rng.choice((1, 2))))
            phone = f"+86138{i:08d}"
        else:
            base = (rng.choice(_CN_CITY) + "".join(rng.choices(_CN_GIVEN, k=2))
                    + rng.choice(_CN_TRADE) + rng.choice(_CN_SUFFIX))
            phone = f"+86139{i:08d}"
        name = base if base not in names_seen else f"{base} {i}"
        names_seen.add(name)
        email = (f"{_unaccent_ascii(base).replace(' ', '.')}{i}@{rng.choice(_MAIL)}"
                 if vietnamese and rng.random() < 0.3 else "")
        created = now - timedelta(seconds=rng.randrange(3 * 365 * 86400))
        receivable = rng.choice((0, 0, 0, rng.randrange(1, 500) * 10_000))
        yield "\t".join((
            f"KH{i + 1:07d}", name, name.casefold(), phone, email, "",
            str(rng.choice(owner_ids)) if rng.random() < 0.6 else "\\N", "retail", "on_account",
            "f", "f", str(rng.choice(branch_ids)), "t" if rng.random() < 0.2 else "f",
            "active", "", "", str(receivable), "0", "0", str(rng.randrange(0, 10**9, 1000)),
            created.isoformat(), created.isoformat())) + "\n"


def _load(count: int, rng: random.Random, stdout) -> None:
    from crm.models import Branch
    from crm.name_buckets import name_buckets_refresh
    from crm.roles import SALESPERSON
    from crm.staff import branch_create, staff_create

    branch_ids = [Branch.objects.get(code="MAIN").id]
    for n in range(2, 6):
        branch_ids.append(branch_create(code=f"B{n}", name=f"Branch {n}").id)
    main = Branch.objects.get(code="MAIN")
    owner_ids = [staff_create(username=f"sales{n}@bench.test", roles=[SALESPERSON],
                              branches=[main]).id for n in range(4)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename ="
                       " 'crm_customer' AND schemaname = current_schema()"
                       " AND indexname NOT LIKE '%%pkey'"
                       " AND indexdef NOT LIKE 'CREATE UNIQUE%%'")
        secondary = cursor.fetchall()
        for name, _definition in secondary:
            cursor.execute(f'DROP INDEX "{name}"')
        started = time.perf_counter()
        buffer, written = io.StringIO(), 0
        with cursor.copy(f"COPY crm_customer ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for line in _rows(count, branch_ids, owner_ids, rng):
                buffer.write(line)
                written += 1
                if written % 50_000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        copied = time.perf_counter() - started
        started = time.perf_counter()
        for _name, definition in secondary:
            cursor.execute(definition)
        # VACUUM as autovacuum soon would: it marks the pages all-visible, which the name
        # order's index-only walk needs.
        cursor.execute("VACUUM (ANALYZE) crm_customer")
        indexed = time.perf_counter() - started
        cursor.execute("SELECT setval('crm_customer_code_seq', %s)", [count + 1])
    # What the worker does after an import's commit (crm.name_buckets).
    started = time.perf_counter()
    buckets = name_buckets_refresh()
    refreshed = time.perf_counter() - started
    stdout.write(f"COPY {count:,} customers: {copied:.1f} s (generated columns included); "
                 f"secondary indexes + VACUUM ANALYZE: {indexed:.1f} s; name buckets "
                 f"refresh: {refreshed:.1f} s ({buckets:,} buckets)\n")


# Who runs a kind: the owner sees everyone; a salesperson sees only her branch's and the
# shared customers, and of those only her own and the unowned ones (DESIGN §3).
OWNER, SALESPERSON = "owner", "salesperson"
COMMON = "nguyen"


def _query_kinds() -> dict[str, tuple[list[dict], str, str]]:
    """kind -> (list filter dicts to cycle through, ordering, who)."""
    from crm.models import Customer
    from crm.selectors import CUSTOMER_ORDERINGS

    sample = list(Customer.objects.order_by("?").values_list("name", "phone", "code")[:40])
    vn = [n for n, _p, _c in sample if n.isascii() is False and n[0] < "一"][:10]
    kinds = {
        "name, rare (full name, no accents)": (
            [{"search": _unaccent_ascii(n)} for n in vn] or [{"search": "tran van anh"}],
            "-created", OWNER),
        "name, common ('nguyen' ~6%)": ([{"search": COMMON}, {"search": "Nguyễn"}],
                                        "-created", OWNER),
    }
    # The common term in every order of the list, both ways (the default order is above).
    for name in CUSTOMER_ORDERINGS:
        for ordering in (name, f"-{name}"):
            if ordering != "-created":
                kinds[f"common term, by {ordering}"] = ([{"search": COMMON}], ordering, OWNER)
    kinds.update({
        "name, 2 words common": ([{"search": "nguyen thi"}, {"search": "tran van"}],
                                 "-created", OWNER),
        "CJK, 1 character": ([{"search": c} for c in ("王", "李", "陳", "建", "林")], "-created",
                             OWNER),
        "CJK, 1 character, by name": ([{"search": c} for c in ("王", "李", "陳", "建", "林")],
                                      "name", OWNER),
        "CJK, 2 characters": ([{"search": c} for c in ("建築", "電器", "小明", "有限", "上海")],
                              "-created", OWNER),
        "CJK, 3+ characters": ([{"search": c} for c in ("青島市", "有限公司", "印刷商行")],
                               "-created", OWNER),
        "phone, prefix (national)": ([{"search": "0" + p[3:9]} for _n, p, _c in sample
                                      if p.startswith("+84")][:5] or [{"search": "09100"}],
                                     "-created", OWNER),
        "phone, full (any format)": ([{"search": p} for _n, p, _c in sample][:5], "-created",
                                     OWNER),
        "code": ([{"search": c} for _n, _p, c in sample][:5], "-created", OWNER),
        "list, first page": ([{}], "-created", OWNER),
        "list, has receivable, by receivable": ([{"has_receivable": "true"}], "-receivable",
                                                OWNER),
        "salesperson: common term": ([{"search": COMMON}], "-created", SALESPERSON),
        "salesperson: common term, by name": ([{"search": COMMON}], "name", SALESPERSON),
        "salesperson: common term, by -receivable": ([{"search": COMMON}], "-receivable",
                                                     SALESPERSON),
        "salesperson: CJK, 1 character": ([{"search": c} for c in ("王", "李", "陳")],
                                          "-created", SALESPERSON),
        "salesperson: list, first page": ([{}], "-created", SALESPERSON),
    })
    return kinds


def _explain(qs) -> str:
    """The scan that reads crm_customer, from EXPLAIN."""
    plan = qs.explain()
    for line in plan.splitlines():
        stripped = line.strip().lstrip("->").strip()
        if "Scan" in stripped and re.search(r" on crm_customer( |$)", stripped):
            return stripped.split("  (")[0].replace(" on crm_customer", "")[:60]
    return plan.splitlines()[0][:60]


def _order(ordering: str) -> list[str]:
    from crm.selectors import CUSTOMER_ORDERINGS

    field = CUSTOMER_ORDERINGS[ordering.lstrip("-")]
    return [f"-{field}", "-id"] if ordering.startswith("-") else [field, "id"]


def _timed(user, filters: dict, ordering: str, seq: bool) -> tuple[float, list[int]]:
    """Seconds for one page of the list as the API reads it, and the page's ids. With
    `seq`, the same page by one plain query with index scans disabled (the baseline, and
    the answer the page must equal)."""
    from crm.selectors import customer_list_parts, customer_rows

    order = _order(ordering)
    with transaction.atomic():
        if seq:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan"
                               " = off; SET LOCAL enable_indexonlyscan = off")
        started = time.perf_counter()
        base, search = customer_list_parts(user=user, filters=filters)
        if seq:  # the page's ids (annotating them would add a scan a row)
            qs = base.filter(search) if search is not None else base
            ids = list(qs.order_by(*order).values_list("id", flat=True)[:21])
        else:
            ids = [c.id for c in customer_rows(base, search, order=order, limit=21, user=user)]
        elapsed = time.perf_counter() - started
    return elapsed, ids


def _plan(user, filters: dict, ordering: str) -> str:
    """How customer_rows reads this page (its own decision, replayed)."""
    from crm.name_buckets import name_bucket_ids
    from crm.selectors import (
        _UNIQUE_KEYS,
        _planner_settings,
        _walk_budget,
        _walk_ids,
        customer_list_parts,
    )

    order = _order(ordering)
    base, search = customer_list_parts(user=user, filters=filters)
    if search is None:
        return _explain(base.order_by(*order)[:21])
    walk_order = order[:1] if order[0].lstrip("-") in _UNIQUE_KEYS else order
    if not getattr(search, "selective", False):
        grams = getattr(search, "grams", [])
        if order[0].lstrip("-") == "name_key" and grams and name_bucket_ids(
                base, search, grams=grams, descending=order[0][0] == "-", limit=21) is not None:
            return f"name buckets ({len(grams)} grams), index-only walk of the listed ranges"
        budget = _walk_budget(base, search, order=walk_order, limit=21)
        if budget != 0 and len(_walk_ids(base, search, order=walk_order, limit=21,
                                          rows=budget)) == 21:
            with _planner_settings(enable_bitmapscan="off", enable_seqscan="off"):
                scan = _explain(base.filter(search).order_by(*walk_order).values("id")[:21])
            return f"walk ({'all' if budget is None else f'<= {budget:,}'}): {scan}"[:60]
    with _planner_settings(enable_indexscan="off"):
        return "search indexes: " + _explain(base.filter(search).order_by(*order)[:21])


def _label(customers: int, seed: int) -> str:
    """The kept tenant's name once loaded: what it holds (bump the version when the rows
    change)."""
    return f"Bench search v2 {customers} seed {seed}"


def _tenant(keep: str, customers: int, seed: int, stdout):
    """(tenant, True when it still has to be loaded). A kept tenant is reused only when it
    is a scratch tenant loaded with the same size and seed (its name says so)."""
    from tenants.models import Tenant
    from tenants.services import tenant_create, tenant_delete

    label = _label(customers, seed)
    if keep:
        kept = Tenant.objects.filter(subdomain=keep, scratch=True).first()
        if kept is not None and kept.name == label:
            stdout.write(f"Reusing the kept tenant {keep} ({customers:,} customers)\n")
            return kept, False
        if kept is not None:
            tenant_delete(tenant=kept)
    subdomain = keep or f"benchsearch{uuid.uuid4().hex[:8]}"
    tenant = tenant_create(business_name="Bench search (loading)", subdomain=subdomain,
                           owner_email=f"owner@{subdomain}.test", currency="VND",
                           locale="vi", scratch=True)
    return tenant, True


def run(stdout, *, customers: int, repeat: int, seed: int, only: str = "",
        baseline_runs: int = 3, keep: str = "", drop: bool = False, **_options):
    from tenants.models import Tenant
    from tenants.services import tenant_delete

    rng = random.Random(seed)
    tenant, fresh = _tenant(keep, customers, seed, stdout)
    subdomain, schema = tenant.subdomain, tenant.schema_name
    try:
        with schema_context(schema):
            connection.set_tenant(tenant)
            if fresh:
                _load(customers, rng, stdout)
                # Named only once loaded, so an interrupted load is never reused.
                Tenant.objects.filter(pk=tenant.pk).update(
                    name=_label(customers, seed))
            users = {OWNER: User.objects.get(username=f"owner@{subdomain}.test"),
                     SALESPERSON: User.objects.get(username="sales0@bench.test")}
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FILTER (WHERE search_text LIKE '%%nguyen%%'),"
                               " count(*) FILTER (WHERE name_grams @> ARRAY['王']),"
                               " count(*) FROM crm_customer")
                nguyen, wang, total = cursor.fetchone()
                started = time.perf_counter()
                cursor.execute("SELECT count(public.crm_search_text(name, code, email)),"
                               " count(public.crm_cjk_grams(name)), count(public.crm_digits(phone))"
                               " FROM crm_customer")
                per_100k = (time.perf_counter() - started) / total * 100_000
            from crm.selectors import customer_visible

            seen = customer_visible(users[SALESPERSON]).count()
            stdout.write(f"Generated search columns cost {per_100k:.2f} s per 100k rows "
                         "(what an import's COPY pays for them)\n")
            stdout.write(f"'nguyen' matches {nguyen / total:.1%} of rows; "
                         f"'王' {wang / total:.1%}; the salesperson sees {seen / total:.1%}\n")
            rows, worst, inexact = [], 0.0, []
            all_samples = []
            for kind, (filter_sets, ordering, who) in _query_kinds().items():
                if only not in kind:
                    continue
                user = users[who]
                samples, baseline, answers = [], [], {}
                for n in range(repeat + 1):
                    which = n % len(filter_sets)
                    elapsed, ids = _timed(user, filter_sets[which], ordering, seq=False)
                    answers[which] = ids
                    if n:  # the first run warms the cache
                        samples.append(elapsed)
                # Exact: each filter set's page equals the sequential scan's, row for row.
                checked = exact = 0
                for n in range(max(baseline_runs, len(answers))):
                    which = n % len(filter_sets)
                    elapsed, ids = _timed(user, filter_sets[which], ordering, seq=True)
                    if n < baseline_runs:
                        baseline.append(elapsed)
                    checked += 1
                    exact += ids == answers[which]
                if exact < checked:
                    inexact.append(kind)
                p95 = percentile(samples, 95) * 1000
                worst = max(worst, p95)
                all_samples += samples
                rows.append([kind, percentile(samples, 50) * 1000, p95,
                             percentile(baseline, 50) * 1000, f"{exact}/{checked}",
                             _plan(user, filter_sets[0], ordering)])
            rows.append(["mix (all of the above)", percentile(all_samples, 50) * 1000,
                         percentile(all_samples, 95) * 1000, "", "", ""])
            table(stdout, f"Customer search and list, {customers:,} customers "
                  f"(target p95 <= {TARGET_P95_MS:.0f} ms)",
                  ["query", "p50 ms", "p95 ms", "seq scan p50 ms", "exact", "plan"], rows)
            p95 = percentile(all_samples, 95) * 1000
            verdict = "meets" if p95 <= TARGET_P95_MS else "misses"
            stdout.write(f"Mix: p95 {p95:.1f} ms {verdict} the target; worst kind p95 "
                         f"{worst:.1f} ms ({'meets' if worst <= TARGET_P95_MS else 'misses'}).\n")
            stdout.write("Every page equals the sequential scan's.\n" if not inexact else
                         f"NOT EXACT: {', '.join(inexact)}\n")
    finally:
        connection.set_schema_to_public()
        if not keep or drop:
            tenant_delete(tenant=tenant)
