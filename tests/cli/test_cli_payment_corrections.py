"""`ordercli payment void/unapply/reallocate` end to end (rules 4, 4a, 13, 18)."""

from __future__ import annotations

import pytest

TODAY = "2027-01-15"


def on(day: str) -> dict:
    return {"ORDERCLI_TODAY": day}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


def build_paid(cli) -> None:
    for code, sku, qty, day in (
        ("ACME", "DESK-OAK", "2", "2027-01-01"),
        ("ACME", "LAMP-LED", "2", "2027-01-10"),
        ("BRIGHT", "LAMP-LED", "1", "2027-01-11"),
    ):
        number = cli.ok("order", "new", code, env=on(day))["number"]
        cli.ok("order", "add-line", number, sku, qty, env=on(day))
        cli.ok("order", "confirm", number, env=on(day))
        cli.ok("invoice", "create", number, "--date", day, env=on(day))
    day = "2027-01-12"
    cli.ok("payment", "record", "ACME", "300", "--invoice", "INV-00001", env=on(day))
    cli.ok("payment", "record", "ACME", "200", "--invoice", "INV-00002", env=on(day))


@pytest.fixture
def paid(shop, ledger_state):
    """INV-00001 ACME 1163.82 (Jan 1), INV-00002 ACME 118.88 (Jan 10), INV-00003 BRIGHT
    59.44 (Jan 11); on Jan 12 PAY-00001 (300.00 to INV-00001) and PAY-00002 (200.00:
    118.88 to INV-00002, 81.12 unapplied)."""
    ledger_state("payment-corrections", build_paid)
    return shop


def owed(cli, number: str) -> tuple[str, str]:
    doc = cli.ok("invoice", "show", number)
    return doc["paid"], doc["balance"]


def clean(cli) -> None:
    report = cli.ok("check")
    assert (report["ok"], report["problems"]) == (True, [])
    trial = cli.ok("report", "trial-balance")
    assert trial["total_debit"] == trial["total_credit"]


def moves(cli, kind: str) -> list[tuple]:
    return [
        (m["number"], m["invoice"], m["source"], m["amount"])
        for m in cli.ok("payment", "transactions", "--type", kind)
    ]


# --- void ------------------------------------------------------------------


def test_void_gives_the_money_back_to_the_invoices(paid, human):
    doc = paid.ok("payment", "void", "PAY-00001", "--reason", "cheque bounced")
    assert doc == {
        "number": "PV-00001",
        "payment": "PAY-00001",
        "customer": "ACME",
        "date": TODAY,
        "currency": "EUR",
        "amount": "300.00",
        "reason": "cheque bounced",
        "invoices": [{"invoice": "INV-00001", "amount": "300.00"}],
        "unapplied_taken_back": "0.00",
        "adjustments_reversed": [],
    }
    assert owed(paid, "INV-00001") == ("0.00", "1163.82")
    shown = paid.ok("payment", "show", "PAY-00001")
    assert (shown["status"], shown["allocations"], shown["unapplied"]) == ("voided", [], "0.00")
    assert shown["voided_by"] == {"number": "PV-00001", "date": TODAY, "reason": "cheque bounced"}
    assert shown["released"] == [
        {
            "invoice": "INV-00001",
            "amount": "300.00",
            "date": "2027-01-12",
            "released_on": TODAY,
            "released_by": "PV-00001",
        }
    ]
    listed = {p["number"]: p["status"] for p in paid.ok("payment", "list")}
    assert listed == {"PAY-00001": "voided", "PAY-00002": "recorded"}
    assert moves(paid, "void") == [("PV-00001", None, "PAY-00001", "-300.00")]
    clean(paid)
    out = human("payment", "show", "PAY-00001")
    assert "voided" in out and "PV-00001" in out and "cheque bounced" in out
    assert "payment voided" in {e["event"] for e in paid.ok("order", "timeline", "SO-00001")}


def test_void_takes_back_the_unapplied_credit(paid, human):
    out = human("payment", "void", "PAY-00002", "--reason", "recorded twice")
    assert "PV-00001" in out and "INV-00002" in out and "81.12" in out
    assert owed(paid, "INV-00002") == ("0.00", "118.88")
    customer = paid.ok("customer", "show", "ACME")
    assert customer["balance"] == f"{1163.82 + 118.88 - 300:.2f}"
    clean(paid)


