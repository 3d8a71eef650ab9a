"""Reads of customers: visibility, the filtered list, and bulk conflict checks.

The conflict selectors take many keys at once (one query each) so that a 100k-row import
checks its rows as cheaply as the API checks one.
"""

import json
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import NamedTuple

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from crm.exceptions import CrmError, CustomerNameTaken, CustomerPhoneTaken, CustomerUnknown
from crm.models import (
    Branch,
    Contact,
    Customer,
    CustomerAudit,
    CustomerDepartment,
    CustomerGroup,
    StaffBranch,
    Terminal,
)
from crm.name_buckets import name_bucket_ids
from crm.normalize import InvalidPhone, name_key, phone_normalize
from crm.search import customer_search_filter
from tenants.current import tenant_current


class CustomerRef(NamedTuple):
    id: int
    code: str
    name: str


def customer_name_conflicts(name_keys: Iterable[str], *,
                            exclude_ids: Iterable[int] = ()) -> dict[str, CustomerRef]:
    """Existing customers (any status) holding these name keys."""
    keys = list(set(name_keys))
    if not keys:
        return {}
    rows = (Customer.objects.filter(name_key__in=keys).exclude(id__in=list(exclude_ids))
            .values_list("name_key", "id", "code", "name"))
    return {key: CustomerRef(pk, code, name) for key, pk, code, name in rows}


def customer_phone_conflicts(phones: Iterable[str], *,
                             exclude_ids: Iterable[int] = ()) -> dict[str, CustomerRef]:
    """Active customers holding these (normalised) phones."""
    wanted = list({p for p in phones if p})
    if not wanted:
        return {}
    rows = (Customer.objects.filter(phone__in=wanted, status=Customer.Status.ACTIVE)
            .exclude(id__in=list(exclude_ids)).values_list("phone", "id", "code", "name"))
    return {phone: CustomerRef(pk, code, name) for phone, pk, code, name in rows}


def customer_code_conflicts(codes: Iterable[str], *,
                            exclude_ids: Iterable[int] = ()) -> dict[str, CustomerRef]:
    wanted = list(set(codes))
    if not wanted:
        return {}
    rows = (Customer.objects.filter(code__in=wanted).exclude(id__in=list(exclude_ids))
            .values_list("code", "id", "name"))
    return {code: CustomerRef(pk, code, name) for code, pk, name in rows}


def staff_branch_ids(user: User) -> list[int]:
    cached = getattr(user, "_crm_branch_ids", None)
    if cached is None:
        cached = list(StaffBranch.objects.filter(user=user).values_list("branch_id", flat=True))
        user._crm_branch_ids = cached
    return cached


def staff_sees_all_branches(user: User) -> bool:
    """Roles with `crm.view_all_branches_customer` see every branch: its customers, its
    documents and its reports. Everyone else sees the branches they work at."""
    return user.has_perm("crm.view_all_branches_customer")


def branch_visible(user: User) -> QuerySet[Branch]:
    """Branches whose documents and reports this user may see."""
    if staff_sees_all_branches(user):
        return Branch.objects.all()
    return Branch.objects.filter(pk__in=staff_branch_ids(user))


def branch_visible_get(*, user: User, branch_id: int | None = None) -> Branch:
    """A visible branch, by default the user's primary one (else the first visible);
    Branch.DoesNotExist when there is none or the user may not see it."""
    visible = branch_visible(user)
    if branch_id is not None:
        return visible.get(pk=branch_id)
    found = (visible.filter(staffbranch__user=user, staffbranch__primary=True).first()
             or visible.first())
    if found is None:
        raise Branch.DoesNotExist
    return found


