"""`ordercli payment record/apply/refund/list/show/transactions` end to end (rules 11, 13, 18)."""

from __future__ import annotations

import re

import pytest

PAYMENT_KEYS = {"number", "customer", "amount", "method", "reference", "allocations", "unapplied"}
TODAY = "2027-01-15"


def on(day: str) -> dict:
    return {"ORDERCLI_TODAY": day}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


def build_invoices(cli) -> None:
    for code, sku, qty, day in (
        ("ACME", "DESK-OAK", "2", "2027-01-01"),
        ("ACME", "LAMP-LED", "2", "2027-01-10"),
        ("BRIGHT", "LAMP-LED", "1", "2027-01-10"),
    ):
        number = cli.ok("order", "new", code, env=on(day))["number"]
        cli.ok("order", "add-line", number, sku, qty, env=on(day))
        cli.ok("order", "confirm", number, env=on(day))
        cli.ok("invoice", "create", number, "--date", day, env=on(day))


@pytest.fixture
def invoices(shop, ledger_state):
    """INV-00001 ACME 1163.82 (due Jan 31), INV-00002 ACME 118.88 (due Feb 9),
    INV-00003 BRIGHT 59.44 (due Jan 24); nothing paid."""
    ledger_state("payment-invoices", build_invoices)
    return shop


def build_credit(cli) -> None:
    build_invoices(cli)
    cli.ok("payment", "record", "ACME", "1500", "--reference", "OVER-1", env=on(TODAY))
    cli.ok("order", "new", "ACME", env=on(TODAY))
    cli.ok("order", "add-line", "SO-00004", "LAMP-LED", "1", env=on(TODAY))
    cli.ok("order", "confirm", "SO-00004", env=on(TODAY))
    cli.ok("invoice", "create", "SO-00004", env=on(TODAY))


@pytest.fixture
def credit(shop, ledger_state):
    """As ``invoices``, and ACME paid 1500.00 (PAY-00001): INV-00001 and INV-00002 paid,
    217.30 unapplied; then INV-00004 ACME 59.44 (due Feb 14), unpaid."""
    ledger_state("payment-credit", build_credit)
    return shop


def owed(cli, number: str) -> tuple[str, str, str]:
    doc = cli.ok("invoice", "show", number)
    return doc["status"], doc["paid"], doc["balance"]


def allocations(doc: dict) -> list[tuple[str, str]]:
    return [(a["invoice"], a["amount"]) for a in doc["allocations"]]


# --- record ----------------------------------------------------------------


def test_partial_payment_leaves_invoice_partially_paid(invoices, human):
    doc = invoices.ok(
        "payment",
        "record",
        "ACME",
        "500",
        "--invoice",
        "INV-00001",
        "--method",
        "card",
        "--reference",
        "TRX-881",
    )
    assert PAYMENT_KEYS <= doc.keys()
    expected = {
        "number": "PAY-00001",
        "customer": "ACME",
        "amount": "500.00",
        "method": "card",
        "reference": "TRX-881",
        "unapplied": "0.00",
        "date": TODAY,
    }
    assert {k: doc[k] for k in expected} == expected
    assert allocations(doc) == [("INV-00001", "500.00")]
    assert owed(invoices, "INV-00001") == ("partially_paid", "500.00", "663.82")
    assert owed(invoices, "INV-00002") == ("open", "0.00", "118.88")
    assert [i["number"] for i in invoices.ok("invoice", "list", "--status", "partially_paid")] == [
        "INV-00001"
    ]
    assert invoices.ok("customer", "show", "ACME")["balance"] == "782.70"
    out = human("payment", "show", "PAY-00001")
    for fact in ("Payment PAY-00001", "ACME", "500.00 EUR", "card", "TRX-881", "INV-00001"):
        assert fact in out


def test_payment_without_invoice_settles_the_oldest_first(invoices):
    doc = invoices.ok("payment", "record", "ACME", "1200.00")
    assert allocations(doc) == [("INV-00001", "1163.82"), ("INV-00002", "36.18")]
    assert (doc["method"], doc["reference"], doc["unapplied"]) == ("bank transfer", None, "0.00")
    assert owed(invoices, "INV-00001") == ("paid", "1163.82", "0.00")
    assert owed(invoices, "INV-00002") == ("partially_paid", "36.18", "82.70")
    assert owed(invoices, "INV-00003") == ("open", "0.00", "59.44")  # BRIGHT's, untouched


