"""`ordercli credit-memo create/list/show` end to end (rules 11, 14, 18)."""

from __future__ import annotations

import pytest

MEMO_KEYS = {"number", "invoice", "lines", "total", "settlement"}
LINE_KEYS = {"sku", "description", "qty", "unit_price", "tax_rate", "net", "tax", "total"}
TODAY = "2027-01-15"


def on(day: str) -> dict:
    return {"ORDERCLI_TODAY": day}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


def build_invoiced(cli) -> None:
    day = on("2027-01-01")
    cli.ok("order", "new", "ACME", env=day)
    cli.ok("order", "add-line", "SO-00001", "DESK-OAK", "4", env=day)
    cli.ok("order", "add-line", "SO-00001", "INSTALL", "2.5", env=day)
    cli.ok("order", "confirm", "SO-00001", env=day)
    cli.ok("invoice", "create", "SO-00001", env=day)
    cli.ok("ship", "SO-00001", "--line", "DESK-OAK=3", env=day)
    day = on("2027-01-05")
    cli.ok("order", "new", "BRIGHT", env=day)
    cli.ok("order", "add-line", "SO-00002", "LAMP-LED", "3", env=day)
    cli.ok("order", "confirm", "SO-00002", env=day)
    cli.ok("invoice", "create", "SO-00002", env=day)
    cli.ok("ship", "SO-00002", env=day)


@pytest.fixture
def invoiced(shop, ledger_state):
    """INV-00001 ACME (Jan 1) for SO-00001: 4 × DESK-OAK 2327.64 + 2.5 h INSTALL 193.38 =
    2521.02, 3 desks shipped (9 left on hand, 1 reserved); INV-00002 BRIGHT (Jan 5) for
    SO-00002: 3 × LAMP-LED 178.32, shipped. Nothing paid."""
    ledger_state("credit-memo-invoiced", build_invoiced)
    return shop


def owed(cli, number: str) -> tuple[str, str, str, str]:
    doc = cli.ok("invoice", "show", number)
    return doc["status"], doc["paid"], doc["credited"], doc["balance"]


def memo_lines(doc: dict) -> list[tuple]:
    return [(ln["sku"], ln["qty"], ln["net"], ln["tax"], ln["total"]) for ln in doc["lines"]]


def stock(cli, sku: str) -> tuple[str, str, str]:
    doc = cli.ok("product", "show", sku)
    return doc["on_hand"], doc["reserved"], doc["available"]


def order_line(cli, order: str, sku: str) -> dict:
    return next(ln for ln in cli.ok("order", "show", order)["lines"] if ln["sku"] == sku)


# --- create ----------------------------------------------------------------


def test_refund_on_a_paid_invoice_shows_in_transactions(invoiced, human):
    invoiced.ok("payment", "record", "ACME", "2521.02", "--invoice", "INV-00001")
    doc = invoiced.ok(
        "credit-memo", "create", "INV-00001", "--line", "DESK-OAK=1", "--refund", "--reason", "dent"
    )
    assert MEMO_KEYS <= doc.keys()
    assert all(LINE_KEYS <= ln.keys() for ln in doc["lines"])
    expected = {
        "number": "CM-00001",
        "invoice": "INV-00001",
        "order": "SO-00001",
        "customer": "ACME",
        "issue_date": TODAY,
        "subtotal": "489.00",
        "tax": "92.91",
        "total": "581.91",
        "settlement": "refund",
        "applied_to_invoice": "0.00",
        "refunded": "581.91",
        "store_credit_left": "0.00",
        "refunds": ["RF-00001"],
        "restock": False,
        "reason": "dent",
        "return": None,
    }
    assert {k: doc[k] for k in expected} == expected
    assert memo_lines(doc) == [("DESK-OAK", "1", "489.00", "92.91", "581.91")]
    assert doc["lines"][0]["unit_price"] == "489.00"
    assert owed(invoiced, "INV-00001") == ("paid", "1939.11", "581.91", "0.00")
    moves = invoiced.ok("payment", "transactions", "--customer", "ACME")
    assert [(m["type"], m["number"], m["amount"], m["source"]) for m in moves] == [
        ("refund", "RF-00001", "-581.91", "CM-00001"),
        ("payment", "PAY-00001", "2521.02", None),
    ]
    assert invoiced.ok("payment", "show", "PAY-00001")["unapplied"] == "0.00"
    line = order_line(invoiced, "SO-00001", "DESK-OAK")
    assert (line["qty_credited"], line["qty_returned"]) == ("1", "0")
    assert stock(invoiced, "DESK-OAK") == ("9", "1", "8")  # no --restock: stock untouched
    out = human("payment", "transactions")
    assert "RF-00001" in out and "-581.91" in out


