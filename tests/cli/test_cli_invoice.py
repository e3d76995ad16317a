"""`ordercli invoice create/show/list` end to end."""

from __future__ import annotations

import pytest

INVOICE_KEYS = {
    "number",
    "order",
    "customer",
    "status",
    "issue_date",
    "due_date",
    "lines",
    "subtotal",
    "tax",
    "total",
    "paid",
    "credited",
    "balance",
}
LINE_KEYS = {
    "sku",
    "description",
    "qty",
    "unit_price",
    "discount_pct",
    "tax_rate",
    "net",
    "tax",
    "total",
}
JAN1 = {"ORDERCLI_TODAY": "2027-01-01"}


def on(day: str) -> dict:
    return {"ORDERCLI_TODAY": day}


# --- create ----------------------------------------------------------------


def test_invoice_everything_open(confirmed, human):
    doc = confirmed.ok("invoice", "create", "SO-00001", env=JAN1)
    assert INVOICE_KEYS <= doc.keys()
    expected = {
        "number": "INV-00001",
        "order": "SO-00001",
        "customer": "ACME",
        "status": "open",
        "issue_date": "2027-01-01",
        "due_date": "2027-01-31",
        "subtotal": "2118.50",
        "tax": "402.52",
        "total": "2521.02",
        "paid": "0.00",
        "credited": "0.00",
        "balance": "2521.02",
    }
    assert {k: doc[k] for k in expected} == expected
    desk, install = doc["lines"]
    assert LINE_KEYS <= desk.keys()
    assert (desk["sku"], desk["qty"], desk["net"], desk["tax"], desk["total"]) == (
        "DESK-OAK",
        "4",
        "1956.00",
        "371.64",
        "2327.64",
    )
    assert (install["sku"], install["qty"], install["net"], install["tax"]) == (
        "INSTALL",
        "2.5",
        "162.50",
        "30.88",
    )
    order = confirmed.ok("order", "show", "SO-00001")
    assert order["billing_status"] == "invoiced"
    # invoicing the installation delivered it; the desks are still to ship
    assert order["fulfilment_status"] == "partially_shipped"
    assert order["status"] == "confirmed"
    assert order["invoices"] == ["INV-00001"]
    assert [line["qty_invoiced"] for line in order["lines"]] == ["4", "2.5"]
    out = human("invoice", "show", "INV-00001", env=JAN1)
    for fact in ("Invoice INV-00001", "SO-00001", "ACME", "open", "2027-01-31", "2521.02 EUR"):
        assert fact in out


def test_partial_invoices(confirmed, human, unchanged):
    first = confirmed.ok("invoice", "create", "SO-00001", "--partial", "--line", "DESK-OAK=2")
    assert [(line["sku"], line["qty"]) for line in first["lines"]] == [("DESK-OAK", "2")]
    assert (first["subtotal"], first["tax"], first["total"]) == ("978.00", "185.82", "1163.82")
    order = confirmed.ok("order", "show", "SO-00001")
    assert order["billing_status"] == "partially_invoiced"
    with unchanged():
        assert confirmed.fails(
            "invoice", "create", "SO-00001", "--partial", "--line", "DESK-OAK=7"
        ) == (
            "error: cannot invoice 7 × DESK-OAK on SO-00001: ordered 4, already invoiced 2, left 2"
        )
    out = human(
        "invoice",
        "create",
        "SO-00001",
        "--partial",
        "--line",
        "INSTALL=1.5",
        "--line",
        "DESK-OAK=1",
    )
    assert "INV-00002" in out and "INSTALL" in out and "DESK-OAK" in out
    rest = confirmed.ok("invoice", "create", "SO-00001")
    assert [(line["sku"], line["qty"]) for line in rest["lines"]] == [
        ("DESK-OAK", "1"),
        ("INSTALL", "1"),
    ]
    order = confirmed.ok("order", "show", "SO-00001")
    assert order["billing_status"] == "invoiced"
    assert order["invoices"] == ["INV-00001", "INV-00002", "INV-00003"]
    totals = [confirmed.ok("invoice", "show", n)["total"] for n in order["invoices"]]
    cents = sum(int(t.replace(".", "")) for t in totals)
    assert cents == 252102  # the partial invoices add up to the order to the cent
    with unchanged():
        assert confirmed.fails("invoice", "create", "SO-00001") == (
            "error: nothing left to invoice on SO-00001: every line is fully invoiced"
        )