def customer_visible(user: User) -> QuerySet[Customer]:
    """Customers this user may see (DESIGN §3 roles):
    - other branches' non-shared customers need `crm.view_all_branches_customer`;
    - other owners' customers need `crm.view_other_owner_customer` (unowned ones are
      everybody's)."""
    qs = Customer.objects.all()
    if not user.is_active:
        return qs.none()
    if not user.has_perm("crm.view_customer"):
        return qs.none()
    if not staff_sees_all_branches(user):
        qs = qs.filter(Q(home_branch_id__in=staff_branch_ids(user)) | Q(shared=True))
    if not user.has_perm("crm.view_other_owner_customer"):
        qs = qs.filter(Q(owner=user) | Q(owner__isnull=True))
    return qs


def customer_visible_check(*, user: User, customer: Customer | None) -> None:
    """A customer given as input (an order's, a price's) that the user may not see is
    unknown to them, as it is to the customer views (its existence is not revealed)."""
    if customer is not None and not customer_visible(user).filter(pk=customer.pk).exists():
        raise CustomerUnknown(_("Unknown customer."))


def customer_can_edit(user: User, customer: Customer) -> bool:
    """The owner edits their customers; another owner's needs the cross-owner permission."""
    if not user.has_perm("crm.change_customer"):
        return False
    if customer.owner_id in (None, user.id):
        return True
    return user.has_perm("crm.change_other_owner_customer")


def customer_ref_shown(user: User | None, ref: CustomerRef) -> CustomerRef | None:
    """`ref` when the user may see that customer, else None: a "taken" answer names the
    holder of a name or phone only to those who may see it."""
    if user is None or not customer_visible(user).filter(pk=ref.id).exists():
        return None
    return ref


def customer_duplicates(*, user: User, name: str = "", phone: str = "",
                        exclude_id: int | None = None) -> list[CrmError]:
    """The "taken" errors saving this name or phone would meet (the save's own checks:
    same name key, same normalised phone of an active customer), each naming the holder
    only when the user may see it. For the form's warning as the user types."""
    exclude = [exclude_id] if exclude_id else []
    found: list[CrmError] = []
    key = name_key(name) if name and name.strip() else ""
    if key:
        ref = customer_name_conflicts([key], exclude_ids=exclude).get(key)
        if ref is not None:
            found.append(CustomerNameTaken(customer_ref_shown(user, ref)))
    if phone and phone.strip():
        try:
            normalized = phone_normalize(phone, tenant_current().region)
        except InvalidPhone:
            normalized = ""
        ref = customer_phone_conflicts([normalized], exclude_ids=exclude).get(normalized)
        if ref is not None:
            found.append(CustomerPhoneTaken(customer_ref_shown(user, ref)))
    return found


def customer_info(*, user: User, customer: Customer) -> dict:
    """The Info tab's records: contacts, departments, terminals, the parent company and
    the subsidiaries the user may see."""
    visible = customer_visible(user)
    return {
        "contacts": list(Contact.objects.filter(customer=customer)),
        "departments": list(CustomerDepartment.objects.filter(customer=customer)),
        "terminals": list(Terminal.objects.filter(customer=customer)),
        "parent": visible.filter(pk=customer.parent_id).first() if customer.parent_id else None,
        "subsidiaries": list(visible.filter(parent=customer).order_by("code")[:50]),
    }


def customer_visible_by_code(*, user: User, code: str) -> Customer | None:
    """A visible customer by its code (case as typed, then upper case), else None."""
    code = (code or "").strip()
    if not code:
        return None
    visible = customer_visible(user)
    return visible.filter(code=code).first() or visible.filter(code=code.upper()).first()


def _id_label_lists(lists: dict[str, tuple[QuerySet, str]]) -> dict[str, list[tuple[int, str]]]:
    """{name: (queryset, label field)} -> {name: [(id, label), ...] ordered by label}, all in
    one query (each list a JSON array built by the database, in the same order an
    `order_by(label)` gives)."""
    parts, params = [], []
    for queryset, label in lists.values():
        sql, own = queryset.order_by().values_list("id", label).query.sql_with_params()
        parts.append(f'(SELECT COALESCE(json_agg(json_build_array(x."id", x."{label}") ORDER BY '
                     f'x."{label}", x."id"), \'[]\'::json) FROM ({sql}) x)')
        params.extend(own)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        row = cursor.fetchone()
    return {name: [tuple(pair) for pair in found] for name, found in zip(lists, row, strict=True)}


