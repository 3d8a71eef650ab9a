"""Settings › the shop: business profile and logo, branches, customer groups and their
agreement prices, products and prices, payment methods, the coin rule, opening balances.
Each calls the service its API endpoint calls (tenants.services, tenants.letterhead,
crm.staff, crm.services, finance.catalogue, finance.orders, finance.vouchers)."""

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm import selectors as crm_selectors
from crm import services as crm_services
from crm.exceptions import CustomerUnknown
from crm.models import Branch, CustomerGroup
from crm.staff import branch_create, branch_update
from finance import catalogue, orders, vouchers
from finance import selectors as finance_selectors
from finance.models import AgreementPrice, PaymentMethod, Product, Voucher
from saas_platform.errors import DomainError
from tenants.letterhead import MAX_LOGO_BYTES, logo_file, tenant_logo_set
from tenants.services import tenant_profile_update
from web.settings_forms import (
    AgreementPriceForm,
    BranchForm,
    CoinRuleForm,
    GroupForm,
    LogoForm,
    OpeningBalanceForm,
    PaymentMethodForm,
    ProductForm,
    ProfileForm,
)
from web.views.settings import form_run, section_check, section_render

ROWS = "web/settings_rows.html"


def _page(request, section, *, title, columns, rows, form, action, submit, status=200,
          extra=None):
    """A section's table (`rows`: (edit URL or None, cells)) and its one form."""
    return section_render(request, section, ROWS, {
        "title": title, "columns": columns, "rows": rows, "form": form, "action": action,
        "submit": submit, "saved": "saved" in request.GET, **(extra or {})}, status=status)


def _plain(amount) -> str:
    """An amount as a form field shows it to be typed again: no grouping, no trailing zeros."""
    return format(Decimal(amount).normalize(), "f")


def _yes(value: bool) -> str:
    return str(_("Yes") if value else _("No"))


# --- business profile --------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@login_required
def profile(request):
    section_check(request, "profile")
    tenant = connection.tenant
    form = ProfileForm(request.POST if "name" in request.POST else None, initial={
        "name": tenant.name, "address": tenant.address, "tax_code": tenant.tax_code,
        "locale": tenant.locale})
    logo_form = LogoForm(request.POST if "logo-sent" in request.POST else None,
                         request.FILES or None)
    status = 200
    url = reverse("web:settings_profile") + "?saved=1"
    if form.is_bound:
        def run(data):
            tenant_profile_update(tenant=tenant, **{k: data[k] for k in (
                "name", "address", "tax_code", "locale")})
            return url

        response = form_run(request, form, run)
        if response is not None:
            return response
        status = 422
    elif logo_form.is_bound:
        def run_logo(data):
            upload = data.get("logo")
            if "remove" in request.POST:
                tenant_logo_set(tenant=tenant, content=None)
            else:
                tenant_logo_set(tenant=tenant, content=upload.read(MAX_LOGO_BYTES + 1)
                                if upload else b"")
            return url

        response = form_run(request, logo_form, run_logo)
        if response is not None:
            return response
        status = 422
    return section_render(request, "profile", "web/settings_profile.html", {
        "form": form, "logo_form": logo_form, "currency": tenant.currency,
        "has_logo": logo_file(tenant.logo_path, tenant.schema_name) is not None,
        "saved": "saved" in request.GET}, status=status)


# --- branches ----------------------------------------------------------------------------

def _branch_rows():
    return [(reverse("web:settings_branch", args=[b.pk]),
             [b.code, b.name, b.address, b.phone, _yes(b.active)])
            for b in Branch.objects.order_by("code")]


@require_http_methods(["GET", "POST"])
@login_required
def branches(request, pk: int | None = None):
    section_check(request, "branches")
    branch = get_object_or_404(Branch, pk=pk) if pk else None
    initial = {"code": branch.code, "name": branch.name, "address": branch.address,
               "phone": branch.phone, "active": branch.active} if branch else None
    form = BranchForm(request.POST or None, initial=initial)
    if branch:
        form.fields["code"].disabled = True  # documents print it: it never changes
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("crm.add_branch" if branch is None else
                                     "crm.change_branch"):
            raise Http404

        def run(data):
            fields = {k: data[k] for k in ("name", "address", "phone")}
            if branch is None:
                branch_create(code=data["code"], **fields)
            else:
                branch_update(branch=branch, active=data["active"], **fields)
            return reverse("web:settings_branches") + "?saved=1"

        response = form_run(request, form, run)
        if response is not None:
            return response
        status = 422
    return _page(request, "branches", title=_("Branches"),
                 columns=[_("Code"), _("Name"), _("Address"), _("Phone"), _("Active")],
                 rows=_branch_rows(), form=form,
                 action=request.path, status=status,
                 submit=_("Save branch") if branch else _("Add branch"),
                 extra={"editing": branch})