def test_payment_to_named_invoices_in_the_order_given(invoices):
    doc = invoices.ok(
        "payment", "record", "acme", "300", "--invoice", "inv-00002=100", "--invoice", "INV-00001"
    )
    assert allocations(doc) == [("INV-00002", "100.00"), ("INV-00001", "200.00")]
    assert doc["unapplied"] == "0.00"
    assert owed(invoices, "INV-00002") == ("partially_paid", "100.00", "18.88")
    assert owed(invoices, "INV-00001") == ("partially_paid", "200.00", "963.82")


def test_named_invoice_amount_below_the_payment_keeps_the_rest_as_credit(invoices):
    doc = invoices.ok("payment", "record", "ACME", "100", "--invoice", "INV-00002=40")
    assert allocations(doc) == [("INV-00002", "40.00")]
    assert doc["unapplied"] == "60.00"
    assert owed(invoices, "INV-00001") == ("open", "0.00", "1163.82")


def test_overpayment_becomes_credit_that_payment_apply_uses_later(invoices, unchanged):
    result = invoices.run("payment", "record", "ACME", "1500", "--reference", "OVER-1")
    assert result.exit_code == 0, result.stderr
    assert "Payment PAY-00001" in result.stdout and "217.30" in result.stdout
    assert "217.30 kept as ACME's unapplied credit" in result.stderr
    assert owed(invoices, "INV-00001") == ("paid", "1163.82", "0.00")
    assert owed(invoices, "INV-00002") == ("paid", "118.88", "0.00")
    assert [
        (p["number"], p["unapplied"]) for p in invoices.ok("payment", "list", "--unapplied")
    ] == [("PAY-00001", "217.30")]
    assert invoices.ok("customer", "show", "ACME")["balance"] == "-217.30"

    invoices.ok("order", "new", "ACME")
    invoices.ok("order", "add-line", "SO-00004", "LAMP-LED", "5")
    invoices.ok("order", "confirm", "SO-00004")
    assert invoices.ok("invoice", "create", "SO-00004")["total"] == "297.20"
    applied = invoices.ok(
        "payment", "apply", "ACME", "--invoice", "INV-00004", env=on("2027-01-16")
    )
    assert (applied["number"], applied["status"], applied["paid"], applied["balance"]) == (
        "INV-00004",
        "partially_paid",
        "217.30",
        "79.90",
    )
    payment = invoices.ok("payment", "show", "PAY-00001")
    assert payment["unapplied"] == "0.00"
    assert allocations(payment) == [
        ("INV-00001", "1163.82"),
        ("INV-00002", "118.88"),
        ("INV-00004", "217.30"),
    ]
    assert [a["at_receipt"] for a in payment["allocations"]] == [True, True, False]
    moved = invoices.ok("payment", "transactions", "--customer", "ACME")
    assert [
        (m["date"], m["type"], m["number"], m["customer"], m["invoice"], m["amount"]) for m in moved
    ] == [
        ("2027-01-16", "credit_applied", "PAY-00001", "ACME", "INV-00004", "217.30"),
        (TODAY, "payment", "PAY-00001", "ACME", None, "1500.00"),
    ]
    assert invoices.ok("payment", "list", "--unapplied") == []
    with unchanged():
        assert invoices.fails("payment", "apply", "ACME", "--invoice", "INV-00004") == (
            "error: ACME has no unapplied credit"
        )


def test_apply_part_of_the_credit(credit, human):
    doc = credit.ok("payment", "apply", "ACME", "--invoice", "INV-00004", "--amount", "50")
    assert (doc["status"], doc["paid"], doc["balance"]) == ("partially_paid", "50.00", "9.44")
    assert credit.ok("payment", "show", "PAY-00001")["unapplied"] == "167.30"
    out = human("payment", "apply", "ACME", "--invoice", "INV-00004")
    assert "Invoice INV-00004" in out and "paid" in out
    assert owed(credit, "INV-00004") == ("paid", "59.44", "0.00")
    assert credit.ok("payment", "show", "PAY-00001")["unapplied"] == "157.86"


