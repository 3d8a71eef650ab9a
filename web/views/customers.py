"""The customer screens: the list (search as you type, the API's filters and orderings,
keyset pages), the customer page with its tabs (each its own URL), and Record payment.
Reads through crm/finance selectors, the payment through finance.vouchers.payment_record;
the other actions are in web.views.customer_actions, the form in web.views.customer_form."""

from decimal import Decimal

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Page, Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from crm import selectors as crm_selectors
from crm import services as crm_services
from crm.models import Customer
from finance import selectors as finance_selectors
from finance.credit import credit_standing
from finance.models import LedgerEntry, Order, Voucher
from finance.statement_formats import bucket_labels
from web.forms import CustomerFilterForm, DebtAdjustForm, PaymentForm, PrepaidForm
from web.keyset import keyset_page

PAGE_SIZE = 20
DEFAULT_ORDERING = "-created"


def customer_or_404(request, pk) -> Customer:
    """A customer this user may see; any other is a 404 (its existence is not revealed)."""
    try:
        return crm_selectors.customer_get(user=request.user, customer_id=pk)
    except Customer.DoesNotExist:
        raise Http404 from None


def fragment_wanted(request) -> bool:
    """htmx asks for the part it swaps; a history restore or a boosted link, the page."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def _sort_links(params, ordering: str) -> dict[str, dict]:
    """Per sortable column: the list's URL sorted by it (the other direction when it is
    the current one) and its aria-sort."""
    links = {}
    for name in crm_selectors.CUSTOMER_ORDERINGS:
        query = params.copy()
        query.pop("cursor", None)
        current = ordering.lstrip("-") == name
        descending = ordering.startswith("-")
        query["ordering"] = name if current and descending else f"-{name}" if current else name
        links[name] = {
            "query": query.urlencode(),
            "aria": ("descending" if descending else "ascending") if current else None,
        }
    return links


def _list_rows(customers: list[Customer]) -> list[dict]:
    """The list's cells as plain values: the template reads dict keys (its fast path)
    instead of model attributes and choice displays, 13 cells times 20 rows."""
    roles, statuses = dict(Customer.Role.choices), dict(Customer.Status.choices)
    return [{
        "url": reverse("web:customer_detail", args=[c.pk]), "code": c.code, "name": c.name,
        "phone": c.phone, "email": c.email,
        "owner": c.owner.get_username() if c.owner_id else "",
        "referral_count": c.referral_count, "referrer_phone": c.referrer_phone or "",
        "coins": c.coins, "total_purchased_amount": c.total_purchased_amount,
        "role": roles.get(c.role, c.role), "receivable_amount": c.receivable_amount,
        "status": c.status, "status_label": statuses.get(c.status, c.status),
        "created_at": c.created_at,
    } for c in customers]


@require_GET
@login_required
@permission_required("crm.view_customer", raise_exception=True)
def customer_list(request):
    filters = crm_selectors.customer_list_filters(request.GET)
    raw_ordering = request.GET.get("ordering") or DEFAULT_ORDERING
    if raw_ordering.lstrip("-") not in crm_selectors.CUSTOMER_ORDERINGS:
        raw_ordering = DEFAULT_ORDERING
    field = crm_selectors.CUSTOMER_ORDERINGS[raw_ordering.lstrip("-")]
    invalid = False
    try:
        qs, search = crm_selectors.customer_list_parts(user=request.user, filters=filters)
    except ValueError:
        qs, search, invalid = Customer.objects.none(), None, True

    def fetch(queryset, order, limit):
        return crm_selectors.customer_rows(queryset, search, order=order, limit=limit,
                                               user=request.user)

    rows, next_cursor = keyset_page(
        qs,
        field=field,
        descending=raw_ordering.startswith("-"),
        cursor=request.GET.get("cursor"),
        size=PAGE_SIZE,
        fetch=fetch,
    )
    params = request.GET.copy()
    params.pop("cursor", None)
    first_query = params.urlencode() if request.GET.get("cursor") else None
    next_query = None
    if next_cursor:
        params["cursor"] = next_cursor
        next_query = params.urlencode()
    context = {
        "customers": _list_rows(rows),
        "search": filters.get("search", ""),
        "invalid": invalid,
        "next_query": next_query,
        "first_query": first_query,
        "ordering": raw_ordering,
        "sorts": _sort_links(request.GET, raw_ordering),
        "can_create": request.user.has_perm("crm.add_customer"),
        "nav": "customers",
    }
    template = "web/customer_list.html"
    if fragment_wanted(request):
        template += "#results"  # the filter form stays as it is on the page
    else:
        context["filter_form"] = CustomerFilterForm(request.GET, user=request.user)
    return render(request, template, context)


# The customer page's tabs: name -> (label, URL name, the permission it needs).
TABS = {
    "info": (gettext_lazy("Info"), "web:customer_detail", "crm.view_customer"),
    "debt": (gettext_lazy("Debt"), "web:customer_debt", "finance.view_voucher"),
    "purchases": (gettext_lazy("Purchase history"), "web:customer_purchases",
                  "finance.view_order"),
    "prepaid": (gettext_lazy("Prepaid"), "web:customer_prepaid", "finance.view_voucher"),
    "coins": (gettext_lazy("Coins"), "web:customer_coins", "finance.view_voucher"),
    "aging": (gettext_lazy("Aging"), "web:customer_aging", "finance.view_voucher"),
    "audit": (gettext_lazy("Audit"), "web:customer_audit", "crm.view_customer"),
}
TAB_PAGE_SIZE = 50
BOOKS = {"debt": LedgerEntry.Book.RECEIVABLE, "prepaid": LedgerEntry.Book.PREPAID,
         "coins": LedgerEntry.Book.COINS}


def _tabs(customer, user) -> list[dict]:
    return [{"name": name, "label": label, "url": reverse(url_name, args=[customer.pk])}
            for name, (label, url_name, perm) in TABS.items() if user.has_perm(perm)]


def _paginate(request, queryset):
    paginator = Paginator(queryset, TAB_PAGE_SIZE)
    if request.GET.get("page") in (None, "", "1"):
        # The first page read with one row more: when that is all there is, its length is
        # the count, and the COUNT query is not needed (most customers have one page).
        head = list(queryset[:TAB_PAGE_SIZE + 1])
        if len(head) <= TAB_PAGE_SIZE:
            paginator.count = len(head)
            return Page(head, 1, paginator)
    return paginator.get_page(request.GET.get("page"))


def _entry_rows(request, customer, book) -> tuple:
    """One page of a book's entries, newest first, with the labels of their documents."""
    types = {**dict(LedgerEntry.Kind.choices), **dict(Voucher.Type.choices)}
    statuses = {**dict(Order.Status.choices), **dict(Voucher.Status.choices)}
    page = _paginate(request, finance_selectors.customer_entries_list(
        customer=customer, book=book).reverse())
    rows = [finance_selectors.ledger_row(e) for e in page]
    for row in rows:
        row["type_label"] = types.get(row["type"], row["type"])
        row["status_label"] = statuses.get(row["status"], row["status"])
        # Links built here once, not by a {% url %} per row and action in the template.
        if row["voucher"]:
            args = [customer.pk, row["voucher"]]
            if row["type"] == Voucher.Type.RECEIPT:
                row["receipt_url"] = reverse("web:voucher_receipt", args=args)
            if row["status"] == Voucher.Status.COMPLETED:
                row["cancel_url"] = reverse("web:voucher_cancel", args=args)
    return page, rows