def test_void_refusals_change_nothing(paid, unchanged):
    with unchanged():
        assert paid.fails("payment", "void", "PAY-00001", "--reason", " ") == (
            "error: reason must not be empty"
        )
        assert paid.fails(
            "payment", "void", "PAY-00001", "--reason", "x", "--date", "2027-01-11"
        ) == (
            "error: payment void PV-00001 dated 2027-01-11 cannot come before payment "
            "PAY-00001, dated 2027-01-12"
        )
        assert paid.fails("payment", "void", "PAY-00009", "--reason", "x") == (
            "error: no payment 'PAY-00009'"
        )
    paid.ok("payment", "void", "PAY-00001", "--reason", "bounced")
    with unchanged():
        assert paid.fails("payment", "void", "PAY-00001", "--reason", "again") == (
            "error: payment PAY-00001 is voided by PV-00001 (on 2027-01-15); "
            "nothing of it can be voided again"
        )
        assert paid.fails("payment", "unapply", "PAY-00001") == (
            "error: payment PAY-00001 is voided by PV-00001 (on 2027-01-15); "
            "nothing of it can be unapplied"
        )


def test_void_is_refused_while_its_credit_is_applied_elsewhere(paid, unchanged):
    paid.ok("payment", "apply", "ACME", "--invoice", "INV-00001", "--amount", "50")
    with unchanged():
        result = paid.run("payment", "void", "PAY-00002", "--reason", "bounced")
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            "error: payment PAY-00002 cannot be voided: its credit is still applied to "
            "INV-00001 (50.00)",
            "hint: `ordercli payment unapply PAY-00002 --invoice INV-00001` takes it off first",
        ]
    paid.ok("payment", "unapply", "PAY-00002", "--invoice", "INV-00001")
    doc = paid.ok("payment", "void", "PAY-00002", "--reason", "bounced")
    assert doc["invoices"] == [{"invoice": "INV-00002", "amount": "118.88"}]
    assert doc["unapplied_taken_back"] == "81.12"
    clean(paid)


def test_void_is_refused_after_a_refund_of_its_credit(paid, unchanged):
    paid.ok("payment", "refund", "ACME", "20")
    with unchanged():
        assert paid.fails("payment", "void", "PAY-00002", "--reason", "bounced") == (
            "error: payment PAY-00002 cannot be voided: refund RF-00001 paid 20.00 of its "
            "credit back to ACME, and a refund is money out that cannot be undone"
        )


# --- unapply ---------------------------------------------------------------


def test_unapply_part_keeps_the_rest_as_a_new_row(paid, human):
    doc = paid.ok("payment", "unapply", "PAY-00001", "--invoice", "INV-00001", "--amount", "100")
    assert [(a["invoice"], a["amount"], a["date"]) for a in doc["allocations"]] == [
        ("INV-00001", "200.00", TODAY)
    ]
    assert [(r["amount"], r["released_by"]) for r in doc["released"]] == [("300.00", "PAY-00001")]
    assert doc["unapplied"] == "100.00"
    assert owed(paid, "INV-00001") == ("200.00", "963.82")
    # The rest of an allocation is no credit applied later.
    assert moves(paid, "credit_applied") == []
    assert moves(paid, "unapplied") == [("PAY-00001", "INV-00001", "PAY-00001", "-100.00")]
    clean(paid)
    # ... and does not stop a void: it is the money the payment paid at receipt.
    void = paid.ok("payment", "void", "PAY-00001", "--reason", "bounced")
    assert void["invoices"] == [{"invoice": "INV-00001", "amount": "200.00"}]
    assert void["unapplied_taken_back"] == "100.00"
    clean(paid)
    assert "Taken off again" in human("payment", "show", "PAY-00001")