def customer_form_choices(*, user: User) -> dict[str, list[tuple[int, str]]]:
    """(id, label) choices of the customer form and the list's filters: customer groups,
    active staff (owners), the branches the user sees -- one query for the three."""
    return _id_label_lists({
        "groups": (CustomerGroup.objects.all(), "name"),
        "owners": (User.objects.filter(is_active=True), "username"),
        "branches": (branch_visible(user), "name"),
    })


def customer_list_annotate(qs: QuerySet[Customer], *, user: User) -> QuerySet[Customer]:
    """The list's derived columns, from the customers `user` sees only: how many of them
    this customer referred, and its referrer's phone (none for a referrer they do not
    see)."""
    visible = customer_visible(user)
    referrals = (visible.filter(referrer=OuterRef("pk")).order_by()
                 .values("referrer").annotate(n=Count("id")).values("n"))
    referrer_phone = visible.filter(pk=OuterRef("referrer_id")).values("phone")[:1]
    return (qs.select_related("owner", "group", "home_branch")
            .annotate(referral_count=Coalesce(Subquery(referrals), Value(0)),
                      referrer_phone=Subquery(referrer_phone)))


def _truthy(value) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _as_datetime(value) -> date | datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    text = str(value)
    return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)


# The list's filters and orderings (query parameter -> field), one set for every interface:
# the API's list, the web app's list and the export take the same parameters.
CUSTOMER_LIST_FILTERS = ("search", "group", "owner", "branch", "role", "status",
                         "settlement_method", "settlement", "has_receivable",
                         "over_credit_limit", "created_from", "created_to")
CUSTOMER_ORDERINGS = {"name": "name_key", "code": "code",
                      "total_purchased": "total_purchased_amount",
                      "receivable": "receivable_amount", "created": "created_at"}


def customer_list_filters(params: Mapping[str, object]) -> dict:
    """The list's filters out of query parameters (empty values are no filter)."""
    return {k: params.get(k) for k in CUSTOMER_LIST_FILTERS if params.get(k) not in (None, "")}


def customer_list(*, user: User, filters: Mapping[str, object]) -> QuerySet[Customer]:
    """Visible customers matching the list filters (as the API and the export take them):
    search, group, owner, branch, role, status, settlement_method, has_receivable,
    over_credit_limit, created_from, created_to. Unordered: the caller orders (keyset
    pagination in the API, the export by code). Bad filter values raise ValueError."""
    qs, search = customer_list_parts(user=user, filters=filters)
    return qs.filter(search) if search is not None else qs


def customer_list_parts(*, user: User, filters: Mapping[str, object]
                        ) -> tuple[QuerySet[Customer], Q | None]:
    """`customer_list` as (everything but the search, the search's Q or None), for
    `customer_rows`, which treats the search specially."""
    qs = customer_visible(user)
    search = filters.get("search")
    search_q = customer_search_filter(str(search)) if search else None
    for name, lookup in (("group", "group_id"), ("owner", "owner_id"),
                         ("branch", "home_branch_id")):
        value = filters.get(name)
        if value not in (None, ""):
            qs = qs.filter(**{lookup: int(value)})
    for name, lookup, choices in (("role", "role", Customer.Role),
                                  ("status", "status", Customer.Status),
                                  ("settlement_method", "settlement_method", Customer.Settlement),
                                  ("settlement", "settlement_method", Customer.Settlement)):
        value = filters.get(name)
        if value not in (None, ""):
            if value not in choices.values:
                raise ValueError(name)
            qs = qs.filter(**{lookup: value})
    has_receivable = _truthy(filters.get("has_receivable"))
    if has_receivable is not None:
        qs = qs.filter(receivable_amount__gt=0) if has_receivable else qs.filter(
            receivable_amount__lte=0)
    over = _truthy(filters.get("over_credit_limit"))
    if over is not None:
        condition = Q(credit_limit_amount__isnull=False,
                      receivable_amount__gt=F("credit_limit_amount"))
        qs = qs.filter(condition) if over else qs.exclude(condition)
    created_from = _as_datetime(filters.get("created_from"))
    if created_from is not None:
        qs = qs.filter(**{"created_at__date__gte" if type(created_from) is date
                          else "created_at__gte": created_from})
    created_to = _as_datetime(filters.get("created_to"))
    if created_to is not None:
        qs = qs.filter(**{"created_at__date__lte" if type(created_to) is date
                          else "created_at__lte": created_to})
    return qs, search_q