def test_line_without_partial_flag_and_repeated_lines_merge(confirmed):
    doc = confirmed.ok(
        "invoice", "create", "SO-00001", "--line", "desk-oak=1", "--line", "DESK-OAK=0.5"
    )
    assert [(line["sku"], line["qty"]) for line in doc["lines"]] == [("DESK-OAK", "1.5")]
    assert doc["subtotal"] == "733.50"


def test_due_date_follows_customer_terms(shop):
    for code, expected_due in (
        ("CAFE", "2027-01-01"),
        ("TOKYO", "2027-02-15"),
        ("MADRID", "2027-03-02"),
    ):
        number = shop.ok("order", "new", code)["number"]
        shop.ok("order", "add-line", number, "LAMP-LED", "1")
        shop.ok("order", "confirm", number)
        doc = shop.ok("invoice", "create", number, env=JAN1)
        assert (doc["customer"], doc["issue_date"], doc["due_date"]) == (
            code,
            "2027-01-01",
            expected_due,
        )


def test_invoice_date_option(confirmed):
    doc = confirmed.ok(
        "invoice", "create", "SO-00001", "--date", "2027-02-10", env=on("2027-02-10")
    )
    assert (doc["issue_date"], doc["due_date"]) == ("2027-02-10", "2027-03-12")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--partial"], "--partial needs at least one --line SKU=QTY"),
        (
            ["--partial", "--line", "DESK-OAK"],
            "--line 'DESK-OAK' must look like SKU=QTY, e.g. WIDGET=3",
        ),
        (["--line", "=3"], "--line '=3' must look like SKU=QTY, e.g. WIDGET=3"),
        (["--line", ""], "--line '' must look like SKU=QTY, e.g. WIDGET=3"),
        (["--line", "DESK-OAK=0"], "quantity for DESK-OAK '0' must be greater than zero"),
        (["--line", "DESK-OAK=-1"], "quantity for DESK-OAK '-1' must be greater than zero"),
        (["--line", "DESK-OAK=two"], "quantity for DESK-OAK 'two' is not a number"),
        (["--line", "DESK-OAK="], "quantity for DESK-OAK is empty"),
        (
            ["--line", "DESK-OAK=1.0001"],
            "quantity for DESK-OAK '1.0001' has more than 3 decimal places",
        ),
        (["--line", "DESK-OAK=1e400"], "quantity for DESK-OAK '1e400' is too large"),
        (
            ["--line", "DESK-OAK=5"],
            "cannot invoice 5 × DESK-OAK on SO-00001: ordered 4, already invoiced 0, left 4",
        ),
        (
            ["--line", "INSTALL=2.501"],
            "cannot invoice 2.501 × INSTALL on SO-00001: ordered 2.5, already invoiced 0, left 2.5",
        ),
        (
            ["--line", "LAMP-LED=1"],
            "cannot invoice LAMP-LED on SO-00001: the order has no line for it",
        ),
        (["--line", "NOPE=1"], "no product 'NOPE'"),
        (["--date", "2027-13-01"], "--date '2027-13-01' is not a date (use YYYY-MM-DD)"),
    ],
)
def test_create_bad_input(confirmed, unchanged, args, message):
    with unchanged():
        assert confirmed.fails("invoice", "create", "SO-00001", *args) == f"error: {message}"


