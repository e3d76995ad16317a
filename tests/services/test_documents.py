"""Documents at the service level: ``render_document``, the view models, the formats.

What a customer reads is checked in the text extracted from the PDF (see
``tests/documents_support.py``); the HTML version is checked in its source.
Text a user typed must print literally (never act as ReportLab or HTML markup)
in every script a customer's name may be written in. Long documents flow over
pages with their table header repeated. The tax breakdown and the money format
are checked as properties with Hypothesis.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordercli.db.engine import dispose_all, open_ledger, resolve_location, unit_of_work
from ordercli.documents import Rendered, render_document
from ordercli.documents.context import (
    invoice_context,
    packing_slip_context,
    tax_breakdown,
)
from ordercli.documents.templating import Formats
from ordercli.domain.errors import InvalidInput, NotFound
from ordercli.services.inventory import catalog
from ordercli.services.parties import customers
from ordercli.services.sales import fulfilment, invoicing, ordering, quoting
from tests.documents_support import (
    CURRENCY_AMOUNT,
    font_names,
    has_pdftoppm,
    has_pdftotext,
    norm,
    page_count,
    page_lines,
    page_texts,
    pdf_text,
    pdftotext_layout,
    render_png,
)

TODAY = "2026-03-20"
CJK_FONT = "DroidSansFallback"  # the bundled fallback font's own name inside the PDF


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)
    monkeypatch.delenv("ORDERCLI_TEMPLATES", raising=False)


def render(uow, kind: str, key: str, fmt: str = "pdf", **options) -> Rendered:
    with uow(write=False) as session:
        return render_document(session, kind, key, fmt=fmt, **options)


# --- hostile text ----------------------------------------------------------------------------

HOSTILE = {
    "font markup": "<font color=red>x</font>",
    "image markup": '<img src="/etc/passwd">',
    "an entity": "&amp;",
    "comparisons": "a < b & c > d",
    "bold markup": "<b>bold?</b>",
    "quotes": "\"double\" 'single'",
    "Cyrillic": "ООО «Ромашка»",
    "accented Latin": "Éléonore Größ-Núñez Ærøskøbing",
    "Chinese": "株式会社",
    "Japanese kana": "ひらがな カタカナ",
    "Korean": "한국어",
}
ARABIC = "شركة النور"
EMOJI = "🎉📦"


def hostile_ledger(uow) -> dict[str, str]:
    """Every user-typed field that reaches a document, filled with hostile text.

    Returns the document numbers. Field limits are the product's: a customer or
    product name takes 200 characters (so no 2,000-character name), a note 2,000."""
    from ordercli.services.parties.company import update_company
    from ordercli.services.settlement import credit_memos

    every = " ".join(HOSTILE.values())
    note = (" ".join(HOSTILE.values()) + " ") * 11
    with uow() as session:
        update_company(
            session,
            name="<b>Seller</b> & Söhne 株式会社",
            address="<font color=red>1</font> Mill Road\na < b & c > d",
            footer='<img src="/etc/passwd"> footer &amp; 한국어',
            bank_details="IBAN <b>GB29</b> & ООО",
        )
        customers.add_customer(
            session=session,
            name=every[:200],
            code="HOSTILE",
            billing_address="\n".join([*HOSTILE.values(), ARABIC]),
            shipping_address=f"{ARABIC}\n{every}",
            tax_id="<i>TAX</i>&id",
        )
        catalog.add_product(
            session=session,
            sku="HOST-1",
            name=" ".join(list(HOSTILE.values())[:6]),
            price=Decimal("10.00"),
            tax_rate=Decimal("19"),
            stock=Decimal(10),
        )
        catalog.add_product(
            session=session,
            sku="HOST-2",
            name=" ".join(list(HOSTILE.values())[6:]),
            price=Decimal("2.50"),
            tax_rate=Decimal("7"),
            stock=Decimal(10),
        )
        order = ordering.new_order(session=session, customer_code="HOSTILE")
        for sku in ("HOST-1", "HOST-2"):
            ordering.add_order_line(session=session, number=order.number, sku=sku, qty=Decimal(2))
        ordering.confirm_order(session=session, number=order.number)
        shipment = fulfilment.create_shipment(
            session=session, order_number=order.number, carrier="<i>Carrier</i>", tracking="&T1;"
        )
        invoice = invoicing.create_invoice(session=session, order_number=order.number)
        memo = credit_memos.create_credit_memo(
            session=session,
            invoice_number=invoice.number,
            lines=[("HOST-1", Decimal(1))],
            reason='<font color=red>why</font> "quoted"',
        )
        quote = quoting.new_quote(session=session, customer_code="HOSTILE")
        quoting.add_quote_line(session=session, number=quote.number, sku="HOST-2", qty=Decimal(1))
        quoting.add_quote_note(
            session=session, number=quote.number, text=note[:2000], customer_visible=True
        )
        return {
            "invoice": invoice.number,
            "quote": quote.number,
            "credit-memo": memo.number,
            "packing-slip": shipment.number,
            "statement": "HOSTILE",
        }


KINDS = ["invoice", "quote", "credit-memo", "packing-slip", "statement"]


@pytest.fixture
def hostile(seeded, uow) -> dict[str, str]:
    return hostile_ledger(uow)


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_text_prints_literally_in_the_pdf(hostile, uow, kind):
    rendered = render(uow, kind, hostile[kind])
    assert rendered.mime == "application/pdf"
    text = pdf_text(rendered.content)
    # the customer's name as one piece: markup in it neither styled nor dropped
    assert norm(" ".join(HOSTILE.values())[:200]) in text
    missing = [name for name, value in HOSTILE.items() if value not in text]
    assert not missing, f"not printed literally: {missing}\n{text}"
    # the seller's own profile is user text too
    for literal in ("<b>Seller</b> & Söhne 株式会社", "<font color=red>1</font> Mill Road"):
        assert literal in text
    assert '<img src="/etc/passwd"> footer &amp; 한국어' in text
    if kind != "packing-slip":
        assert "<i>TAX</i>&id" in text  # the customer's tax id
    if kind == "invoice":
        assert "IBAN <b>GB29</b> & ООО" in text
    if kind == "quote":  # the 2,000-character note, whole
        assert text.count("<font color=red>x</font>") >= 11
    if kind == "credit-memo":
        assert '<font color=red>why</font> "quoted"' in text
    if kind == "packing-slip":
        assert "<i>Carrier</i>" in text and "&T1;" in text


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_text_is_escaped_in_the_html(hostile, uow, kind):
    rendered = render(uow, kind, hostile[kind], fmt="html")
    assert rendered.mime == "text/html" and rendered.filename.endswith(".html")
    html = rendered.content.decode("utf-8")
    for raw in ('<img src="/etc/passwd">', "<font color=red>", "<b>Seller</b>", "<b>bold?</b>"):
        assert raw not in html
    for escaped in (
        "&lt;font color=red&gt;x&lt;/font&gt;",
        "&lt;img src=&#34;/etc/passwd&#34;&gt;",
        "&amp;amp;",
        "a &lt; b &amp; c &gt; d",
        "&#34;double&#34; &#39;single&#39;",
        "&lt;b&gt;Seller&lt;/b&gt; &amp; Söhne 株式会社",
    ):
        assert escaped in html, escaped
    for script in ("ООО «Ромашка»", "株式会社", "ひらがな カタカナ", "한국어", ARABIC):
        assert script in html
    # the only <img> a document may carry is the company logo (a data: URI)
    assert re.findall(r"<img\b[^>]*>", html) == []


def test_arabic_prints_in_reading_order(seeded, uow):
    with uow() as session:
        customers.add_customer(session=session, name=ARABIC, code="NOOR")
        order = ordering.new_order(session=session, customer_code="NOOR")
        ordering.add_order_line(session=session, number=order.number, sku="INSTALL", qty=Decimal(1))
        ordering.confirm_order(session=session, number=order.number)
        number = invoicing.create_invoice(session=session, order_number=order.number).number
    text = pdf_text(render(uow, "invoice", number).content)
    assert "Bill to" in text
    # Drawn joined, in contextual letter forms (Arabic presentation forms)...
    assert any("\ufe70" <= ch <= "\ufeff" for ch in text)
    # ...and in reading order: the text read back is the name, letter for letter.
    import unicodedata

    assert ARABIC in unicodedata.normalize("NFKC", text)


def test_emoji_print(seeded, uow):
    with uow() as session:
        customers.add_customer(session=session, name=f"Party Shop {EMOJI}", code="PARTY")
        order = ordering.new_order(session=session, customer_code="PARTY")
        ordering.add_order_line(session=session, number=order.number, sku="INSTALL", qty=Decimal(1))
        ordering.confirm_order(session=session, number=order.number)
        number = invoicing.create_invoice(session=session, order_number=order.number).number
    content = render(uow, "invoice", number).content
    assert "Party Shop" in pdf_text(content)
    # Drawn with a font that has them (not blank): the Symbola subset is embedded.
    # Reading them back is not asserted: ReportLab writes characters beyond U+FFFF
    # into the PDF's text map in a form text extractors cannot read.
    assert b"Symbola" in content


def test_a_long_name_and_a_long_word_print_whole(seeded, uow):
    name = ("Very Long Company Name GmbH & Co. KG " * 6)[:200]
    address = "\n".join(f"Building {n}, Long Street {n}, Estate {n}" for n in range(20))
    word = "X" * 64  # the longest SKU: one unbreakable word in a narrow column
    with uow() as session:
        customers.add_customer(
            session=session, name=name, code="LONG", billing_address=address, shipping_address=name
        )
        catalog.add_product(
            session=session, sku=word, name="Widget " * 28, price=Decimal("1.00"), service=True
        )
        order = ordering.new_order(session=session, customer_code="LONG")
        ordering.add_order_line(session=session, number=order.number, sku=word, qty=Decimal(3))
        ordering.confirm_order(session=session, number=order.number)
        number = invoicing.create_invoice(session=session, order_number=order.number).number
    text = pdf_text(render(uow, "invoice", number).content)
    assert norm(name) in text
    assert "Building 19, Long Street 19, Estate 19" in text
    # a word wider than its column is broken, never dropped
    assert word in text.replace(" ", "")
    assert "Balance due €3.00" in text


def test_an_address_taller_than_a_page_flows_onto_the_next(seeded, uow):
    address = "\n".join(f"Line {n:03d} of the address" for n in range(90))[:2000]
    with uow() as session:
        customers.add_customer(
            session=session, name="Long Address Ltd", code="TALL", billing_address=address
        )
        order = ordering.new_order(session=session, customer_code="TALL")
        ordering.add_order_line(session=session, number=order.number, sku="INSTALL", qty=Decimal(1))
        ordering.confirm_order(session=session, number=order.number)
        number = invoicing.create_invoice(session=session, order_number=order.number).number
    content = render(uow, "invoice", number).content
    text = pdf_text(content)
    assert page_count(content) == 2
    assert all(f"Line {n:03d} of the address" in text for n in range(80))
    assert "Balance due €77.35" in text


# --- fonts -----------------------------------------------------------------------------------


def test_the_cjk_font_is_embedded_only_when_needed(seeded, invoiced, uow):
    _, latin = invoiced("ACME", [("DESK-OAK", "1")])
    _, german = invoiced("MUELLER", [("DESK-OAK", "1")])  # Müller & Söhne, München
    _, japanese = invoiced("TOKYO", [("DESK-OAK", "1")])  # 株式会社さくらオフィス
    latin_pdf = render(uow, "invoice", latin).content
    german_pdf = render(uow, "invoice", german).content
    japanese_pdf = render(uow, "invoice", japanese).content

    assert CJK_FONT not in font_names(latin_pdf)
    assert CJK_FONT not in font_names(german_pdf)
    assert CJK_FONT in font_names(japanese_pdf)
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= font_names(latin_pdf)
    assert "Müller & Söhne Architekten" in pdf_text(german_pdf)
    text = pdf_text(japanese_pdf)
    assert "株式会社さくらオフィス" in text and "東京都千代田区丸の内1-1-1" in text
    # Fonts are embedded as subsets: the 3.4 MB CJK font adds only the glyphs used.
    assert len(latin_pdf) < len(japanese_pdf) < 200_000


# --- view models -----------------------------------------------------------------------------


def test_invoice_context_is_the_ledgers_invoice(seeded, invoiced, uow):
    _, number = invoiced(
        "ACME", [("DESK-OAK", "2", "489.00", "10"), ("PLANT-FICUS", "3"), ("COFFEE-KG", "1.5")]
    )
    with uow(write=False) as session:
        context = invoice_context(session, number)
        view = invoicing.get_invoice(session=session, number=number)
    invoice = context["invoice"]
    assert context["document"] is invoice and context["kind"] == "invoice"
    assert invoice["total"] == Decimal(view.total) / 100
    assert context["has_discounts"] is True
    rates = [
        (row["rate"], row["net"], row["tax"], row["lines"]) for row in context["tax_breakdown"]
    ]
    # 7 %: 3 × 59.00 + 1.5 × 21.40 = 209.10, tax 12.39 + 2.25; 19 %: 880.20, tax 167.24
    assert rates == [
        (Decimal("7"), Decimal("209.10"), Decimal("14.64"), 2),
        (Decimal("19"), Decimal("880.20"), Decimal("167.24"), 1),
    ]
    assert sum(row["tax"] for row in context["tax_breakdown"]) == invoice["tax"]
    assert sum(row["net"] for row in context["tax_breakdown"]) == invoice["subtotal"]


def test_packing_slip_context_carries_no_prices(seeded, uow):
    with uow() as session:
        order = ordering.new_order(session=session, customer_code="ACME")
        for sku, qty in (("DESK-OAK", 4), ("LAMP-LED", 2)):
            ordering.add_order_line(session=session, number=order.number, sku=sku, qty=Decimal(qty))
        ordering.confirm_order(session=session, number=order.number)
        shipment = fulfilment.create_shipment(
            session=session, order_number=order.number, lines=[("DESK-OAK", Decimal(1))]
        ).number
    with uow(write=False) as session:
        context = packing_slip_context(session, shipment)
    lines = context["shipment"]["lines"]
    assert [(line["sku"], line["qty"], line["still_to_come"]) for line in lines] == [
        ("DESK-OAK", Decimal(1), Decimal(3))
    ]
    priced = {"unit_price", "net", "tax", "total", "subtotal", "price"}
    assert not priced & set(lines[0]), lines[0]
    assert not priced & set(context["shipment"])
    text = pdf_text(render(uow, "packing-slip", shipment).content)
    assert CURRENCY_AMOUNT.search(text) is None
    assert "489" not in text and "€" not in text


def test_unknown_kinds_formats_and_numbers_are_refused(seeded, invoiced, uow):
    _, number = invoiced()
    with uow(write=False) as session:
        with pytest.raises(InvalidInput, match="unknown document format 'docx'"):
            render_document(session, "invoice", number, fmt="docx")
        with pytest.raises(InvalidInput, match="unknown document kind 'receipt'"):
            render_document(session, "receipt", number)
        with pytest.raises(NotFound):
            render_document(session, "invoice", "INV-09999")
        with pytest.raises(NotFound):
            render_document(session, "statement", "NOBODY")


# --- a long invoice ----------------------------------------------------------------------------

LINES = 300
HEADER = ["#", "SKU", "Description", "Qty", "Unit", "Unit price", "Tax", "Net amount"]


def sku_of(n: int) -> str:
    return f"PART-{n:04d}"


@pytest.fixture(scope="module")
def long_invoice(tmp_path_factory) -> dict:
    """A 300-line invoice (one SKU per line, two tax rates), rendered once for the module."""
    path = tmp_path_factory.mktemp("long-invoice") / "ledger.db"
    url = resolve_location(str(path))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ORDERCLI_TODAY", TODAY)
        engine = open_ledger(url, create=True)
        with unit_of_work(engine) as session:
            customers.add_customer(session=session, name="Big Buyer Ltd", code="BIG", terms_days=30)
            order = ordering.new_order(session=session, customer_code="BIG")
            for n in range(1, LINES + 1):
                catalog.add_product(
                    session=session,
                    sku=sku_of(n),
                    name=f"Spare part number {n}",
                    price=Decimal(n) + Decimal("0.25"),
                    tax_rate=Decimal(7 if n % 3 == 0 else 19),
                    service=True,
                )
                ordering.add_order_line(
                    session=session, number=order.number, sku=sku_of(n), qty=Decimal(n % 5 + 1)
                )
            ordering.confirm_order(session=session, number=order.number)
            number = invoicing.create_invoice(session=session, order_number=order.number).number
        with unit_of_work(engine, write=False) as session:
            view = invoice_context(session, number)["invoice"]
            content = render_document(session, "invoice", number).content
    dispose_all()
    return {"view": view, "content": content, "pages": page_texts(content)}


def test_a_300_line_invoice_spans_pages_with_the_header_on_each(long_invoice):
    pages = long_invoice["pages"]
    assert page_count(long_invoice["content"]) == len(pages) >= 4
    for number, page in enumerate(pages, start=1):
        lines = page_lines(page)
        starts = [i for i in range(len(lines)) if lines[i : i + len(HEADER)] == HEADER]
        assert len(starts) == 1, f"page {number}: table header found {len(starts)} times"
        footer = re.findall(r"Page (\d+) of (\d+)", page)
        assert footer == [(str(number), str(len(pages)))], f"page {number}: {footer}"


def test_a_300_line_invoice_prints_every_line_once_whole_and_in_order(long_invoice):
    pages = long_invoice["pages"]
    found = [re.findall(r"\bPART-\d{4}\b", page) for page in pages]
    assert [sku for page in found for sku in page] == [sku_of(n) for n in range(1, LINES + 1)]
    lines = {line["sku"]: line for line in long_invoice["view"]["lines"]}
    for page, skus in zip(pages, found, strict=True):
        text = norm(page)
        for sku in skus:
            line = lines[sku]
            cells = [
                str(line["line"]),
                sku,
                line["description"],
                f"{line['qty']:f}",
                "pc",  # the parts are counted in pieces, the default unit
                f"€{line['unit_price']:,.2f}",
                f"{line['tax_rate']:f}%",
                f"€{line['net']:,.2f}",
            ]
            assert " ".join(cells) in text, f"row {sku} not whole on its page"


def test_a_300_line_invoice_has_its_totals_on_the_last_page_only(long_invoice):
    invoice, pages = long_invoice["view"], long_invoice["pages"]
    totals = (
        f"Subtotal €{invoice['subtotal']:,.2f} Tax €{invoice['tax']:,.2f} "
        f"Total €{invoice['total']:,.2f} Balance due €{invoice['balance']:,.2f}"
    )
    assert totals in norm(pages[-1])
    assert "Please pay" in pages[-1]
    for page in pages[:-1]:
        assert "Subtotal" not in page and "Balance due" not in page and "Tax rate" not in page
    # The tax per rate adds up to the tax total.
    per_rate = re.findall(r"(\d+)% €([\d,]+\.\d\d) €([\d,]+\.\d\d)", norm(pages[-1]))
    assert [rate for rate, _, _ in per_rate] == ["7", "19"]
    assert sum(Decimal(tax.replace(",", "")) for _, _, tax in per_rate) == invoice["tax"]
    assert sum(Decimal(net.replace(",", "")) for _, net, _ in per_rate) == invoice["subtotal"]


def test_a_300_line_invoice_layout_keeps_each_row_on_one_line(long_invoice, tmp_path):
    if not has_pdftotext():
        pytest.skip("poppler's pdftotext is not installed: the layout check needs it")
    layout = pdftotext_layout(long_invoice["content"], tmp_path).splitlines()
    last = long_invoice["view"]["lines"][-1]
    row = [line for line in layout if sku_of(LINES) in line]
    assert len(row) == 1
    assert re.search(
        rf"{sku_of(LINES)}\s+Spare part number {LINES}\s+{last['qty']:f}\s+pc\s+€", row[0]
    )
    assert row[0].rstrip().endswith(f"€{last['net']:,.2f}")
    balance = [line for line in layout if "Balance due" in line]
    assert len(balance) == 1
    assert balance[0].rstrip().endswith(f"€{long_invoice['view']['balance']:,.2f}")


# --- a page as an image ----------------------------------------------------------------------


def test_page_one_renders_to_an_image(seeded, invoiced, uow, tmp_path):
    if not has_pdftoppm():
        pytest.skip("poppler's pdftoppm is not installed: rendering to PNG needs it")
    from PIL import Image

    _, number = invoiced("TOKYO", [("DESK-OAK", "2"), ("INSTALL", "3")])
    png = render_png(render(uow, "invoice", number).content, tmp_path, resolution=50)
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(png) as image:
        width, height = image.size
        assert abs(width / height - 210 / 297) < 0.01  # A4 portrait
        dark = sum(image.convert("L").histogram()[:128])
    # ink on the page, but far from all of it
    assert 0.002 < dark / (width * height) < 0.2


# --- properties ------------------------------------------------------------------------------

RATES = [Decimal("0"), Decimal("5.5"), Decimal("7"), Decimal("7.00"), Decimal("19"), Decimal("20")]
cents = st.integers(min_value=0, max_value=10**9).map(lambda n: Decimal(n).scaleb(-2))


@st.composite
def priced_lines(draw):
    lines = []
    for _ in range(draw(st.integers(min_value=0, max_value=25))):
        rate = draw(st.sampled_from(RATES))
        net = draw(cents)
        # the line's tax as the ledger rounds it: half-up to the cent
        tax = (net * rate / 100).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        # a line's stored tax is what the breakdown sums, never recomputed from its net
        tax += Decimal(draw(st.sampled_from([0, 0, 1]))).scaleb(-2)
        lines.append({"tax_rate": rate, "net": net, "tax": tax})
    return lines


@settings(max_examples=150, deadline=None)
@given(priced_lines())
def test_tax_breakdown_adds_up_to_the_lines(lines):
    breakdown = tax_breakdown(lines)
    assert sum((row["net"] for row in breakdown), Decimal(0)) == sum(
        (line["net"] for line in lines), Decimal(0)
    )
    assert sum((row["tax"] for row in breakdown), Decimal(0)) == sum(
        (line["tax"] for line in lines), Decimal(0)
    )
    assert sum(row["lines"] for row in breakdown) == len(lines)
    # one row per rate (7 and 7.00 are one rate), in rising order
    assert [row["rate"] for row in breakdown] == sorted({line["tax_rate"] for line in lines})
    expected = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for line in lines:
        expected[line["tax_rate"]][0] += line["net"]
        expected[line["tax_rate"]][1] += line["tax"]
    for row in breakdown:
        assert [row["net"], row["tax"]] == expected[row["rate"]]


LOCALES = ["en_US", "en_GB", "de_DE", "de_CH", "fr_FR", "nl_NL", "sv_SE", "ja_JP", "en_IN", "es_ES"]
CURRENCIES = ["EUR", "USD", "GBP", "JPY", "CHF", "KWD", "SEK"]


@settings(max_examples=300, deadline=None)
@given(
    locale=st.sampled_from(LOCALES),
    currency=st.sampled_from(CURRENCIES),
    units=st.integers(min_value=-(10**13), max_value=10**13),
)
def test_money_format_round_trips_through_babel(locale, currency, units):
    from babel.numbers import get_currency_precision, get_currency_symbol, parse_decimal

    digits = get_currency_precision(currency)
    amount = Decimal(units).scaleb(-digits)
    text = Formats(currency, locale).money(amount)
    symbol = get_currency_symbol(currency, locale)
    assert symbol in text
    number = "".join(ch for ch in text.replace(symbol, "") if ch not in " \u00a0\u202f\u200e\u200f")
    assert parse_decimal(number, locale=locale, strict=True) == amount
    # exactly the currency's minor digits, never more or fewer
    separator = "." if locale in {"en_US", "en_GB", "de_CH", "ja_JP", "en_IN"} else ","
    fraction = number.rpartition(separator)[2] if separator in number else ""
    assert len(fraction) == digits or (digits == 0 and separator not in number), text


def test_money_formats_by_currency_and_locale():
    assert Formats("EUR", "en_US").money(Decimal("1234.50")) == "€1,234.50"
    assert norm(Formats("EUR", "de_DE").money(Decimal("1234.50"))) == "1.234,50 €"
    assert Formats("JPY", "en_US").money(Decimal("1235")) == "¥1,235"
    assert Formats("EUR", "en_US").money(Decimal("-5")) == "-€5.00"
    assert Formats("EUR", "en_US").money(None) == ""
    # an unknown locale falls back to en_US rather than failing the document
    assert Formats("EUR", "xx_YY").money(Decimal("1")) == "€1.00"