# A walk of the order's index costs about as much a row as the search indexes' path costs
# a match (both fetch a row from the table), except in name order, whose walk reads only
# its covering index (customer_name_key_unique): measured at 1M customers (bench search),
# ~0.25 us a row against ~8 us a match. A walk may visit this many rows per estimated match
# before the search indexes would have been cheaper.
WALK_ROWS_PER_MATCH = {"name_key": 30}


def customer_rows(qs: QuerySet[Customer], search: Q | None, *, order: list[str],
                  limit: int, user: User) -> list[Customer]:
    """The first `limit` customers of `qs` matching `search`, in `order`, annotated for
    the list as `user` sees it (customer_list_annotate): exactly
    `qs.filter(search).order_by(*order)[:limit]`, read the cheaper way.

    Two ways to read a search: walk the order's own (key, id) index, filtering as it goes
    (cheap when matches are common: "nguyen", ~6% of customers, fills a page within a few
    hundred rows), or ask the search indexes for every match and sort them (cheap when
    they are few). The planner's estimate of the matches decides, as a budget: the walk
    may visit as many rows as the search indexes' path would cost, and when it does not
    fill the page within them (matches rarer than estimated, or clustered along the order
    as "nguyen" is in name order), the search indexes answer. Either way the rows are the
    query's own, in its order, so keyset pages stay exact.
    """
    if search is None:
        return list(customer_list_annotate(qs, user=user).order_by(*order)[:limit])
    if not getattr(search, "selective", False):
        # A unique key needs no id tiebreak (the same order), and without it the walk
        # reads its index as it stands instead of re-sorting every key's group of one.
        walk_order = order[:1] if order[0].lstrip("-") in _UNIQUE_KEYS else order
        grams = getattr(search, "grams", [])
        if order[0].lstrip("-") == "name_key" and grams:
            ids = name_bucket_ids(qs, search, grams=grams, descending=order[0][0] == "-",
                                  limit=limit)
            if ids is not None:
                return _annotated_in_order(ids, user=user)
        budget = _walk_budget(qs, search, order=walk_order, limit=limit)
        if budget:
            ids = _walk_ids(qs, search, order=walk_order, limit=limit, rows=budget)
            if len(ids) == limit:
                return _annotated_in_order(ids, user=user)
    # The planner, trusting its estimate, might walk the order's index for the whole
    # table instead of using the search indexes: plain index scans are off for this query.
    with _planner_settings(enable_indexscan="off"):
        return list(customer_list_annotate(qs.filter(search), user=user)
                    .order_by(*order)[:limit])


def _annotated_in_order(ids: list[int], *, user: User) -> list[Customer]:
    found = {c.id: c for c in customer_list_annotate(Customer.objects.filter(id__in=ids),
                                                     user=user)}
    return [found[i] for i in ids if i in found]


def _estimated_rows(qs: QuerySet) -> float:
    """The planner's estimate of the rows of `qs` (planning only, nothing is read)."""
    sql, params = qs.values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"])


