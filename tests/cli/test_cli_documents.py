"""Documents end to end: `invoice pdf`, `quote pdf`, `credit-memo pdf`, `shipment slip`,
`report statement --pdf`, and `invoice pdf --all`.

Each test reads the text back out of the PDF a customer would get and compares
it with what the ledger's own `--json` views hold: numbers, dates, every line,
the totals, the tax per rate and the balance, formatted for the company's
locale. Expected amounts are written out here by hand (``eur``), not through
the product's formatter, so a formatting mistake cannot agree with itself.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.documents_support import CURRENCY_AMOUNT, norm, page_count, pdf_reader, pdf_text

TODAY = "2026-03-20"
MINUS = "-"  # a deduction's sign (norm() reads U+2212 as a hyphen too)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """Documents print dates: the ledger's day is fixed so they are known."""
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)
    monkeypatch.delenv("ORDERCLI_TEMPLATES", raising=False)


# --- expected text, written independently of the product's formatting ------------------


def eur(amount) -> str:
    """An amount in EUR as en_US writes it: ``€1,234.50``, ``-€5.00``."""
    value = Decimal(amount)
    return f"{'-' if value < 0 else ''}€{abs(value):,.2f}"


def eur_de(amount) -> str:
    """An amount in EUR as de_DE writes it: ``1.234,50 €``."""
    value = Decimal(amount)
    digits = f"{abs(value):,.2f}".translate(str.maketrans(",.", ".,"))
    return f"{'-' if value < 0 else ''}{digits} €"


def us_date(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day:%b} {day.day}, {day.year}"


def de_date(iso: str) -> str:
    return f"{date.fromisoformat(iso):%d.%m.%Y}"


def plain(number) -> str:
    """A quantity or a rate without trailing zeros: ``2.5``, ``19``."""
    text = str(Decimal(number))
    return text.rstrip("0").rstrip(".") if "." in text else text


# The short name each document prints beside a quantity, by the line's unit code.
UNIT_SHOWN = {"C62": "pc", "HUR": "h", "KGM": "kg", "LS": "lump sum"}


def row(*cells) -> str:
    """Cells of one table row as they follow each other in the extracted text."""
    return norm(" ".join(str(c) for c in cells if c not in (None, "")))


def assert_contains(text: str, *expected: str) -> None:
    missing = [e for e in expected if norm(e) not in text]
    assert not missing, f"missing {missing!r} in:\n{text}"


def assert_row(text: str, first: list, last: list, *, words: int = 6) -> None:
    """A table row: ``first`` cells, then at most ``words`` words of description, then ``last``."""
    pattern = (
        re.escape(row(*first)) + rf"(?: \S+){{0,{words}}} " + re.escape(row(*last)) + r"(?: |$)"
    )
    assert re.search(pattern, text), f"no row {first} … {last} in:\n{text}"


def tax_rows(text: str, start: str, end: str) -> list[tuple[str, Decimal, Decimal]]:
    """The (rate, net, tax) rows of the tax breakdown table, as printed (en_US, EUR)."""
    section = text[text.index(start) : text.index(end, text.index(start))]
    found = re.findall(r"(\d+(?:\.\d+)?)% €([\d,]+\.\d\d) €([\d,]+\.\d\d)", section)
    return [
        (rate, Decimal(n.replace(",", "")), Decimal(t.replace(",", ""))) for rate, n, t in found
    ]


# --- the ledger every test starts from ---------------------------------------------------

COMPANY = {
    "name": "Widgets & Co",
    "address": "1 Mill Road\\nLeeds LS1 4AB",
    "tax_id": "GB999000111",
    "bank": "Northern Bank\\nIBAN GB29 NWBK 6016 1331 9268 19",
    "footer": "Registered in England no. 0123456",
}


