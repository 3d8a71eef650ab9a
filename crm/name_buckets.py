"""Name buckets: which ranges of the name order can hold a search's matches.

A search in name order walks the covering name index (customer_name_key_unique) until a
page fills. A common term whose matches cluster far along that order ("nguyen": 28% in,
CJK names after every Latin one) made the walk read most of the index first. The buckets
(CustomerNameBucket, crm migration 0009) cut the order into ranges of about
`BUCKET_ROWS` customers and keep, per range, every search gram its customers hold; a
search lists the ranges that hold all of its term's grams, plus the ranges written since
their last refresh (CustomerNameDirty), and walks only those, in order.

Exact by construction: a customer matching the term holds every gram the term implies
(`search_grams`), so its range is listed unless the range was written since the refresh,
and then it is listed as dirty. Candidates, walk and visibility are one SQL statement (one
snapshot). Writers only append dirty key ranges (triggers, set-wise for COPY); the
refresh runs after commit on the worker (`name_buckets_refresh_soon`).
"""

import re

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q, QuerySet

from crm.models import Customer

BUCKET_ROWS = 1000
# The walk reads at most this many listed ranges (~100k index entries, ~25 ms at 1M in
# bench search: an entry costs ~0.25 us, a match on the search indexes' path ~8 us); when
# more are listed and these do not fill the page, the caller takes its other paths.
WALK_MAX_BUCKETS = 100

_ASCII_RUN = re.compile(r"[a-z0-9]{3,}")


def search_grams(folded_words: list[str], cjk: list[str]) -> list[str]:
    """The grams every customer whose search_text contains all `folded_words` (and whose
    name_grams contain `cjk`) holds: each 3-window of a word's runs of ASCII letters and
    digits (pg_trgm's trigrams of search_text include them, unpadded, in any locale) and
    the CJK grams. Empty: the term implies none (the buckets cannot help)."""
    grams = set(cjk)
    for word in folded_words:
        for run in _ASCII_RUN.findall(word):
            grams.update(run[i:i + 3] for i in range(len(run) - 2))
    return sorted(grams)


def name_buckets_refresh() -> int:
    """Recompute the buckets written since the last refresh (splitting grown ones);
    the number of buckets written. Set-wise, in the database (crm migration 0009)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT crm_customer_name_buckets_refresh(%s)", [BUCKET_ROWS])
        return cursor.fetchone()[0]


# Single-customer writes ask for a refresh at most once in this many seconds (the cache
# key carries the tenant, django_tenants.cache.make_key); their dirty ranges cost a search
# one range each meanwhile.
REFRESH_DEBOUNCE_SECONDS = 30


def name_buckets_refresh_soon(*, debounce: bool = True) -> None:
    """Refresh the buckets on the worker once the current transaction commits; with
    `debounce`, only when no refresh was asked for in the last REFRESH_DEBOUNCE_SECONDS
    (the one asked for then runs after this commit and takes this write along, or the next
    write's asks again)."""
    from crm.tasks import name_buckets_refresh_task

    def send():
        if not debounce:
            name_buckets_refresh_task.delay()
        elif cache.add("crm:name_buckets_refresh", 1, timeout=REFRESH_DEBOUNCE_SECONDS):
            name_buckets_refresh_task.apply_async(countdown=REFRESH_DEBOUNCE_SECONDS)

    transaction.on_commit(send)


_CANDIDATES = """
    SELECT b.lo, b.hi FROM (
        SELECT first_key AS lo, lead(first_key) OVER (ORDER BY first_key) AS hi
        FROM crm_customernamebucket) b
    WHERE (b.lo IN (SELECT first_key FROM crm_customernamebucket WHERE grams @> %s::text[])
           OR EXISTS (SELECT FROM crm_customernamedirty d
                      WHERE (b.hi IS NULL OR d.low < b.hi)
                      AND (d.high IS NULL OR d.high >= b.lo)))
"""


def name_bucket_ids(qs: QuerySet[Customer], search: Q, *, grams: list[str], descending: bool,
                    limit: int) -> list[int] | None:
    """Ids of the first `limit` customers of `qs.filter(search)` in name order (descending
    when asked): exactly `qs.filter(search).order_by("name_key")[:limit]`'s, read from the
    listed ranges only. None when more than WALK_MAX_BUCKETS ranges are listed and the
    first of them do not fill the page (the answer may lie further)."""
    if qs.query.is_empty():  # qs.none(): a user who may see no customer
        return []
    direction = "DESC" if descending else "ASC"
    key = '"crm_customer"."name_key"'
    inner = qs.filter(search).order_by(f"{'-' if descending else ''}name_key")
    bounded = inner.extra(where=[f"{key} >= r.lo", f"{key} < r.hi"])
    open_end = inner.extra(where=[f"{key} >= r.lo", "r.hi IS NULL"])
    # Ranges wholly before the first row of `qs` in this order (a keyset page's earlier
    # pages, say) hold none of its rows: they are not listed.
    start_sql, start_params = qs.order_by(inner.query.order_by[0]).values("name_key")[:1] \
        .query.sql_with_params()
    start = f"b.lo <= ({start_sql})" if descending else f"(b.hi IS NULL OR b.hi > ({start_sql}))"
    parts, params = [], [grams, *start_params, WALK_MAX_BUCKETS + 1, WALK_MAX_BUCKETS]
    for part in (bounded, open_end):
        sql, own = part.values("id", "name_key")[:limit].query.sql_with_params()
        parts.append(f"({sql})")
        params.extend(own)
    # The ranges are disjoint and in order, so (range, key) is the name order; sorted by
    # range, the planner sorts one range at a time and stops when the page is full.
    # Ranges and rows are read in one statement: one snapshot.
    sql = (f"WITH listed AS MATERIALIZED ({_CANDIDATES} AND {start}"
           f" ORDER BY b.lo {direction} LIMIT %s)"
           " SELECT ARRAY(SELECT w.id FROM"
           f" (SELECT lo, hi FROM listed ORDER BY lo {direction} LIMIT %s) r"
           f" CROSS JOIN LATERAL ({' UNION ALL '.join(parts)}) w"
           f" ORDER BY r.lo {direction}, w.name_key {direction} LIMIT %s),"
           " (SELECT count(*) FROM listed)")
    params.append(limit)
    with _seqscan_off(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids, listed = cursor.fetchone()
    if len(ids) < limit and listed > WALK_MAX_BUCKETS:
        return None
    return list(ids)
def _seqscan_off():
    # The bucket table's statistics make a sequential scan of it look cheap, but each row's
    # gram array is large: the GIN index answers the containment in a fraction of that.
    from crm.selectors import _planner_settings

    return _planner_settings(enable_seqscan="off")