def test_over_invoicing_in_one_request_refuses_every_line(confirmed, unchanged):
    with unchanged():
        assert confirmed.fails(
            "invoice", "create", "SO-00001", "--line", "INSTALL=1", "--line", "DESK-OAK=9"
        ) == (
            "error: cannot invoice 9 × DESK-OAK on SO-00001: ordered 4, already invoiced 0, left 4"
        )


def test_invoice_a_draft_is_refused(shop, unchanged):
    shop.ok("order", "new", "ACME")
    shop.ok("order", "add-line", "SO-00001", "DESK-OAK", "1")
    with unchanged():
        assert shop.fails("invoice", "create", "SO-00001") == (
            "error: cannot invoice SO-00001: it is a draft; confirm it first"
        )
        assert shop.fails("invoice", "create", "SO-00404") == "error: no order 'SO-00404'"
        assert shop.fails("invoice", "create", "") == "error: give the ORDER to invoice, or --all"
        assert shop.fails("invoice", "create", " ") == "error: order number is empty"


def test_invoice_on_hold_is_refused_until_released(confirmed, unchanged):
    confirmed.ok("order", "hold", "SO-00001", "awaiting prepayment")
    with unchanged():
        assert confirmed.fails("invoice", "create", "SO-00001") == (
            "error: cannot invoice SO-00001: it is on hold (awaiting prepayment); release it first"
        )
    confirmed.ok("order", "release", "SO-00001")
    assert confirmed.ok("invoice", "create", "SO-00001")["number"] == "INV-00001"


def test_invoice_a_cancelled_or_completed_order_is_refused(confirmed, unchanged):
    confirmed.ok("invoice", "create", "SO-00001")
    confirmed.ok("ship", "SO-00001")
    confirmed.ok("order", "new", "BRIGHT")
    confirmed.ok("order", "add-line", "SO-00002", "LAMP-LED", "1")
    confirmed.ok("order", "cancel", "SO-00002")
    with unchanged():
        assert confirmed.fails("invoice", "create", "SO-00001") == (
            "error: cannot invoice SO-00001: it is completed: fully invoiced and shipped"
        )
        assert confirmed.fails("invoice", "create", "SO-00002") == (
            "error: cannot invoice SO-00002: it is cancelled"
        )


def test_refused_invoice_leaves_no_gap_in_numbers(confirmed):
    confirmed.fails("invoice", "create", "SO-00001", "--line", "DESK-OAK=99")
    confirmed.fails("invoice", "create", "SO-00001", "--line", "LAMP-LED=1")
    assert (
        confirmed.ok("invoice", "create", "SO-00001", "--line", "DESK-OAK=1")["number"]
        == "INV-00001"
    )
    assert (
        confirmed.ok("invoice", "create", "SO-00001", "--line", "DESK-OAK=1")["number"]
        == "INV-00002"
    )


def test_rounding_is_half_up_on_every_invoice_line(shop):
    shop.ok(
        "product",
        "add",
        "NICKEL",
        "Nickel part",
        "--price",
        "0.05",
        "--tax-rate",
        "10",
        "--stock",
        "10",
    )
    shop.ok("order", "new", "ACME")
    doc = shop.ok("order", "add-line", "SO-00001", "NICKEL", "0.5")
    assert (doc["lines"][0]["net"], doc["lines"][0]["tax"]) == ("0.03", "0.00")  # 0.025 -> 0.03
    shop.ok("order", "edit-line", "SO-00001", "1", "--qty", "3")
    shop.ok("order", "confirm", "SO-00001")
    invoices = [shop.ok("invoice", "create", "SO-00001", "--line", "NICKEL=1") for _ in range(3)]
    # Each portion by rule 10 (0.005 tax rounds up to 0.01); the last one takes the rest.
    assert [(i["subtotal"], i["tax"]) for i in invoices] == [
        ("0.05", "0.01"),
        ("0.05", "0.01"),
        ("0.05", "0.00"),
    ]
    line = shop.ok("order", "show", "SO-00001")["lines"][0]
    assert (line["net"], line["tax"]) == ("0.15", "0.02")  # invoices sum to the line exactly


