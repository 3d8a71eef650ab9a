"""Field validation for customers and contacts: pure (no database), shared by the
services, the API serializers and the importer, so that one rule has one implementation.

Each function takes raw values (typed text, spreadsheet cells, JSON) and returns the
cleaned values plus a list of problems; it never raises for bad input. References
(group, owner, home_branch, parent, referrer) are resolved by the callers, which know
how to find them (the importer by code in bulk, the API by id).

Choice fields accept their stored value or their label in Vietnamese, Traditional
Chinese or English; booleans accept true/false/1/0/yes/no/có/không/是/否.
"""

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import translation
from django.utils.translation import gettext as _

from crm.models import Customer
from crm.normalize import InvalidPhone, name_clean, name_clean_and_key, phone_normalize
from saas_platform.money import AmountTooLarge, InvalidAmount, amount_parse

LANGUAGES = ("vi", "zh-hant", "en")
MAX_PAYMENT_TERMS_DAYS = 365


@dataclass(frozen=True)
class FieldProblem:
    field: str  # API/model field name, e.g. "phone", "credit_limit"
    code: str  # stable: "required", "too_long", "invalid_phone", ...
    message: str  # translated


def _fold(text: str) -> str:
    """Case, width and accent folded, for matching labels ("Đại lý" == "dai ly")."""
    text = unicodedata.normalize("NFKD", str(text).casefold().replace("đ", "d"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


# Labels seen in the seeds' screens and in our own templates, beyond the gettext labels.
_CHOICE_SYNONYMS = {
    "role": {
        "retail": ["Khách lẻ", "Bán lẻ", "Lẻ", "零售", "散戶", "散户", "一般"],
        "collaborator": ["Cộng tác viên", "CTV", "合作者", "協力者"],
        "agent": ["Đại lý", "Đại lí", "代理", "代理商", "經銷商"],
    },
    "settlement_method": {
        "on_account": ["Ghi nợ", "Công nợ", "Ghi sổ", "記賬", "记账", "記帳", "on account"],
        "cash": ["Tiền mặt", "Trả ngay", "現結", "现结", "現金"],
    },
    "status": {
        "active": ["Hoạt động", "Đang hoạt động", "啟用", "启用", "正常", "使用中"],
        "inactive": ["Ngừng hoạt động", "Ngưng hoạt động", "Ngừng", "停用"],
    },
}
_CHOICES = {
    "role": Customer.Role,
    "settlement_method": Customer.Settlement,
    "status": Customer.Status,
}
_choice_lookup_cache: dict[str, dict[str, str]] = {}


def _choice_lookup(field: str) -> dict[str, str]:
    """Folded value or label (any of our languages) -> stored value."""
    lookup = _choice_lookup_cache.get(field)
    if lookup is None:
        lookup = {}
        for value, label in _CHOICES[field].choices:
            lookup[_fold(value)] = value
            for language in LANGUAGES:
                with translation.override(language):
                    lookup[_fold(str(label))] = value
        for value, labels in _CHOICE_SYNONYMS[field].items():
            for label in labels:
                lookup.setdefault(_fold(label), value)
        _choice_lookup_cache[field] = lookup
    return lookup


_TRUE = {"true", "1", "yes", "y", "x", "co", "có", "是", "對", "对", "t", "on"}
_FALSE = {"false", "0", "no", "n", "khong", "không", "否", "不", "f", "off"}


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class FieldCleaner:
    """Accumulates cleaned values and problems for one record."""

    def __init__(self, data: Mapping[str, object], partial: bool):
        self.data = data
        self.partial = partial
        self.cleaned: dict = {}
        self.problems: list[FieldProblem] = []

    def given(self, field: str) -> bool:
        return field in self.data

    def given_bad(self, field: str) -> bool:
        return any(p.field == field for p in self.problems)

    def problem(self, field: str, code: str, message: str) -> None:
        self.problems.append(FieldProblem(field, code, message))

    def text(self, field: str, max_length: int | None, *, required: bool = False,
             multiline: bool = False) -> str | None:
        if not self.given(field):
            if required and not self.partial:
                self.problem(field, "required", _("This field is required."))
            return None
        value = self.data[field]
        text = "" if value is None else str(value)
        text = text.strip() if multiline else " ".join(text.split())
        if required and not text:
            self.problem(field, "required", _("This field is required."))
            return None
        if max_length is not None and len(text) > max_length:
            self.problem(field, "too_long",
                         _("At most %(max)d characters (this has %(length)d).")
                         % {"max": max_length, "length": len(text)})
            return None
        self.cleaned[field] = text
        return text

    def phone(self, field: str, region: str, *, required: bool = False) -> None:
        text = self.text(field, 64, required=required)
        if text is None:
            return
        try:
            self.cleaned[field] = phone_normalize(text, region)
        except InvalidPhone:
            del self.cleaned[field]
            self.problem(field, "invalid_phone",
                         _("“%(value)s” is not a valid phone number.") % {"value": text})

    def email(self, field: str) -> None:
        text = self.text(field, 254)
        if not text:
            return
        try:
            validate_email(text)
        except ValidationError:
            del self.cleaned[field]
            self.problem(field, "invalid_email",
                         _("“%(value)s” is not a valid e-mail address.") % {"value": text})
            return
        local, _at, domain = text.rpartition("@")
        self.cleaned[field] = f"{local}@{domain.lower()}"

    def choice(self, field: str) -> None:
        if not self.given(field) or _is_blank(self.data[field]):
            return  # blank: the model's default on create, unchanged on update
        raw = self.data[field]
        value = _choice_lookup(field).get(_fold(raw))
        if value is None:
            allowed = ", ".join(str(v) for v in _CHOICES[field].values)
            self.problem(field, "invalid_choice",
                         _("“%(value)s” is not one of: %(allowed)s.")
                         % {"value": raw, "allowed": allowed})
            return
        self.cleaned[field] = value

    def boolean(self, field: str) -> None:
        if not self.given(field) or _is_blank(self.data[field]):
            return
        raw = self.data[field]
        if isinstance(raw, bool):
            self.cleaned[field] = raw
            return
        if isinstance(raw, int | Decimal | float) and raw in (0, 1):
            self.cleaned[field] = bool(raw)
            return
        folded = str(raw).strip().casefold()
        if folded in _TRUE:
            self.cleaned[field] = True
        elif folded in _FALSE:
            self.cleaned[field] = False
        else:
            self.problem(field, "invalid_boolean",
                         _("“%(value)s” is not yes or no.") % {"value": raw})

    def amount(self, field: str, currency: str) -> None:
        if not self.given(field):
            return
        raw = self.data[field]
        if _is_blank(raw):
            self.cleaned[field] = None
            return
        try:
            amount = amount_parse(raw, currency)
        except AmountTooLarge:
            self.problem(field, "invalid_amount", _("The amount is too large."))
            return
        except InvalidAmount:
            self.problem(field, "invalid_amount",
                         _("“%(value)s” is not an amount in %(currency)s.")
                         % {"value": raw, "currency": currency})
            return
        if amount < 0:
            self.problem(field, "negative_amount", _("The amount cannot be negative."))
            return
        self.cleaned[field] = amount


    def days(self, field: str, maximum: int) -> None:
        """Whole days 0..maximum; blank is None (on a customer: the tenant's default)."""
        if not self.given(field):
            return
        raw = self.data[field]
        if _is_blank(raw):
            self.cleaned[field] = None
            return
        try:
            days = Decimal(str(raw).strip()) if not isinstance(raw, bool) else None
        except ArithmeticError:
            days = None
        if days is None or not days.is_finite() or days != days.to_integral_value() \
                or not 0 <= days <= maximum:
            self.problem(field, "invalid_days",
                         _("“%(value)s” is not a number of days from 0 to %(max)s.")
                         % {"value": raw, "max": maximum})
            return
        self.cleaned[field] = int(days)


def customer_fields_clean(data: Mapping[str, object], *, region: str, currency: str,
                          partial: bool = False) -> tuple[dict, list[FieldProblem]]:
    """Clean a customer's plain fields (API names). `partial`: only what is given is
    checked (an update); otherwise name and phone are required (DESIGN §6).

    The result has `name_key` next to `name`, phones in E.164, `credit_limit` as a
    Decimal of the tenant's currency (None when blank).
    """
    c = FieldCleaner(data, partial)
    name = c.text("name", 255, required=True)
    if name is not None:
        c.cleaned["name"], c.cleaned["name_key"] = name_clean_and_key(name)
    if c.given("code") and not _is_blank(data["code"]):
        code = c.text("code", 32)
        if code is not None:
            c.cleaned["code"] = code.upper().replace(" ", "")
    c.phone("phone", region, required=True)
    c.phone("referrer_phone", region)
    c.email("email")
    c.text("address", 500)
    c.text("tax_code", 32)
    c.text("note", None, multiline=True)
    for field in ("role", "settlement_method", "status"):
        c.choice(field)
    for field in ("prepaid_allowed", "credit_limit_enforced", "shared"):
        c.boolean(field)
    c.amount("credit_limit", currency)
    c.days("payment_terms_days", MAX_PAYMENT_TERMS_DAYS)
    limit_missing = (c.cleaned.get("credit_limit", 0) is None
                     or ("credit_limit" not in c.cleaned and not partial))
    if c.cleaned.get("credit_limit_enforced") and limit_missing and not c.given_bad("credit_limit"):
        c.problem("credit_limit", "required",
                  _("An enforced credit limit needs an amount."))
    return c.cleaned, c.problems


def contact_fields_clean(data: Mapping[str, object], *, region: str,
                         partial: bool = False) -> tuple[dict, list[FieldProblem]]:
    """Clean a contact's fields: name required, phone optional (E.164), e-mail, position,
    primary flag, note."""
    c = FieldCleaner(data, partial)
    name = c.text("name", 200, required=True)
    if name is not None:
        c.cleaned["name"] = name_clean(name)
    c.phone("phone", region)
    c.email("email")
    c.text("position", 100)
    c.text("note", None, multiline=True)
    c.boolean("primary")
    return c.cleaned, c.problems


def problems_as_fields(problems: list[FieldProblem]) -> dict[str, list[str]]:
    """The API's `fields` shape: {field: [message, ...]}."""
    fields: dict[str, list[str]] = {}
    for p in problems:
        fields.setdefault(p.field, []).append(p.message)
    return fields
