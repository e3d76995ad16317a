"""How a document's HTML becomes a PDF, beyond what the customer reads.

The HTML is read by the standard library's parser, so a user's template need
not be well formed; the text of every cell and paragraph reaches the page.
Table cells without markup are drawn as strings whose look (bold, right-aligned,
muted) comes from table commands over a few rectangles of cells. Fonts, styles
and formatted values are remembered across the documents of a process: a
document made after others must be the very same bytes as one made alone in a
fresh process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordercli.documents import fonts, pdf, render_document
from ordercli.documents.templating import Formats
from tests.documents_support import norm, page_texts, pdf_reader, pdf_text

TODAY = "2026-03-20"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)
    monkeypatch.delenv("ORDERCLI_TEMPLATES", raising=False)


ODD_HTML = [
    ("a < b and c > d", "a < b and c > d"),
    ("<p>x</p><", "x"),
    ("<?xml version='1.0'?><p>x</p>", "x"),
    ('<p a="1"b="2">no space between attributes</p>', "no space between attributes"),
    ("<div>unclosed <p>paragraph <b>bold</div> stray end </i> tag", "unclosed paragraph bold"),
    ("<script>if (a < b) {}</script><p>after</p>", "after"),
    (
        "<style>a &amp; b</style><p>Tom &amp; Jerry &lt;b&gt; &#34;q&#34; &#x41;</p>",
        'Tom & Jerry <b> "q" A',
    ),
]


@pytest.mark.parametrize("html, text", ODD_HTML)
def test_html_a_user_template_may_hold_is_read_and_printed(html, text):
    """Stray ``<``, unclosed tags, entities, raw text: the text prints, markup never does."""
    printed = pdf_text(pdf.html_to_pdf(f"<html><body>{html}</body></html>"))
    assert text in printed
    assert "<p" not in printed and "script" not in printed and "&amp;" not in printed


def test_arabic_in_a_table_cell_prints_as_in_a_paragraph():
    """A short cell is drawn as a string, but right-to-left text is shaped and reordered
    first, as in a paragraph: joined letters in reading order, not the typed order."""
    import unicodedata

    name = "مكتبة النور"
    content = pdf.html_to_pdf(
        f"<html><body><p>{name}</p><table><tr><td>{name}</td></tr></table></body></html>"
    )
    paragraph, cell = [norm(line) for line in page_texts(content)[0].splitlines()[:2]]
    assert cell == paragraph
    assert unicodedata.normalize("NFKC", cell) == name


@pytest.mark.parametrize(
    "html, plain",
    [
        (
            "Am Sandtorkai 41<br>20457  Hamburg",
            (["Am Sandtorkai 41", "20457 Hamburg"], False, False),
        ),
        ("<b>Name \n Ltd</b>", (["Name Ltd"], True, False)),
        ('<span class="muted">a@b.example</span>', (["a@b.example"], False, True)),
        ("<br> x <br>", (["x"], False, False)),
        ("<i>slanted</i>", None),
        ("<small>small print</small>", None),
        ('<span class="muted">Tax ID:</span> DE1', None),
        ("one<br><br>three", None),
        ("", None),
    ],
)
def test_only_plain_text_is_set_without_the_markup_parser(html, plain):
    """Text and breaks, all bold or all muted, is set as it is; any other markup is a paragraph."""
    root, _ = pdf.parse_html(f"<p>{html}</p>")
    assert pdf._plain_lines(pdf._find(root, "p")) == plain


CELLS = st.sets(st.tuples(st.integers(0, 12), st.integers(0, 7)), min_size=1, max_size=60)


@settings(max_examples=300, deadline=None)
@given(CELLS)
def test_the_rectangles_of_a_look_cover_its_cells_and_no_others(cells):
    covered: list[tuple[int, int]] = []
    for (first_column, first_row), (last_column, last_row) in pdf._rectangles(cells):
        covered += [
            (row, column)
            for row in range(first_row, last_row + 1)
            for column in range(first_column, last_column + 1)
        ]
    assert sorted(covered) == sorted(cells)  # each cell once: no overlaps, none missed


def test_a_header_row_and_number_columns_are_one_rectangle_each():
    header = {(0, column) for column in range(8)}
    numbers = {(row, column) for row in range(0, 30) for column in (3, 4, 5, 6, 7)}
    assert list(pdf._rectangles(header)) == [((0, 0), (7, 0))]
    assert list(pdf._rectangles(numbers)) == [((3, 0), (7, 29))]


def placed_text(content: bytes) -> list[tuple[str, float, float, str]]:
    """Each piece of text on page one: the text, where it starts (x, y), its font."""
    pieces = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
            y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
            pieces.append((text.strip(), x, y, str(font.get("/BaseFont", "")) if font else ""))

    pdf_reader(content).pages[0].extract_text(visitor_text=visit)
    return pieces


def test_cells_without_markup_keep_their_look(seeded, invoiced, uow):
    """A bold heading, a right-aligned amount: drawn as strings, their look set by commands."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    _, number = invoiced("ACME", [("DESK-OAK", "2")])
    with uow(write=False) as session:
        pieces = placed_text(render_document(session, "invoice", number).content)
    heading = next(p for p in pieces if p[0] == "Net amount")
    sku = next(p for p in pieces if p[0] == "DESK-OAK")
    amount = max((p for p in pieces if p[2] == sku[2]), key=lambda p: p[1])  # the row's last

    def right_edge(piece) -> float:
        font = fonts.BOLD if "Bold" in piece[3] else fonts.REGULAR
        return piece[1] + stringWidth(piece[0], font, 9)

    assert "Bold" in heading[3] and "Bold" not in amount[3], (heading, amount)
    assert amount[0].startswith("€") and amount[1] > heading[1], (heading, amount)
    assert abs(right_edge(amount) - right_edge(heading)) < 0.5, (heading, amount)


