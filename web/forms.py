"""The customer screens' forms. They only shape the inputs (labels, widgets, choices, a
token); every rule is the service's or the selector's, whose errors land next to the
fields (web.errors)."""

import uuid

from django import forms
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import selectors as crm_selectors
from crm.models import Customer
from finance import selectors as finance_selectors
from saas_platform.money import InvalidAmount, amount_parse
from tenants.current import tenant_current

AMOUNT_ATTRS = {"inputmode": "decimal", "autocomplete": "off"}


def _attrs_html(attrs: dict) -> str:
    """django/forms/widgets/attrs.html, written out."""
    return "".join("" if value is False else format_html(" {}", name) if value is True
                   else format_html(' {}="{}"', name, str(value))
                   for name, value in attrs.items())


class FastSelect(forms.Select):
    """Django's Select with the markup of its templates (select.html, select_option.html,
    attrs.html) written here: the template engine's two includes per option made the
    list's filter form (~40 options) cost as much as its 20 rows. Choices, selection and
    attributes still come from Django's `get_context`; the HTML is the same (tested)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"', widget["name"]), _attrs_html(widget["attrs"]),
                 ">"]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in options:
                parts.append(format_html('\n  <option value="{}"', str(option["value"])))
                parts.append(_attrs_html(option["attrs"]))
                parts.append(format_html(">{}</option>\n", option["label"]))
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308  (every part escaped above)



class TokenForm(forms.Form):
    """Every POST form carries a token: a double tap has one effect."""

    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4())


def _amount(label, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, max_length=32,
                           widget=forms.TextInput(attrs=AMOUNT_ATTRS), **kwargs)


def amount_clean(value: str):
    """Typed text -> Decimal in the tenant's currency (its decimals), or a field error."""
    try:
        return amount_parse(value, tenant_current().currency)
    except InvalidAmount:
        raise forms.ValidationError(_("Not a valid amount.")) from None


class PaymentForm(TokenForm):
    amount = _amount(gettext_lazy("Amount"))
    method = forms.ChoiceField(label=gettext_lazy("Method"), widget=FastSelect)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = finance_selectors.payment_method_choices()

    def clean_amount(self):
        return amount_clean(self.cleaned_data["amount"])


class PrepaidForm(PaymentForm):
    """Top-up or refund of the prepaid balance: any method but the prepaid balance."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = [
            choice for choice in self.fields["method"].choices if choice[0] != "prepaid"]


class DebtAdjustForm(TokenForm):
    target_receivable = _amount(gettext_lazy("New receivable"))
    write_off = forms.BooleanField(label=gettext_lazy("Write off as bad debt"),
                                   required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)

    def __init__(self, *args, write_off: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not write_off:
            del self.fields["write_off"]

    def clean_target_receivable(self):
        return amount_clean(self.cleaned_data["target_receivable"])


class ReasonForm(TokenForm):
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=500)


class CustomerForm(TokenForm):
    """Every field of DESIGN §3 a person types (the balances are finance's). Values go to
    crm.services as typed; the service cleans and checks them."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=255, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=64, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel",
                                                          "autocomplete": "off"}))
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254, required=False,
                            widget=forms.EmailInput)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=500, required=False)
    group = forms.ChoiceField(label=gettext_lazy("Customer group"), required=False)
    owner = forms.ChoiceField(label=gettext_lazy("Salesperson"), required=False)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Customer.Role.choices,
                             required=False)
    settlement_method = forms.ChoiceField(label=gettext_lazy("Settlement method"),
                                          choices=Customer.Settlement.choices, required=False)
    prepaid_allowed = forms.BooleanField(label=gettext_lazy("Prepaid balance allowed"),
                                         required=False)
    credit_limit = _amount(gettext_lazy("Credit limit"), required=False)
    credit_limit_enforced = forms.BooleanField(label=gettext_lazy("Enforce the credit limit"),
                                               required=False)
    home_branch = forms.ChoiceField(label=gettext_lazy("Home branch"), required=False)
    shared = forms.BooleanField(label=gettext_lazy("Shared across branches"), required=False)
    parent = forms.CharField(label=gettext_lazy("Parent company (code)"), max_length=32,
                             required=False)
    referrer_phone = forms.CharField(label=gettext_lazy("Referrer's phone"), max_length=64,
                                     required=False,
                                     widget=forms.TextInput(attrs={"inputmode": "tel"}))
    tax_code = forms.CharField(label=gettext_lazy("Tax code"), max_length=32, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        choices = crm_selectors.customer_form_choices(user=user)
        none = [("", "—")]
        self.fields["group"].choices = none + choices["groups"]
        self.fields["owner"].choices = none + choices["owners"]
        self.fields["home_branch"].choices = none + choices["branches"]

    @classmethod
    def initial_of(cls, customer: Customer) -> dict:
        return {
            "name": customer.name, "phone": customer.phone, "email": customer.email,
            "address": customer.address, "group": customer.group_id or "",
            "owner": customer.owner_id or "", "role": customer.role,
            "settlement_method": customer.settlement_method,
            "prepaid_allowed": customer.prepaid_allowed,
            "credit_limit": "" if customer.credit_limit_amount is None
            else customer.credit_limit_amount.normalize(),
            "credit_limit_enforced": customer.credit_limit_enforced,
            "home_branch": customer.home_branch_id, "shared": customer.shared,
            "parent": customer.parent.code if customer.parent_id else "",
            "referrer_phone": customer.referrer.phone if customer.referrer_id else "",
            "tax_code": customer.tax_code, "note": customer.note,
        }


_SELECT = {"required": False, "widget": FastSelect}


class CustomerFilterForm(forms.Form):
    """The API's list filters (crm.selectors.CUSTOMER_LIST_FILTERS) as a form; only shapes
    the inputs, the selector reads the values."""

    group = forms.ChoiceField(label=gettext_lazy("Customer group"), **_SELECT)
    owner = forms.ChoiceField(label=gettext_lazy("Salesperson"), **_SELECT)
    branch = forms.ChoiceField(label=gettext_lazy("Branch"), **_SELECT)
    role = forms.ChoiceField(label=gettext_lazy("Role"), **_SELECT)
    status = forms.ChoiceField(label=gettext_lazy("Status"), **_SELECT)
    settlement_method = forms.ChoiceField(label=gettext_lazy("Settlement method"), **_SELECT)
    has_receivable = forms.ChoiceField(label=gettext_lazy("Owes money"), **_SELECT)
    over_credit_limit = forms.ChoiceField(label=gettext_lazy("Over the credit limit"), **_SELECT)
    created_from = forms.DateField(label=gettext_lazy("Created from"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    created_to = forms.DateField(label=gettext_lazy("Created to"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        every = [("", _("All"))]
        choices = crm_selectors.customer_form_choices(user=user)
        self.fields["group"].choices = every + choices["groups"]
        self.fields["owner"].choices = every + choices["owners"]
        self.fields["branch"].choices = every + choices["branches"]
        self.fields["role"].choices = every + list(Customer.Role.choices)
        self.fields["status"].choices = every + list(Customer.Status.choices)
        self.fields["settlement_method"].choices = every + list(Customer.Settlement.choices)
        yes_no = every + [("true", _("Yes")), ("false", _("No"))]
        self.fields["has_receivable"].choices = yes_no
        self.fields["over_credit_limit"].choices = yes_no
