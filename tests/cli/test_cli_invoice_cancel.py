"""`ordercli invoice cancel` and `credit-memo create --kind` end to end (rules 4, 11, 14):
a cancelled invoice is invoiced again identically; each credited quantity says what it
did; every refusal is one `error:` line and changes nothing."""

from __future__ import annotations

import pytest

TODAY = "2027-01-15"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


def build(cli) -> None:
    cli.ok("order", "new", "ACME")
    cli.ok("order", "add-line", "SO-00001", "DESK-OAK", "4", "--discount", "12.5")
    cli.ok("order", "add-line", "SO-00001", "INSTALL", "2.5")
    cli.ok("order", "confirm", "SO-00001")
    cli.ok("invoice", "create", "SO-00001")
    cli.ok("payment", "record", "ACME", "100.00", "--invoice", "INV-00001")


@pytest.fixture
def invoiced(shop, ledger_state):
    """INV-00001 to ACME for SO-00001 (4 desks at 12.5 % off, 2.5 h installation), 100.00
    paid on it; nothing shipped."""
    ledger_state("invoice-cancel", build)
    return shop


def amounts(doc: dict) -> list[tuple]:
    return [(ln["sku"], ln["qty"], ln["net"], ln["tax"]) for ln in doc["lines"]]


def test_cancel_then_invoice_again_gives_an_identical_invoice(invoiced):
    cli = invoiced
    before = cli.ok("invoice", "show", "INV-00001")
    memo = cli.ok("invoice", "cancel", "INV-00001", "--reason", "wrong customer")
    assert (memo["number"], memo["invoice"], memo["kind"], memo["cancels_invoice"]) == (
        "CM-00001",
        "INV-00001",
        "rebill",
        True,
    )
    assert [ln["effect"] for ln in memo["lines"]] == ["rebill", "rebill"]
    assert (memo["total"], memo["settlement"], memo["store_credit_left"]) == (
        before["total"],
        "store_credit",
        "100.00",
    )
    cancelled = cli.ok("invoice", "show", "INV-00001")
    assert (cancelled["status"], cancelled["cancelled_by"], cancelled["balance"]) == (
        "cancelled",
        "CM-00001",
        "0.00",
    )
    order = cli.ok("order", "show", "SO-00001")
    assert order["billing_status"] == "not_invoiced"
    assert [(ln["qty_invoiced"], ln["qty_reopened"]) for ln in order["lines"]] == [
        ("0", "4"),
        ("0", "2.5"),
    ]
    again = cli.ok("invoice", "create", "SO-00001")
    assert amounts(again) == amounts(before)
    assert (again["number"], again["total"], again["status"], again["cancelled_by"]) == (
        "INV-00002",
        before["total"],
        "open",
        None,
    )
    assert [doc["number"] for doc in cli.ok("invoice", "list", "--status", "cancelled")] == [
        "INV-00001"
    ]
    assert [doc["number"] for doc in cli.ok("invoice", "list", "--unpaid")] == ["INV-00002"]
    assert cli.ok("check")["ok"] is True


def test_cancel_says_what_it_did(invoiced, human):
    out = human("invoice", "cancel", "INV-00001", "--reason", "wrong customer")
    assert "Cancels invoice" in out
    assert "INV-00001 cancelled by CM-00001" in out
    assert "4 × DESK-OAK reopened for invoicing on SO-00001" in out
    assert "2.5 × INSTALL reopened for invoicing on SO-00001" in out


def test_cancel_refusals_change_nothing(invoiced, unchanged):
    cli = invoiced
    with unchanged():
        assert cli.fails("invoice", "cancel", "INV-00001", "--reason", " ") == (
            "error: reason must not be empty"
        )
        assert cli.fails("invoice", "cancel", "INV-00009", "--reason", "x") == (
            "error: no invoice 'INV-00009'"
        )
        assert cli.fails(
            "invoice", "cancel", "INV-00001", "--reason", "x", "--settlement", "cash"
        ) == ("error: settlement 'cash' must be refund or store_credit")
        assert cli.fails("invoice", "cancel", "INV-00001", "--reason", "x", "--date", "2027-02-01")
    assert cli.run("invoice", "cancel", "INV-00001").exit_code == 2  # --reason is required
    cli.ok("credit-memo", "create", "INV-00001", "--line", "INSTALL=1")
    with unchanged():
        assert cli.fails("invoice", "cancel", "INV-00001", "--reason", "x") == (
            "error: cannot cancel INV-00001: it is already credited by CM-00001"
        )


def test_credit_memo_kinds_end_to_end(invoiced, human, unchanged):
    cli = invoiced
    cli.ok("ship", "SO-00001", "--line", "DESK-OAK=1")
    with unchanged():
        assert cli.fails(
            "credit-memo", "create", "INV-00001", "--line", "DESK-OAK=4", "--kind", "not-delivered"
        ) == (
            "error: cannot credit 4 × DESK-OAK on INV-00001 as not delivered: SO-00001 line 1 "
            "ordered 4, shipped 1, left to ship 3"
        )
        assert (
            cli.fails(
                "credit-memo",
                "create",
                "INV-00001",
                "--line",
                "DESK-OAK=1",
                "--kind",
                "rebill",
                "--restock",
            )
            == "error: --restock means the goods came back: it goes with --kind returned, "
            "not rebill"
        )
    out = human(
        "credit-memo", "create", "INV-00001", "--line", "DESK-OAK=3", "--kind", "not-delivered"
    )
    assert "3 × DESK-OAK will not be delivered: taken off SO-00001" in out
    line = cli.ok("order", "show", "SO-00001")["lines"][0]
    assert (line["qty_cancelled"], line["qty_credited"], line["qty_reopened"]) == ("3", "3", "0")
    memo = cli.ok("credit-memo", "create", "INV-00001", "--amount", "10.00")
    assert (memo["kind"], memo["lines"][0]["effect"]) == ("price", "none")
    # invoiced, the one desk left to deliver shipped, the service delivered by invoicing
    assert cli.ok("order", "show", "SO-00001")["status"] == "completed"
    assert cli.ok("check")["ok"] is True
