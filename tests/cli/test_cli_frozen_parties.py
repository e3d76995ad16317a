"""SPEC rule 4 end to end: an issued document keeps both parties as they were.

An invoice, a shipment and a credit memo are issued; then the customer moves,
renames itself and changes its tax id, and the company moves, changes its tax id
and its bank. Every reprint of the three documents (`show`, `--json`, HTML, PDF,
`invoice pdf --all`, `export invoices`) reads exactly as before, while the next
invoice shows the new details.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.documents_support import pdf_text

TODAY = "2026-03-20"

OLD_COMPANY = (
    "--name",
    "Nordhafen Office Supply GmbH",
    "--address",
    r"Am Sandtorkai 41\n20457 Hamburg",
    "--tax-id",
    "DE298765431",
    "--bank-details",
    r"Hamburger Sparkasse\nIBAN DE02 2005 0550 1234 5678 90",
)
NEW_COMPANY = (
    "--address",
    r"Große Elbstraße 145\n22767 Hamburg",
    "--tax-id",
    "DE111222333",
    "--bank-details",
    r"Commerzbank\nIBAN DE89 3704 0044 0532 0130 00",
)
OLD_CUSTOMER = (
    "--billing-address",
    r"12 Harbour Road\nBristol BS1 4QA",
    "--shipping-address",
    r"Unit 4, Avon Trade Park\nBristol BS11 9FG",
    "--tax-id",
    "GB123456789",
)
NEW_CUSTOMER = (
    "--name",
    "Acme Workplace Group plc",
    "--billing-address",
    r"1 Temple Quay\nBristol BS1 6DG",
    "--shipping-address",
    r"Dock 7, Portbury\nBristol BS20 7XN",
    "--tax-id",
    "GB987654321",
)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)
    monkeypatch.delenv("ORDERCLI_TEMPLATES", raising=False)


def build_issued(cli) -> None:
    cli.ok("company", "set", *OLD_COMPANY)
    cli.ok("customer", "edit", "ACME", *OLD_CUSTOMER)
    cli.ok("order", "new", "ACME")
    cli.ok("order", "add-line", "SO-00001", "DESK-OAK", "2")
    cli.ok("order", "confirm", "SO-00001")
    cli.ok("invoice", "create", "SO-00001")
    cli.ok("ship", "SO-00001", "--carrier", "DHL")
    cli.ok("credit-memo", "create", "INV-00001", "--amount", "10")


@pytest.fixture
def issued(shop, ledger_state):
    """INV-00001, SH-00001 and CM-00001 for ACME, issued with the old details."""
    ledger_state("frozen-parties", build_issued)
    return shop


def human(cli, *args: str) -> str:
    result = cli.run(*args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout


def written(cli, folder: Path, name: str, *args: str) -> Path:
    target = folder / name
    result = cli.run(*args, "-o", str(target))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return target


def reprints(cli, folder: Path) -> dict[str, object]:
    """Everything a reprint of the three issued documents shows, by where it is shown."""
    folder.mkdir()
    every = folder / "all"
    assert cli.run("invoice", "pdf", "--all", "--html", "-o", str(every)).exit_code == 0
    exported = human(cli, "export", "invoices")
    return {
        "invoice show": human(cli, "invoice", "show", "INV-00001"),
        "shipment show": human(cli, "shipment", "show", "SH-00001"),
        "credit-memo show": human(cli, "credit-memo", "show", "CM-00001"),
        "invoice json": cli.ok("invoice", "show", "INV-00001"),
        "shipment json": cli.ok("shipment", "show", "SH-00001"),
        "credit-memo json": cli.ok("credit-memo", "show", "CM-00001"),
        "invoice html": written(
            cli, folder, "i.html", "invoice", "pdf", "INV-00001", "--html"
        ).read_text(),
        "invoice pdf": pdf_text(
            written(cli, folder, "i.pdf", "invoice", "pdf", "INV-00001").read_bytes()
        ),
        "credit memo html": written(
            cli, folder, "c.html", "credit-memo", "pdf", "CM-00001", "--html"
        ).read_text(),
        "credit memo pdf": pdf_text(
            written(cli, folder, "c.pdf", "credit-memo", "pdf", "CM-00001").read_bytes()
        ),
        "packing slip pdf": pdf_text(
            written(cli, folder, "s.pdf", "shipment", "slip", "SH-00001").read_bytes()
        ),
        "invoice pdf --all": (every / "INV-00001.html").read_text(),
        "export invoices": [
            row for row in csv.DictReader(io.StringIO(exported)) if row["number"] == "INV-00001"
        ],
    }


def test_reprints_keep_both_parties_as_issued(issued, tmp_path):
    before = reprints(issued, tmp_path / "before")

    # What the documents were issued with is really on them (so the check below can fail).
    assert "Bristol BS1 4QA" in before["invoice pdf"]
    assert "GB123456789" in before["invoice pdf"]
    assert "IBAN DE02 2005 0550 1234 5678 90" in before["invoice pdf"]
    assert "Am Sandtorkai 41" in before["credit memo pdf"]
    assert "Avon Trade Park" in before["packing slip pdf"]
    assert "Acme Office Supplies Ltd" in before["invoice show"]
    assert "Avon Trade Park" in before["shipment show"]
    assert before["export invoices"][0]["customer_name"] == "Acme Office Supplies Ltd"
    for kind in ("invoice json", "shipment json", "credit-memo json"):
        document = before[kind]
        assert isinstance(document, dict)
        assert document["seller"] == {
            "name": "Nordhafen Office Supply GmbH",
            "address": "Am Sandtorkai 41\n20457 Hamburg",
            "tax_id": "DE298765431",
            "bank_details": "Hamburger Sparkasse\nIBAN DE02 2005 0550 1234 5678 90",
            "footer": None,
        }
        assert document["buyer"] == {
            "code": "ACME",
            "name": "Acme Office Supplies Ltd",
            "email": "ap@acme-office.example",
            "phone": "+44 20 7946 0018",
            "billing_address": "12 Harbour Road\nBristol BS1 4QA",
            "shipping_address": "Unit 4, Avon Trade Park\nBristol BS11 9FG",
            "tax_id": "GB123456789",
        }

    issued.ok("customer", "edit", "ACME", *NEW_CUSTOMER)
    issued.ok("company", "set", *NEW_COMPANY)

    after = reprints(issued, tmp_path / "after")
    for where, shown in before.items():
        assert after[where] == shown, where


def test_a_new_invoice_shows_the_new_details(issued, tmp_path):
    issued.ok("customer", "edit", "ACME", *NEW_CUSTOMER)
    issued.ok("company", "set", *NEW_COMPANY)
    issued.ok("order", "new", "ACME")
    issued.ok("order", "add-line", "SO-00002", "DESK-OAK", "1")
    issued.ok("order", "confirm", "SO-00002")
    invoice = issued.ok("invoice", "create", "SO-00002")

    assert invoice["buyer"]["name"] == "Acme Workplace Group plc"
    assert invoice["buyer"]["billing_address"] == "1 Temple Quay\nBristol BS1 6DG"
    assert invoice["seller"]["tax_id"] == "DE111222333"
    text = pdf_text(
        written(issued, tmp_path, "new.pdf", "invoice", "pdf", invoice["number"]).read_bytes()
    )
    for new in (
        "Acme Workplace Group plc",
        "1 Temple Quay",
        "GB987654321",
        "Große Elbstraße 145",
        "DE111222333",
        "IBAN DE89 3704 0044 0532 0130 00",
    ):
        assert new in text, new
    for old in ("12 Harbour Road", "GB123456789", "Am Sandtorkai", "DE298765431", "DE02 2005"):
        assert old not in text, old
    shown = human(issued, "invoice", "show", invoice["number"])
    assert "Acme Workplace Group plc" in shown and "GB987654321" in shown
    # The earlier invoice still carries the old customer in the export.
    rows = list(csv.DictReader(io.StringIO(human(issued, "export", "invoices"))))
    assert [(r["number"], r["customer_name"]) for r in rows] == [
        ("INV-00001", "Acme Office Supplies Ltd"),
        ("INV-00002", "Acme Workplace Group plc"),
    ]


def test_quotes_are_not_issued_documents_and_show_todays_details(issued, tmp_path):
    issued.ok("quote", "new", "ACME")
    issued.ok("quote", "add-line", "Q-00001", "DESK-OAK", "1")
    issued.ok("customer", "edit", "ACME", *NEW_CUSTOMER)
    text = pdf_text(written(issued, tmp_path, "q.pdf", "quote", "pdf", "Q-00001").read_bytes())
    assert "Acme Workplace Group plc" in text and "1 Temple Quay" in text