def test_credit_on_an_unpaid_invoice_lowers_its_balance(invoiced):
    doc = invoiced.ok("credit-memo", "create", "INV-00002", "--line", "LAMP-LED=1")
    assert (doc["total"], doc["settlement"], doc["applied_to_invoice"], doc["refunds"]) == (
        "59.44",
        "store_credit",
        "59.44",
        [],
    )
    assert doc["store_credit_left"] == "0.00"
    assert owed(invoiced, "INV-00002") == ("open", "0.00", "59.44", "118.88")
    # --refund with nothing paid refunds nothing: the credit only lowers the balance.
    doc = invoiced.ok("credit-memo", "create", "INV-00002", "--line", "LAMP-LED=1", "--refund")
    assert (doc["settlement"], doc["applied_to_invoice"], doc["refunded"], doc["refunds"]) == (
        "refund",
        "59.44",
        "0.00",
        [],
    )
    assert owed(invoiced, "INV-00002") == ("open", "0.00", "118.88", "59.44")
    assert invoiced.ok("payment", "transactions") == []
    assert invoiced.ok("customer", "show", "BRIGHT")["balance"] == "59.44"


def test_credit_beyond_the_balance_becomes_store_credit(invoiced, human):
    invoiced.ok("payment", "record", "BRIGHT", "100", "--invoice", "INV-00002")
    assert owed(invoiced, "INV-00002") == ("partially_paid", "100.00", "0.00", "78.32")
    result = invoiced.run("credit-memo", "create", "INV-00002")
    assert result.exit_code == 0, result.stderr
    assert "Credit memo CM-00001" in result.stdout and "178.32" in result.stdout
    assert "100.00 kept as BRIGHT's store credit" in result.stderr
    doc = invoiced.ok("credit-memo", "show", "CM-00001")
    assert (doc["total"], doc["applied_to_invoice"], doc["released"], doc["settlement"]) == (
        "178.32",
        "78.32",
        "100.00",
        "store_credit",
    )
    assert doc["store_credit_left"] == "100.00"
    assert owed(invoiced, "INV-00002") == ("paid", "0.00", "178.32", "0.00")
    store = [m for m in invoiced.ok("payment", "transactions") if m["type"] == "store_credit"]
    assert [(m["number"], m["invoice"], m["amount"]) for m in store] == [
        ("CM-00001", "INV-00002", "100.00")
    ]
    # The store credit pays BRIGHT's next invoice, and the rest is paid out.
    invoiced.ok("order", "new", "BRIGHT")
    invoiced.ok("order", "add-line", "SO-00003", "LAMP-LED", "1")
    invoiced.ok("order", "confirm", "SO-00003")
    invoiced.ok("invoice", "create", "SO-00003")
    applied = invoiced.ok("payment", "apply", "BRIGHT", "--invoice", "INV-00003")
    assert (applied["status"], applied["paid"], applied["balance"]) == ("paid", "59.44", "0.00")
    assert invoiced.ok("credit-memo", "show", "CM-00001")["store_credit_left"] == "40.56"
    refund = invoiced.ok("payment", "refund", "BRIGHT")
    assert (refund["number"], refund["amount"]) == ("RF-00001", "40.56")
    assert invoiced.ok("credit-memo", "show", "CM-00001")["store_credit_left"] == "0.00"
    assert invoiced.ok("check")["ok"] is True


