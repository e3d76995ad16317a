"""Multi-line addresses: ``\\n`` typed on the command line or in an import file is a line
break, and every place that prints an address prints it one line per line: `customer
show`, invoices (HTML and PDF), packing slips and statements, escaped, never with a
literal ``\\n``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.documents_support import page_lines, page_texts

TODAY = "2026-03-20"
TYPED = r"Kai 1 <Hof>\n20457 Hamburg & Co\nGermany"
LINES = ["Kai 1 <Hof>", "20457 Hamburg & Co", "Germany"]


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)
    monkeypatch.delenv("ORDERCLI_TEMPLATES", raising=False)


def build_hafen(cli) -> None:
    cli.ok("customer", "add", "Hafen Kontor", "--code", "HAFEN", "--billing-address", TYPED)
    cli.ok("order", "new", "HAFEN")
    cli.ok("order", "add-line", "SO-00001", "DESK-OAK", "1")
    cli.ok("order", "confirm", "SO-00001")
    cli.ok("invoice", "create", "SO-00001")
    cli.ok("ship", "SO-00001")


@pytest.fixture
def hafen(shop, ledger_state):
    """HAFEN with a three-line billing address (and no shipping address), invoiced and
    shipped: INV-00001, SH-00001."""
    ledger_state("hafen-address", build_hafen)
    return shop


def pdf_lines(cli, folder: Path, *args: str) -> list[str]:
    target = folder / "out.pdf"
    result = cli.run(*args, "-o", str(target))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return [line for text in page_texts(target.read_bytes()) for line in page_lines(text)]


def assert_address_lines(lines: list[str]) -> None:
    """Each line of the address on a line of its own, in order, and no typed ``\\n`` left."""
    found = [next(i for i, line in enumerate(lines) if line.endswith(part)) for part in LINES]
    assert found == sorted(found) and len(set(found)) == 3, lines
    assert not any("\\n" in line for line in lines), lines


def test_customer_add_stores_a_typed_backslash_n_as_a_line_break(hafen):
    customer = hafen.ok("customer", "show", "HAFEN")
    assert customer["billing_address"] == "\n".join(LINES)
    edited = hafen.ok("customer", "edit", "HAFEN", "--shipping-address", r"Tor 2 \n Bremen")
    assert edited["shipping_address"] == "Tor 2\nBremen"


def test_customer_show_prints_each_line_of_the_address_on_its_own_line(hafen):
    result = hafen.run("customer", "show", "HAFEN")
    assert result.exit_code == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    at = next(i for i, line in enumerate(lines) if line.startswith("Billing address"))
    assert lines[at].split() == ["Billing", "address", "Kai", "1", "<Hof>"]
    assert lines[at + 1 : at + 3] == LINES[1:]


def test_the_invoice_html_prints_the_address_escaped_one_line_per_line(hafen, tmp_path):
    target = tmp_path / "invoice.html"
    assert hafen.run("invoice", "pdf", "INV-00001", "--html", "-o", str(target)).exit_code == 0
    html = target.read_text(encoding="utf-8")
    assert "<p>Kai 1 &lt;Hof&gt;<br>20457 Hamburg &amp; Co<br>Germany</p>" in html
    assert "\\n" not in html
    assert "<Hof>" not in html


@pytest.mark.parametrize(
    "command",
    [
        ("invoice", "pdf", "INV-00001"),
        ("shipment", "slip", "SH-00001"),
        ("report", "statement", "HAFEN", "--pdf"),
    ],
    ids=["invoice", "packing slip", "statement"],
)
def test_documents_print_the_address_one_line_per_line(hafen, tmp_path, command):
    assert_address_lines(pdf_lines(hafen, tmp_path, *command))


def test_import_customers_reads_a_typed_backslash_n_as_a_line_break(shop, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(
        "code,name,billing_address\n"
        "HAFEN,Hafen Kontor,Kai 1 <Hof>\\n20457 Hamburg & Co\\nGermany\n",
        encoding="utf-8",
    )
    assert shop.ok("import", "customers", str(path))["created"] == 1
    assert shop.ok("customer", "show", "HAFEN")["billing_address"] == "\n".join(LINES)


def test_an_address_stored_with_a_typed_backslash_n_still_prints_as_lines(shop, engine, tmp_path):
    """Ledgers written before ordercli read ``\\n`` as a line break hold it as typed."""
    from sqlalchemy import text

    shop.ok("customer", "add", "Hafen Kontor", "--code", "HAFEN")
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE customer SET billing_address = :typed WHERE code = 'HAFEN'"),
            {"typed": TYPED},
        )
    assert shop.ok("customer", "show", "HAFEN")["billing_address"] == TYPED
    assert_address_lines(pdf_lines(shop, tmp_path, "report", "statement", "HAFEN", "--pdf"))