def test_refund_pays_credit_back(credit, human, unchanged):
    doc = credit.ok("payment", "refund", "ACME", "40", "--method", "cheque", "--reference", "CHQ-1")
    expected = {
        "number": "RF-00001",
        "customer": "ACME",
        "amount": "40.00",
        "method": "cheque",
        "reference": "CHQ-1",
        "credit_memo": None,
        "date": TODAY,
    }
    assert {k: doc[k] for k in expected} == expected
    payment = credit.ok("payment", "show", "PAY-00001")
    assert payment["unapplied"] == "177.30"
    assert payment["refunds"] == [{"refund": "RF-00001", "amount": "40.00"}]
    first = credit.ok("payment", "transactions")[0]
    assert (first["type"], first["number"], first["amount"], first["method"]) == (
        "refund",
        "RF-00001",
        "-40.00",
        "cheque",
    )
    out = human("payment", "refund", "ACME")  # the rest of the credit
    assert "Refund RF-00002" in out and "177.30" in out
    assert credit.ok("payment", "show", "PAY-00001")["unapplied"] == "0.00"
    with unchanged():
        assert credit.fails("payment", "refund", "ACME") == (
            "error: ACME has no unapplied credit to refund"
        )


# --- list / show / transactions --------------------------------------------


def build_payments(cli) -> None:
    build_invoices(cli)
    cli.ok("payment", "record", "ACME", "100", "--reference", "A-1", env=on("2027-01-11"))
    cli.ok("payment", "record", "BRIGHT", "59.44", env=on("2027-01-12"))
    cli.ok(
        "payment",
        "record",
        "ACME",
        "2000",
        "--method",
        "cash",
        "--invoice",
        "INV-00001",
        env=on("2027-01-13"),
    )
    cli.ok("payment", "apply", "ACME", "--invoice", "INV-00002", env=on("2027-01-14"))
    cli.ok("payment", "refund", "ACME", "10", env=on("2027-01-15"))


@pytest.fixture
def payments(shop, ledger_state):
    """PAY-1 ACME 100 (Jan 11), PAY-2 BRIGHT 59.44 (Jan 12), PAY-3 ACME 2000 cash (Jan 13,
    1063.82 to INV-1, 936.18 unapplied); credit on INV-2 (Jan 14); RF-1 ACME 10 (Jan 15)."""
    ledger_state("payment-list", build_payments)
    return shop


def numbers(rows) -> list[str]:
    return [row["number"] for row in rows]


def test_list_payments_newest_first(payments, human):
    rows = payments.ok("payment", "list")
    assert numbers(rows) == ["PAY-00003", "PAY-00002", "PAY-00001"]
    assert all(PAYMENT_KEYS <= row.keys() for row in rows)
    third = rows[0]
    assert (third["amount"], third["method"], third["unapplied"]) == ("2000.00", "cash", "807.30")
    assert allocations(third) == [("INV-00001", "1063.82"), ("INV-00002", "118.88")]
    assert third["refunds"] == [{"refund": "RF-00001", "amount": "10.00"}]
    out = human("payment", "list")
    for fact in ("Payments", "PAY-00003", "2000.00", "807.30", "BRIGHT", "A-1"):
        assert fact in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--customer", "ACME"], ["PAY-00003", "PAY-00001"]),
        (["--customer", "bright"], ["PAY-00002"]),
        (["--unapplied"], ["PAY-00003"]),
        (["--from", "2027-01-12"], ["PAY-00003", "PAY-00002"]),
        (["--to", "2027-01-12"], ["PAY-00002", "PAY-00001"]),
        (["--from", "2027-01-12", "--to", "2027-01-12"], ["PAY-00002"]),
        (["--limit", "1"], ["PAY-00003"]),
        (["--all"], ["PAY-00003", "PAY-00002", "PAY-00001"]),
    ],
)
def test_list_payments_filters(payments, args, expected):
    assert numbers(payments.ok("payment", "list", *args)) == expected


def test_transactions_show_every_money_movement(payments, human):
    rows = payments.ok("payment", "transactions")
    assert [(r["date"], r["type"], r["number"], r["customer"], r["amount"]) for r in rows] == [
        ("2027-01-15", "refund", "RF-00001", "ACME", "-10.00"),
        ("2027-01-14", "credit_applied", "PAY-00003", "ACME", "118.88"),
        ("2027-01-13", "payment", "PAY-00003", "ACME", "2000.00"),
        ("2027-01-12", "payment", "PAY-00002", "BRIGHT", "59.44"),
        ("2027-01-11", "payment", "PAY-00001", "ACME", "100.00"),
    ]
    assert rows[1]["invoice"] == "INV-00002"
    assert numbers(payments.ok("payment", "transactions", "--customer", "BRIGHT")) == ["PAY-00002"]
    assert numbers(payments.ok("payment", "transactions", "--type", "payment", "--limit", "2")) == [
        "PAY-00003",
        "PAY-00002",
    ]
    assert numbers(
        payments.ok("payment", "transactions", "--from", "2027-01-13", "--to", "2027-01-14")
    ) == ["PAY-00003", "PAY-00003"]
    out = human("payment", "transactions")
    for fact in ("Transactions", "RF-00001", "-10.00", "credit_applied", "INV-00002", "2000.00"):
        assert fact in out


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("refund", ["RF-00001"]), ("credit_applied", ["PAY-00003"]), ("store_credit", [])],
)
def test_transactions_by_type(payments, kind, expected):
    # Found by these tests: every --type but payment crashed ("unexpected AttributeError: on").
    rows = payments.ok("payment", "transactions", "--type", kind)
    assert numbers(rows) == expected
    assert all(row["type"] == kind for row in rows)