def test_a_document_after_others_is_the_same_bytes_as_one_made_alone(
    seeded, invoiced, uow, ledger_path, tmp_path
):
    """What is remembered across documents (paragraphs, values) changes no byte."""
    from ordercli.services.parties.customers import add_customer

    with uow() as session:
        add_customer(session=session, name="Zoë Ærøskøbing Ltd", code="ZOE")
    _, first = invoiced("ACME", [("DESK-OAK", "1")])
    _, accented = invoiced("ZOE", [("DESK-OAK", "3")])
    _, last = invoiced("NORD", [("DESK-OAK", "2")])
    with uow(write=False) as session:
        made_after_others = {
            number: render_document(session, "invoice", number).content
            for number in (first, accented, last, first, accented)
        }
    for number in (first, accented, last):
        alone = tmp_path / f"{number}.pdf"
        done = subprocess.run(
            [sys.executable, "-m", "ordercli.cli.app", "--db", str(ledger_path), "invoice"]
            + ["pdf", number, "-o", str(alone)],
            capture_output=True,
            text=True,
            env={**os.environ, "ORDERCLI_TODAY": TODAY},
        )
        assert done.returncode == 0, done.stderr
        assert alone.read_bytes() == made_after_others[number], number


@pytest.mark.parametrize(
    "method, value",
    [
        ("pct", Decimal("19")),
        ("pct", Decimal("19.0")),
        ("pct", Decimal("19.00")),
        ("pct", 19),
        ("money", Decimal("1234.5")),
        ("money", Decimal("1234.50")),
        ("qty", Decimal("2.000")),
        ("qty", Decimal("2")),
    ],
)
def test_remembered_values_are_told_apart_by_their_exact_text(method, value):
    """Equal values of another type or exponent never take each other's text."""
    formats = Formats("EUR", "de_DE")
    fresh = getattr(Formats("EUR", "de_DE"), method)(value)
    # the neighbours of the value first, so a value that only equals another is not reused
    for other in (Decimal("19"), Decimal("19.0"), Decimal("19.00"), 19, Decimal("2")):
        getattr(formats, method)(other)
    assert getattr(formats, method)(value) == fresh


def test_a_value_printed_again_is_formatted_once(monkeypatch):
    import babel.numbers

    calls = []
    real = babel.numbers.format_currency

    def counted(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(babel.numbers, "format_currency", counted)
    formats = Formats("EUR", "en_US")
    printed = [formats.money(Decimal("10.50")) for _ in range(3)] + [formats.money(Decimal("7"))]
    assert printed == ["€10.50", "€10.50", "€10.50", "€7.00"]
    assert calls == [Decimal("10.50"), Decimal("7")]
