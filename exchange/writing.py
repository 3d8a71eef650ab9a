"""Executing a validated import plan: one transaction, COPY and set-based statements.

Search helper columns of crm_customer are kept by the database (generated columns and
triggers), so COPY lists only the model's own columns.
"""

import threading
import time
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from crm.codes import customer_codes_next, customer_codes_reserve
from crm.models import CustomerGroup
from crm.name_buckets import name_buckets_refresh_soon
from exchange.planning import Plan, text_array

_CUSTOMER_COLUMNS = (
    "code", "name", "name_key", "phone", "email", "address", "group_id", "owner_id", "role",
    "settlement_method", "prepaid_allowed", "credit_limit_amount", "credit_limit_enforced",
    "home_branch_id", "shared", "status", "tax_code", "note", "receivable_amount",
    "prepaid_amount", "coins", "total_purchased_amount", "created_at", "updated_at",
    "created_by_id", "updated_by_id",
)
_CONTACT_COLUMNS = ("customer_id", "name", "phone", "email", "position", '"primary"', "note")


@dataclass
class WriteResult:
    created: int = 0
    updated: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    # Customers this import created, with the opening receivable their row gave.
    openings: list = field(default_factory=list)  # [(customer_id, amount)]


def _fold(text) -> str:
    return " ".join(str(text or "").casefold().split())