def test_crediting_everything_nets_the_invoice_to_zero(invoiced, unchanged):
    invoice = invoiced.ok("invoice", "show", "INV-00001")
    doc = invoiced.ok("credit-memo", "create", "INV-00001")
    assert (doc["subtotal"], doc["tax"], doc["total"]) == ("2118.50", "402.52", "2521.02")
    assert memo_lines(doc) == [
        (ln["sku"], ln["qty"], ln["net"], ln["tax"], ln["total"]) for ln in invoice["lines"]
    ]
    assert owed(invoiced, "INV-00001") == ("paid", "0.00", "2521.02", "0.00")
    assert [ln["qty_credited"] for ln in invoiced.ok("order", "show", "SO-00001")["lines"]] == [
        "4",
        "2.5",
    ]
    with unchanged():
        assert invoiced.fails("credit-memo", "create", "INV-00001") == (
            "error: nothing left to credit on INV-00001: it is fully credited"
        )
        assert invoiced.fails("credit-memo", "create", "INV-00001", "--amount", "0.01") == (
            "error: cannot credit 0.01 on INV-00001: only 0.00 is invoiced and not yet credited"
        )


def test_partial_credits_add_up_to_the_invoice_exactly(invoiced):
    parts = [
        invoiced.ok("credit-memo", "create", "INV-00001", "--line", spec)
        for spec in ("INSTALL=1", "DESK-OAK=1", "INSTALL=0.75", "DESK-OAK=3", "INSTALL=0.75")
    ]
    assert [p["number"] for p in parts] == [f"CM-0000{i}" for i in range(1, 6)]
    assert [memo_lines(p)[0][2:4] for p in parts] == [
        ("65.00", "12.35"),
        ("489.00", "92.91"),
        ("48.75", "9.26"),
        ("1467.00", "278.73"),
        ("48.75", "9.27"),  # the last credit of the line takes what is left
    ]
    cents = sum(int(p["total"].replace(".", "")) for p in parts)
    assert cents == 252102
    assert owed(invoiced, "INV-00001") == ("paid", "0.00", "2521.02", "0.00")
    assert invoiced.ok("check")["ok"] is True


def test_credit_an_amount_spreads_it_over_the_lines(invoiced, human):
    doc = invoiced.ok("credit-memo", "create", "INV-00001", "--amount", "100")
    assert (doc["subtotal"], doc["tax"], doc["total"]) == ("84.04", "15.96", "100.00")
    assert memo_lines(doc) == [
        ("DESK-OAK", "0", "77.59", "14.74", "92.33"),
        ("INSTALL", "0", "6.45", "1.22", "7.67"),
    ]
    assert doc["applied_to_invoice"] == "100.00"
    assert owed(invoiced, "INV-00001") == ("open", "0.00", "100.00", "2421.02")
    # money without goods: no quantity is credited
    assert [ln["qty_credited"] for ln in invoiced.ok("order", "show", "SO-00001")["lines"]] == [
        "0",
        "0",
    ]
    rest = invoiced.ok("credit-memo", "create", "INV-00001", "--amount", "2421.02")
    assert rest["total"] == "2421.02"
    assert owed(invoiced, "INV-00001") == ("paid", "0.00", "2521.02", "0.00")
    out = human("credit-memo", "show", "CM-00001")
    for fact in ("Credit memo CM-00001", "INV-00001", "ACME", "100.00 EUR", "store_credit"):
        assert fact in out


def test_restock_puts_the_goods_back(invoiced, unchanged, human):
    out = human("credit-memo", "create", "INV-00001", "--line", "DESK-OAK=2", "--restock")
    assert "Credit memo CM-00001" in out and "1163.82" in out
    assert stock(invoiced, "DESK-OAK") == ("11", "1", "10")
    line = order_line(invoiced, "SO-00001", "DESK-OAK")
    assert (line["qty_shipped"], line["qty_credited"], line["qty_returned"]) == ("3", "2", "2")
    assert invoiced.ok("credit-memo", "show", "CM-00001")["restock"] is True
    moves = invoiced.ok("stock", "moves", "DESK-OAK")
    assert any(m["qty"] == "2" and "CM-00001" in str(m.values()) for m in moves)
    with unchanged():
        assert (
            invoiced.fails(
                "credit-memo", "create", "INV-00001", "--line", "DESK-OAK=2", "--restock"
            )
            == "error: cannot restock 2 × DESK-OAK: only 1 shipped and not yet returned"
        )
    # Crediting without --restock what never shipped is fine.
    doc = invoiced.ok("credit-memo", "create", "INV-00001", "--line", "DESK-OAK=2")
    assert doc["total"] == "1163.82"
    assert stock(invoiced, "DESK-OAK") == ("11", "1", "10")
    assert invoiced.ok("check")["ok"] is True


