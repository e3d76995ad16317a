"""Early-payment discounts, payment differences and bad debts end to end (rule 20).

The scenario the issue asks for: terms 2 % within 10 days, net 30; an invoice of
1000.00 + 19 % tax issued March 1; a payment on day 9 of the discounted amount
settles it with the discount, the journal and the statement show it; on day 11
the discount is refused without --allow-late-discount.
"""

from __future__ import annotations

import csv
import io

import pytest

TODAY = "2026-03-20"
ISSUED = "2026-03-01"
DAY_9 = "2026-03-10"
DAY_11 = "2026-03-12"


def on(day: str) -> dict:
    return {"ORDERCLI_TODAY": day}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


def build_issued(cli) -> None:
    cli.ok("terms", "add", "D2N30", "--days", "30", "--discount", "2@10", env=on(ISSUED))
    cli.ok("customer", "edit", "ACME", "--terms-code", "D2N30", env=on(ISSUED))
    for customer in ("ACME", "BRIGHT"):
        number = cli.ok("order", "new", customer, env=on(ISSUED))["number"]
        cli.ok("order", "add-line", number, "DESK-OAK", "1", "--price", "1000.00", env=on(ISSUED))
        cli.ok("order", "confirm", number, env=on(ISSUED))
        cli.ok("invoice", "create", number, "--date", ISSUED, env=on(ISSUED))


@pytest.fixture
def issued(shop, ledger_state):
    """INV-00001 ACME 1190.00 with 2 % within 10 days (until March 11); INV-00002
    BRIGHT 1190.00, plain terms; both issued March 1."""
    ledger_state("discounts-write-offs", build_issued)
    return shop


def clean(cli) -> None:
    report = cli.ok("check")
    assert (report["ok"], report["problems"]) == (True, [])
    trial = cli.ok("report", "trial-balance")
    assert trial["total_debit"] == trial["total_credit"]


def account(cli, code: str) -> tuple[str, str]:
    rows = cli.ok("report", "trial-balance")["accounts"]
    (row,) = [r for r in rows if r["code"] == code]
    return row["debit"], row["credit"]


# --- early-payment discounts ------------------------------------------------------


def test_done_when_the_discount_on_day_9_settles_the_invoice(issued, human):
    invoice = issued.ok("invoice", "show", "INV-00001")
    assert (invoice["total"], invoice["early_discount_pct"], invoice["early_discount_until"]) == (
        "1190.00",
        "2",
        "2026-03-11",
    )
    doc = issued.ok("payment", "record", "ACME", "1166.20", "--invoice", "INV-00001",
                    "--date", DAY_9)  # fmt: skip
    assert doc["discounts"] == [
        {
            "number": "ED-00001",
            "invoice": "INV-00001",
            "amount": "23.80",
            "tax": "3.80",
            "reason": None,
            "reversed": False,
        }
    ]
    invoice = issued.ok("invoice", "show", "INV-00001")
    assert (invoice["status"], invoice["balance"], invoice["discounted"]) == (
        "paid",
        "0.00",
        "23.80",
    )
    # The journal: the discount's own account and the tax corrected.
    assert account(issued, "4300") == ("20.00", "0.00")
    journal = list(csv.DictReader(io.StringIO(issued.run("export", "journal").stdout)))
    lines = [r for r in journal if r.get("source_number") == "ED-00001"]
    assert len(lines) == 3, journal[:2]
    for ledger_format in ("hledger", "beancount"):
        result = issued.run("export", "journal", "--format", ledger_format)
        assert result.exit_code == 0 and "ED-00001" in result.stdout, result.stderr
    # The statement shows the discount as its own line.
    statement = issued.ok("report", "statement", "ACME")
    assert [(line["number"], line["description"], line["credit"]) for line in statement["lines"]][
        -1
    ] == (
        "ED-00001",
        "early-payment discount ED-00001 on INV-00001 with payment PAY-00001",
        "23.80",
    )
    assert statement["closing_balance"] == "0.00"
    shown = human("payment", "show", "PAY-00001")
    assert "Early-payment discounts" in shown and "ED-00001" in shown and "23.80" in shown
    listed = issued.ok("payment", "list")
    assert listed[0]["discounts"][0]["number"] == "ED-00001"
    moves = issued.ok("payment", "transactions", "--type", "early_discount")
    assert [(m["number"], m["invoice"], m["source"], m["amount"]) for m in moves] == [
        ("ED-00001", "INV-00001", "PAY-00001", "23.80")
    ]
    clean(issued)