def test_empty_lists(shop):
    assert shop.ok("payment", "list") == []
    assert shop.ok("payment", "transactions") == []
    assert "no payments" in shop.run("payment", "list").stderr
    assert "no money movements" in shop.run("payment", "transactions").stderr


# --- refusals --------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ACME", ""], "amount is empty"),
        (["ACME", " "], "amount is empty"),
        (["ACME", "0"], "payment amount 0.00 must be greater than zero"),
        (["ACME", "0.00"], "payment amount 0.00 must be greater than zero"),
        (["ACME", "--", "-5"], "amount '-5' must not be negative"),
        (["ACME", "-5"], "amount '-5' must not be negative"),
        (["ACME", "１００"], "amount '１００' is not a number (use digits 0-9)"),
        (["ACME", "1e309"], "amount '1e309' is too large"),
        (["ACME", "NaN"], "amount 'NaN' is not a finite number"),
        (["ACME", "inf"], "amount 'inf' is not a finite number"),
        (["ACME", "10.001"], "amount '10.001' has more than 2 decimal places"),
        (["ACME", "abc"], "amount 'abc' is not a number"),
        (["NOPE", "10"], "no customer 'NOPE'"),
        (["", "10"], "customer code is empty"),
        (["ACME", "10", "--invoice", "INV-00404"], "no invoice 'INV-00404'"),
        (
            ["ACME", "10", "--invoice", "INV-00003"],
            "invoice INV-00003 belongs to another customer, not ACME",
        ),
        (
            ["BRIGHT", "10", "--invoice", "INV-00001=5"],
            "invoice INV-00001 belongs to another customer, not BRIGHT",
        ),
        (
            ["ACME", "10", "--invoice", ""],
            "--invoice '' must look like INV-00001 or INV-00001=AMOUNT",
        ),
        (
            ["ACME", "10", "--invoice", "=5"],
            "--invoice '=5' must look like INV-00001 or INV-00001=AMOUNT",
        ),
        (["ACME", "10", "--invoice", "INV-00001="], "amount for INV-00001 is empty"),
        (
            ["ACME", "10", "--invoice", "INV-00001=0"],
            "amount for INV-00001 must be greater than zero",
        ),
        (
            ["ACME", "10", "--invoice", "INV-00001=-1"],
            "amount for INV-00001 '-1' must not be negative",
        ),
        (
            ["ACME", "10", "--invoice", "INV-00001=NaN"],
            "amount for INV-00001 'NaN' is not a finite number",
        ),
        (
            ["ACME", "10", "--invoice", "INV-00001=1e309"],
            "amount for INV-00001 '1e309' is too large",
        ),
        (
            ["ACME", "10", "--invoice", "INV-00001=1.005"],
            "amount for INV-00001 '1.005' has more than 2 decimal places",
        ),
        (
            ["ACME", "5000", "--invoice", "INV-00001=5000"],
            "cannot allocate 5000.00 to INV-00001: its balance is 1163.82",
        ),
        (
            ["ACME", "10", "--invoice", "INV-00001", "--invoice", "inv-00001"],
            "invoice inv-00001 is named twice",
        ),
        (
            ["ACME", "10", "--date", "2027-02-30"],
            "--date '2027-02-30' is not a date (use YYYY-MM-DD)",
        ),
    ],
)
def test_record_bad_input(invoices, unchanged, args, message):
    with unchanged():
        assert invoices.fails("payment", "record", *args) == f"error: {message}"