# --- show / list -----------------------------------------------------------


def build_memos(cli) -> None:
    build_invoiced(cli)
    cli.ok("credit-memo", "create", "INV-00001", "--line", "DESK-OAK=1", env=on("2027-01-10"))
    cli.ok("credit-memo", "create", "INV-00002", "--amount", "10", env=on("2027-01-11"))
    cli.ok("credit-memo", "create", "INV-00001", "--line", "INSTALL=2.5", env=on("2027-01-12"))


@pytest.fixture
def memos(shop, ledger_state):
    """CM-1 INV-1 (ACME) 1 desk Jan 10; CM-2 INV-2 (BRIGHT) 10.00 Jan 11;
    CM-3 INV-1 2.5 h INSTALL Jan 12."""
    ledger_state("credit-memo-list", build_memos)
    return shop


def numbers(rows) -> list[str]:
    return [row["number"] for row in rows]


def test_list_credit_memos(memos, human):
    rows = memos.ok("credit-memo", "list")
    assert numbers(rows) == ["CM-00003", "CM-00002", "CM-00001"]
    assert all(MEMO_KEYS <= row.keys() for row in rows)
    assert [(r["invoice"], r["customer"], r["total"]) for r in rows] == [
        ("INV-00001", "ACME", "193.38"),
        ("INV-00002", "BRIGHT", "10.00"),
        ("INV-00001", "ACME", "581.91"),
    ]
    out = human("credit-memo", "list")
    for fact in ("Credit memos", "CM-00003", "INV-00002", "BRIGHT", "581.91", "store_credit"):
        assert fact in out
    assert memos.ok("order", "show", "SO-00001")["credit_memos"] == ["CM-00001", "CM-00003"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--invoice", "INV-00001"], ["CM-00003", "CM-00001"]),
        (["--invoice", "inv-00002"], ["CM-00002"]),
        (["--customer", "BRIGHT"], ["CM-00002"]),
        (["--from", "2027-01-11"], ["CM-00003", "CM-00002"]),
        (["--to", "2027-01-10"], ["CM-00001"]),
        (["--limit", "2"], ["CM-00003", "CM-00002"]),
        (["--all"], ["CM-00003", "CM-00002", "CM-00001"]),
    ],
)
def test_list_credit_memos_filters(memos, args, expected):
    assert numbers(memos.ok("credit-memo", "list", *args)) == expected


def test_show_credit_memo(memos, human):
    doc = memos.ok("credit-memo", "show", "cm-00002")
    assert (doc["number"], doc["invoice"], doc["total"], doc["issue_date"]) == (
        "CM-00002",
        "INV-00002",
        "10.00",
        "2027-01-11",
    )
    assert memo_lines(doc) == [("LAMP-LED", "0", "8.40", "1.60", "10.00")]
    out = human("credit-memo", "show", "CM-00002")
    for fact in (
        "Credit memo CM-00002",
        "INV-00002",
        "SO-00002",
        "BRIGHT",
        "10.00 EUR",
        "LAMP-LED",
    ):
        assert fact in out


def test_list_empty(shop):
    assert shop.ok("credit-memo", "list") == []
    assert "no credit memos" in shop.run("credit-memo", "list").stderr