def test_invoice_all_open_orders_at_once(shop, unchanged, human):
    for code, qty in (("ACME", "1"), ("BRIGHT", "2"), ("ACME", "3")):
        number = shop.ok("order", "new", code)["number"]
        shop.ok("order", "add-line", number, "LAMP-LED", qty)
        shop.ok("order", "confirm", number)
    shop.ok("order", "new", "TOKYO")  # a draft is left alone
    shop.ok("order", "add-line", "SO-00004", "LAMP-LED", "1")
    shop.ok("invoice", "create", "SO-00002", "--partial", "--line", "LAMP-LED=1")
    with unchanged():
        assert shop.fails("invoice", "create", "SO-00001", "--all") == (
            "error: --all invoices every order: give no ORDER, --line or --partial"
        )
        assert shop.fails("invoice", "create", "SO-00001", "--customer", "ACME") == (
            "error: --customer goes with --all"
        )
        assert shop.fails("invoice", "create", "--all", "--customer", "NOPE") == (
            "error: no customer 'NOPE'"
        )
    acme = shop.ok("invoice", "create", "--all", "--customer", "ACME")
    assert [(i["number"], i["order"]) for i in acme] == [
        ("INV-00002", "SO-00001"),
        ("INV-00003", "SO-00003"),
    ]
    rest = shop.ok("invoice", "create", "--all")
    assert [(i["number"], i["order"], i["lines"][0]["qty"]) for i in rest] == [
        ("INV-00004", "SO-00002", "1")
    ]
    assert shop.ok("invoice", "create", "--all") == []
    assert "nothing to invoice" in shop.run("invoice", "create", "--all").stderr
    assert shop.ok("order", "show", "SO-00004")["billing_status"] == "not_invoiced"


# --- show ------------------------------------------------------------------


def test_show_invoice(confirmed, human):
    confirmed.ok("invoice", "create", "SO-00001", "--partial", "--line", "INSTALL=2.5", env=JAN1)
    doc = confirmed.ok("invoice", "show", "inv-00001", env=JAN1)
    assert INVOICE_KEYS <= doc.keys()
    assert (doc["number"], doc["total"], doc["balance"], doc["status"]) == (
        "INV-00001",
        "193.38",
        "193.38",
        "open",
    )
    out = human("invoice", "show", "INV-00001", env=JAN1)
    assert "INSTALL" in out and "193.38" in out and "Installation (per hour)" in out


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("INV-00001", "no invoice 'INV-00001'"),
        ("", "invoice number is empty"),
        ("SO-00001", "no invoice 'SO-00001'"),
    ],
)
def test_show_unknown_invoice(confirmed, unchanged, number, message):
    with unchanged():
        assert confirmed.fails("invoice", "show", number) == f"error: {message}"


# --- list ------------------------------------------------------------------


def build_invoices(cli) -> None:
    for code, sku, extra, day in (
        ("ACME", "LAMP-LED", [], "2027-01-01"),
        ("CAFE", "LAMP-LED", [], "2027-01-10"),
        ("BRIGHT", "LAMP-LED", ["--discount", "100"], "2027-02-01"),
    ):
        number = cli.ok("order", "new", code)["number"]
        cli.ok("order", "add-line", number, sku, "1", *extra)
        cli.ok("order", "confirm", number)
        cli.ok("invoice", "create", number, "--date", day, env=on(day))


@pytest.fixture
def invoices(shop, ledger_state):
    """INV-1 ACME Jan 1 (due Jan 31), INV-2 CAFE Jan 10 (due Jan 10),
    INV-3 BRIGHT Feb 1 (due Feb 15, total 0.00: a free line)."""
    ledger_state("invoice-list", build_invoices)
    return shop


