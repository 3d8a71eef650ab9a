"""The quick sale at the counter: pick a customer (or sell to a walk-in, or create one
inline), see where it stands against its credit limit, add lines at the resolved price,
redeem coins, take the paid amount and approve. Prices and totals come from
finance.orders.order_quote, the sale from order_create (approved in the same
transaction), the banner from finance.credit.credit_standing; customers through
crm.selectors.

The screen is one form posted back to itself: the button pressed says what the post does
(`pick` a customer, `action` add / remove:<n> / walkin / approve); htmx swaps the form in
place, an invalid one with 422."""

import uuid
from decimal import Decimal

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from crm import selectors as crm_selectors
from crm.models import Customer
from finance import orders
from finance import selectors as finance_selectors
from finance.credit import credit_standing
from finance.exceptions import CreditLimitExceeded, CustomerOverCreditLimit
from finance.models import Order
from saas_platform.errors import DomainError
from saas_platform.money import InvalidAmount, amount_parse
from tenants.current import tenant_current
from web.errors import form_errors

PICKER_SIZE = 8
# The inline customer's fields as the CRM service names them -> the form's names.
NEW_CUSTOMER_FIELDS = {"name": "new_name", "phone": "new_phone"}


def _quantity_field() -> forms.DecimalField:
    # As the order line stores it (NUMERIC(14, 3)).
    return forms.DecimalField(
        label=gettext_lazy("Quantity"), required=False, max_digits=14, decimal_places=3,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))


class SaleForm(forms.Form):
    """Shapes the fields; every rule (prices, credit, payment in full, coins) is the
    services'. The lines travel as parallel `line_product` / `line_quantity` lists."""

    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    new_name = forms.CharField(label=gettext_lazy("Name"), required=False, max_length=255)
    new_phone = forms.CharField(label=gettext_lazy("Phone"), required=False, max_length=32,
                                widget=forms.TextInput(attrs={"inputmode": "tel"}))
    product = forms.ChoiceField(label=gettext_lazy("Product"), required=False)
    quantity = _quantity_field()
    coins_redeem = forms.IntegerField(
        label=gettext_lazy("Coins to redeem"), required=False, min_value=0,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    paid_amount = forms.CharField(
        label=gettext_lazy("Paid amount"), required=False, max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    method = forms.ChoiceField(label=gettext_lazy("Method"), required=False)
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", _("Choose a product"))] + [
            (str(p.pk), f"{p.sku} · {p.name}")
            for p in finance_selectors.product_list(active=True).order_by("sku")]
        self.fields["method"].choices = finance_selectors.payment_method_choices()
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4())

    def clean_paid_amount(self):
        text = self.cleaned_data["paid_amount"].strip()
        if not text:
            return Decimal(0)
        try:
            return amount_parse(text, tenant_current().currency)
        except InvalidAmount:
            raise forms.ValidationError(_("Not a valid amount.")) from None


def _lines_read(data: QueryDict) -> list[dict]:
    """The posted lines ({"product", "quantity"}); one that no longer parses is dropped."""
    posted = list(zip(data.getlist("line_product"), data.getlist("line_quantity"),
                      strict=False))
    products = finance_selectors.product_list().in_bulk(
        [int(p) for p, _q in posted if p.isdigit()])
    field, lines = _quantity_field(), []
    for product_id, quantity in posted:
        try:
            quantity = field.clean(quantity)
        except forms.ValidationError:
            continue
        product = products.get(int(product_id)) if product_id.isdigit() else None
        if product is not None and quantity is not None:
            lines.append({"product": product, "quantity": quantity})
    return lines


def _customer_read(request, customer_id) -> Customer | None:
    """A customer this user may see, else None (an unknown one is not revealed)."""
    if customer_id in (None, ""):
        return None
    try:
        return crm_selectors.customer_get(user=request.user, customer_id=customer_id)
    except Customer.DoesNotExist:
        return None


