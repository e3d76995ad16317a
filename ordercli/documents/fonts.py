"""The fonts every document is set in, bundled so any customer's name prints.

DejaVu Sans covers Latin, Greek, Cyrillic, Arabic, Hebrew and most symbols;
Droid Sans Fallback covers Chinese, Japanese and Korean; Symbola covers emoji
and the rarer symbols. A PDF font has no glyph fallback of its own, so text is
cut into runs and each run is set in the first font that has its glyphs. The
fallback fonts are read only by documents that need them, and every font is
embedded as a subset: a PDF carries only the glyphs it uses. Right-to-left
scripts are shaped and put in reading order (arabic-reshaper, python-bidi)
before they are drawn.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

# ReportLab, arabic-reshaper and python-bidi are imported inside the functions that
# need them: only commands that write a PDF load them.

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
REGULAR = "OrderCli-Sans"
BOLD = "OrderCli-Sans-Bold"
# Tried in order for a character the main font lacks.
FALLBACKS = (("OrderCli-CJK", "DroidSansFallback.ttf"), ("OrderCli-Symbols", "Symbola.ttf"))


@cache
def register_fonts() -> None:
    """Register the main fonts with ReportLab, once per process."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(REGULAR, FONT_DIR / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(TTFont(BOLD, FONT_DIR / "DejaVuSans-Bold.ttf"))
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(REGULAR, bold, italic, BOLD if bold else REGULAR)


@cache
def _fallback_glyphs(name: str) -> frozenset[int]:
    """Register one fallback font (on first need) and return the characters it draws."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    filename = dict(FALLBACKS)[name]
    font = TTFont(name, FONT_DIR / filename)
    pdfmetrics.registerFont(font)
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(name, bold, italic, name)
    return frozenset(font.face.charToGlyph)


@cache
def main_glyphs() -> frozenset[int]:
    from reportlab.pdfbase import pdfmetrics

    register_fonts()
    return frozenset(pdfmetrics.getFont(REGULAR).face.charToGlyph)


@cache
def font_for(ch: str) -> str:
    """The font that draws ``ch``: the main one, else the first fallback that has it."""
    code = ord(ch)
    if code in main_glyphs() or ch.isspace():
        return REGULAR
    for name, _ in FALLBACKS:
        if code in _fallback_glyphs(name):
            return name
    return REGULAR  # nobody has it: the main font's blank, as any viewer would show


def runs(text: str):
    """``text`` cut into (font, run) pieces, each drawn by one font."""
    run, current = "", REGULAR
    for ch in text:
        font = font_for(ch)
        if font != current and run:
            yield current, run
            run = ""
        current = font
        run += ch
    if run:
        yield current, run


def _is_rtl(ch: str) -> bool:
    import unicodedata

    return unicodedata.bidirectional(ch) in {"R", "AL"}


def visual(text: str) -> str:
    """Right-to-left text (Arabic, Hebrew) in the order and letter forms it is drawn in.

    A PDF draws glyphs left to right exactly as given: Arabic letters must be
    joined into their contextual forms and every line put in visual order first.
    """
    if text.isascii() or not any(_is_rtl(ch) for ch in text):
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
    if glyphs.issuperset(map(ord, text)) or all(ord(ch) in glyphs or ch.isspace() for ch in text):
        return escape(text)
    return "".join(
        escape(run) if font == REGULAR else f'<font name="{font}">{escape(run)}</font>'
        for font, run in runs(text)
    )