def numbers(rows) -> list[str]:
    return [row["number"] for row in rows]


def test_list_invoices_newest_first(invoices, human):
    rows = invoices.ok("invoice", "list", env=on("2027-01-05"))
    assert numbers(rows) == ["INV-00003", "INV-00002", "INV-00001"]
    assert all(INVOICE_KEYS <= row.keys() for row in rows)
    assert [row["status"] for row in rows] == ["paid", "open", "open"]
    assert rows[0]["total"] == "0.00" and rows[0]["balance"] == "0.00"
    out = human("invoice", "list", env=on("2027-01-05"))
    assert "Invoices" in out and "INV-00003" in out and "59.44" in out


@pytest.mark.parametrize(
    ("today", "args", "expected"),
    [
        ("2027-01-05", ["--unpaid"], ["INV-00002", "INV-00001"]),
        ("2027-01-10", ["--overdue"], []),
        ("2027-01-11", ["--overdue"], ["INV-00002"]),
        ("2027-01-31", ["--overdue"], ["INV-00002"]),
        ("2027-02-01", ["--overdue"], ["INV-00002", "INV-00001"]),
        ("2027-02-01", ["--overdue", "--customer", "ACME"], ["INV-00001"]),
        # a 0.00 invoice is never overdue
        ("2027-03-01", ["--overdue"], ["INV-00002", "INV-00001"]),
        ("2027-02-01", ["--status", "overdue"], ["INV-00002", "INV-00001"]),
        ("2027-01-05", ["--status", "open"], ["INV-00002", "INV-00001"]),
        ("2027-01-05", ["--status", "paid"], ["INV-00003"]),
        ("2027-01-05", ["--status", "partially_paid"], []),
        ("2027-01-05", ["--customer", "CAFE"], ["INV-00002"]),
        ("2027-01-05", ["--order", "SO-00001"], ["INV-00001"]),
        ("2027-01-05", ["--from", "2027-01-02"], ["INV-00003", "INV-00002"]),
        ("2027-01-05", ["--to", "2027-01-10"], ["INV-00002", "INV-00001"]),
        ("2027-01-05", ["--from", "2027-01-10", "--to", "2027-01-10"], ["INV-00002"]),
        ("2027-01-05", ["--limit", "1"], ["INV-00003"]),
        ("2027-01-05", ["--all"], ["INV-00003", "INV-00002", "INV-00001"]),
    ],
)
def test_list_invoices_filters(invoices, today, args, expected):
    assert numbers(invoices.ok("invoice", "list", *args, env=on(today))) == expected


def test_overdue_status_is_shown(invoices, human):
    doc = invoices.ok("invoice", "show", "INV-00002", env=on("2027-01-11"))
    assert doc["status"] == "overdue"
    assert invoices.ok("invoice", "show", "INV-00002", env=on("2027-01-10"))["status"] == "open"
    assert "overdue" in human("invoice", "list", "--overdue", env=on("2027-01-11"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--status", "late"],
            "unknown invoice status 'late' (one of open, partially_paid, paid, overdue, cancelled)",
        ),
        (["--customer", "NOPE"], "no customer 'NOPE'"),
        (["--order", "SO-00404"], "no order 'SO-00404'"),
        (
            ["--from", "2027-02-01", "--to", "2027-01-01"],
            "--from 2027-02-01 is after --to 2027-01-01",
        ),
        (["--from", "2027-1-1x"], "--from '2027-1-1x' is not a date (use YYYY-MM-DD)"),
        (["--limit=-5"], "--limit -5 must be at least 1"),
    ],
)
def test_list_invoices_bad_filters(invoices, unchanged, args, message):
    with unchanged():
        assert invoices.fails("invoice", "list", *args) == f"error: {message}"


def test_list_invoices_empty(shop):
    assert shop.ok("invoice", "list") == []
    result = shop.run("invoice", "list")
    assert result.exit_code == 0 and "no invoices" in result.stderr