class SaleScreen:
    """One post of the screen: the sale as posted, what the pressed button changes, and the
    form to show back (bound to the changed data, with this post's errors)."""

    def __init__(self, request, data: QueryDict):
        self.request = request
        self.data = data.copy()
        self.posted = SaleForm(data) if request.method == "POST" else None
        self.lines = _lines_read(data)
        self.customer = _customer_read(request, data.get("customer"))
        self.errors: dict[str | None, list[str]] = {}
        self.refusal: dict | None = None
        self.pay_full = False
        self.existing: dict | None = None

    @property
    def cleaned(self) -> dict:
        return self.posted.cleaned_data

    def error(self, field: str | None, message: str) -> None:
        self.errors.setdefault(field, []).append(str(message))

    def domain_error(self, error: DomainError) -> None:
        fields = {NEW_CUSTOMER_FIELDS.get(k, k): v for k, v in (error.fields or {}).items()}
        if isinstance(fields.get("existing"), dict):
            # The customer holding that name or phone (named only when the user may see
            # it): offered instead of a duplicate.
            self.existing = fields["existing"]
        renamed = DomainError(error.message, fields=fields)
        for field, messages in form_errors(renamed, SaleForm.base_fields).items():
            for message in messages:
                self.error(None if field == "__all__" else field, message)

    # --- what the buttons do --------------------------------------------------------------

    def pick(self, customer_id) -> None:
        self.customer = _customer_read(self.request, customer_id)
        if self.customer is None:
            self.error(None, _("Unknown customer."))
        self.data["new_name"] = self.data["new_phone"] = ""

    def walk_in(self) -> None:
        self.customer = None
        self.data["new_name"] = self.data["new_phone"] = ""

    def line_add(self) -> None:
        product_id, quantity = self.cleaned["product"], self.cleaned["quantity"]
        product = finance_selectors.product_list(active=True).filter(
            pk=int(product_id)).first() if product_id else None
        if product is None:
            self.error("product", _("Choose a product."))
        elif quantity is None:
            self.error("quantity", _("Enter a quantity."))
        else:
            line = {"product": product, "quantity": quantity}
            # The service judges the line (quantity, amount) before it joins the sale.
            try:
                orders.order_quote(actor=self.request.user, customer=self.customer,
                                   lines=[orders.LineInput(**line)])
            except DomainError as error:
                self.error("quantity", error.message)
                return
            self.lines.append(line)
            self.data["product"] = self.data["quantity"] = ""

    def line_remove(self, index: int) -> None:
        if 0 <= index < len(self.lines):
            del self.lines[index]

    def line_inputs(self) -> list[orders.LineInput]:
        return [orders.LineInput(product=line["product"], quantity=line["quantity"])
                for line in self.lines]

    def new_customer(self) -> dict | None:
        name, phone = self.cleaned["new_name"].strip(), self.cleaned["new_phone"].strip()
        if self.customer is not None or not (name or phone):
            return None
        return {"name": name, "phone": phone}

    def approve(self) -> Order | None:
        paid = self.cleaned["paid_amount"]
        try:
            return orders.order_create(
                actor=self.request.user, customer=self.customer,
                new_customer=self.new_customer(),
                lines=self.line_inputs(), paid_amount=paid,
                payment_method=self.cleaned["method"] if paid > 0 else "",
                coins_redeem=self.cleaned["coins_redeem"] or 0, approve=True,
                idempotency_key=f"web:{self.cleaned['token']}")
        except (CreditLimitExceeded, CustomerOverCreditLimit) as error:
            self.refusal = {"message": error.message, **(error.fields or {})}
        except DomainError as error:
            self.domain_error(error)
        return None

    # --- what is shown back ---------------------------------------------------------------

    def form(self) -> SaleForm:
        self.data["customer"] = str(self.customer.pk) if self.customer else ""
        self.data.setlist("line_product", [str(line["product"].pk) for line in self.lines])
        self.data.setlist("line_quantity", [str(line["quantity"]) for line in self.lines])
        if not self.posted:
            return SaleForm(initial={"customer": self.data["customer"]})
        form = SaleForm(self.data)
        form.is_valid()
        for field, messages in self.errors.items():
            for message in messages:
                form.add_error(field, message)
        return form

    def quote(self) -> orders.OrderQuote | None:
        """The lines priced for this customer, coins off; a refusal goes next to its field
        unless this post already has an error to show."""
        if not self.lines:
            return None
        coins = 0
        if self.posted is not None and self.posted.is_valid():
            coins = self.cleaned["coins_redeem"] or 0
        try:
            return orders.order_quote(actor=self.request.user, customer=self.customer,
                                      coins_redeem=coins, lines=self.line_inputs())
        except DomainError as error:
            if not self.errors and not self.refusal:
                self.domain_error(error)
            return None

    def context(self) -> dict:
        quote = self.quote()
        if self.pay_full and quote is not None:
            self.data["paid_amount"] = str(quote.total_amount)
        form = self.form()
        priced = quote.lines if quote is not None else [None] * len(self.lines)
        return {
            "form": form,
            "customer": self.customer,
            "standing": credit_standing(customer=self.customer) if self.customer else None,
            "lines": [{**line, "priced": built}
                      for line, built in zip(self.lines, priced, strict=True)],
            "quote": quote,
            "refusal": self.refusal,
            "existing": self.existing,
            "nav": "sale",
            "can_create_customer": self.request.user.has_perm("crm.add_customer"),
        }