def _copy(cursor, table: str, columns, rows) -> None:
    with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _temp_table(cursor, name: str, columns: str) -> None:
    """A scratch table for one statement's rows, dropped at commit (and replaced if an
    enclosing transaction still holds one from an earlier import)."""
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
    cursor.execute(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP")


def _groups_create(plan: Plan) -> dict:
    """Create the groups the file names but the tenant lacks; fold(name) -> id of all."""
    ids = {}
    for pk, code, name in CustomerGroup.objects.values_list("id", "code", "name"):
        ids[_fold(name)] = pk
        ids.setdefault(_fold(code), pk)
    if plan.new_groups:
        taken = set(CustomerGroup.objects.values_list("code", flat=True))
        number, groups = 0, []
        for name in plan.new_groups:
            while True:
                number += 1
                code = f"G{number:04d}"
                if code not in taken:
                    break
            groups.append(CustomerGroup(code=code, name=name[:200]))
        for group in CustomerGroup.objects.bulk_create(groups):
            ids[_fold(group.name)] = group.pk
    return ids


def plan_write(plan: Plan, *, user_id: int | None, openings_post=None, audit_note: str = "",
               before_commit=None, stage=None, meanwhile=None) -> WriteResult:
    """Write every valid row of the plan, all or nothing. `openings_post`, when given,
    posts each created customer's opening receivable in the same transaction;
    `before_commit(result)` runs last inside it.

    `meanwhile()`, when given, runs in this thread while a second thread writes the
    customers (COPY, links, audit: the database does that work on its own core); it must
    not touch the database, whose connection is the writer's until then. It may still
    complete the plan's contacts; an exception from it rolls everything back."""
    result = WriteResult()
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        # The search index (GIN, trigram) takes new rows into its pending list and merges
        # them in one go, instead of row by row while COPY runs.
        cursor.execute("SET LOCAL gin_pending_list_limit = '256MB'")
        new, existing = _codes_and_groups(plan)
        if stage:
            stage("groups and codes")
        writer_stages: list = []
        if meanwhile is None:
            ids = _customers_write(cursor, plan, new, existing, result, now, user_id,
                                   audit_note, writer_stages)
        else:
            ids = _beside(meanwhile, _customers_write, cursor, plan, new, existing, result, now,
                          user_id, audit_note, writer_stages)
        if stage:
            stage("customers (beside the contacts' validation)" if meanwhile else "customers")
            for name, seconds in writer_stages:
                stage(f"  {name}", seconds)
        _contacts_write(cursor, plan, ids, result)
        if stage:
            stage("contacts")
        if openings_post is not None and result.openings:
            openings_post(result.openings)
        if stage:
            stage("opening balances")
        if before_commit is not None:
            before_commit(result)
        # The name buckets take the new and renamed customers after commit, on the worker
        # (one set-wise refresh), not in this transaction.
        name_buckets_refresh_soon(debounce=False)
    if stage:
        stage("commit (deferred foreign key checks)")
    return result


def _codes_and_groups(plan: Plan) -> tuple[list, list]:
    """Groups the file names are created, new customers get their codes (ORM and
    sequences: on this thread's connection, before any writer thread starts)."""
    group_ids = _groups_create(plan)
    for row in plan.customers:
        if row.group and row.group_id is None:
            row.group_id = group_ids.get(_fold(row.group))
    new = [r for r in plan.customers if r.existing_id is None]
    existing = [r for r in plan.customers if r.existing_id is not None]
    customer_codes_reserve([r.clean["code"] for r in new if r.clean.get("code")])
    auto = iter(customer_codes_next(sum(1 for r in new if not r.clean.get("code"))))
    for row in new:
        if not row.clean.get("code"):
            row.clean["code"] = next(auto)
    return new, existing


def _beside(meanwhile, work, *args):
    """`work(*args)` on a second thread while `meanwhile()` runs on this one; the result
    of `work`. The writer is always waited for, so the transaction never ends under it."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = work(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="import-writer", daemon=True)
    thread.start()
    try:
        meanwhile()
    finally:
        thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _customers_write(cursor, plan, new, existing, result, now, user_id, audit_note,
                     stages) -> dict:
    """COPY the new customers, update the existing ones, set links, write the audit.
    Only the given cursor (raw SQL): it may run on a thread of its own. Returns
    {code: id} of every customer of the plan."""
    last = [time.perf_counter()]

    def stage(name):
        now_ = time.perf_counter()
        stages.append((name, now_ - last[0]))
        last[0] = now_

    def created_row(r):
        c = r.clean
        return (c["code"], c["name"], c["name_key"], c["phone"], c.get("email", ""),
                c.get("address", ""), r.group_id, r.owner_id, c.get("role") or "retail",
                c.get("settlement_method") or "on_account", c.get("prepaid_allowed", False),
                c.get("credit_limit"), c.get("credit_limit_enforced", False),
                r.home_branch_id, c.get("shared", False), c.get("status") or "active",
                c.get("tax_code", ""), c.get("note", ""), 0, 0, 0, 0, now, now, user_id,
                user_id)

    _copy(cursor, "crm_customer", _CUSTOMER_COLUMNS, map(created_row, new))
    stage("copy customers")
    ids = {}
    if new:
        array, param = text_array([r.clean["code"] for r in new])
        cursor.execute(f"SELECT code, id FROM crm_customer WHERE code = ANY({array})", [param])
        ids.update(cursor.fetchall())
    for row in existing:
        ids[row.clean["code"]] = row.existing_id
    result.created, result.updated = len(new), len(existing)
    result.openings = [(ids[r.clean["code"]], r.opening_receivable) for r in new
                       if r.opening_receivable]
    if existing:
        _customers_update(cursor, existing, now, user_id)
    _links_set(cursor, plan, ids, existing_ids={r.existing_id for r in existing})
    stage("updates and links")
    # The CRM's audit trail, as its services keep it: one record per customer touched.
    _copy(cursor, "crm_customeraudit", ("customer_id", "customer_code", "customer_name",
                                        "action", "actor_id", "at", "changes", "note"),
          ((ids[r.clean["code"]], r.clean["code"], r.clean["name"],
            "update" if r.existing_id else "create", user_id, now, "{}", audit_note)
           for r in plan.customers))
    stage("audit")
    # The foreign keys of all these rows are checked now, on this thread, while the other
    # one validates the contacts, instead of at commit: IMMEDIATE fires the checks queued
    # so far (the same checks), DEFERRED puts back the tables' own mode (Django's foreign
    # keys are DEFERRABLE INITIALLY DEFERRED; no other constraint here is deferrable).
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    stage("foreign key checks of these rows")
    return ids


def _customers_update(cursor, rows, now, user_id) -> None:
    _temp_table(cursor, "import_customer_update",
                "id bigint, code text, name text, name_key text, phone text, email text, "
                "address text, group_id bigint, owner_id bigint, role text, "
                "settlement_method text, prepaid_allowed boolean, credit_limit_amount numeric, "
                "credit_limit_enforced boolean, home_branch_id bigint, shared boolean, "
                "status text, tax_code text, note text")

    def update_row(r):
        c = r.clean
        return (r.existing_id, c["code"], c["name"], c["name_key"], c["phone"],
                c.get("email", ""), c.get("address", ""), r.group_id, r.owner_id, c.get("role"),
                c.get("settlement_method"), c.get("prepaid_allowed"), c.get("credit_limit"),
                c.get("credit_limit_enforced"), r.home_branch_id, c.get("shared"),
                c.get("status"), c.get("tax_code", ""), c.get("note", ""))

    _copy(cursor, "import_customer_update",
          ("id", "code", "name", "name_key", "phone", "email", "address", "group_id", "owner_id",
           "role", "settlement_method", "prepaid_allowed", "credit_limit_amount",
           "credit_limit_enforced", "home_branch_id", "shared", "status", "tax_code", "note"),
          map(update_row, rows))
    # Blank choice and flag cells keep what the customer had; blank text clears it.
    cursor.execute(
        "UPDATE crm_customer c SET code = u.code, name = u.name, name_key = u.name_key, "
        "phone = u.phone, email = u.email, address = u.address, group_id = u.group_id, "
        "owner_id = COALESCE(u.owner_id, c.owner_id), role = COALESCE(u.role, c.role), "
        "settlement_method = COALESCE(u.settlement_method, c.settlement_method), "
        "prepaid_allowed = COALESCE(u.prepaid_allowed, c.prepaid_allowed), "
        "credit_limit_amount = u.credit_limit_amount, "
        "credit_limit_enforced = COALESCE(u.credit_limit_enforced, c.credit_limit_enforced), "
        "home_branch_id = COALESCE(u.home_branch_id, c.home_branch_id), "
        "shared = COALESCE(u.shared, c.shared), status = COALESCE(u.status, c.status), "
        "tax_code = u.tax_code, note = u.note, updated_at = %s, updated_by_id = %s "
        "FROM import_customer_update u WHERE c.id = u.id", [now, user_id])


def _links_set(cursor, plan: Plan, ids: dict, existing_ids: set) -> None:
    """Parents (by code) and referrers (by phone), in the file or already saved."""
    wanted_codes = {r.parent_code for r in plan.customers if r.parent_code} - ids.keys()
    codes = dict(ids)
    if wanted_codes:
        array, param = text_array(list(wanted_codes))
        cursor.execute(f"SELECT code, id FROM crm_customer WHERE code = ANY({array})", [param])
        codes.update(cursor.fetchall())
    phones = {r.clean["phone"]: ids[r.clean["code"]] for r in plan.customers
              if r.clean.get("phone") and r.clean.get("status", "active") == "active"}
    wanted_phones = {r.referrer_phone for r in plan.customers if r.referrer_phone} - phones.keys()
    if wanted_phones:
        array, param = text_array(list(wanted_phones))
        cursor.execute("SELECT phone, id FROM crm_customer WHERE status = 'active' "
                       f"AND phone = ANY({array})", [param])
        phones.update(cursor.fetchall())
    links = []
    for row in plan.customers:
        customer_id = ids[row.clean["code"]]
        parent_id = codes.get(row.parent_code) if row.parent_code else None
        referrer_id = phones.get(row.referrer_phone) if row.referrer_phone else None
        if parent_id or referrer_id or customer_id in existing_ids:
            links.append((customer_id, parent_id, referrer_id))
    if not links:
        return
    _temp_table(cursor, "import_customer_link", "id bigint, parent_id bigint, referrer_id bigint")
    _copy(cursor, "import_customer_link", ("id", "parent_id", "referrer_id"), links)
    cursor.execute(
        "UPDATE crm_customer c SET parent_id = l.parent_id, referrer_id = l.referrer_id "
        "FROM import_customer_link l WHERE c.id = l.id AND (c.parent_id IS DISTINCT FROM "
        "l.parent_id OR c.referrer_id IS DISTINCT FROM l.referrer_id)")


def _contacts_write(cursor, plan: Plan, ids: dict, result: WriteResult) -> None:
    """Upsert contacts by (customer, name, phone): a re-import updates, never doubles."""
    if not plan.contacts:
        return
    wanted = {c.customer_code for c in plan.contacts} - ids.keys()
    codes = dict(ids)
    if wanted:
        array, param = text_array(list(wanted))
        cursor.execute(f"SELECT code, id FROM crm_customer WHERE code = ANY({array})", [param])
        codes.update(cursor.fetchall())
    customer_ids = list({codes[c.customer_code] for c in plan.contacts})
    cursor.execute("SELECT id, customer_id, name, phone FROM crm_contact "
                   "WHERE customer_id = ANY(%s)", [customer_ids])
    known = {(customer_id, _fold(name), phone): pk
             for pk, customer_id, name, phone in cursor.fetchall()}
    primary_customers = [codes[c.customer_code] for c in plan.contacts if c.clean.get("primary")]
    if primary_customers:
        cursor.execute('UPDATE crm_contact SET "primary" = false WHERE "primary" '
                       "AND customer_id = ANY(%s)", [primary_customers])
    new, updates = [], []
    for contact in plan.contacts:
        c = contact.clean
        customer_id = codes[contact.customer_code]
        values = (c["name"], c.get("phone", ""), c.get("email", ""), c.get("position", ""),
                  bool(c.get("primary", False)), c.get("note", ""))
        pk = known.get((customer_id, _fold(c["name"]), c.get("phone", "")))
        if pk is None:
            new.append((customer_id, *values))
        else:
            updates.append((pk, *values))
    if updates:
        _temp_table(cursor, "import_contact_update",
                    "id bigint, name text, phone text, email text, position text, "
                    "is_primary boolean, note text")
        _copy(cursor, "import_contact_update",
              ("id", "name", "phone", "email", "position", "is_primary", "note"), updates)
        cursor.execute('UPDATE crm_contact c SET name = u.name, phone = u.phone, '
                       'email = u.email, position = u.position, "primary" = u.is_primary, '
                       "note = u.note FROM import_contact_update u WHERE c.id = u.id")
    _copy(cursor, "crm_contact", _CONTACT_COLUMNS, new)
    result.contacts_created, result.contacts_updated = len(new), len(updates)