def test_unapply_refusals(paid, unchanged):
    with unchanged():
        assert paid.fails("payment", "unapply", "PAY-00001", "--invoice", "INV-00002") == (
            "error: payment PAY-00001 has nothing on INV-00002"
        )
        assert paid.fails("payment", "unapply", "PAY-00001", "--invoice", "INV-00003") == (
            "error: invoice INV-00003 belongs to another customer, not ACME"
        )
        assert paid.fails("payment", "unapply", "PAY-00001", "--amount", "300.01") == (
            "error: cannot take 300.01 of PAY-00001 off its invoices: only 300.00 of it is there"
        )
        assert paid.fails("payment", "unapply", "PAY-00001", "--date", "2027-01-11") == (
            "error: unapplying PAY-00001 dated 2027-01-11 cannot come before payment "
            "PAY-00001, dated 2027-01-12"
        )
        assert paid.fails("payment", "unapply", "PAY-00001", "--date", "2027-01-16") == (
            "error: unapplying PAY-00001 date 2027-01-16 is in the future (today is 2027-01-15)"
        )


# --- reallocate ------------------------------------------------------------


def test_reallocate_moves_money_between_invoices(paid, human):
    doc = paid.ok(
        "payment", "reallocate", "PAY-00002", "--from", "INV-00002", "--to", "INV-00001",
        "--amount", "50",
    )  # fmt: skip
    assert [(a["invoice"], a["amount"]) for a in doc["allocations"]] == [
        ("INV-00002", "68.88"),
        ("INV-00001", "50.00"),
    ]
    assert doc["unapplied"] == "81.12"
    assert owed(paid, "INV-00001") == ("350.00", "813.82")
    assert owed(paid, "INV-00002") == ("68.88", "50.00")
    assert moves(paid, "reallocated") == [("PAY-00002", "INV-00001", "INV-00002", "50.00")]
    assert moves(paid, "credit_applied") == []
    clean(paid)
    # Money moved by a reallocation is the payment's own: a void takes it back too.
    void = paid.ok("payment", "void", "PAY-00002", "--reason", "bounced")
    assert sorted((i["invoice"], i["amount"]) for i in void["invoices"]) == [
        ("INV-00001", "50.00"),
        ("INV-00002", "68.88"),
    ]
    clean(paid)
    out = human("payment", "transactions")
    assert "reallocated" in out and "void" in out


def test_reallocate_by_default_moves_what_the_target_owes(paid):
    paid.ok("payment", "unapply", "PAY-00002")
    doc = paid.ok("payment", "reallocate", "PAY-00001", "--from", "INV-00001", "--to", "INV-00002")
    assert [(a["invoice"], a["amount"]) for a in doc["allocations"]] == [
        ("INV-00001", "181.12"),
        ("INV-00002", "118.88"),
    ]
    assert owed(paid, "INV-00002") == ("118.88", "0.00")
    clean(paid)


def test_reallocate_refusals(paid, unchanged):
    with unchanged():
        assert (
            paid.fails(
                "payment", "reallocate", "PAY-00001", "--from", "INV-00001", "--to", "INV-00003"
            )
            == "error: invoice INV-00003 belongs to another customer, not ACME"
        )
        assert (
            paid.fails(
                "payment", "reallocate", "PAY-00001", "--from", "INV-00001", "--to", "INV-00001"
            )
            == "error: --from and --to both name INV-00001"
        )
        assert paid.fails(
            "payment", "reallocate", "PAY-00001", "--from", "INV-00001", "--to", "INV-00002",
            "--amount", "300",
        ) == "error: cannot allocate 300.00 to INV-00002: its balance is 0.00"  # fmt: skip
        assert (
            paid.fails(
                "payment", "reallocate", "PAY-00001", "--from", "INV-00001", "--to", "INV-00002"
            )
            == "error: invoice INV-00002 has nothing left to pay"
        )


def test_exports_show_a_voided_payment_applying_nothing(paid):
    import csv
    import io

    paid.ok("payment", "void", "PAY-00002", "--reason", "bounced")
    result = paid.run("export", "payments")
    assert result.exit_code == 0, result.stderr
    rows = {r["number"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert (rows["PAY-00002"]["amount"], rows["PAY-00002"]["applied"]) == ("200.00", "0.00")
    assert rows["PAY-00002"]["unapplied"] == "0.00"
    assert rows["PAY-00001"]["applied"] == "300.00"
    journal = paid.run("export", "journal")
    assert "payment_void,PV-00001" in journal.stdout