def test_day_11_is_refused_without_allow_late_discount(issued, unchanged):
    args = ("payment", "record", "ACME", "1166.20", "--invoice", "INV-00001", "--date", DAY_11)
    with unchanged():
        assert issued.fails(*args, "--discount") == (
            "error: cannot take the early-payment discount on INV-00001 with a payment dated "
            "2026-03-12: the discount window closed on 2026-03-11"
        )
    doc = issued.ok(*args, "--allow-late-discount", "customer paid on the 10th, bank was slow")
    assert doc["discounts"][0]["reason"] == (
        "taken after the window closed on 2026-03-11: customer paid on the 10th, bank was slow"
    )
    timeline = issued.ok("order", "timeline", "SO-00001")
    assert any("customer paid on the 10th" in str(event) for event in timeline)
    clean(issued)


def test_day_11_without_discount_is_a_part_payment(issued):
    issued.ok("payment", "record", "ACME", "1166.20", "--invoice", "INV-00001", "--date", DAY_11)
    assert issued.ok("invoice", "show", "INV-00001")["balance"] == "23.80"


def test_discount_refusals(issued, unchanged):
    with unchanged():
        assert issued.fails(
            "payment", "record", "BRIGHT", "1166.20", "--invoice", "INV-00002", "--discount",
            "--date", DAY_9,
        ).startswith("error: INV-00002 has no early-payment discount")  # fmt: skip
        assert issued.fails(
            "payment", "record", "ACME", "1100", "--invoice", "INV-00001", "--discount",
            "--date", DAY_9,
        ) == (
            "error: with its early-payment discount of 23.80, INV-00001 is settled by exactly "
            "1166.20; the payment puts 1100.00 on it"
        )  # fmt: skip
        assert issued.fails("payment", "record", "ACME", "1166.20", "--discount") == (
            "error: --discount needs --invoice: name the invoices the discount is taken on"
        )
        assert issued.fails(
            "payment", "record", "ACME", "1166.20", "--invoice", "INV-00001",
            "--allow-late-discount", "",
        ) == "error: --allow-late-discount needs a reason"  # fmt: skip


def test_void_reverses_the_discount(issued):
    issued.ok("payment", "record", "ACME", "1166.20", "--invoice", "INV-00001", "--date", DAY_9)
    void = issued.ok("payment", "void", "PAY-00001", "--reason", "bounced")
    assert void["adjustments_reversed"] == [
        {"number": "ED-00001", "kind": "early_discount", "invoice": "INV-00001", "amount": "23.80"}
    ]
    invoice = issued.ok("invoice", "show", "INV-00001")
    assert (invoice["balance"], invoice["discounted"]) == ("1190.00", "0.00")
    assert account(issued, "4300") == ("20.00", "20.00")
    moves = issued.ok("payment", "transactions", "--type", "adjustment_reversed")
    assert [(m["number"], m["amount"], m["source"]) for m in moves] == [
        ("ED-00001", "-23.80", "PV-00001")
    ]
    statement = issued.ok("report", "statement", "ACME")
    assert statement["closing_balance"] == "1190.00"
    clean(issued)


def test_unapply_is_refused_after_a_discount(issued, unchanged):
    issued.ok("payment", "record", "ACME", "1166.20", "--invoice", "INV-00001", "--date", DAY_9)
    with unchanged():
        assert issued.fails("payment", "unapply", "PAY-00001") == (
            "error: cannot unapply payment PAY-00001 off INV-00001: it came with early-payment "
            "discount ED-00001 of 23.80 there"
        )


def test_credit_memo_after_a_discount(issued):
    issued.ok("payment", "record", "ACME", "1166.20", "--invoice", "INV-00001", "--date", DAY_9)
    memo = issued.ok("credit-memo", "create", "INV-00001", "--amount", "50.00", "--reason", "x")
    assert memo["total"] == "50.00"
    clean(issued)
    result = issued.run("invoice", "cancel", "INV-00001", "--reason", "all of it")
    assert result.exit_code in (0, 1), result.stderr
    clean(issued)


# --- write-offs -------------------------------------------------------------------


def test_payment_difference_written_off(issued, unchanged):
    with unchanged():
        assert issued.fails(
            "payment", "record", "BRIGHT", "1184", "--invoice", "INV-00002",
            "--write-off", "6", "--reason", "bank fee",
        ) == "error: write-off of 6.00 is above the limit of 5.00"  # fmt: skip
        assert issued.fails(
            "payment", "record", "BRIGHT", "1187.50", "--invoice", "INV-00002", "--write-off",
            "2.50",
        ) == "error: write-off reason is required"  # fmt: skip
        assert issued.fails(
            "payment", "record", "BRIGHT", "1187.50", "--write-off", "2.50", "--reason", "x",
        ).startswith("error: --write-off needs exactly one --invoice")  # fmt: skip
        assert issued.fails(
            "payment", "record", "BRIGHT", "1187.50", "--invoice", "INV-00002", "--write-off",
            "-1", "--reason", "x",
        ) == "error: --write-off '-1' must not be negative"  # fmt: skip
    doc = issued.ok("payment", "record", "BRIGHT", "1187.50", "--invoice", "INV-00002",
                    "--write-off", "2.50", "--reason", "bank fee")  # fmt: skip
    assert [(w["number"], w["amount"], w["reason"]) for w in doc["write_offs"]] == [
        ("WO-00001", "2.50", "bank fee")
    ]
    assert issued.ok("invoice", "show", "INV-00002")["written_off"] == "2.50"
    assert account(issued, "6800") == ("2.50", "0.00")
    moves = issued.ok("payment", "transactions", "--type", "write_off")
    assert [(m["number"], m["method"], m["reference"]) for m in moves] == [
        ("WO-00001", "payment difference", "bank fee")
    ]
    clean(issued)