def build_documents(cli) -> None:
    """ACME: SO-00001 invoiced (INV-00001, 2 March), part paid, part credited, part shipped;
    BRIGHT: quote Q-00001 and INV-00002 (10 March); NORD: INV-00003 (18 March)."""
    env = {"ORDERCLI_TODAY": TODAY}

    def ok(*args):
        return cli.ok(*args, env=env)

    ok(
        "company", "set", "--name", COMPANY["name"], "--address", COMPANY["address"],
        "--tax-id", COMPANY["tax_id"], "--bank-details", COMPANY["bank"],
        "--footer", COMPANY["footer"],
    )  # fmt: skip
    ok("order", "new", "ACME", "--date", "2026-03-01")  # rule 4a: before what it brings
    ok("order", "add-line", "SO-00001", "DESK-OAK", "4", "--discount", "10")
    ok("order", "add-line", "SO-00001", "INSTALL", "2.5")
    ok("order", "add-line", "SO-00001", "PLANT-FICUS", "3")
    ok("order", "confirm", "SO-00001")
    ok("invoice", "create", "SO-00001", "--date", "2026-03-02")
    ok("payment", "record", "ACME", "500.00", "--invoice", "INV-00001", "--date", "2026-03-05")
    ok(
        "credit-memo", "create", "INV-00001", "--line", "PLANT-FICUS=1",
        "--reason", "leaves damaged", "--date", "2026-03-06",
    )  # fmt: skip
    ok(
        "shipment", "create", "SO-00001", "--line", "DESK-OAK=3", "--line", "PLANT-FICUS=2",
        "--carrier", "DHL", "--tracking", "JD0146", "--date", "2026-03-03",
    )  # fmt: skip
    ok("quote", "new", "BRIGHT")
    ok("quote", "add-line", "Q-00001", "CHAIR-ERGO", "6", "--discount", "5")
    ok("quote", "add-line", "Q-00001", "LAMP-LED", "2")
    ok("quote", "add-line", "Q-00001", "COFFEE-KG", "1.5")
    ok("quote", "note", "Q-00001", "Delivery within two weeks", "--customer-visible")
    for customer, sku, day in (
        ("BRIGHT", "LAMP-LED", "2026-03-10"),
        ("NORD", "SHELF-WALL", "2026-03-18"),
    ):
        number = ok("order", "new", customer, "--date", day)["number"]
        ok("order", "add-line", number, sku, "2")
        ok("order", "confirm", number)
        ok("invoice", "create", number, "--date", day)


@pytest.fixture
def docs(shop, ledger_state):
    ledger_state("documents-tests", build_documents)
    return shop