def _render(request, screen: SaleScreen):
    """The screen; 422 when this post has anything to put right (htmx swaps it all the
    same, see base.html)."""
    template = "web/sale.html"
    if request.htmx and not request.htmx.boosted:
        template += "#sale_form"
    context = screen.context()
    status = 422 if context["form"].errors or screen.refusal else 200
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("finance.add_order", raise_exception=True)
def sale(request):
    if request.method == "GET":
        # `?customer=<id>` opens the screen with that customer picked (a customer's "Sell").
        screen = SaleScreen(request, QueryDict())
        screen.customer = _customer_read(request, request.GET.get("customer"))
        return _render(request, screen)
    screen = SaleScreen(request, request.POST)
    valid = screen.posted.is_valid()
    action = request.POST.get("action", "")
    if request.POST.get("pick"):
        screen.pick(request.POST["pick"])
    elif action == "walkin":
        screen.walk_in()
    elif action.startswith("remove:") and action[len("remove:"):].isdigit():
        screen.line_remove(int(action[len("remove:"):]))
    elif action == "add" and valid:
        screen.line_add()
    elif action == "update" and valid:
        if request.POST.get("product") or request.POST.get("quantity"):
            screen.line_add()  # Enter in the line being typed adds it
    elif action == "pay_full":
        screen.pay_full = True
    elif action == "approve" and valid:
        order = screen.approve()
        if order is not None:
            url = reverse("web:sale_done", args=[order.pk])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    return _render(request, screen)


@require_GET
@login_required
@permission_required("finance.add_order", raise_exception=True)
def sale_customers(request):
    """The picker's answer as you type: at most PICKER_SIZE visible active customers."""
    term = request.GET.get("customer_search", "").strip()
    found = []
    if term:
        qs, search = crm_selectors.customer_list_parts(
            user=request.user, filters={"search": term, "status": Customer.Status.ACTIVE})
        found = crm_selectors.customer_rows(qs, search, order=["-created_at", "-id"],
                                            limit=PICKER_SIZE, user=request.user)
    return render(request, "web/sale.html#picker_results", {"found": found, "term": term})


@require_GET
@login_required
@permission_required("finance.view_order", raise_exception=True)
def sale_done(request, pk: int):
    """The sale's confirmation, printable: what was sold, paid and put on account."""
    try:
        order = finance_selectors.order_get(user=request.user, order_id=pk)
    except Order.DoesNotExist:
        raise Http404 from None
    return render(request, "web/sale_done.html", {
        "order": order,
        "receivable_after": finance_selectors.order_receivable_after(order=order),
        "method_label": dict(finance_selectors.payment_method_choices()).get(
            order.payment_method, order.payment_method),
        "can_see_debt": request.user.has_perm("finance.view_voucher"),
        "nav": "sale",
    })