# --- refusals --------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--refund", "--store-credit"], "choose --refund or --store-credit, not both"),
        (
            ["--line", "DESK-OAK=1", "--amount", "10"],
            "credit either --line quantities or an --amount, not both",
        ),
        (
            ["--amount", "10", "--restock"],
            "--restock needs --line quantities: an --amount credits no goods",
        ),
        (
            ["--line", "DESK-OAK=5"],
            "cannot credit 5 × DESK-OAK on INV-00001: invoiced 4, already credited 0, left 4",
        ),
        (
            ["--line", "INSTALL=2.501"],
            "cannot credit 2.501 × INSTALL on INV-00001: invoiced 2.5, already credited 0, "
            "left 2.5",
        ),
        (
            ["--line", "DESK-OAK=4", "--restock"],
            "cannot restock 4 × DESK-OAK: only 3 shipped and not yet returned",
        ),
        (["--line", "LAMP-LED=1"], "invoice INV-00001 has no line for LAMP-LED"),
        (["--line", "NOPE=1"], "no product 'NOPE'"),
        (["--line", ""], "--line '' must look like SKU=QTY, e.g. WIDGET=3"),
        (["--line", "DESK-OAK"], "--line 'DESK-OAK' must look like SKU=QTY, e.g. WIDGET=3"),
        (["--line", "DESK-OAK=0"], "quantity for DESK-OAK '0' must be greater than zero"),
        (["--line", "DESK-OAK=-1"], "quantity for DESK-OAK '-1' must be greater than zero"),
        (["--line", "DESK-OAK=NaN"], "quantity for DESK-OAK 'NaN' is not a finite number"),
        (["--line", "DESK-OAK=1e309"], "quantity for DESK-OAK '1e309' is too large"),
        (["--amount", ""], "--amount is empty"),
        (["--amount", "0"], "credit amount 0.00 must be greater than zero"),
        (["--amount", "-1"], "--amount '-1' must not be negative"),
        (["--amount", "1e309"], "--amount '1e309' is too large"),
        (["--amount", "NaN"], "--amount 'NaN' is not a finite number"),
        (["--amount", "1.001"], "--amount '1.001' has more than 2 decimal places"),
        (["--amount", "ten"], "--amount 'ten' is not a number"),
        (
            ["--amount", "2521.03"],
            "cannot credit 2521.03 on INV-00001: only 2521.02 is invoiced and not yet credited",
        ),
        (["--date", "2027-02-30"], "--date '2027-02-30' is not a date (use YYYY-MM-DD)"),
    ],
)
def test_create_bad_input(invoiced, unchanged, args, message):
    with unchanged():
        assert invoiced.fails("credit-memo", "create", "INV-00001", *args) == f"error: {message}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "INV-00404"], "no invoice 'INV-00404'"),
        (["create", ""], "invoice number is empty"),
        (["create", "SO-00001"], "no invoice 'SO-00001'"),
        (["show", "CM-00404"], "no credit memo 'CM-00404'"),
        (["show", ""], "credit memo number is empty"),
        (["list", "--invoice", "INV-00404"], "no invoice 'INV-00404'"),
        (["list", "--customer", "NOPE"], "no customer 'NOPE'"),
        (
            ["list", "--from", "2027-02-01", "--to", "2027-01-01"],
            "--from 2027-02-01 is after --to 2027-01-01",
        ),
    ],
)
def test_unknown_documents(invoiced, unchanged, args, message):
    with unchanged():
        assert invoiced.fails("credit-memo", *args) == f"error: {message}"


def test_over_crediting_after_earlier_credits(invoiced, unchanged):
    invoiced.ok("credit-memo", "create", "INV-00001", "--line", "DESK-OAK=3")
    invoiced.ok("credit-memo", "create", "INV-00001", "--amount", "100")
    with unchanged():
        assert invoiced.fails("credit-memo", "create", "INV-00001", "--line", "DESK-OAK=2") == (
            "error: cannot credit 2 × DESK-OAK on INV-00001: invoiced 4, already credited 3, left 1"
        )
        assert invoiced.fails("credit-memo", "create", "INV-00001", "--amount", "675.30") == (
            "error: cannot credit 675.30 on INV-00001: only 675.29 is invoiced and not yet credited"
        )
    assert invoiced.ok("credit-memo", "create", "INV-00001", "--amount", "675.29")["total"] == (
        "675.29"
    )
    assert owed(invoiced, "INV-00001") == ("paid", "0.00", "2521.02", "0.00")
    with unchanged():
        assert invoiced.fails("credit-memo", "create", "INV-00001", "--amount", "0.01") == (
            "error: cannot credit 0.01 on INV-00001: only 0.00 is invoiced and not yet credited"
        )


def test_credit_memo_dated_before_its_invoice_is_refused(invoiced, unchanged):
    with unchanged():
        message = invoiced.fails("credit-memo", "create", "INV-00002", "--date", "2027-01-04")
    assert "INV-00002" in message and "2027-01-05" in message


def test_refused_credit_memo_leaves_no_gap_in_numbers(invoiced):
    invoiced.fails("credit-memo", "create", "INV-00001", "--line", "DESK-OAK=9")
    invoiced.fails("credit-memo", "create", "INV-00001", "--line", "DESK-OAK=4", "--restock")
    assert invoiced.ok("credit-memo", "create", "INV-00002")["number"] == "CM-00001"