@pytest.fixture
def out(tmp_path) -> Path:
    """An empty folder for the files a test writes (the ledger lives beside it)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def write_pdf(cli, folder: Path, *args: str, name: str = "out.pdf") -> bytes:
    """Run a document command with ``-o`` and return the file it wrote."""
    target = folder / name
    result = cli.run(*args, "-o", str(target))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stdout.startswith(f"wrote {target}"), result.stdout
    return target.read_bytes()


# --- 1. the numbers the ledger holds --------------------------------------------------------


def test_invoice_pdf_shows_the_ledgers_numbers_lines_and_totals(docs, tmp_path, unchanged):
    invoice = docs.ok("invoice", "show", "INV-00001")
    with unchanged():
        text = pdf_text(write_pdf(docs, tmp_path, "invoice", "pdf", "INV-00001"))

    assert_contains(
        text,
        "Invoice no. INV-00001",
        f"Issue date {us_date(invoice['issue_date'])}",
        f"Due date {us_date(invoice['due_date'])}",
        "Terms 30 days net",
        f"Order {invoice['order']}",
        # seller and buyer
        "Widgets & Co",
        "1 Mill Road",
        "Leeds LS1 4AB",
        "GB999000111",
        "Acme Office Supplies Ltd",
        "12 Harbour Road, Bristol BS1 4QA, UK",
        "Customer no.: ACME",
        COMPANY["footer"],
    )
    assert (invoice["issue_date"], invoice["due_date"]) == ("2026-03-02", "2026-04-01")
    assert len(invoice["lines"]) == 3
    for line in invoice["lines"]:
        discount = line["discount_pct"]
        assert_contains(
            text,
            row(
                line["line"],
                line["sku"],
                line["description"],
                plain(line["qty"]),
                UNIT_SHOWN[line["unit"]],
                eur(line["unit_price"]),
                f"{plain(discount)}%" if Decimal(discount) else None,
                f"{plain(line['tax_rate'])}%",
                eur(line["net"]),
            ),
        )
    assert_contains(text, row("1 DESK-OAK Oak desk, 160 × 80 cm 4 pc €489.00 10% 19% €1,760.40"))
    assert_contains(text, row("2 INSTALL Installation (per hour) 2.5 h €65.00 19% €162.50"))
    # The totals block in its order, exactly as `invoice show --json` has it.
    assert (invoice["paid"], invoice["credited"], invoice["balance"]) == (
        "500.00",
        "63.13",
        "1914.52",
    )
    assert_contains(
        text,
        row(
            "Subtotal", eur(invoice["subtotal"]),
            "Tax", eur(invoice["tax"]),
            "Total", eur(invoice["total"]),
            "Paid", MINUS + eur(invoice["paid"]),
            "Credited", MINUS + eur(invoice["credited"]),
            "Balance due", eur(invoice["balance"]),
        ),
    )  # fmt: skip
    # Payment instructions: what to pay, by when, and where.
    assert_contains(
        text,
        f"Please pay {eur(invoice['balance'])} by {us_date(invoice['due_date'])}, "
        "quoting invoice number INV-00001.",
        "IBAN GB29 NWBK 6016 1331 9268 19",
        "Page 1 of 1",
    )


def test_invoice_tax_breakdown_per_rate_sums_to_the_tax_total(docs, tmp_path):
    invoice = docs.ok("invoice", "show", "INV-00001")
    text = pdf_text(write_pdf(docs, tmp_path, "invoice", "pdf", "INV-00001"))

    printed = tax_rows(text, "Tax rate Net Tax", "Subtotal")
    expected: dict[str, list[Decimal]] = {}
    for line in invoice["lines"]:
        bucket = expected.setdefault(plain(line["tax_rate"]), [Decimal(0), Decimal(0)])
        bucket[0] += Decimal(line["net"])
        bucket[1] += Decimal(line["tax"])
    assert printed == [
        ("7", Decimal("177.00"), Decimal("12.39")),
        ("19", Decimal("1922.90"), Decimal("365.36")),
    ]
    assert {rate: [net, tax] for rate, net, tax in printed} == expected
    assert sum(tax for _, _, tax in printed) == Decimal(invoice["tax"])
    assert sum(net for _, net, _ in printed) == Decimal(invoice["subtotal"])


def test_invoice_html_is_the_same_document_escaped(docs, tmp_path):
    target = tmp_path / "invoice.html"
    doc = docs.ok("invoice", "pdf", "INV-00001", "--html", "-o", str(target))
    assert doc == {
        "kind": "invoice",
        "document": "INV-00001",
        "format": "html",
        "file": str(target),
        "bytes": target.stat().st_size,
    }
    html = target.read_text(encoding="utf-8")
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert "Widgets &amp; Co" in html and "Widgets & Co" not in html
    for amount in ("€2,477.65", "€1,914.52", "€1,760.40", "€377.75"):
        assert amount in html


def test_invoice_in_the_german_locale(docs, tmp_path):
    docs.ok("company", "set", "--locale", "de_DE")
    invoice = docs.ok("invoice", "show", "INV-00001")
    text = pdf_text(write_pdf(docs, tmp_path, "invoice", "pdf", "INV-00001"))

    assert_contains(
        text,
        f"Issue date {de_date(invoice['issue_date'])}",
        "Due date 01.04.2026",
        row(
            "1 DESK-OAK Oak desk, 160 × 80 cm 4 pc", eur_de("489.00"), "10 % 19 %",
            eur_de("1760.40"),
        ),
        row("2 INSTALL Installation (per hour) 2,5 h", eur_de("65.00"), "19 %", eur_de("162.50")),
        row(
            "Subtotal", eur_de(invoice["subtotal"]),
            "Tax", eur_de(invoice["tax"]),
            "Total", eur_de(invoice["total"]),
            "Paid", MINUS + eur_de(invoice["paid"]),
            "Credited", MINUS + eur_de(invoice["credited"]),
            "Balance due", eur_de(invoice["balance"]),
        ),
    )  # fmt: skip
    assert "2.477,65 €" in text and "€2,477.65" not in text


def test_quote_pdf_shows_lines_totals_and_validity(docs, tmp_path, unchanged):
    quote = docs.ok("quote", "show", "Q-00001")
    with unchanged():
        text = pdf_text(write_pdf(docs, tmp_path, "quote", "pdf", "Q-00001"))

    assert_contains(
        text,
        "Quote no. Q-00001",
        f"Date {us_date(quote['issue_date'])}",
        f"Valid until {us_date(quote['valid_until'])}",
        "Prepared for",
        "Bright Spaces Interiors GmbH",
        "Delivery within two weeks",
    )
    assert quote["valid_until"] == "2026-04-19"
    for line in quote["lines"]:
        discount = Decimal(line["discount_pct"])
        assert_contains(
            text,
            row(
                line["line"], line["sku"], line["description"], plain(line["qty"]),
                UNIT_SHOWN[line["unit"]],
                eur(line["unit_price"]), f"{plain(discount)}%" if discount else None,
                f"{plain(line['tax_rate'])}%", eur(line["net"]),
            ),
        )  # fmt: skip
    assert_contains(
        text,
        row(
            "Subtotal",
            eur(quote["subtotal"]),
            "Tax",
            eur(quote["tax"]),
            "Total",
            eur(quote["total"]),
        ),
    )
    printed = tax_rows(text, "Tax rate Net Tax", "Subtotal")
    assert [rate for rate, _, _ in printed] == ["7", "19"]
    assert sum(tax for _, _, tax in printed) == Decimal(quote["tax"])
    assert "Paid" not in text and "Balance due" not in text


def test_credit_memo_pdf_shows_the_credited_lines_and_settlement(docs, tmp_path, unchanged):
    memo = docs.ok("credit-memo", "show", "CM-00001")
    with unchanged():
        text = pdf_text(write_pdf(docs, tmp_path, "credit-memo", "pdf", "CM-00001"))

    assert_contains(
        text,
        "Credit memo no. CM-00001",
        f"Date {us_date(memo['issue_date'])}",
        "For invoice INV-00001",
        "Mar 2, 2026",  # the invoice's date
        "Order SO-00001",
        "Reason: leaves damaged",
        row(
            memo["lines"][0]["line"], "PLANT-FICUS", "Ficus plant, 120 cm", "1", "pc",
            eur(memo["lines"][0]["unit_price"]), "7%", eur(memo["lines"][0]["net"]),
        ),
        row(
            "Subtotal", eur(memo["subtotal"]),
            "Tax", eur(memo["tax"]),
            "Total credited", eur(memo["total"]),
        ),
        f"{eur(memo['applied_to_invoice'])} reduces what is owed on invoice INV-00001.",
    )  # fmt: skip
    assert memo["total"] == "63.13"
    assert tax_rows(text, "Tax rate Net Tax", "Subtotal") == [
        ("7", Decimal("59.00"), Decimal("4.13"))
    ]


def test_statement_pdf_running_and_closing_balance_equal_the_report(docs, tmp_path, unchanged):
    report = docs.ok("report", "statement", "ACME")
    with unchanged():
        text = pdf_text(write_pdf(docs, tmp_path, "report", "statement", "ACME", "--pdf"))

    assert report["to"] == TODAY and len(report["lines"]) == 3
    for line in report["lines"]:
        assert_row(
            text,
            [us_date(line["date"]), line["number"]],
            [
                eur(line["debit"]) if Decimal(line["debit"]) else None,
                eur(line["credit"]) if Decimal(line["credit"]) else None,
                eur(line["balance"]),
            ],
        )
    assert [line["balance"] for line in report["lines"]] == ["2477.65", "1977.65", "1914.52"]
    assert_contains(
        text,
        f"Balance at {us_date(TODAY)} {eur(report['closing_balance'])}",
        f"Balance {eur(report['closing_balance'])}",
        f"Please pay the open balance of {eur(report['closing_balance'])}",
        "Customer no. ACME",
    )


def test_statement_period_starts_with_the_opening_balance(docs, tmp_path):
    report = docs.ok("report", "statement", "ACME", "--from", "2026-03-04", "--to", "2026-03-05")
    text = pdf_text(
        write_pdf(
            docs, tmp_path, "report", "statement", "ACME", "--pdf",
            "--from", "2026-03-04", "--to", "2026-03-05",
        )
    )  # fmt: skip
    assert report["opening_balance"] == "2477.65"
    assert [line["number"] for line in report["lines"]] == ["PAY-00001"]
    assert_contains(
        text,
        row("Mar 4, 2026 Opening balance", eur(report["opening_balance"])),
        f"Balance at Mar 5, 2026 {eur(report['closing_balance'])}",
    )
    assert_row(text, ["Mar 5, 2026", "PAY-00001"], ["€500.00", "€1,977.65"])
    assert "CM-00001" not in text
    # The invoice still open shows among the open items (rule 20), not the period's lines.
    lines, open_items = text.split("Open items")
    assert "INV-00001" not in lines and "INV-00001" in open_items


def test_packing_slip_lists_goods_and_no_prices(docs, tmp_path, unchanged):
    shipment = docs.ok("shipment", "show", "SH-00001")
    with unchanged():
        text = pdf_text(write_pdf(docs, tmp_path, "shipment", "slip", "SH-00001"))

    assert_contains(
        text,
        "Packing slip",
        "Shipment no. SH-00001",
        f"Ship date {us_date(shipment['ship_date'])}",
        "Order SO-00001",
        "Carrier DHL",
        "Tracking no. JD0146",
        # goods go to the shipping address, not the billing one
        "Unit 4, Avon Trade Park, Bristol BS11 9FG, UK",
        # what is still to come on the order: 4 − 3 desks, 3 − 2 plants
        row("1 DESK-OAK Oak desk, 160 × 80 cm 3 pc 1"),
        row("2 PLANT-FICUS Ficus plant, 120 cm 2 pc 1"),
        "2 lines: 5 pc",
    )
    assert [(line["sku"], line["qty"]) for line in shipment["lines"]] == [
        ("DESK-OAK", "3"),
        ("PLANT-FICUS", "2"),
    ]
    assert CURRENCY_AMOUNT.search(text) is None, CURRENCY_AMOUNT.search(text)
    for price in ("489", "59.00", "1,760.40", "Unit price", "Net amount", "Total"):
        assert price not in text


def test_the_documents_default_file_names(docs, out, monkeypatch):
    monkeypatch.chdir(out)
    commands = [
        (("invoice", "pdf", "INV-00002"), "INV-00002.pdf"),
        (("invoice", "pdf", "INV-00002", "--html"), "INV-00002.html"),
        (("quote", "pdf", "Q-00001"), "Q-00001.pdf"),
        (("credit-memo", "pdf", "CM-00001"), "CM-00001.pdf"),
        (("shipment", "slip", "SH-00001"), "packing-slip-SH-00001.pdf"),
        (("report", "statement", "NORD", "--pdf"), f"statement-NORD-{TODAY}.pdf"),
    ]
    for args, name in commands:
        doc = docs.ok(*args)
        assert doc["file"] == name
        assert (out / name).stat().st_size == doc["bytes"] > 0
    assert sorted(p.name for p in out.iterdir()) == sorted(name for _, name in commands)


# --- 4. templates ----------------------------------------------------------------------------

OVERRIDE = """{% extends "base.html" %}
{% block heading %}Rechnung{% endblock %}
{% block content %}
<p>Custom body for {{ invoice.number }}: {{ invoice.total | money }}
due {{ invoice.due_date | date }}</p>
{% endblock %}
"""


def test_a_user_template_overrides_one_template_and_keeps_the_bundled_base(docs, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "invoice.html").write_text(OVERRIDE, encoding="utf-8")
    text = pdf_text(
        write_pdf(docs, tmp_path, "invoice", "pdf", "INV-00001", "--template-dir", str(mine))
    )

    assert_contains(
        text,
        "Rechnung",
        "Custom body for INV-00001: €2,477.65 due Apr 1, 2026",
        # the bundled base.html still frames it: seller, buyer, footer
        "Widgets & Co",
        "Bill to",
        "Acme Office Supplies Ltd",
        COMPANY["footer"],
    )
    assert "Unit price" not in text
    # Other documents still come from the bundled set.
    quote = pdf_text(
        write_pdf(docs, tmp_path, "quote", "pdf", "Q-00001", "--template-dir", str(mine))
    )
    assert "Quote no. Q-00001" in quote and "Rechnung" not in quote


def test_templates_from_the_environment_and_the_company_setting(docs, tmp_path, monkeypatch):
    by_env, by_setting = tmp_path / "env", tmp_path / "setting"
    for folder, word in ((by_env, "Facture"), (by_setting, "Factuur")):
        folder.mkdir()
        (folder / "invoice.html").write_text(OVERRIDE.replace("Rechnung", word), encoding="utf-8")
    docs.ok("company", "set", "--template-dir", str(by_setting))
    assert "Factuur" in pdf_text(write_pdf(docs, tmp_path, "invoice", "pdf", "INV-00001"))

    monkeypatch.setenv("ORDERCLI_TEMPLATES", str(by_env))
    assert "Facture" in pdf_text(write_pdf(docs, tmp_path, "invoice", "pdf", "INV-00001"))
    # The option beats the environment.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "invoice.html").write_text(OVERRIDE, encoding="utf-8")
    text = pdf_text(
        write_pdf(docs, tmp_path, "invoice", "pdf", "INV-00001", "--template-dir", str(mine))
    )
    assert "Rechnung" in text and "Facture" not in text


BROKEN = {
    # name: (invoice.html, line of the mistake, what the message says)
    "syntax": (
        '{% extends "base.html" %}\n{% block content %}\n<p>ok</p>\n{% if %}\n{% endblock %}\n',
        4,
        "Expected an expression",
    ),
    "unknown variable": (
        '{% extends "base.html" %}\n{% block content %}\n<p>a</p>\n<p>b</p>\n'
        "<p>{{ nonesuch }}</p>\n{% endblock %}\n",
        5,
        "'nonesuch' is undefined",
    ),
    "unknown filter": (
        "<html><body>\n<p>x</p>\n<p>{{ invoice.number | shout }}</p>\n</body></html>\n",
        3,
        "No filter named 'shout'",
    ),
    "unknown attribute": (
        "<html><body>\n<p>x</p>\n<p>y</p>\n<p>z</p>\n<p>{{ invoice.nonesuch.deeper }}</p>\n"
        "</body></html>\n",
        5,
        "has no attribute 'nonesuch'",
    ),
}


@pytest.mark.parametrize("mistake", sorted(BROKEN))
def test_a_broken_template_names_the_template_and_line(docs, tmp_path, unchanged, mistake):
    source, line, message = BROKEN[mistake]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "invoice.html").write_text(source, encoding="utf-8")
    target = tmp_path / "out.pdf"
    with unchanged():
        error = docs.fails(
            "invoice", "pdf", "INV-00001", "--template-dir", str(mine), "-o", str(target)
        )
    assert re.fullmatch(rf"error: template \S*invoice\.html, line {line}: .+", error), error
    assert message in error
    assert not target.exists()


def test_a_broken_base_template_is_named_even_when_invoice_html_is_bundled(docs, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "base.html").write_text(
        "<html><body>\n<h1>{{ company.name }}</h1>\n\n\n<p>{{ 1 / 0 }}</p>\n</body></html>\n",
        encoding="utf-8",
    )
    error = docs.fails(
        "invoice", "pdf", "INV-00001", "--template-dir", str(mine), "-o", str(tmp_path / "x.pdf")
    )
    assert re.fullmatch(r"error: template \S*base\.html, line 5: division by zero", error), error


def test_a_missing_template_directory_is_a_clear_error(docs, out, monkeypatch):
    missing = out / "no-such-dir"
    error = docs.fails(
        "invoice", "pdf", "INV-00001", "--template-dir", str(missing), "-o", str(out / "a.pdf")
    )
    assert error == f"error: --template-dir {missing} is not a directory"
    monkeypatch.setenv("ORDERCLI_TEMPLATES", str(missing))
    error = docs.fails("quote", "pdf", "Q-00001", "-o", str(out / "b.pdf"))
    assert error == f"error: $ORDERCLI_TEMPLATES {missing} is not a directory"
    assert list(out.iterdir()) == []


def test_a_user_template_never_makes_ordercli_read_a_file(docs, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "invoice.html").write_text(
        "<html><body>\n<p>before</p>\n"
        '<img src="/etc/passwd">\n<img src="file:///etc/hostname">\n'
        '<img src="data:image/png;base64,AAAA">\n'
        "<p>after {{ invoice.number }}</p>\n</body></html>\n",
        encoding="utf-8",
    )
    content = write_pdf(docs, tmp_path, "invoice", "pdf", "INV-00001", "--template-dir", str(mine))
    assert pdf_text(content) == "before after INV-00001 Page 1 of 1"
    # the footer is a form XObject on each page; an image would be one too
    assert not any(page.images for page in pdf_reader(content).pages), "an image was embedded"


def test_a_template_row_taller_than_a_page_is_one_clear_error(docs, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    rows = "<br>".join(f"row {n}" for n in range(120))
    (mine / "invoice.html").write_text(
        f"<html><body><table><tr><td>{rows}</td><td>x</td></tr></table></body></html>",
        encoding="utf-8",
    )
    result = docs.run(
        "invoice", "pdf", "INV-00001", "--template-dir", str(mine), "-o", str(tmp_path / "t.pdf")
    )
    if result.exit_code == 0:  # the row flowed over two pages
        assert "row 119" in pdf_text((tmp_path / "t.pdf").read_bytes())
        return
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: ")
    assert "0x" not in result.stderr and "Flowable" not in result.stderr


# --- 5. batch ----------------------------------------------------------------------------------


def test_batch_writes_one_file_per_invoice_named_by_number(docs, tmp_path, unchanged):
    out = tmp_path / "invoices"
    with unchanged():
        result = docs.run("invoice", "pdf", "--all", "-o", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    names = ["INV-00001.pdf", "INV-00002.pdf", "INV-00003.pdf"]
    assert doc == {
        "directory": str(out),
        "format": "pdf",
        "count": 3,
        "files": [str(out / name) for name in names],
    }
    assert sorted(p.name for p in out.iterdir()) == names
    for name in names:
        text = pdf_text((out / name).read_bytes())
        assert f"Invoice no. {name[:-4]}" in text


def test_batch_filters_by_issue_date_and_customer(docs, tmp_path):
    by_date = docs.ok(
        "invoice",
        "pdf",
        "--all",
        "--from",
        "2026-03-03",
        "--to",
        "2026-03-10",
        "-o",
        str(tmp_path / "a"),
    )
    assert [Path(f).name for f in by_date["files"]] == ["INV-00002.pdf"]
    from_only = docs.ok(
        "invoice", "pdf", "--all", "--from", "2026-03-10", "-o", str(tmp_path / "b")
    )
    assert [Path(f).name for f in from_only["files"]] == ["INV-00002.pdf", "INV-00003.pdf"]
    by_customer = docs.ok(
        "invoice", "pdf", "--all", "--customer", "NORD", "-o", str(tmp_path / "c")
    )
    assert [Path(f).name for f in by_customer["files"]] == ["INV-00003.pdf"]
    html = docs.ok(
        "invoice", "pdf", "--all", "--html", "--to", "2026-03-02", "-o", str(tmp_path / "d")
    )
    assert html["format"] == "html" and [Path(f).name for f in html["files"]] == ["INV-00001.html"]
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["INV-00001.html"]


def test_batch_with_nothing_to_write_writes_nothing(docs, tmp_path):
    out = tmp_path / "none"
    doc = docs.ok("invoice", "pdf", "--all", "--customer", "CAFE", "-o", str(out))
    assert (doc["count"], doc["files"]) == (0, [])
    assert list(out.iterdir()) == []
    human = docs.run("invoice", "pdf", "--all", "--customer", "CAFE", "-o", str(out))
    assert human.exit_code == 0 and "wrote 0 invoice" in human.stdout


def test_batch_refusals(docs, out, unchanged):
    tmp_path = out
    a_file = tmp_path / "file.pdf"
    a_file.write_bytes(b"mine")
    with unchanged():
        assert "is a file" in docs.fails("invoice", "pdf", "--all", "-o", str(a_file))
        assert a_file.read_bytes() == b"mine"
        error = docs.fails("invoice", "pdf", "--all", "-o", str(tmp_path / "missing" / "out"))
        assert "does not exist" in error
        assert "give no INVOICE" in docs.fails(
            "invoice", "pdf", "INV-00001", "--all", "-o", str(tmp_path / "x")
        )
        assert "-o DIR" in docs.fails("invoice", "pdf", "--all")
        assert "go with --all" in docs.fails("invoice", "pdf", "INV-00001", "--customer", "ACME")
        error = docs.fails(
            "invoice", "pdf", "--all", "--customer", "NOPE", "-o", str(tmp_path / "y")
        )
        assert "NOPE" in error
        error = docs.fails(
            "invoice",
            "pdf",
            "--all",
            "--from",
            "2026-03-10",
            "--to",
            "2026-03-01",
            "-o",
            str(tmp_path / "z"),
        )
        assert error == "error: --from 2026-03-10 is after --to 2026-03-01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.pdf"]


# --- 6. errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, number",
    [
        (("invoice", "pdf", "INV-09999"), "INV-09999"),
        (("quote", "pdf", "Q-09999"), "Q-09999"),
        (("credit-memo", "pdf", "CM-09999"), "CM-09999"),
        (("shipment", "slip", "SH-09999"), "SH-09999"),
        (("report", "statement", "NOPE", "--pdf"), "NOPE"),
        (("report", "statement", "NOPE", "--html"), "NOPE"),
    ],
)
def test_an_unknown_document_is_refused_and_nothing_is_written(docs, out, unchanged, args, number):
    with unchanged():
        error = docs.fails(*args, "-o", str(out / "doc.pdf"))
    assert number in error
    assert list(out.iterdir()) == []


def test_output_refusals(docs, out, unchanged):
    tmp_path = out
    with unchanged():
        error = docs.fails("invoice", "pdf", "INV-00001", "-o", str(tmp_path / "missing" / "x.pdf"))
        missing = tmp_path / "missing"
        assert error == (
            f"error: cannot write {missing / 'x.pdf'}: the directory {missing} does not exist"
        )
        assert "is a directory" in docs.fails("quote", "pdf", "Q-00001", "-o", str(tmp_path))
        assert "-o" in docs.fails("report", "statement", "ACME", "-o", str(tmp_path / "s.pdf"))
        assert "not both" in docs.fails("report", "statement", "ACME", "--pdf", "--html")
        assert "INVOICE" in docs.fails("invoice", "pdf")
        assert docs.fails("invoice", "pdf", "INV-00001", "-o", "") == "error: -o needs a file name"
        error = docs.fails("report", "statement", "ACME", "--pdf", "--from", "2030-01-01")
        assert error == f"error: --from 2030-01-01 is after the statement date {TODAY}"
    assert list(tmp_path.iterdir()) == []


def test_reading_commands_leave_the_ledger_as_it_was(docs, out, unchanged):
    tmp_path = out
    """Writing documents reads the ledger: no event, no number, nothing."""
    with unchanged():
        for count, args in enumerate(
            [
                ("invoice", "pdf", "INV-00003", "--json"),
                ("quote", "pdf", "Q-00001", "--html"),
                ("shipment", "slip", "SH-00001"),
                ("report", "statement", "BRIGHT", "--html"),
            ]
        ):
            result = docs.run(*args, "-o", str(tmp_path / f"{count}.out"))
            assert result.exit_code == 0, result.stderr
    assert len(list(tmp_path.iterdir())) == 4


def test_an_invoice_keeps_its_own_terms_when_the_customer_changes(docs, tmp_path):
    docs.ok("customer", "edit", "ACME", "--terms", "7")
    invoice = docs.ok("invoice", "show", "INV-00001")
    text = pdf_text(write_pdf(docs, tmp_path, "invoice", "pdf", "INV-00001"))
    assert "Due date Apr 1, 2026" in text
    assert (date(2026, 4, 1) - date.fromisoformat(invoice["issue_date"])).days == 30
    assert "Terms 30 days net" in text


def test_a_credit_by_amount_prints_no_zero_quantity(docs, tmp_path):
    memo = docs.ok("credit-memo", "create", "INV-00002", "--amount", "10.00")
    assert [line["qty"] for line in memo["lines"]] == ["0"]
    text = pdf_text(write_pdf(docs, tmp_path, "credit-memo", "pdf", memo["number"]))
    assert "Total credited €10.00" in text
    assert "LED desk lamp 0 €49.95" not in text


# --- 7. money in a currency without minor digits ---------------------------------------------


def test_a_yen_ledger_prints_whole_yen(cli, tmp_path):
    cli.ok("init", "--company", "Nihon Trading KK", "--currency", "JPY")
    cli.ok("customer", "add", "Osaka Shoten", "--code", "OSAKA", "--terms", "30")
    cli.ok(
        "product",
        "add",
        "TEA-SET",
        "Tea set",
        "--price",
        "1235",
        "--tax-rate",
        "10",
        "--stock",
        "50",
    )
    cli.ok("product", "add", "CUP", "Tea cup", "--price", "480", "--tax-rate", "8", "--stock", "50")
    number = cli.ok("order", "new", "OSAKA")["number"]
    cli.ok("order", "add-line", number, "TEA-SET", "3")
    cli.ok("order", "add-line", number, "CUP", "5", "--discount", "15")
    cli.ok("order", "confirm", number)
    invoice = cli.ok("invoice", "create", number)
    assert invoice["total"] == str(Decimal(invoice["total"]).quantize(Decimal(1)))
    text = pdf_text(write_pdf(cli, tmp_path, "invoice", "pdf", invoice["number"]))

    def yen(amount) -> str:
        return f"¥{Decimal(amount):,.0f}"

    # 3 × 1,235 = 3,705 (tax 370.5 → 371); 5 × 480 − 15 % = 2,040 (tax 163.2 → 163)
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == ("5745", "534", "6279")
    assert_contains(
        text,
        row("1 TEA-SET Tea set 3 pc ¥1,235 10%", yen("3705")),
        row("2 CUP Tea cup 5 pc ¥480 15% 8% ¥2,040"),
        row("Subtotal ¥5,745 Tax ¥534 Total ¥6,279 Balance due ¥6,279"),
        "Nihon Trading KK",
    )
    assert not re.search(r"¥[\d,]+\.\d", text), "yen printed with minor digits"
    assert page_count((tmp_path / "out.pdf").read_bytes()) == 1
