"""The customer search box: one term, matched against name (accent- and case-insensitive),
CJK fragments of any length, phone in any format or prefix, code and e-mail.

Every helper column is computed by the database (generated columns of crm_customer,
functions in `public`, migration 0004), so rows bulk-loaded with COPY are searchable:
- `search_text` = fold(name code email), trigram GIN: substrings of 3+ characters;
- `name_grams` = CJK unigrams and bigrams of the name, GIN: CJK fragments of 1+ characters
  (pg_trgm cannot index fragments under three characters);
- `phone_digits` = digits of the E.164 phone, text_pattern_ops btree: phone prefixes.
The term is folded by the same SQL function as the column (`public.crm_fold`), so the
two can never disagree about an accent.
"""

import re

import phonenumbers
from django.db import connection
from django.db.models import Q

from crm.name_buckets import search_grams
from tenants.current import tenant_current

_CJK = "\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_PHONE_LIKE = re.compile(r"^\+?[\d\s.\-()]+$")
_CODE_LIKE = re.compile(r"^[A-Za-z]{1,5}\d*$")
_CODE_WITH_DIGITS = re.compile(r"^[A-Za-z]{1,5}\d{3,}$")
MAX_TERM = 100


def term_fold(term: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.crm_fold(%s)", [term])
        return cursor.fetchone()[0]


def cjk_grams(term: str) -> list[str]:
    """The grams a name must contain to contain `term`: each CJK run's bigrams, or the
    character itself for a run of one."""
    grams: set[str] = set()
    for run in _CJK_RUN.findall(term):
        if len(run) == 1:
            grams.add(run)
        else:
            grams.update(run[i:i + 2] for i in range(len(run) - 1))
    return sorted(grams)


def phone_prefixes(term: str, region: str | None) -> list[str]:
    """Digit prefixes of E.164 numbers that a typed (partial) phone can start."""
    digits = re.sub(r"\D", "", term)
    if len(digits) < 3:
        return []
    stripped = term.strip()
    if stripped.startswith("+"):
        return [digits]
    if digits.startswith("00"):
        return [digits[2:]]
    country_code = str(phonenumbers.country_code_for_region(region)) if region else ""
    if country_code == "0":
        country_code = ""
    if digits.startswith("0"):
        return [country_code + digits[1:]] if country_code else []
    prefixes = [digits]
    if country_code and not digits.startswith(country_code):
        prefixes.append(country_code + digits)
    return prefixes


def customer_search_filter(term: str, *, region: str | None = None) -> Q:
    """A Q for Customer matching the search box's term (empty term: everything).

    The Q carries `selective`: True when the term is one that few rows match (a code
    with digits, six or more digits of a phone, an e-mail, three or more words), so
    `crm.selectors.customer_rows` goes straight to the indexes instead of walking the
    list order first.
    """
    term = " ".join(term.split())[:MAX_TERM]
    if not term:
        return Q()
    if _CODE_WITH_DIGITS.match(term):
        # Our codes (KH000123): a prefix of the code column, not a substring of names
        # (digit trigrams are in every code, so the trigram index would read them all).
        condition = Q(code__startswith=term.upper())
        condition.selective = True
        return condition
    if region is None:
        region = tenant_current().region
    folded = term_fold(term)
    text = Q()
    words = [Q(search_text__contains=word) for word in folded.split(" ")]
    for word in words:
        text &= word
    grams = cjk_grams(term)
    if grams:
        text &= Q(name_grams__contains=grams)
    condition = text
    alternatives = []
    digits = 0
    phones: list[str] = []
    if _PHONE_LIKE.match(term):
        digits = len(re.sub(r"\D", "", term))
        phones = phone_prefixes(term, region)
        alternatives += [Q(phone_digits__startswith=p) for p in phones]
    if _CODE_LIKE.match(term):
        alternatives.append(Q(code__startswith=term.upper()))
    for alternative in alternatives:
        condition |= alternative
    # For estimating the matches (crm.selectors.customer_rows): the planner multiplies the
    # selectivities of ANDed conditions, but a term's words and its CJK grams are far from
    # independent (the grams repeat the text's condition), so the rarest word bounds the
    # text's matches, and the alternatives add theirs.
    condition.estimate_parts = (words, alternatives)
    # Measured at 1M customers (bench search): these match few rows, so walking the list
    # order first only adds its cost; common words and CJK fragments gain from the walk.
    condition.selective = digits >= 6 or "@" in term or len(folded.split(" ")) >= 3
    # For the name buckets (crm.name_buckets): the grams every match holds. A phone
    # alternative matches on phone_digits, which the buckets do not hold; a code prefix
    # (ASCII, see _CODE_LIKE) is in search_text, folded, so its matches hold the term's grams.
    condition.grams = [] if phones else search_grams(folded.split(" "), grams)
    return condition
