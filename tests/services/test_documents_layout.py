"""How a document's HTML becomes a PDF, beyond what the customer reads.

The templates' HTML is read by a quick reader of well-formed HTML, and by the
standard library's parser for anything else; both must give the same tree, so
these tests hold the quick one to the standard one, on chosen cases and on
generated ones. Fonts, paragraphs and formatted values are remembered across
the documents of a process: a document made after others must be the very
same bytes as one made alone in a fresh process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordercli.documents import pdf, render_document, render_page
from ordercli.documents.context import invoice_context
from ordercli.documents.templating import Formats

TODAY = "2026-03-20"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)
    monkeypatch.delenv("ORDERCLI_TEMPLATES", raising=False)


def standard_tree(html: str):
    builder = pdf._TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root, " ".join(builder.title.split())


def quick_tree(html: str):
    """The quick reader's tree, or None when it leaves the document to the standard parser."""
    builder = pdf._TreeBuilder()
    if not pdf._parse_plain(html, builder):
        return None
    return builder.root, " ".join(builder.title.split())


WELL_FORMED = [
    "<!DOCTYPE html><html><head><title> A  title </title></head><body><p>x</p></body></html>",
    '<div class="columns keep"><div width="55%"><h3>Name</h3></div></div>',
    "<p>Tom &amp; Jerry &lt;b&gt; &#34;quoted&#34; &#x41; &copy; &nbsp;x</p>",
    "<P CLASS=Muted>upper case tags and a bare value</P>",
    "<td class=num>12</td><td colspan='2'>two</td><td hidden>flag</td><td x=\"\">empty</td>",
    '<img src="data:image/png;base64,AAAA" height="48" alt="a &amp; b"><br/><br /><hr>',
    "<style>\n  .columns > div { flex: 1; } a::before { content: '>'; }\n</style><p>after</p>",
    "<script>if (a) { x = 1 }</script><p>after</p>",
    "<!-- a comment --><p>text</p><!-- another -- with dashes --  >",
    '<b>bold <i>both</i></b> and <span class="muted">muted</span>\n\n  <small>s</small>',
    "<table><thead><tr><th>#</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>",
    "text before any tag <div>and</div> after the last one",
    "<div>unclosed <p>paragraph <b>bold</div> stray end </i> tag",
    '<a href="x/">a slash in a bare value: <a href=x/>here</a></a>',
    "<title>Invoice &amp; co</title>",
    "",
]

LEFT_TO_THE_STANDARD_PARSER = [
    "a < b and c > d",
    "<p>x</p><",
    "<!-- never closed <p>x</p>",
    "<?xml version='1.0'?><p>x</p>",
    "<![CDATA[x]]><p>y</p>",
    '<p a="1"b="2">no space between attributes</p>',
    "<p a==1>two equals signs</p>",
    "<div\u00a0class=x>a no-break space inside a tag</div>",
    "<style>a &amp; b</style><p>entity in raw text</p>",
    "<script>if (a < b) {}</script>",
    "<script>document.write('</b>')</script><p>x</p>",
    "<style>never closed",
    "</ p>",
    "<p/ class=x>slash before an attribute</p>",
]


@pytest.mark.parametrize("html", WELL_FORMED)
def test_the_quick_reader_gives_the_standard_parsers_tree(html):
    assert quick_tree(html) == standard_tree(html)
    assert pdf.parse_html(html) == standard_tree(html)


@pytest.mark.parametrize("html", LEFT_TO_THE_STANDARD_PARSER)
def test_html_the_quick_reader_is_unsure_of_goes_to_the_standard_parser(html):
    assert quick_tree(html) is None
    assert pdf.parse_html(html) == standard_tree(html)


PIECES = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<div class='x y'>",
        "</div>",
        "<b>",
        "</b>",
        "<br>",
        "<br/>",
        "<td class=num>",
        "<TD COLSPAN=2>",
        "</td>",
        "<img src=a.png>",
        "<style>",
        "</style>",
        "<script>",
        "</SCRIPT >",
        "<title>",
        "</title>",
        "<!-- c -->",
        "<!DOCTYPE html>",
        "&amp;",
        "&lt;",
        "&#34;",
        "&bogus;",
        "&",
        "<",
        ">",
        "=",
        "'",
        '"',
        " ",
        "\n",
        "\u00a0",
        "text",
        "Ünïcödé 株式",
        "<a href=x/>",
        '<p x="a > b">',
        "</ p>",
        "<?pi?>",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=25).map("".join))
def test_any_html_reads_as_the_standard_parser_reads_it(html):
    assert pdf.parse_html(html) == standard_tree(html)
    quick = quick_tree(html)
    assert quick is None or quick == standard_tree(html)


def test_every_bundled_template_is_read_quickly(seeded, invoiced, uow):
    """The templates' own HTML never needs the slow parser, hostile text or not."""
    from ordercli.services.parties.customers import add_customer

    with uow() as session:
        add_customer(
            session=session, name='<b>x</b> & "y" < z', code="ODD", billing_address="a\n<i>b</i>"
        )
    _, number = invoiced("ODD", [("DESK-OAK", "2")])
    with uow(write=False) as session:
        page = render_page("invoice", number, invoice_context(session, number))
    assert quick_tree(page.html) == standard_tree(page.html)


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
