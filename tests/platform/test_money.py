from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saas_platform.money import InvalidAmount, amount_parse, quantize


@pytest.mark.parametrize(("text", "currency", "expected"), [
    ("5.000.000", "VND", "5000000"), ("5,000,000", "VND", "5000000"),
    ("5.000.000 ₫", "VND", "5000000"), ("-20.000", "VND", "-20000"),
    ("1,234.56", "USD", "1234.56"), ("1.234,56", "USD", "1234.56"),
    ("12,50", "CNY", "12.50"), ("12.5", "CNY", "12.50"), ("1,234", "USD", "1234.00"),
    (Decimal("7"), "TWD", "7"), (12.3, "USD", "12.30"),
])
def test_amounts_in_common_spellings(text, currency, expected):
    assert amount_parse(text, currency) == Decimal(expected)


@pytest.mark.parametrize(("text", "currency"), [
    ("5.5", "VND"), ("5,00", "VND"), ("12.345", "USD"), ("1.2.3", "USD"), ("abc", "VND"),
    ("", "VND"), ("1e5", "VND"), ("NaN", "USD"), (True, "VND"),
])
def test_ambiguous_or_wrong_amounts_are_refused(text, currency):
    with pytest.raises(InvalidAmount):
        amount_parse(text, currency)


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["VND", "TWD"]))
def test_grouped_thousands_round_trip(n, currency):
    dotted = f"{n:,}".replace(",", ".")
    assert amount_parse(dotted, currency) == n
    assert amount_parse(f"{n:,}", currency) == n


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2))
def test_two_decimal_round_trip(amount):
    assert amount_parse(f"{amount:,.2f}", "USD") == quantize(amount, "USD")


@pytest.mark.parametrize("value", [1e30, "1" * 31, Decimal("1E+999999"),
                                   "10.000.000.000.000.000", -1e17])
def test_amounts_beyond_what_numeric_18_2_holds_are_refused(value):
    """Before: 1e30 raised decimal.InvalidOperation (an internal error) in quantize."""
    from saas_platform.money import AmountTooLarge

    with pytest.raises(AmountTooLarge):
        amount_parse(value, "VND")
    assert amount_parse("9999999999999999", "VND") == Decimal("9999999999999999")
