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

FONT_DIR = Path(__file__).resolve().parent.parent.parent / "fonts"
REGULAR = "OrderCli-Sans"
BOLD = "OrderCli-Sans-Bold"
# Tried in order for a character the main font lacks.
FALLBACKS = (("OrderCli-CJK", "DroidSansFallback.ttf"), ("OrderCli-Symbols", "Symbola.ttf"))


SUBSETS_KEPT = 32  # per font: a batch's documents mostly share one or two subsets


class _RememberedFlate:
    """ReportLab's Flate filter, remembering what it compressed.

    Embedded subsets and their character maps come out the same in most
    documents of a batch; compressing them again is most of their cost.
    The output is exactly ``zlib.compress`` of the same bytes.
    """

    pdfname = "FlateDecode"

    def __init__(self):
        self.done: dict[bytes, bytes] = {}

    def encode(self, content) -> bytes:
        import zlib

        if isinstance(content, str):
            content = content.encode("utf8")
        encoded = self.done.get(content)
        if encoded is None:
            if len(self.done) >= 2 * SUBSETS_KEPT:  # a subset and its character map
                self.done.clear()
            encoded = self.done[content] = zlib.compress(content)
        return encoded


_FLATE = _RememberedFlate()


@cache
def _font_class():
    """``TTFont`` that builds each glyph subset, and compresses it, once per process.

    The documents of a batch mostly use the same subsets: making, compressing
    and writing out the same subset, character map and width table for every
    PDF would be a tenth of the work of a batch. The bytes are the same as
    ReportLab's own.
    """
    from reportlab import rl_config
    from reportlab.pdfbase import pdfdoc
    from reportlab.pdfbase.ttfonts import TTFont

    class RememberedWidths(pdfdoc.PDFArray):
        """A subset's width table, written out once per distinct table."""

        done: dict[tuple, bytes] = {}

        def format(self, document, IND=b"\n "):  # noqa: N803 - ReportLab's name
            key = (tuple(self.sequence), IND, self.multiline, rl_config.pdfMultiLine)
            text = self.done.get(key)
            if text is None:
                if len(self.done) >= SUBSETS_KEPT:
                    self.done.clear()
                text = self.done[key] = super().format(document, IND)
            return text

    class RememberingFont(TTFont):
        def __init__(self, name, filename):
            super().__init__(name, filename)
            build = self.face.makeSubset
            made: dict[tuple, bytes] = {}

            def make_subset(subset):
                key = tuple(subset)
                if key not in made:
                    if len(made) >= SUBSETS_KEPT:
                        made.clear()
                    made[key] = build(subset)
                return made[key]

            self.face.makeSubset = make_subset

        def addObjects(self, doc):  # noqa: N802 - ReportLab's name
            before = set(doc.idToObject)
            super().addObjects(doc)
            for name in doc.idToObject.keys() - before:
                added = doc.idToObject[name]
                if name.startswith(("fontFile:", "toUnicodeCMap:")) and getattr(
                    added, "filters", None
                ) == [pdfdoc.PDFZCompress]:
                    added.filters = [_FLATE]
                widths = getattr(added, "Widths", None)
                if type(widths) is pdfdoc.PDFArray and all(
                    type(width) in (int, float) for width in widths.sequence
                ):
                    added.Widths = RememberedWidths(widths.sequence)

    return RememberingFont


@cache
def register_fonts() -> None:
    """Register the main fonts with ReportLab, once per process."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics

    font = _font_class()
    pdfmetrics.registerFont(font(REGULAR, FONT_DIR / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(font(BOLD, FONT_DIR / "DejaVuSans-Bold.ttf"))
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(REGULAR, bold, italic, BOLD if bold else REGULAR)


@cache
def _fallback_glyphs(name: str) -> frozenset[int]:
    """Register one fallback font (on first need) and return the characters it draws."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics

    filename = dict(FALLBACKS)[name]
    font = _font_class()(name, FONT_DIR / filename)
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
