"""The fonts every document is set in, bundled so any customer's name prints.

DejaVu Sans covers Latin, Greek, Cyrillic, Arabic, Hebrew and most symbols;
Droid Sans Fallback covers Chinese, Japanese and Korean. Right-to-left
scripts are shaped and reordered (arabic-reshaper, python-bidi) before drawing. A PDF font has no
glyph fallback of its own, so text is cut into runs and each run the main font
cannot draw is set in the fallback font explicitly. Both are embedded as
subsets: a PDF carries only the glyphs it uses.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

FONT_DIR = Path(__file__).resolve().parent.parent.parent / "fonts"
REGULAR = "OrderCli-Sans"
BOLD = "OrderCli-Sans-Bold"
FALLBACK = "OrderCli-CJK"


@cache
def register_fonts() -> None:
    """Register the fonts with ReportLab, once per process."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(REGULAR, FONT_DIR / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(TTFont(BOLD, FONT_DIR / "DejaVuSans-Bold.ttf"))
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(REGULAR, bold, italic, BOLD if bold else REGULAR)


@cache
def fallback_font() -> str:
    """The CJK font's name; the 3.4 MB file is read only by documents that need it."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FALLBACK, FONT_DIR / "DroidSansFallback.ttf"))
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(FALLBACK, bold, italic, FALLBACK)
    return FALLBACK


@cache
def main_glyphs() -> frozenset[int]:
    from reportlab.pdfbase import pdfmetrics

    register_fonts()
    return frozenset(pdfmetrics.getFont(REGULAR).face.charToGlyph)


def _is_rtl(ch: str) -> bool:
    import unicodedata

    return unicodedata.bidirectional(ch) in {"R", "AL"}


def visual(text: str) -> str:
    """Right-to-left text (Arabic, Hebrew) in the order and letter forms it is drawn in.

    A PDF draws glyphs left to right exactly as given: Arabic letters must be
    joined into their contextual forms and every line put in visual order first.
    """
    if not any(_is_rtl(ch) for ch in text):
        return text
    import arabic_reshaper
    from bidi import get_display

    return "\n".join(get_display(arabic_reshaper.reshape(line)) for line in text.split("\n"))


def markup(text: str) -> str:
    """``text`` as ReportLab paragraph markup: escaped, with the fallback font where needed.

    Everything a user typed is escaped, so ``<font>``, ``<img>`` or ``&`` in a
    name print as written and never act as markup.
    """
    text = visual(text)
    glyphs = main_glyphs()
    if all(ord(ch) in glyphs or ch in "\n\t" for ch in text):
        return escape(text)
    parts: list[str] = []
    run: list[str] = []
    run_is_main = True
    for ch in text:
        is_main = ord(ch) in glyphs or ch.isspace()
        if is_main != run_is_main and run:
            parts.append(_run(run, run_is_main))
            run = []
        run_is_main = is_main
        run.append(ch)
    if run:
        parts.append(_run(run, run_is_main))
    return "".join(parts)


def _run(chars: list[str], main: bool) -> str:
    text = escape("".join(chars))
    if main:
        return text
    return f'<font name="{fallback_font()}">{text}</font>'