def test_payment_that_does_not_reach_a_named_invoice_is_refused(invoices, unchanged):
    with unchanged():
        assert invoices.fails(
            "payment", "record", "ACME", "100", "--invoice", "INV-00002", "--invoice", "INV-00001"
        ) == (
            "error: payment of 100.00 does not reach INV-00001: "
            "the invoices named before it take all of it"
        )


def test_named_amounts_above_the_payment_are_refused(invoices, unchanged):
    # --invoice INV=AMOUNT "pays that much of it"; 60 + 50 cannot come out of 100.
    with unchanged():
        message = invoices.fails(
            "payment",
            "record",
            "ACME",
            "100",
            "--invoice",
            "INV-00001=60",
            "--invoice",
            "INV-00002=50",
        )
    assert "INV-00002" in message


def test_paying_a_paid_invoice_is_refused(invoices, unchanged):
    invoices.ok("payment", "record", "BRIGHT", "59.44", "--invoice", "INV-00003")
    assert owed(invoices, "INV-00003") == ("paid", "59.44", "0.00")
    with unchanged():
        assert invoices.fails("payment", "record", "BRIGHT", "1", "--invoice", "INV-00003") == (
            "error: invoice INV-00003 has nothing left to pay"
        )


def test_duplicate_reference_is_refused(invoices, unchanged):
    invoices.ok("payment", "record", "ACME", "10", "--reference", "TRX-1")
    with unchanged():
        assert invoices.fails("payment", "record", "ACME", "10", "--reference", "TRX-1") == (
            "error: ACME already has payment PAY-00001 with reference 'TRX-1'; "
            "not recording it twice"
        )
        assert invoices.fails(
            "payment", "record", "ACME", "99", "--reference", "TRX-1", "--invoice", "INV-00002"
        ).startswith("error: ACME already has payment PAY-00001 with reference 'TRX-1'")
    # Another customer's bank may use the same reference.
    assert invoices.ok("payment", "record", "BRIGHT", "10", "--reference", "TRX-1")["number"] == (
        "PAY-00002"
    )


def test_refused_payment_leaves_no_gap_in_numbers(invoices):
    invoices.fails("payment", "record", "ACME", "0")
    invoices.fails("payment", "record", "ACME", "10", "--invoice", "INV-00003")
    assert invoices.ok("payment", "record", "ACME", "10")["number"] == "PAY-00001"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["ACME", "--invoice", "INV-00003"],
            "invoice INV-00003 belongs to another customer, not ACME",
        ),
        (["ACME", "--invoice", "INV-00001"], "invoice INV-00001 has nothing left to pay"),
        (["ACME", "--invoice", "INV-00404"], "no invoice 'INV-00404'"),
        (["ACME", "--invoice", ""], "invoice number is empty"),
        (["NOPE", "--invoice", "INV-00004"], "no customer 'NOPE'"),
        (["", "--invoice", "INV-00004"], "customer code is empty"),
        (["BRIGHT", "--invoice", "INV-00003"], "BRIGHT has no unapplied credit"),
        (
            ["ACME", "--invoice", "INV-00004", "--amount", "0"],
            "amount 0.00 must be greater than zero",
        ),
        (
            ["ACME", "--invoice", "INV-00004", "--amount", "-1"],
            "--amount '-1' must not be negative",
        ),
        (["ACME", "--invoice", "INV-00004", "--amount", ""], "--amount is empty"),
        (["ACME", "--invoice", "INV-00004", "--amount", "1e309"], "--amount '1e309' is too large"),
        (
            ["ACME", "--invoice", "INV-00004", "--amount", "NaN"],
            "--amount 'NaN' is not a finite number",
        ),
        (
            ["ACME", "--invoice", "INV-00004", "--amount", "1.234"],
            "--amount '1.234' has more than 2 decimal places",
        ),
        (
            ["ACME", "--invoice", "INV-00004", "--amount", "300"],
            "ACME has only 217.30 of unapplied credit, not 300.00",
        ),
        (
            ["ACME", "--invoice", "INV-00004", "--amount", "100"],
            "cannot apply 100.00 to INV-00004: its balance is 59.44",
        ),
    ],
)
def test_apply_refused(credit, unchanged, args, message):
    with unchanged():
        assert credit.fails("payment", "apply", *args) == f"error: {message}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ACME", "--", "-5"], "amount '-5' must not be negative"),
        (["ACME", "0"], "refund amount must be greater than zero"),
        (["ACME", ""], "amount is empty"),
        (["ACME", "NaN"], "amount 'NaN' is not a finite number"),
        (["ACME", "1e309"], "amount '1e309' is too large"),
        (["ACME", "1.001"], "amount '1.001' has more than 2 decimal places"),
        (["ACME", "217.31"], "cannot refund 217.31 to ACME: their unapplied credit is 217.30"),
        (["BRIGHT"], "BRIGHT has no unapplied credit to refund"),
        (["NOPE", "1"], "no customer 'NOPE'"),
        (["ACME", "1", "--date", "yesterday"], "--date 'yesterday' is not a date (use YYYY-MM-DD)"),
    ],
)
def test_refund_refused(credit, unchanged, args, message):
    with unchanged():
        assert credit.fails("payment", "refund", *args) == f"error: {message}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "PAY-00404"], "no payment 'PAY-00404'"),
        (["show", ""], "payment number is empty"),
        (["show", "INV-00001"], "no payment 'INV-00001'"),
        (["list", "--customer", "NOPE"], "no customer 'NOPE'"),
        (
            ["list", "--from", "2027-02-01", "--to", "2027-01-01"],
            "--from 2027-02-01 is after --to 2027-01-01",
        ),
        (["list", "--limit=-5"], "--limit -5 must be at least 1"),
        (["transactions", "--customer", "NOPE"], "no customer 'NOPE'"),
        (
            ["transactions", "--type", "gift"],
            "unknown transaction type 'gift' (one of payment, refund, credit_applied, "
            "store_credit, void, unapplied, reallocated, early_discount, write_off, "
            "adjustment_reversed)",
        ),
        (
            ["transactions", "--from", "2027-1-x"],
            "--from '2027-1-x' is not a date (use YYYY-MM-DD)",
        ),
    ],
)
def test_show_list_transactions_refused(credit, unchanged, args, message):
    with unchanged():
        assert credit.fails("payment", *args) == f"error: {message}"