_UNIQUE_KEYS = {"name_key", "code"}


def _walk_budget(qs: QuerySet[Customer], search: Q, *, order: list[str],
                 limit: int) -> int | None:
    """Rows the walk may visit: 0, do not walk (the matches are too few for it to pay);
    None, no bound (the budget covers every visible row)."""
    words, alternatives = getattr(search, "estimate_parts", ([search], []))
    matches = (min(_estimated_rows(qs.filter(word)) for word in words)
               + sum(_estimated_rows(qs.filter(other)) for other in alternatives))
    budget = int(matches * WALK_ROWS_PER_MATCH.get(order[0].lstrip("-"), 1))
    visible = _estimated_rows(qs)
    # Matches spread evenly along the order fill the page after limit * visible / matches
    # rows; when even that is over the budget, the walk cannot win.
    if budget < limit or limit * visible / max(matches, 1.0) > budget:
        return 0
    return None if budget >= visible else budget


@contextmanager
def _planner_settings(**settings: str):
    """Planner settings for the queries inside (SET LOCAL in a transaction of their own)."""
    with transaction.atomic(), connection.cursor() as cursor:
        previous = {}
        for name, value in settings.items():
            cursor.execute("SELECT current_setting(%s), set_config(%s, %s, true)",
                           [name, name, value])
            previous[name] = cursor.fetchone()[0]
        yield
        # Inside an outer transaction SET LOCAL would outlive this block: put them back.
        for name, value in previous.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def _walk_ids(qs: QuerySet[Customer], search: Q, *, order: list[str], limit: int,
              rows: int | None) -> list[int]:
    """Ids of the first `limit` matches among the first `rows` rows of `qs` in `order`
    (None: among all), read by walking the order's index."""
    # Only the order's index may read it: a bitmap or sequential scan would read it all.
    walk_only = _planner_settings(enable_bitmapscan="off", enable_seqscan="off")
    if rows is None:
        with walk_only:
            return list(qs.filter(search).order_by(*order).values_list("id", flat=True)
                        [:limit])
    fields = [f.lstrip("-") for f in order]
    columns = list(dict.fromkeys(["id", *fields, "search_text", "name_grams",
                                  "phone_digits", "code"]))
    window = qs.order_by(*order).values(*columns)[:rows]
    window_sql, window_params = window.query.sql_with_params()
    probe = Customer.objects.filter(search).query
    compiler = probe.get_compiler(using=qs.db)
    where_sql, where_params = probe.where.as_sql(compiler, compiler.connection)
    table = Customer._meta.db_table
    outer_order = ", ".join(
        f'"{table}"."{Customer._meta.get_field(f.lstrip("-")).column}"'
        + (" DESC" if f.startswith("-") else "") for f in order)
    # The window keeps its order (its columns are selected, so the planner knows it is
    # sorted and stops after `limit` matches); the alias lets the search's SQL apply as is.
    sql = (f'SELECT "{table}"."id" FROM ({window_sql}) AS "{table}" WHERE {where_sql}'
           f" ORDER BY {outer_order} LIMIT %s")
    with walk_only, compiler.connection.cursor() as cursor:
        cursor.execute(sql, [*window_params, *where_params, limit])
        return [row[0] for row in cursor.fetchall()]


def customer_get(*, user: User, customer_id) -> Customer:
    """A visible customer or Customer.DoesNotExist (the API's 404)."""
    try:
        pk = int(customer_id)
    except (TypeError, ValueError):
        raise Customer.DoesNotExist from None
    return customer_list_annotate(customer_visible(user), user=user).get(pk=pk)


def customer_audit_list(*, customer: Customer) -> QuerySet[CustomerAudit]:
    return CustomerAudit.objects.filter(customer_id=customer.id).select_related("actor")


def branch_list(*, user: User) -> QuerySet[Branch]:
    return Branch.objects.all()
