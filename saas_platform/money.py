"""Money: Decimal only, quantised by the tenant's currency, parsed from what people type.

VND and TWD have no minor unit; CNY and USD have two decimals. "5.000.000" and
"5,000,000" are both five million; "1.234,56" and "1,234.56" are both 1234.56.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DECIMALS = {"VND": 0, "TWD": 0, "CNY": 2, "USD": 2}
_GROUPED = re.compile(r"^\d{1,3}([.,]\d{3})+$")
_NOISE = re.compile(r"[\s\u00a0₫đ$¥元NT]|VND|TWD|CNY|USD|RMB", re.IGNORECASE)


# Amount columns are NUMERIC(18, 2): every amount is below this, in any currency.
AMOUNT_LIMIT = Decimal("1e16")


class InvalidAmount(ValueError):
    pass


class AmountTooLarge(InvalidAmount):
    """A number, but not below AMOUNT_LIMIT (it could not be stored)."""


def decimals(currency: str) -> int:
    return DECIMALS.get(currency, 2)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """The one rounding of amounts (half up to the currency's minor unit)."""
    exponent = Decimal(1).scaleb(-decimals(currency))
    return Decimal(amount).quantize(exponent, rounding=ROUND_HALF_UP)


def money(amount, currency: str) -> Decimal:
    """Any number as an amount of `currency` (a tenant's: `tenants.current.tenant_money`)."""
    return quantize(Decimal(amount), currency)


def amount_parse(value, currency: str) -> Decimal:
    """Decimal from a number or a typed string; InvalidAmount when it is not one.

    Never goes through float. Rejects more decimals than the currency has.
    """
    if isinstance(value, bool):
        raise InvalidAmount(value)
    if isinstance(value, Decimal | int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))  # a spreadsheet cell; repr is the shortest exact text
    else:
        text = _NOISE.sub("", str(value or ""))
        negative = text.startswith("-")
        text = text.lstrip("+-")
        if not re.fullmatch(r"[\d.,]*\d[\d.,]*", text):
            raise InvalidAmount(value)
        try:
            amount = Decimal(_canonical(text, currency))
        except InvalidOperation as exc:
            raise InvalidAmount(value) from exc
        amount = -amount if negative else amount
    if not amount.is_finite():
        raise InvalidAmount(value)
    if abs(amount) >= AMOUNT_LIMIT:
        raise AmountTooLarge(value)
    if amount != quantize(amount, currency):
        raise InvalidAmount(value)
    return quantize(amount, currency)


def _canonical(text: str, currency: str) -> str:
    if "." in text and "," in text:
        # Both present: the one that comes last is the decimal separator.
        decimal_sep = "." if text.rfind(".") > text.rfind(",") else ","
        whole, _, fraction = text.rpartition(decimal_sep)
        if not (whole.isdigit() or _GROUPED.match(whole)):
            raise InvalidAmount(text)
        return f"{whole.replace('.', '').replace(',', '')}.{fraction}"
    sep = "," if "," in text else "." if "." in text else ""
    if not sep:
        return text
    grouped = bool(_GROUPED.match(text))
    if text.count(sep) > 1 or decimals(currency) == 0 or (sep == "," and grouped):
        if not grouped:
            raise InvalidAmount(text)
        return text.replace(sep, "")
    return text.replace(",", ".")