def abilities(user, customer) -> dict:
    """What this user may do on this customer's page (hidden when not), and the reasons
    the rules forbid an action right now (shown on its disabled button)."""
    can_edit = crm_selectors.customer_can_edit(user, customer)
    active = customer.status == Customer.Status.ACTIVE
    may_delete = can_edit and user.has_perm("crm.delete_customer")
    blockers = crm_services.customer_blockers(customer, deactivate=can_edit and active,
                                              delete=may_delete)
    return {
        "pay": user.has_perm("finance.add_voucher"),
        "sell": user.has_perm("finance.add_order") and active,
        "adjust": user.has_perm("finance.adjust_debt"),
        "write_off": user.has_perm("finance.write_off_debt"),
        "cancel": user.has_perm("finance.cancel_voucher"),
        "topup": user.has_perm("finance.add_voucher"),
        "topup_blocked": "" if customer.prepaid_allowed else _(
            "This customer may not keep a prepaid balance."),
        "refund": user.has_perm("finance.refund_prepaid"),
        "edit": can_edit,
        "deactivate": can_edit and active,
        "deactivate_blockers": blockers.get("deactivate", []),
        "reactivate": can_edit and not active,
        "reactivate_blockers": crm_services.customer_reactivate_blockers(customer)
        if can_edit and not active else [],
        "merge": can_edit and active and user.has_perm("crm.merge_customer"),
        # The right web.views.statements checks for the statement screen.
        "statement": user.has_perm("finance.view_report"),
        "delete": may_delete,
        "delete_blockers": blockers.get("delete", []),
    }


