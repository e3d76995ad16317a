"""`ordercli check` end to end: the README tour leaves a consistent ledger, and a ledger
corrupted behind ordercli's back is caught (rules 9-18)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from ordercli.books.checks import CHECKS
from ordercli.db.engine import dispose_all

SALE_DAY = {"ORDERCLI_TODAY": "2026-11-21"}
AFTER = {"ORDERCLI_TODAY": "2026-11-22"}
# Every CHECKS query, the hash chains and the storage check.
CHECK_COUNT = len(CHECKS) + 2
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


def the_sale(cli) -> None:
    """The README's five-minute tour up to the completed order, on 2026-11-21.

    The ledger already holds the sample customers and catalog, so the tour's customer is
    TOUR (the sample ACME has other terms) and its service INSTALL-H (the sample INSTALL
    is taxed at 19%, the tour's at 20%); every amount is the README's."""
    env = SALE_DAY
    cli.ok(
        "customer",
        "add",
        "Acme Office Supplies Ltd",
        "--code",
        "TOUR",
        "--terms",
        "14",
        "--credit-limit",
        "5000",
        env=env,
    )
    cli.ok(
        "product",
        "add",
        "WIDGET",
        "Steel widget",
        "--price",
        "12.50",
        "--tax-rate",
        "20",
        "--stock",
        "8",
        env=env,
    )
    cli.ok(
        "product",
        "add",
        "COFFEE",
        "Espresso beans (kg)",
        "--price",
        "21.40",
        "--tax-rate",
        "7",
        "--stock",
        "10",
        env=env,
    )
    cli.ok(
        "product",
        "add",
        "INSTALL-H",
        "Installation (hour)",
        "--price",
        "65",
        "--tax-rate",
        "20",
        "--service",
        env=env,
    )
    cli.ok("quote", "new", "TOUR", "--valid-days", "14", env=env)
    cli.ok("quote", "add-line", "Q-00001", "WIDGET", "10", "--discount", "5", env=env)
    cli.ok("quote", "add-line", "Q-00001", "COFFEE", "2.5", env=env)
    cli.ok("quote", "send", "Q-00001", env=env)
    cli.ok("quote", "accept", "Q-00001", env=env)
    cli.ok("quote", "convert", "Q-00001", env=env)
    cli.ok("order", "add-line", "SO-00001", "INSTALL-H", "1.5", env=env)
    cli.ok("order", "confirm", "SO-00001", env=env)
    assert (
        cli.ok("invoice", "create", "SO-00001", "--partial", "--line", "WIDGET=3", env=env)["total"]
        == "42.76"
    )
    cli.ok(
        "ship",
        "SO-00001",
        "--line",
        "WIDGET=3",
        "--line",
        "COFFEE=2.5",
        "--carrier",
        "DHL",
        env=env,
    )
    cli.ok("invoice", "create", "SO-00001", env=env)
    cli.ok("stock", "receive", "WIDGET", "5", "--reference", "PO-1001", env=env)
    cli.ok("ship", "SO-00001", "--carrier", "DHL", env=env)


@pytest.fixture
def sold(cli, ledger_state):
    """The README tour's SO-00001 for TOUR, completed: INV-00001 42.76, INV-00002 273.99."""
    ledger_state("check-readme-sale", the_sale)
    return cli


def test_the_readme_story_leaves_a_consistent_ledger(sold, human):
    cli = sold
    assert cli.ok("order", "show", "SO-00001")["status"] == "completed"
    assert cli.ok("invoice", "show", "INV-00002")["total"] == "273.99"

    # Part of the first invoice is paid.
    pay = cli.ok(
        "payment",
        "record",
        "TOUR",
        "20.00",
        "--invoice",
        "INV-00001",
        "--reference",
        "SEPA 2211-01",
        env=AFTER,
    )
    assert [(a["invoice"], a["amount"]) for a in pay["allocations"]] == [("INV-00001", "20.00")]
    inv = cli.ok("invoice", "show", "INV-00001", env=AFTER)
    assert (inv["status"], inv["paid"], inv["balance"]) == ("partially_paid", "20.00", "22.76")

    # An unannounced transfer settles the oldest first; the rest is credit.
    pay = cli.ok("payment", "record", "TOUR", "300.00", "--reference", "SEPA 2211-02", env=AFTER)
    assert [(a["invoice"], a["amount"]) for a in pay["allocations"]] == [
        ("INV-00001", "22.76"),
        ("INV-00002", "273.99"),
    ]
    assert (pay["number"], pay["unapplied"]) == ("PAY-00002", "3.25")

    # A split bag of coffee: credited, refunded, restocked.
    coffee_before = cli.ok("product", "show", "COFFEE")["on_hand"]
    memo = cli.ok(
        "credit-memo",
        "create",
        "INV-00002",
        "--line",
        "COFFEE=1",
        "--refund",
        "--restock",
        "--reason",
        "bag split in transit",
        env=AFTER,
    )
    assert (memo["number"], memo["total"], memo["applied_to_invoice"], memo["settlement"]) == (
        "CM-00001",
        "22.90",
        "0.00",
        "refund",
    )
    assert (memo["refunded"], memo["refunds"], memo["restock"]) == ("22.90", ["RF-00001"], True)
    assert Decimal(cli.ok("product", "show", "COFFEE")["on_hand"]) == Decimal(coffee_before) + 1

    # Two widgets come back: requested, authorized, received into stock, credited.
    widgets_before = Decimal(cli.ok("product", "show", "WIDGET")["on_hand"])
    cli.ok(
        "return", "request", "SO-00001", "--line", "WIDGET=2", "--reason", "wrong size", env=AFTER
    )
    cli.ok("return", "authorize", "RMA-00001", env=AFTER)
    cli.ok("return", "receive", "RMA-00001", "--restock", env=AFTER)
    assert Decimal(cli.ok("product", "show", "WIDGET")["on_hand"]) == widgets_before + 2
    rma = cli.ok("return", "resolve", "RMA-00001", "--credit-memo", "--store-credit", env=AFTER)
    assert (rma["status"], rma["restock"], rma["resolution"], rma["credit_memos"]) == (
        "resolved",
        True,
        "credit_memo",
        ["CM-00002"],
    )
    lines = cli.ok("order", "show", "SO-00001")["lines"]
    assert [(ln["sku"], ln["qty_returned"], ln["qty_credited"]) for ln in lines] == [
        ("WIDGET", "2", "2"),
        ("COFFEE", "1", "1"),
        ("INSTALL-H", "0", "0"),
    ]

    # The next order uses the overpayment.
    cli.ok("order", "new", "TOUR", env=AFTER)
    cli.ok("order", "add-line", "SO-00002", "COFFEE", "1", env=AFTER)
    cli.ok("order", "confirm", "SO-00002", env=AFTER)
    cli.ok("invoice", "create", "SO-00002", env=AFTER)
    inv = cli.ok(
        "payment", "apply", "TOUR", "--invoice", "INV-00003", "--amount", "3.25", env=AFTER
    )
    assert (inv["status"], inv["total"], inv["paid"], inv["balance"]) == (
        "partially_paid",
        "22.90",
        "3.25",
        "19.65",
    )
    customer = cli.ok("customer", "show", "TOUR", env=AFTER)
    assert (customer["open_invoices"], customer["unapplied_credit"], customer["balance"]) == (
        "19.65",
        "28.50",
        "-8.85",
    )

    moves = cli.ok("payment", "transactions", env=AFTER)
    assert [(m["type"], m["number"], m["invoice"], m["amount"]) for m in moves] == [
        ("credit_applied", "PAY-00002", "INV-00003", "3.25"),
        ("store_credit", "CM-00002", "INV-00001", "28.50"),
        ("refund", "RF-00001", None, "-22.90"),
        ("payment", "PAY-00002", None, "300.00"),
        ("payment", "PAY-00001", None, "20.00"),
    ]

    aging = cli.ok("report", "aging", "--as-of", "2027-01-10")
    assert [(c["customer"], c["d31_60"], c["total"]) for c in aging["customers"]] == [
        ("TOUR", "19.65", "19.65")
    ]
    assert aging["totals"]["current"] == "0.00"

    statement = cli.ok("report", "statement", "TOUR", env=AFTER)
    running = 0
    for line in statement["lines"]:
        running += cents(line["debit"]) - cents(line["credit"])
        assert cents(line["balance"]) == running
    assert statement["closing_balance"] == "-8.85"

    tb = cli.ok("report", "trial-balance")
    assert [(a["code"], a["debit"], a["credit"], a["balance"]) for a in tb["accounts"]] == [
        ("1000", "320.00", "22.90", "297.10"),
        ("1200", "339.65", "320.00", "19.65"),
        ("2200", "6.25", "48.50", "-42.25"),
        ("2300", "26.15", "54.65", "-28.50"),
        ("2400", "0.00", "0.00", "0.00"),
        ("4000", "0.00", "291.15", "-291.15"),
        ("4100", "45.15", "0.00", "45.15"),
        ("4200", "0.00", "0.00", "0.00"),
        ("4300", "0.00", "0.00", "0.00"),
        ("4800", "0.00", "0.00", "0.00"),
        ("6800", "0.00", "0.00", "0.00"),
        ("6900", "0.00", "0.00", "0.00"),
    ]
    assert tb["total_debit"] == tb["total_credit"] == "737.20"
    receivable = next(a for a in tb["accounts"] if a["role"] == "receivable")
    open_balances = sum(cents(i["balance"]) for i in cli.ok("invoice", "list", "--all"))
    assert cents(receivable["balance"]) == open_balances

    result = cli.run("check")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stdout.startswith("ok: ") and "the ledger is consistent" in result.stdout
    assert cli.ok("check") == {"ok": True, "checks": CHECK_COUNT, "problems": []}
    assert "ok:" in human("check")


def test_check_on_an_empty_ledger(cli, human):
    assert cli.ok("check") == {"ok": True, "checks": CHECK_COUNT, "problems": []}
    assert human("check").startswith(f"ok: {CHECK_COUNT} checks passed")


def test_check_on_the_sample_ledger(shop):
    assert shop.ok("check")["ok"] is True


# --- corruption behind ordercli's back -------------------------------------


def tamper(ledger: Path, *statements: str) -> None:
    dispose_all()  # no pooled connection keeps an old view of the file
    con = sqlite3.connect(ledger)
    try:
        for sql in statements:
            assert con.execute(sql).rowcount >= 1, sql
        con.commit()
    finally:
        con.close()


@pytest.fixture
def settled(cli, ledger_state):
    """The README tour through payments, a refunded credit memo, a credited return and
    INV-00003 (22.90) with 3.25 of credit applied; CM-00002 holds 28.50 of store credit."""

    def build(cli) -> None:
        the_sale(cli)
        cli.ok("payment", "record", "TOUR", "20.00", "--invoice", "INV-00001", env=AFTER)
        cli.ok("payment", "record", "TOUR", "300.00", env=AFTER)
        cli.ok(
            "credit-memo",
            "create",
            "INV-00002",
            "--line",
            "COFFEE=1",
            "--refund",
            "--restock",
            env=AFTER,
        )
        cli.ok("return", "request", "SO-00001", "--line", "WIDGET=2", "--reason", "size", env=AFTER)
        cli.ok("return", "authorize", "RMA-00001", env=AFTER)
        cli.ok("return", "receive", "RMA-00001", "--restock", env=AFTER)
        cli.ok("return", "resolve", "RMA-00001", "--credit-memo", env=AFTER)
        cli.ok("order", "new", "TOUR", env=AFTER)
        cli.ok("order", "add-line", "SO-00002", "COFFEE", "1", env=AFTER)
        cli.ok("order", "confirm", "SO-00002", env=AFTER)
        cli.ok("invoice", "create", "SO-00002", env=AFTER)
        cli.ok("payment", "apply", "TOUR", "--invoice", "INV-00003", "--amount", "3.25", env=AFTER)

    ledger_state("check-settled", build)
    assert cli.ok("check")["ok"] is True
    return cli


@pytest.mark.parametrize(
    ("statements", "rule", "fragment"),
    [
        (
            ["UPDATE invoice SET paid = paid + 1 WHERE number = 'INV-00003'"],
            "13",
            "INV-00003: says paid 3.26",
        ),
        (
            ["UPDATE invoice SET credited = credited + 100 WHERE number = 'INV-00003'"],
            "14",
            "INV-00003: says credited 1.00, its credit memos total 0.00",
        ),
        (
            ["UPDATE payment SET unapplied = unapplied + 1 WHERE number = 'PAY-00002'"],
            "13",
            "PAY-00002: amount 300.00",
        ),
        (
            ["UPDATE credit_memo SET credit_left = credit_left - 500 WHERE number = 'CM-00002'"],
            "14",
            "CM-00002: released 28.50, used 0.00, says left 23.50",
        ),
        (
            ["UPDATE product SET on_hand = on_hand + 1000 WHERE sku = 'WIDGET'"],
            "12",
            "WIDGET: on hand",
        ),
        (
            # invoiced, but the coffee never shipped
            ["UPDATE sales_order SET status = 'completed' WHERE number = 'SO-00002'"],
            "8",
            "SO-00002 is completed, line 1: ordered 1, invoiced 1, shipped 0",
        ),
        (
            ["UPDATE order_line SET qty_returned = 0 WHERE qty_returned > 0"],
            "15",
            "SO-00001 line 1: says returned 0",
        ),
        (
            [
                "UPDATE journal_line SET debit = debit + 1 WHERE id = (SELECT MAX(id) FROM "
                "journal_line WHERE debit > 0)"
            ],
            "18",
            "debits",
        ),
        (
            [
                "DELETE FROM journal_line WHERE entry_id IN (SELECT id FROM journal_entry WHERE "
                "source_kind = 'refund')",
                "DELETE FROM journal_entry WHERE source_kind = 'refund'",
            ],
            "18",
            "refund RF-00001 has no journal entry",
        ),
    ],
)
@pytest.mark.sqlite_only("corrupts the ledger file with sqlite3")
def test_check_names_what_was_corrupted(settled, ledger_path, statements, rule, fragment):
    tamper(ledger_path, *statements)
    result = settled.run("check")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert f"problem (rule {rule}): " in result.stdout and fragment in result.stdout
    assert result.stderr.splitlines()[0].startswith("error: the ledger check found ")
    assert f"problem(s) in {CHECK_COUNT} checks" in result.stderr
    doc = settled.run("check", "--json")
    assert doc.exit_code == 1
    report = json.loads(doc.stdout)
    assert report["ok"] is False
    assert any(p["rule"] == rule and fragment in p["problem"] for p in report["problems"])


@pytest.mark.sqlite_only("corrupts the ledger file with sqlite3")
def test_check_catches_the_brief_example_exactly(settled, ledger_path):
    tamper(ledger_path, "UPDATE invoice SET paid = paid + 1 WHERE number = 'INV-00003'")
    result = settled.run("check")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "problem (rule 13): INV-00003: says paid 3.26, its allocations less credits released "
        "give 3.25",
        "problem (rule 18): INV-00003: open balance 19.64, receivable account holds 19.65",
    ]
    assert result.stderr.splitlines()[0] == (
        f"error: the ledger check found 2 problem(s) in {CHECK_COUNT} checks"
    )


def test_check_is_read_only(settled, unchanged):
    with unchanged():
        assert settled.ok("check")["ok"] is True


# --- a ledger from the previous release ------------------------------------


@pytest.mark.sqlite_only("the ledger of release 0.1 is a SQLite file")
def test_check_on_a_ledger_from_release_0001(cli_at, tmp_path):
    old = tmp_path / "old.db"
    shutil.copyfile(FIXTURES / "ledger-0001.db", old)
    cli = cli_at(old)
    result = cli.run("check")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "ok:" in result.stdout
    tb = cli.ok("report", "trial-balance")
    assert tb["total_debit"] == tb["total_credit"] != "0.00"
    receivable = next(a for a in tb["accounts"] if a["role"] == "receivable")
    open_balances = sum(cents(i["balance"]) for i in cli.ok("invoice", "list", "--all"))
    assert cents(receivable["balance"]) == open_balances