# --- customer groups and their agreement prices --------------------------------------------

@require_http_methods(["GET", "POST"])
@login_required
def groups(request):
    section_check(request, "groups")
    form = GroupForm(request.POST or None)
    status = 200
    if request.method == "POST":
        def run(data):
            group = crm_services.customer_group_create(actor=request.user, **data_of(data))
            return reverse("web:settings_group", args=[group.pk])

        response = form_run(request, form, run)
        if response is not None:
            return response
        status = 422
    rows = [(reverse("web:settings_group", args=[g.pk]), [g.code, g.name, g.note])
            for g in CustomerGroup.objects.order_by("name")]
    return _page(request, "groups", title=_("Customer groups"),
                 columns=[_("Code"), _("Name"), _("Note")], rows=rows, form=form,
                 action=request.path, submit=_("Add group"), status=status)


def data_of(data) -> dict:
    return {k: v for k, v in data.items() if k != "token"}


@require_http_methods(["GET", "POST"])
@login_required
def group_detail(request, pk: int):
    section_check(request, "groups")
    group = get_object_or_404(CustomerGroup, pk=pk)
    products = finance_selectors.product_list(active=True)
    form = GroupForm(request.POST if "name" in request.POST else None, initial={
        "code": group.code, "name": group.name, "note": group.note})
    price_form = AgreementPriceForm(request.POST if "product" in request.POST else None,
                                    products=products)
    status = 200
    here = reverse("web:settings_group", args=[group.pk])
    if form.is_bound:
        def run(data):
            crm_services.customer_group_update(actor=request.user, group=group,
                                               **data_of(data))
            return here + "?saved=1"

        response = form_run(request, form, run)
        if response is not None:
            return response
        status = 422
    elif price_form.is_bound:
        if not request.user.has_perm("finance.add_agreementprice"):
            raise Http404

        def run_price(data):
            catalogue.agreement_price_create(
                product=get_object_or_404(Product, pk=data["product"]), group=group,
                price_amount=data["price"], valid_from=data["valid_from"],
                valid_to=data["valid_to"])
            return here + "?saved=1"

        response = form_run(request, price_form, run_price,
                            aliases={"price_amount": "price", "group": "product"})
        if response is not None:
            return response
        status = 422
    prices = finance_selectors.agreement_price_list(user=request.user, group_id=group.pk
                                                    ).select_related("product")
    return section_render(request, "groups", "web/settings_group.html", {
        "group": group, "form": form, "price_form": price_form, "prices": prices,
        "can_prices": request.user.has_perm("finance.add_agreementprice"),
        "can_delete": request.user.has_perm("crm.delete_customergroup"),
        "saved": "saved" in request.GET, "error": ""}, status=status)


@require_POST
@login_required
def group_delete(request, pk: int):
    section_check(request, "groups")
    group = get_object_or_404(CustomerGroup, pk=pk)
    try:
        crm_services.customer_group_delete(actor=request.user, group=group)
    except DomainError as error:
        return section_render(request, "groups", "web/settings_group.html", {
            "group": group, "form": GroupForm(initial={"code": group.code, "name": group.name,
                                                       "note": group.note}),
            "price_form": AgreementPriceForm(products=finance_selectors.product_list()),
            "prices": finance_selectors.agreement_price_list(user=request.user,
                                                             group_id=group.pk),
            "can_prices": request.user.has_perm("finance.add_agreementprice"),
            "can_delete": True, "error": error.message}, status=error.http_status)
    return redirect(reverse("web:settings_groups") + "?saved=1")


@require_POST
@login_required
def agreement_price_delete(request, pk: int, price_id: int):
    section_check(request, "groups")
    if not request.user.has_perm("finance.delete_agreementprice"):
        raise Http404
    price = get_object_or_404(AgreementPrice, pk=price_id, group_id=pk)
    here = reverse("web:settings_group", args=[pk])
    try:
        catalogue.agreement_price_delete(price=price)
    except DomainError as error:
        return redirect(f"{here}?refused={error.code}")
    return redirect(here + "?saved=1")