def customer_page(request, customer, tab: str, *, forms_=None, status=200, partial=None,
                  extra=None):
    """The customer page on one tab; `forms_` are bound forms to show with their errors."""
    can = abilities(request.user, customer)
    context = {
        "customer": customer,
        "tab": tab,
        "nav": "customers",
        "tabs": _tabs(customer, request.user),
        "can": can,
        "can_pay": can["pay"],
        "credit": credit_standing(customer=customer),
        **(extra or {}),
    }
    forms_ = forms_ or {}
    if tab == "info":
        context.update(crm_selectors.customer_info(user=request.user, customer=customer))
    elif tab in BOOKS:
        context["page"], context["entries"] = _entry_rows(request, customer, BOOKS[tab])
    elif tab == "purchases":
        context["page"] = _paginate(
            request, finance_selectors.customer_purchases_list(customer=customer))
    elif tab == "aging":
        aging = finance_selectors.customer_aging(customer=customer)
        labels = bucket_labels()
        context["aging"] = [(labels[name], amount) for name, amount in aging["buckets"].items()]
        context["aging_receivable"] = aging["receivable"]
        context["open_orders"] = [{**row, "bucket_label": labels[row["bucket"]]} for row in
                                  finance_selectors.customer_open_orders(customer=customer)]
    elif tab == "audit":
        context["page"] = _paginate(request, crm_selectors.customer_audit_list(
            customer=customer).order_by("-at", "-id"))
    if "receipt_voucher" not in context and request.GET.get("receipt", "").isdigit():
        context["receipt_voucher"] = finance_selectors.voucher_list(
            user=request.user, customer_id=customer.pk).filter(
            pk=int(request.GET["receipt"]), type=Voucher.Type.RECEIPT).first()
    if tab == "debt":
        if can["pay"]:
            context["form"] = forms_.get("payment") or PaymentForm()
            # The customer was read in this request: its receivable is the stored one.
            context["preview"] = finance_selectors.payment_preview(
                customer=customer, amount=Decimal(0), receivable=customer.receivable_amount)
        if can["adjust"]:
            context["adjust_form"] = forms_.get("adjust") or DebtAdjustForm(
                write_off=can["write_off"])
    if tab == "prepaid":
        if can["topup"]:
            context["topup_form"] = forms_.get("topup") or PrepaidForm(prefix="topup")
        if can["refund"]:
            context["refund_form"] = forms_.get("refund") or PrepaidForm(prefix="refund")
    template = "web/customer_detail.html"
    if partial:
        template += f"#{partial}"
    elif fragment_wanted(request):
        template += "#customer"
    return render(request, template, context, status=status)


def _tab_view(tab: str):
    perm = TABS[tab][2]

    @require_GET
    @login_required
    @permission_required(perm, raise_exception=True)
    def view(request, pk: int):
        return customer_page(request, customer_or_404(request, pk), tab)

    view.__name__ = f"customer_{tab}"
    return view


customer_detail = _tab_view("info")
customer_debt = _tab_view("debt")
customer_purchases = _tab_view("purchases")
customer_prepaid = _tab_view("prepaid")
customer_coins = _tab_view("coins")
customer_aging = _tab_view("aging")
customer_audit = _tab_view("audit")
