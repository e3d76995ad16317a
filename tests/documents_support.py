"""Reading documents back: the text of a PDF, its pages, its fonts, and poppler when present.

The document tests check what a customer reads, not bytes: the text extracted
from each page (pypdf, always installed with the test extras), and, where
poppler is on the machine, its layout text and a rendered page image.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

from pypdf import PdfReader

# Spaces a locale puts inside amounts and dates (no-break, narrow no-break, thin).
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007]+")


def norm(text: str) -> str:
    """Text with every run of whitespace (no-break spaces too) as one plain space, and the
    minus sign (U+2212) as a hyphen: a template may write a deduction either way."""
    return _SPACES.sub(" ", text).replace("\u2212", "-").strip()


def pdf_reader(content: bytes) -> PdfReader:
    assert content.startswith(b"%PDF-"), content[:20]
    return PdfReader(io.BytesIO(content))


def page_texts(content: bytes) -> list[str]:
    """The text of every page, as pypdf extracts it."""
    return [page.extract_text() or "" for page in pdf_reader(content).pages]


def pdf_text(content: bytes) -> str:
    """The whole document's text, whitespace normalised (see ``norm``)."""
    return norm("\n".join(page_texts(content)))


def page_count(content: bytes) -> int:
    return len(pdf_reader(content).pages)


def page_lines(text: str) -> list[str]:
    """The non-empty lines of one page's extracted text, stripped."""
    return [norm(line) for line in text.splitlines() if line.strip()]


def font_names(content: bytes) -> set[str]:
    """The base font names the PDF's pages use (subset prefixes like ``AAAAAA+`` removed)."""
    names = set()
    for page in pdf_reader(content).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            name = str(ref.get_object().get("/BaseFont", ""))
            names.add(name.lstrip("/").split("+", 1)[-1])
    return names


def has_pdftotext() -> bool:
    return shutil.which("pdftotext") is not None


def has_pdftoppm() -> bool:
    return shutil.which("pdftoppm") is not None


def pdftotext_layout(content: bytes, folder: Path) -> str:
    """poppler's ``pdftotext -layout`` of the document (callers skip without poppler)."""
    source = folder / "layout-source.pdf"
    source.write_bytes(content)
    done = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(source), "-"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return done.stdout.decode("utf-8")


def render_png(content: bytes, folder: Path, *, resolution: int = 60) -> Path:
    """Page 1 rendered by ``pdftoppm`` as a PNG file in ``folder``."""
    source = folder / "page-source.pdf"
    source.write_bytes(content)
    stem = folder / "page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(resolution), "-f", "1", "-l", "1", "-singlefile"]
        + [str(source), str(stem)],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return stem.with_suffix(".png")


# A currency sign next to a number, as any locale writes money ("€1,234.50",
# "1.234,50 €", "¥1,235", "-€5.00").
CURRENCY_AMOUNT = re.compile(r"[€$£¥₩₹]\s?[-−]?\d|\d\s?[€$£¥₩₹]")