# --- products ----------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@login_required
def products(request, pk: int | None = None):
    section_check(request, "products")
    product = get_object_or_404(Product, pk=pk) if pk else None
    initial = {"sku": product.sku, "name": product.name, "unit": product.unit,
               "list_price": _plain(product.list_price_amount),
               "active": product.active} if product else None
    form = ProductForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("finance.add_product" if product is None else
                                     "finance.change_product"):
            raise Http404

        def run(data):
            fields = {"sku": data["sku"].strip(), "name": data["name"].strip(),
                      "unit": data["unit"].strip(), "list_price_amount": data["list_price"],
                      "active": data["active"]}
            if product is None:
                catalogue.product_create(**fields)
            else:
                catalogue.product_update(product=product, **fields)
            return reverse("web:settings_products") + "?saved=1"

        response = form_run(request, form, run, aliases={"list_price_amount": "list_price"})
        if response is not None:
            return response
        status = 422
    rows = [(reverse("web:settings_product", args=[p.pk]),
             [p.sku, p.name, p.unit, {"money": p.list_price_amount}, _yes(p.active)])
            for p in finance_selectors.product_list()[:500]]
    return _page(request, "products", title=_("Products and prices"),
                 columns=[_("SKU"), _("Name"), _("Unit"), _("List price"), _("Active")],
                 rows=rows, form=form, action=request.path, status=status,
                 submit=_("Save product") if product else _("Add product"),
                 extra={"editing": product,
                        "hint": _("Agreement prices per customer group are set on each "
                                  "group's page.")})


# --- payment methods ----------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@login_required
def payment_methods(request, pk: int | None = None):
    section_check(request, "payment_methods")
    method = get_object_or_404(PaymentMethod, pk=pk) if pk else None
    initial = {"code": method.code, "name": method.name, "active": method.active} \
        if method else None
    form = PaymentMethodForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("finance.add_paymentmethod" if method is None else
                                     "finance.change_paymentmethod"):
            raise Http404

        def run(data):
            catalogue.payment_method_save(method=method, **data_of(data))
            return reverse("web:settings_payment_methods") + "?saved=1"

        response = form_run(request, form, run)
        if response is not None:
            return response
        status = 422
    # The built-in methods' codes are the API's; on screen their names say enough.
    built_in = [(None, ["—", label, _("Built in")])
                for _code, label in finance_selectors.payment_method_choices()[:4]]
    own = [(reverse("web:settings_payment_method", args=[m.pk]),
            [m.code, m.name, _yes(m.active)]) for m in PaymentMethod.objects.order_by("code")]
    return _page(request, "payment_methods", title=_("Payment methods"),
                 columns=[_("Code"), _("Name"), _("Active")], rows=built_in + own, form=form,
                 action=request.path, status=status,
                 submit=_("Save method") if method else _("Add method"),
                 extra={"editing": method,
                        "hint": _("Add the wallets your shop takes, such as MoMo, ZaloPay, "
                                  "WeChat Pay or Alipay.")})


# --- coin rule ---------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@login_required
def coins(request):
    section_check(request, "coins")
    found = orders.finance_settings()
    form = CoinRuleForm(request.POST or None, initial={
        "coin_earn_step_amount": _plain(found.coin_earn_step_amount),
        "coin_value_amount": _plain(found.coin_value_amount),
        "payment_terms_days": found.payment_terms_days})
    status = 200
    if request.method == "POST":
        def run(data):
            orders.finance_settings_update(**data_of(data))
            return reverse("web:settings_coins") + "?saved=1"

        response = form_run(request, form, run)
        if response is not None:
            return response
        status = 422
    return _page(request, "coins", title=_("Coin rule"), columns=[], rows=[], form=form,
                 action=request.path, submit=_("Save"), status=status, extra={
                     "hint": _("An approved order earns one coin per the amount above; a "
                               "redeemed coin is worth its value as a discount. 0 turns "
                               "earning off.")})


# --- opening balances --------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@login_required
def opening_balances(request):
    section_check(request, "opening")
    form = OpeningBalanceForm(request.POST or None)
    status = 200
    if request.method == "POST":
        def run(data):
            customer = crm_selectors.customer_visible_by_code(user=request.user,
                                                              code=data["customer"])
            if customer is None:
                raise CustomerUnknown(_("No customer you can see has this code."))
            vouchers.opening_balance_set(customer=customer, amount=data["amount"],
                                         actor=request.user, note=data["note"],
                                         idempotency_key=f"web:{data['token']}")
            return reverse("web:settings_opening") + "?saved=1"

        response = form_run(request, form, run)
        if response is not None:
            return response
        status = 422
    recent = finance_selectors.voucher_list(user=request.user, purpose=Voucher.Purpose.OPENING,
                                            status=Voucher.Status.COMPLETED
                                            ).select_related("customer").order_by("-id")[:50]
    rows = [(reverse("web:customer_debt", args=[v.customer_id]),
             [v.customer.code, v.customer.name, {"money": v.amount}, v.code])
            for v in recent]
    return _page(request, "opening", title=_("Opening balances"),
                 columns=[_("Customer code"), _("Name"), _("Opening receivable"),
                          _("Voucher")], rows=rows, form=form, action=request.path,
                 submit=_("Record opening balance"), status=status, extra={
                     "hint": _("The receivable each customer brings when the shop moves in: "
                               "once per customer. Many at once: the customer import.")})
