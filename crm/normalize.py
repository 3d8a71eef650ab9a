"""Normal forms shared by every way a customer enters the system (form, API, order,
import): one place, so that the rules cannot drift apart.

- `name_key`: names compared after Unicode NFC, case folding and whitespace folding.
- `phone_normalize`: E.164, with the tenant's region for national numbers. A fast path
  reads the region's own `phonenumbers` metadata patterns (the same ones
  `is_valid_number` uses) for the common shapes; anything unusual goes to
  `phonenumbers.parse`. Tests check the two agree.
"""

import re
import unicodedata
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata

_SPACES = re.compile(r"\s+")
_PHONE_PUNCTUATION = re.compile(r"[\s.\-()/]")


def name_clean(name: str) -> str:
    """What we store: NFC, single spaces, trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", name or "")).strip()


def name_key(name: str) -> str:
    """What we compare: `name_clean` and case-folded ("NGUYỄN  thị" == "nguyễn thị")."""
    return name_clean_and_key(name)[1]


def name_clean_and_key(name: str) -> tuple[str, str]:
    """(`name_clean(name)`, `name_key(name)`), cleaning once."""
    clean = name_clean(name)
    return clean, unicodedata.normalize("NFC", clean.casefold())


class InvalidPhone(ValueError):
    pass


@lru_cache(maxsize=32)
def _region_rules(region: str):
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return None
    descs = [metadata.mobile, metadata.fixed_line, metadata.toll_free, metadata.voip,
             metadata.premium_rate, metadata.shared_cost, metadata.uan, metadata.personal_number]
    patterns = [re.compile(d.national_number_pattern) for d in descs
                if d is not None and d.national_number_pattern]
    prefix_for_parsing = metadata.national_prefix_for_parsing
    return (
        str(metadata.country_code),
        metadata.national_prefix or "",
        re.compile(prefix_for_parsing) if prefix_for_parsing else None,
        patterns,
    )


def _fast(digits: str, region: str) -> str | None:
    rules = _region_rules(region)
    if rules is None:
        return None
    country_code, national_prefix, prefix_for_parsing, patterns = rules
    if digits.startswith("+"):
        if not digits.startswith("+" + country_code):
            return None
        national = digits[1 + len(country_code):]
    elif digits.startswith("00"):
        return None
    elif national_prefix and digits.startswith(national_prefix):
        if prefix_for_parsing is None or prefix_for_parsing.pattern != national_prefix:
            return None
        national = digits[len(national_prefix):]
    else:
        if prefix_for_parsing is not None and prefix_for_parsing.match(digits):
            return None
        national = digits
    if not national.isdigit() or national.startswith("0"):
        return None
    if any(p.fullmatch(national) for p in patterns):
        return f"+{country_code}{national}"
    return None


def phone_normalize(raw: str, region: str) -> str:
    """'0912 345 678' (VN) -> '+84912345678'. Empty stays empty. Raises InvalidPhone."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    digits = _PHONE_PUNCTUATION.sub("", raw)
    fast = _fast(digits, region)
    if fast is not None:
        return fast
    return phone_normalize_slow(raw, region)


def phone_normalize_slow(raw: str, region: str) -> str:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(raw) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_digits(raw: str) -> str:
    """Digits only, for prefix search of a partly typed number."""
    return re.sub(r"\D", "", raw or "")
