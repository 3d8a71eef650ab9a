"""The Settings screens' forms: they shape inputs (labels, widgets, choices, a token);
every rule is the service's, whose errors land next to the fields (web.errors)."""

from django import forms
from django.utils.translation import gettext_lazy

from crm.models import Branch
from crm.roles import GRANTABLE_PERMISSIONS, ROLE_LABELS, ROLES
from tenants.models import Locale
from web.forms import TokenForm, _amount, amount_clean


def _branch_choices() -> list[tuple[int, str]]:
    return [(b.pk, f"{b.code} · {b.name}") for b in Branch.objects.filter(active=True)]


class StaffForm(TokenForm):
    """A staff member's roles, branches (and the primary one) and granted permissions."""

    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150,
                                 required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150,
                                required=False)
    roles = forms.MultipleChoiceField(label=gettext_lazy("Roles"), required=False,
                                      widget=forms.CheckboxSelectMultiple)
    branches = forms.MultipleChoiceField(label=gettext_lazy("Branches"), required=False,
                                         widget=forms.CheckboxSelectMultiple)
    primary_branch = forms.ChoiceField(label=gettext_lazy("Primary branch"), required=False)
    permissions = forms.MultipleChoiceField(
        label=gettext_lazy("Extra permissions"), required=False,
        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        branches = _branch_choices()
        self.fields["roles"].choices = [(r, ROLE_LABELS[r]) for r in ROLES]
        self.fields["branches"].choices = branches
        self.fields["primary_branch"].choices = [("", "—"), *branches]
        self.fields["permissions"].choices = list(GRANTABLE_PERMISSIONS.items())

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {"roles": data["roles"], "branches": [int(b) for b in data["branches"]],
                "primary_branch": int(data["primary_branch"]) if data["primary_branch"]
                else None, "permissions": data["permissions"],
                "first_name": data["first_name"], "last_name": data["last_name"]}

    @classmethod
    def initial_of(cls, profile: dict) -> dict:
        return {"first_name": profile["first_name"], "last_name": profile["last_name"],
                "roles": profile["roles"], "branches": [b["id"] for b in profile["branches"]],
                "primary_branch": profile["primary_branch"] or "",
                "permissions": profile["permissions"]}


class InviteForm(StaffForm):
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254, required=False,
                            widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    field_order = ["email", "first_name", "last_name", "roles", "branches", "primary_branch",
                   "permissions"]


class PasswordChooseForm(forms.Form):
    password = forms.CharField(label=gettext_lazy("New password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class PasswordForgotForm(forms.Form):
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254,
                            widget=forms.EmailInput(attrs={"autocomplete": "username",
                                                           "autofocus": True}))


class ProfileForm(TokenForm):
    name = forms.CharField(label=gettext_lazy("Business name"), max_length=200, required=False)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=500, required=False)
    tax_code = forms.CharField(label=gettext_lazy("Tax code"), max_length=32, required=False)
    locale = forms.ChoiceField(label=gettext_lazy("Language"), choices=Locale.choices)


class LogoForm(TokenForm):
    logo = forms.FileField(label=gettext_lazy("Logo (PNG or JPEG)"), required=False)


class BranchForm(TokenForm):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=20, required=False)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=500, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=32, required=False)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)


class GroupForm(TokenForm):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=20, required=False)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=2000, required=False)


class ProductForm(TokenForm):
    sku = forms.CharField(label=gettext_lazy("SKU"), max_length=64)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=255)
    unit = forms.CharField(label=gettext_lazy("Unit"), max_length=32, required=False)
    list_price = _amount(gettext_lazy("List price"))
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def clean_list_price(self):
        return amount_clean(self.cleaned_data["list_price"])


class AgreementPriceForm(TokenForm):
    product = forms.ChoiceField(label=gettext_lazy("Product"))
    price = _amount(gettext_lazy("Price"))
    valid_from = forms.DateField(label=gettext_lazy("Valid from"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(label=gettext_lazy("Valid to"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [(p.pk, f"{p.sku} · {p.name}") for p in products]

    def clean_price(self):
        return amount_clean(self.cleaned_data["price"])


class PaymentMethodForm(TokenForm):
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=32)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)


class CoinRuleForm(TokenForm):
    coin_earn_step_amount = _amount(gettext_lazy("Amount per coin earned"))
    coin_value_amount = _amount(gettext_lazy("Value of one coin"))
    payment_terms_days = forms.IntegerField(label=gettext_lazy("Default payment terms (days)"),
                                            min_value=0)

    def clean_coin_earn_step_amount(self):
        return amount_clean(self.cleaned_data["coin_earn_step_amount"])

    def clean_coin_value_amount(self):
        return amount_clean(self.cleaned_data["coin_value_amount"])


class OpeningBalanceForm(TokenForm):
    customer = forms.CharField(label=gettext_lazy("Customer code"), max_length=32)
    amount = _amount(gettext_lazy("Opening receivable"))
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)

    def clean_amount(self):
        return amount_clean(self.cleaned_data["amount"])
