"""`ordercli report aging/statement/trial-balance` and `account list/set` end to end
(rules 11, 18 and the Reports section)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

BUCKETS = ("current", "d1_30", "d31_60", "d61_90", "d90_plus", "total")
TB_KEYS = {"code", "name", "debit", "credit", "balance"}
TODAY = "2027-06-30"
MONEY = re.compile(r"-?\d+\.\d{2}")


def on(day: str) -> dict:
    return {"ORDERCLI_TODAY": day}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


def build_aging(cli) -> None:
    start = on("2027-03-01")
    cli.ok("order", "new", "ACME", env=start)
    cli.ok("order", "add-line", "SO-00001", "LAMP-LED", "20", env=start)
    cli.ok("order", "confirm", "SO-00001", env=start)
    for qty, day in (
        ("5", "2027-03-01"),  # due 03-31: 91 days past due on 06-30
        ("4", "2027-03-02"),  # due 04-01: 90 days
        ("3", "2027-04-30"),  # due 05-30: 31 days
        ("2", "2027-05-01"),  # due 05-31: 30 days
        ("1", "2027-05-31"),  # due 06-30: due today, current
    ):
        cli.ok(
            "invoice", "create", "SO-00001", "--line", f"LAMP-LED={qty}", "--date", day, env=on(day)
        )
    cli.ok("order", "new", "CAFE", env=on("2027-06-01"))
    cli.ok("order", "add-line", "SO-00002", "LAMP-LED", "1", env=on("2027-06-01"))
    cli.ok("order", "confirm", "SO-00002", env=on("2027-06-01"))
    cli.ok("invoice", "create", "SO-00002", "--date", "2027-06-01", env=on("2027-06-01"))
    cli.ok("payment", "record", "CAFE", "59.44", "--date", "2027-06-10", env=on("2027-06-10"))
    cli.ok("order", "new", "BRIGHT", env=on("2027-06-20"))
    cli.ok("order", "add-line", "SO-00003", "DESK-OAK", "1", env=on("2027-06-20"))
    cli.ok("order", "confirm", "SO-00003", env=on("2027-06-20"))
    cli.ok("invoice", "create", "SO-00003", "--date", "2027-06-20", env=on("2027-06-20"))
    cli.ok("payment", "record", "BRIGHT", "81.91", "--date", "2027-06-25", env=on("2027-06-25"))


@pytest.fixture
def aged(shop, ledger_state):
    """ACME (30 days): INV-1..5 for 5, 4, 3, 2, 1 LAMP-LED (297.20, 237.76, 178.32, 118.88,
    59.44) issued 03-01, 03-02, 04-30, 05-01, 05-31. CAFE (0 days): INV-6 59.44 issued 06-01,
    paid 06-10. BRIGHT (14 days): INV-7 581.91 issued 06-20, 81.91 paid 06-25."""
    ledger_state("reports-aging", build_aging)
    return shop


def buckets(row: dict) -> tuple[str, ...]:
    return tuple(row[b] for b in BUCKETS)


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


# --- aging -----------------------------------------------------------------


def test_aging_puts_each_invoice_in_its_bucket(aged, human):
    doc = aged.ok("report", "aging", "--as-of", "2027-06-30")
    assert doc["as_of"] == "2027-06-30"
    assert [(c["customer"], buckets(c)) for c in doc["customers"]] == [
        ("ACME", ("59.44", "118.88", "178.32", "237.76", "297.20", "891.60")),
        ("BRIGHT", ("500.00", "0.00", "0.00", "0.00", "0.00", "500.00")),
    ]
    assert buckets(doc["totals"]) == (
        "559.44",
        "118.88",
        "178.32",
        "237.76",
        "297.20",
        "1391.60",
    )
    assert aged.ok("report", "aging") == doc  # --as-of defaults to today
    out = human("report", "aging")
    for fact in (
        "Receivables aging as of 2027-06-30",
        "ACME",
        "BRIGHT",
        "Total",
        "1391.60",
        "297.20",
    ):
        assert fact in out


def test_money_is_a_string_with_two_decimals(aged):
    aging = aged.ok("report", "aging")
    tb = aged.ok("report", "trial-balance")
    statement = aged.ok("report", "statement", "ACME")
    amounts = [
        *(c[b] for c in aging["customers"] for b in BUCKETS),
        *aging["totals"].values(),
        *(a[k] for a in tb["accounts"] for k in ("debit", "credit", "balance")),
        tb["total_debit"],
        tb["total_credit"],
        *(ln[k] for ln in statement["lines"] for k in ("debit", "credit", "balance")),
        statement["opening_balance"],
        statement["closing_balance"],
    ]
    assert amounts and all(MONEY.fullmatch(a) for a in amounts), amounts


def test_aging_as_of_an_earlier_day(aged):
    doc = aged.ok("report", "aging", "--as-of", "2027-06-05")
    assert [(c["customer"], buckets(c)) for c in doc["customers"]] == [
        ("ACME", ("59.44", "297.20", "0.00", "534.96", "0.00", "891.60")),
        ("CAFE", ("0.00", "59.44", "0.00", "0.00", "0.00", "59.44")),
    ]
    assert doc["totals"]["total"] == "951.04"
    # CAFE's payment counts from the end of the day it was received.
    assert [
        c["customer"] for c in aged.ok("report", "aging", "--as-of", "2027-06-09")["customers"]
    ] == [
        "ACME",
        "CAFE",
    ]
    assert [
        c["customer"] for c in aged.ok("report", "aging", "--as-of", "2027-06-10")["customers"]
    ] == ["ACME"]
    # BRIGHT owed the whole invoice until its partial payment.
    bright = aged.ok("report", "aging", "--as-of", "2027-06-24", "--customer", "BRIGHT")
    assert [(c["customer"], c["current"], c["total"]) for c in bright["customers"]] == [
        ("BRIGHT", "581.91", "581.91")
    ]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        # INV-00005 is due 06-30; INV-00004 due 05-31.
        ("2027-06-30", ("59.44", "0.00", "0.00", "0.00", "0.00")),
        ("2027-07-01", ("0.00", "59.44", "0.00", "0.00", "0.00")),
        ("2027-07-30", ("0.00", "59.44", "0.00", "0.00", "0.00")),
        ("2027-07-31", ("0.00", "0.00", "59.44", "0.00", "0.00")),
        ("2027-08-29", ("0.00", "0.00", "59.44", "0.00", "0.00")),
        ("2027-08-30", ("0.00", "0.00", "0.00", "59.44", "0.00")),
        ("2027-09-28", ("0.00", "0.00", "0.00", "59.44", "0.00")),
        ("2027-09-29", ("0.00", "0.00", "0.00", "0.00", "59.44")),
    ],
)
def test_aging_bucket_boundaries(aged, as_of, expected):
    aged.ok("payment", "record", "ACME", "832.16")  # pays INV-1..4, oldest first
    doc = aged.ok("report", "aging", "--as-of", as_of, "--customer", "ACME", env=on(as_of))
    (row,) = doc["customers"]
    assert buckets(row)[:5] == expected
    assert row["total"] == "59.44"


def test_aging_customer_filter_and_nothing_owed(aged, human):
    doc = aged.ok("report", "aging", "--customer", "bright")
    assert [c["customer"] for c in doc["customers"]] == ["BRIGHT"]
    assert doc["totals"]["total"] == "500.00"
    empty = aged.ok("report", "aging", "--as-of", "2027-01-01")
    assert empty["customers"] == []
    assert set(empty["totals"].values()) == {"0.00"}
    result = aged.run("report", "aging", "--as-of", "2027-01-01")
    assert result.exit_code == 0 and "nothing owed as of 2027-01-01" in result.stderr


def test_aging_agrees_with_the_invoices(aged):
    open_invoices = aged.ok("invoice", "list", "--unpaid", "--all")
    assert [i["number"] for i in open_invoices] == [
        "INV-00007",
        "INV-00005",
        "INV-00004",
        "INV-00003",
        "INV-00002",
        "INV-00001",
    ]
    owed = sum(cents(i["balance"]) for i in open_invoices)
    assert cents(aged.ok("report", "aging")["totals"]["total"]) == owed
    overdue = aged.ok("invoice", "list", "--overdue")
    assert [i["number"] for i in overdue] == ["INV-00004", "INV-00003", "INV-00002", "INV-00001"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2027-13-01"], "--as-of '2027-13-01' is not a date (use YYYY-MM-DD)"),
        (["--as-of", ""], "--as-of '' is not a date (use YYYY-MM-DD)"),
        (["--customer", "NOPE"], "no customer 'NOPE'"),
    ],
)
def test_aging_bad_input(aged, unchanged, args, message):
    with unchanged():
        assert aged.fails("report", "aging", *args) == f"error: {message}"


# --- statement -------------------------------------------------------------


def statement_lines(doc: dict) -> list[tuple[str, str, str, str, str, str]]:
    return [
        (ln["date"], ln["type"], ln["number"], ln["debit"], ln["credit"], ln["balance"])
        for ln in doc["lines"]
    ]


def test_statement_running_balance(aged, human):
    aged.ok("payment", "record", "ACME", "1000", "--reference", "TRX-1")
    aged.ok("credit-memo", "create", "INV-00005", "--refund")
    aged.ok("payment", "refund", "ACME", env=on("2027-07-01"))
    doc = aged.ok("report", "statement", "ACME", "--as-of", "2027-07-01")
    assert (doc["customer"], doc["from"], doc["to"], doc["opening_balance"]) == (
        "ACME",
        None,
        "2027-07-01",
        "0.00",
    )
    assert statement_lines(doc) == [
        ("2027-03-01", "invoice", "INV-00001", "297.20", "0.00", "297.20"),
        ("2027-03-02", "invoice", "INV-00002", "237.76", "0.00", "534.96"),
        ("2027-04-30", "invoice", "INV-00003", "178.32", "0.00", "713.28"),
        ("2027-05-01", "invoice", "INV-00004", "118.88", "0.00", "832.16"),
        ("2027-05-31", "invoice", "INV-00005", "59.44", "0.00", "891.60"),
        ("2027-06-30", "payment", "PAY-00003", "0.00", "1000.00", "-108.40"),
        ("2027-06-30", "credit_memo", "CM-00001", "0.00", "59.44", "-167.84"),
        ("2027-06-30", "refund", "RF-00001", "59.44", "0.00", "-108.40"),
        ("2027-07-01", "refund", "RF-00002", "108.40", "0.00", "0.00"),
    ]
    assert doc["closing_balance"] == "0.00"
    # The statement as it stood on an earlier day, and one starting later.
    assert aged.ok("report", "statement", "ACME")["closing_balance"] == "-108.40"
    later = aged.ok("report", "statement", "ACME", "--from", "2027-05-01", "--to", "2027-06-30")
    assert later["opening_balance"] == "713.28"
    assert [ln["number"] for ln in later["lines"]] == [
        "INV-00004",
        "INV-00005",
        "PAY-00003",
        "CM-00001",
        "RF-00001",
    ]
    assert later["closing_balance"] == "-108.40"
    out = human("report", "statement", "ACME", "--from", "2027-05-01")
    for fact in ("Statement ACME", "Acme Office Supplies Ltd", "713.28", "PAY-00003", "-108.40"):
        assert fact in out
    assert "Balance due -108.40 EUR as of 2027-06-30" in out


def test_statement_of_a_partly_paid_customer(aged, human):
    doc = aged.ok("report", "statement", "BRIGHT")
    assert statement_lines(doc) == [
        ("2027-06-20", "invoice", "INV-00007", "581.91", "0.00", "581.91"),
        ("2027-06-25", "payment", "PAY-00002", "0.00", "81.91", "500.00"),
    ]
    assert doc["closing_balance"] == aged.ok("customer", "show", "BRIGHT")["balance"] == "500.00"
    assert aged.ok("report", "statement", "STUDIO")["lines"] == []
    out = human("report", "statement", "STUDIO")
    assert "Balance due 0.00 EUR" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NOPE"], "no customer 'NOPE'"),
        ([""], "customer code is empty"),
        (
            ["ACME", "--to", "2027-01-01", "--as-of", "2027-01-01"],
            "give --to or --as-of, not both",
        ),
        (
            ["ACME", "--from", "2027-02-01", "--to", "2027-01-01"],
            "--from 2027-02-01 is after --to 2027-01-01",
        ),
        (["ACME", "--from", "soon"], "--from 'soon' is not a date (use YYYY-MM-DD)"),
    ],
)
def test_statement_bad_input(aged, unchanged, args, message):
    with unchanged():
        assert aged.fails("report", "statement", *args) == f"error: {message}"


# --- trial balance ---------------------------------------------------------


def accounts(doc: dict) -> dict[str, dict]:
    return {a["role"]: a for a in doc["accounts"]}


def test_trial_balance_sums_to_zero_and_ties_to_the_invoices(aged, human):
    doc = aged.ok("report", "trial-balance")
    assert {"accounts", "total_debit", "total_credit"} <= doc.keys()
    assert all(TB_KEYS <= a.keys() for a in doc["accounts"])
    assert [(a["code"], a["name"]) for a in doc["accounts"]] == [
        ("1000", "Bank and cash"),
        ("1200", "Accounts receivable"),
        ("2200", "Sales tax payable"),
        ("2300", "Customer credit"),
        ("2400", "Customer advances (deposits received)"),
        ("4000", "Sales revenue"),
        ("4100", "Sales returns and refunds"),
        ("4200", "Sales rebates and discounts"),
        ("4300", "Early-payment discounts granted"),
        ("4800", "Dunning fees and interest"),
        ("6800", "Payment differences and bank fees"),
        ("6900", "Bad debts written off"),
    ]
    assert doc["total_debit"] == doc["total_credit"]
    assert sum(cents(a["balance"]) for a in doc["accounts"]) == 0
    by_role = accounts(doc)
    assert by_role["receivable"]["balance"] == "1391.60"
    open_invoices = aged.ok("invoice", "list", "--unpaid", "--all")
    assert cents(by_role["receivable"]["balance"]) == sum(
        cents(i["balance"]) for i in open_invoices
    )
    assert (by_role["cash"]["debit"], by_role["cash"]["balance"]) == ("141.35", "141.35")
    assert by_role["revenue"]["balance"] == "-1288.20"  # 16 lamps 799.20 + desk 489.00
    assert by_role["sales_tax"]["balance"] == "-244.75"  # 151.84 + 92.91
    out = human("report", "trial-balance")
    for fact in ("Trial balance", "Accounts receivable", "1391.60", "Total", doc["total_debit"]):
        assert fact in out


def test_trial_balance_as_of(aged, human):
    doc = aged.ok("report", "trial-balance", "--as-of", "2027-06-05")
    assert doc["as_of"] == "2027-06-05"
    by_role = accounts(doc)
    assert by_role["receivable"]["balance"] == "951.04"
    assert by_role["cash"]["balance"] == "0.00"
    assert doc["total_debit"] == doc["total_credit"] == "951.04"
    assert "Trial balance as of 2027-06-05" in human(
        "report", "trial-balance", "--as-of", "2027-06-05"
    )
    before = aged.ok("report", "trial-balance", "--as-of", "2027-01-01")
    assert (before["total_debit"], before["total_credit"]) == ("0.00", "0.00")


def test_trial_balance_after_credits_refunds_and_store_credit(aged):
    aged.ok("payment", "record", "ACME", "1000")  # 108.40 left as credit
    aged.ok("credit-memo", "create", "INV-00007", "--amount", "100")  # off BRIGHT's balance
    aged.ok("credit-memo", "create", "INV-00001", "--line", "LAMP-LED=1", "--refund")
    doc = aged.ok("report", "trial-balance")
    by_role = accounts(doc)
    assert doc["total_debit"] == doc["total_credit"]
    open_invoices = aged.ok("invoice", "list", "--unpaid", "--all")
    assert [i["number"] for i in open_invoices] == ["INV-00007"]
    assert by_role["receivable"]["balance"] == "400.00" == open_invoices[0]["balance"]
    assert by_role["customer_credit"]["balance"] == "-108.40"
    assert by_role["cash"]["balance"] == "1081.91"  # 141.35 + 1000.00 - 59.44 refunded
    assert by_role["refunds"]["balance"] == "133.98"  # 84.03 + 49.95 net credited
    assert aged.ok("check")["ok"] is True


def test_trial_balance_bad_input(aged, unchanged):
    with unchanged():
        assert aged.fails("report", "trial-balance", "--as-of", "x") == (
            "error: --as-of 'x' is not a date (use YYYY-MM-DD)"
        )


# --- accounts --------------------------------------------------------------


def test_account_list(shop, human):
    rows = shop.ok("account", "list")
    assert [(r["role"], r["code"], r["kind"]) for r in rows] == [
        ("cash", "1000", "asset"),
        ("receivable", "1200", "asset"),
        ("sales_tax", "2200", "liability"),
        ("customer_credit", "2300", "liability"),
        ("customer_advances", "2400", "liability"),
        ("revenue", "4000", "revenue"),
        ("refunds", "4100", "revenue"),
        ("rebates", "4200", "revenue"),
        ("early_discounts", "4300", "revenue"),
        ("dunning_fees", "4800", "revenue"),
        ("payment_differences", "6800", "expense"),
        ("bad_debts", "6900", "expense"),
    ]
    out = human("account", "list")
    for fact in ("Accounts", "Bank and cash", "receivable", "4100", "liability"):
        assert fact in out


def test_account_set_renames_in_reports(aged, human):
    doc = aged.ok("account", "set", "receivable", "--code", "1400", "--name", "Debtors")
    assert doc == {"role": "receivable", "code": "1400", "name": "Debtors", "kind": "asset"}
    assert aged.ok("account", "set", "CASH", "--name", "Bank")["name"] == "Bank"
    by_role = accounts(aged.ok("report", "trial-balance"))
    assert (by_role["receivable"]["code"], by_role["receivable"]["name"]) == ("1400", "Debtors")
    assert by_role["receivable"]["balance"] == "1391.60"  # the postings stay where they were
    assert (by_role["cash"]["code"], by_role["cash"]["name"]) == ("1000", "Bank")
    out = human("account", "set", "refunds", "--code", "4190")
    assert "4190" in out and "Sales returns and refunds" in out
    assert aged.ok("check")["ok"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["bank", "--code", "1"],
            "no account role 'bank' (one of cash, receivable, sales_tax, customer_credit, "
            "revenue, refunds, rebates, customer_advances, early_discounts, "
            "payment_differences, bad_debts, dunning_fees)",
        ),
        (
            ["", "--code", "1"],
            "no account role '' (one of cash, receivable, sales_tax, customer_credit, "
            "revenue, refunds, rebates, customer_advances, early_discounts, "
            "payment_differences, bad_debts, dunning_fees)",
        ),
        (["cash"], "give --code and/or --name to change"),
        (["cash", "--code", ""], "account code must not be empty"),
        (["cash", "--code", "   "], "account code must not be empty"),
        (["cash", "--name", ""], "account name must not be empty"),
        (["cash", "--code", "1200"], "account code 1200 is already used by Accounts receivable"),
        (["cash", "--code", "9" * 21], "account code is longer than 20 characters"),
    ],
)
def test_account_set_refused(shop, unchanged, args, message):
    with unchanged():
        assert shop.fails("account", "set", *args) == f"error: {message}"
