"""The statement PDFs' fonts: static Noto Sans SC Regular and Bold (SIL OFL 1.1), made once
from the variable font of the `textflowkit-fonts` wheel with fontTools' instancer and kept
in `FONTS_DIR` (default `<DATA_DIR>/fonts/`; ≈ 20 s each here). One font for every text:
its Latin covers Vietnamese (ờ ỡ ặ checked on a rendered page), its CJK Traditional Chinese.

Made by `make install` (`python -m finance.fonts <dir>`), or on first use; registered with
reportlab once per process. Nothing is downloaded; no system font is read.
"""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import sys
import threading
from pathlib import Path

WEIGHTS = {"Regular": 400, "Bold": 700}
FAMILY = "StatementSans"
_lock = threading.Lock()
_registered: dict[str, str] | None = None


def _source() -> Path:
    import textflowkit_fonts

    return Path(textflowkit_fonts.__file__).parent / "fonts"


def font_path(directory: Path, style: str) -> Path:
    return directory / f"NotoSansSC-{style}.ttf"


def fonts_build(directory: Path) -> dict[str, Path]:
    """Make the static fonts in `directory` if they are not there yet (a file lock keeps
    two processes from making them together; each file appears whole by rename)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {style: font_path(directory, style) for style in WEIGHTS}
    if all(p.exists() for p in paths.values()):
        return paths
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        from fontTools.ttLib import TTFont
        from fontTools.varLib import instancer

        for style, weight in WEIGHTS.items():
            path = paths[style]
            if path.exists():
                continue
            font = TTFont(_source() / "NotoSansSC.ttf")
            instancer.instantiateVariableFont(font, {"wght": weight}, inplace=True,
                                              optimize=False, updateFontNames=True)
            partial = path.with_suffix(f".{os.getpid()}.part")
            font.save(partial)
            os.replace(partial, path)
        licence = directory / "OFL-NotoSansSC.txt"
        if not licence.exists():
            shutil.copyfile(_source() / "OFL-NotoSansSC.txt", licence)
    return paths


def fonts_register() -> dict[str, str]:
    """{"regular": name, "bold": name} registered with reportlab, once per process."""
    global _registered
    if _registered is not None:
        return _registered
    with _lock:
        if _registered is None:
            from django.conf import settings
            from reportlab.pdfbase import pdfmetrics
            from reportlab.pdfbase.ttfonts import TTFont

            paths = fonts_build(Path(settings.FONTS_DIR))
            names = {"regular": FAMILY, "bold": f"{FAMILY}-Bold"}
            for style, name in (("Regular", names["regular"]), ("Bold", names["bold"])):
                font = TTFont(name, str(paths[style]))
                # Every PDF's subset copies the font's tables (the glyph table is
                # megabytes): read each table once per process instead (≈ 5 ms a PDF).
                font.face.get_table = functools.cache(font.face.get_table)
                pdfmetrics.registerFont(font)
            _registered = names
    return _registered


if __name__ == "__main__":  # make install: python -m finance.fonts <dir>
    for made in fonts_build(Path(sys.argv[1])).values():
        print(made)