def test_show_payment_case_insensitive(credit, human):
    doc = credit.ok("payment", "show", "pay-00001")
    assert (doc["number"], doc["amount"], doc["unapplied"], doc["reference"]) == (
        "PAY-00001",
        "1500.00",
        "217.30",
        "OVER-1",
    )
    out = human("payment", "show", "PAY-00001")
    for fact in ("1500.00 EUR", "217.30", "OVER-1", "INV-00001", "1163.82", "118.88"):
        assert fact in out


def test_json_payment_is_one_document(credit, raw_json):
    result, doc = raw_json("payment", "record", "ACME", "5", "--invoice", "INV-00004")
    assert result.stderr == ""
    assert allocations(doc) == [("INV-00004", "5.00")]
    money = [doc["amount"], doc["unapplied"], *(a["amount"] for a in doc["allocations"])]
    assert all(re.fullmatch(r"\d+\.\d{2}", m) for m in money), money


def test_money_dated_before_an_invoice_does_not_settle_it(invoices, unchanged):
    with unchanged():
        message = invoices.fails(
            "payment", "record", "ACME", "100", "--invoice", "INV-00001", "--date", "2026-12-01"
        )
    assert message.startswith("error: ") and "cannot settle INV-00001" in message
    assert "2027-01-01" in message
    # Oldest first passes over invoices not yet issued on the payment's date.
    doc = invoices.ok("payment", "record", "ACME", "2000", "--date", "2027-01-05")
    assert allocations(doc) == [("INV-00001", "1163.82")]
    assert doc["unapplied"] == "836.18"
    with unchanged():
        message = invoices.fails(
            "payment", "apply", "ACME", "--invoice", "INV-00002", "--date", "2027-01-09"
        )
    assert "cannot settle INV-00002" in message
    applied = invoices.ok(
        "payment", "apply", "ACME", "--invoice", "INV-00002", "--date", "2027-01-10"
    )
    assert (applied["status"], applied["balance"]) == ("paid", "0.00")


def test_refund_dated_before_the_credit_existed_is_refused(credit, unchanged):
    # PAY-00001 was received on 2027-01-15; nothing of it existed on 2027-01-10.
    with unchanged():
        credit.fails("payment", "refund", "ACME", "40", "--date", "2027-01-10")


def test_credit_applied_before_it_was_received_is_refused(invoices, unchanged):
    invoices.ok("payment", "record", "ACME", "1200", "--invoice", "INV-00001")  # on 2027-01-15
    with unchanged():
        invoices.fails("payment", "apply", "ACME", "--invoice", "INV-00002", "--date", "2027-01-12")