def test_limits_set_and_shown(issued, human, unchanged):
    shown = issued.ok("company", "show")
    assert (shown["write_off_limit"], shown["bad_debt_limit"]) == ("5.00", None)
    assert "Write-off limit" in human("company", "show")
    doc = issued.ok("company", "set", "--write-off-limit", "10", "--bad-debt-limit", "500")
    assert (doc["write_off_limit"], doc["bad_debt_limit"]) == ("10.00", "500.00")
    with unchanged():
        assert issued.fails("company", "set", "--write-off-limit", "ten") == (
            "error: write-off limit 'ten' is not a number"
        )
    issued.ok("payment", "record", "BRIGHT", "1184", "--invoice", "INV-00002",
              "--write-off", "6", "--reason", "bank fee")  # fmt: skip
    doc = issued.ok("company", "set", "--bad-debt-limit", "none")
    assert doc["bad_debt_limit"] is None


def test_bad_debt_written_off(issued, unchanged, human):
    issued.ok("payment", "record", "ACME", "595", "--invoice", "INV-00001", "--date", DAY_11)
    issued.ok("company", "set", "--bad-debt-limit", "100")
    with unchanged():
        assert issued.fails("invoice", "write-off", "INV-00001", "--reason", "insolvent") == (
            "error: bad debt of 595.00 is above the limit of 100.00"
        )
        assert issued.fails("invoice", "write-off", "INV-00001", "--reason", "") == (
            "error: reason must not be empty"
        )
        assert issued.fails(
            "invoice", "write-off", "INV-00001", "--reason", "x", "--amount", "-5"
        ) == ("error: --amount '-5' must not be negative")
    issued.ok("company", "set", "--bad-debt-limit", "")
    doc = issued.ok("invoice", "write-off", "INV-00001", "--reason", "insolvent")
    assert {k: doc[k] for k in ("number", "kind", "amount", "net", "tax", "invoice_balance")} == {
        "number": "WO-00001",
        "kind": "bad_debt",
        "amount": "595.00",
        "net": "500.00",
        "tax": "95.00",
        "invoice_balance": "0.00",
    }
    with unchanged():
        assert issued.fails("invoice", "write-off", "INV-00001", "--reason", "again") == (
            "error: INV-00001 is paid: nothing is left to write off"
        )
    assert account(issued, "6900") == ("500.00", "0.00")
    statement = issued.ok("report", "statement", "ACME")
    assert statement["lines"][-1]["description"] == (
        "bad debt written off WO-00001 on INV-00001: insolvent"
    )
    shown = human("invoice", "write-off", "INV-00002", "--reason", "gone", "--amount", "10")
    assert "WO-00002" in shown and "Tax corrected" in shown
    clean(issued)


def test_help_texts(cli):
    for args in (
        ("payment", "record", "--help"),
        ("invoice", "write-off", "--help"),
        ("company", "set", "--help"),
    ):
        result = cli.run(*args)
        assert result.exit_code == 0 and "Example:" in result.stdout
    text = cli.run("payment", "record", "--help").stdout
    for option in ("--discount", "--allow-late-discount", "--write-off", "--reason"):
        assert option in text


def test_a_deposit_invoice_takes_no_discount_and_is_no_bad_debt(issued, unchanged):
    number = issued.ok("order", "new", "ACME")["number"]
    issued.ok("order", "add-line", number, "DESK-OAK", "1", "--price", "1000.00")
    issued.ok("order", "confirm", number)
    deposit = issued.ok("invoice", "create", number, "--deposit", "30%")["number"]
    with unchanged():
        assert issued.fails(
            "payment", "record", "ACME", "357", "--invoice", deposit, "--discount"
        ) == (
            f"error: {deposit} is a deposit invoice: only a standard invoice takes an "
            "early-payment discount"
        )
        assert issued.fails("invoice", "write-off", deposit, "--reason", "gone").startswith(
            f"error: {deposit} is a deposit invoice"
        )
