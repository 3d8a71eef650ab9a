"""Every user-facing string has a Vietnamese and a Traditional Chinese translation."""

import gettext
import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def _source_msgids() -> set[str]:
    text = (LOCALE / "en" / "LC_MESSAGES" / "django.po").read_text()
    ids = set()
    for block in text.split("\n\n"):
        match = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if match:
            msgid = "".join(re.findall(r'"(.*)"', match.group(1)))
            msgid = msgid.encode().decode("unicode_escape").encode("latin-1").decode()
            if msgid:
                ids.add(msgid)
    return ids


@pytest.mark.parametrize("language", ["vi", "zh_Hant"])
def test_every_string_is_translated(language):
    catalog = gettext.GNUTranslations(
        (LOCALE / language / "LC_MESSAGES" / "django.mo").open("rb"))._catalog
    translated = {key[0] if isinstance(key, tuple) else key for key in catalog}
    missing = sorted(_source_msgids() - translated)
    assert missing == [], f"{len(missing)} untranslated, e.g. {missing[:5]}"
