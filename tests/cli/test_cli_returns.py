"""`ordercli return request/authorize/receive/reject/resolve/list/show` end to end (rule 15)."""

from __future__ import annotations

import pytest

RETURN_KEYS = {"number", "order", "status", "reason", "lines"}
TODAY = "2027-01-15"


def on(day: str) -> dict:
    return {"ORDERCLI_TODAY": day}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


def build_shipped(cli) -> None:
    day = on("2027-01-02")
    cli.ok("order", "new", "ACME", env=day)
    cli.ok("order", "add-line", "SO-00001", "DESK-OAK", "4", env=day)
    cli.ok("order", "add-line", "SO-00001", "CHAIR-ERGO", "2", env=day)
    cli.ok("order", "add-line", "SO-00001", "INSTALL", "2.5", env=day)
    cli.ok("order", "confirm", "SO-00001", env=day)
    cli.ok("invoice", "create", "SO-00001", env=day)
    cli.ok("ship", "SO-00001", "--line", "DESK-OAK=3", "--line", "CHAIR-ERGO=2", env=day)
    cli.ok("order", "new", "BRIGHT", env=day)
    cli.ok("order", "add-line", "SO-00002", "LAMP-LED", "2", env=day)
    cli.ok("order", "confirm", "SO-00002", env=day)
    cli.ok("ship", "SO-00002", env=day)


@pytest.fixture
def shipped(shop, ledger_state):
    """SO-00001 ACME: 4 DESK-OAK, 2 CHAIR-ERGO, 2.5 h INSTALL, all invoiced (INV-00001,
    3264.77, unpaid), 3 desks and 2 chairs shipped (SH-00001). SO-00002 BRIGHT: 2 LAMP-LED
    shipped (SH-00002), not invoiced."""
    ledger_state("returns-shipped", build_shipped)
    return shop


def stock(cli, sku: str) -> tuple[str, str, str]:
    doc = cli.ok("product", "show", sku)
    return doc["on_hand"], doc["reserved"], doc["available"]


def order_line(cli, order: str, sku: str) -> dict:
    return next(ln for ln in cli.ok("order", "show", order)["lines"] if ln["sku"] == sku)


def counted(cli, order: str, sku: str) -> tuple[str, str, str, str]:
    line = order_line(cli, order, sku)
    return line["qty_shipped"], line["qty_returned"], line["qty_credited"], line["qty_replaced"]


def rma_lines(doc: dict) -> list[tuple[str, str]]:
    return [(ln["sku"], ln["qty"]) for ln in doc["lines"]]


# --- the life of a return --------------------------------------------------


def test_return_restocked_and_credited(shipped, human):
    assert stock(shipped, "DESK-OAK") == ("9", "1", "8")
    doc = shipped.ok(
        "return", "request", "SO-00001", "--line", "DESK-OAK=2", "--reason", "scratched top"
    )
    assert RETURN_KEYS <= doc.keys()
    expected = {
        "number": "RMA-00001",
        "order": "SO-00001",
        "customer": "ACME",
        "status": "requested",
        "reason": "scratched top",
        "requested_on": TODAY,
        "resolution": None,
        "credit_memos": [],
        "replacement": None,
    }
    assert {k: doc[k] for k in expected} == expected
    assert rma_lines(doc) == [("DESK-OAK", "2")]
    assert counted(shipped, "SO-00001", "DESK-OAK") == ("3", "0", "0", "0")

    assert shipped.ok("return", "authorize", "RMA-00001")["status"] == "authorized"
    assert stock(shipped, "DESK-OAK") == ("9", "1", "8")  # nothing moves before the goods arrive

    doc = shipped.ok("return", "receive", "RMA-00001", "--restock")
    assert (doc["status"], doc["restock"]) == ("received", True)
    assert stock(shipped, "DESK-OAK") == ("11", "1", "10")
    assert counted(shipped, "SO-00001", "DESK-OAK") == ("3", "2", "0", "0")

    doc = shipped.ok("return", "resolve", "RMA-00001", "--credit-memo")
    assert (doc["status"], doc["resolution"], doc["credit_memos"]) == (
        "resolved",
        "credit_memo",
        ["CM-00001"],
    )
    memo = shipped.ok("credit-memo", "show", "CM-00001")
    assert (memo["invoice"], memo["return"], memo["total"], memo["settlement"]) == (
        "INV-00001",
        "RMA-00001",
        "1163.82",
        "store_credit",
    )
    assert [(ln["sku"], ln["qty"]) for ln in memo["lines"]] == [("DESK-OAK", "2")]
    assert "RMA-00001" in memo["reason"] and "scratched top" in memo["reason"]
    assert counted(shipped, "SO-00001", "DESK-OAK") == ("3", "2", "2", "0")
    assert stock(shipped, "DESK-OAK") == ("11", "1", "10")  # restocked once, not twice
    invoice = shipped.ok("invoice", "show", "INV-00001")
    assert (invoice["credited"], invoice["balance"]) == ("1163.82", "2100.95")
    order = shipped.ok("order", "show", "SO-00001")
    assert (order["returns"], order["credit_memos"]) == (["RMA-00001"], ["CM-00001"])
    out = human("return", "show", "RMA-00001")
    for fact in (
        "Return RMA-00001",
        "SO-00001",
        "resolved",
        "scratched top",
        "CM-00001",
        "DESK-OAK",
    ):
        assert fact in out
    assert shipped.ok("check")["ok"] is True


def test_return_replaced_with_a_new_shipment(shipped, human):
    shipped.ok("return", "request", "SO-00001", "--line", "CHAIR-ERGO=1", "--reason", "wobbles")
    shipped.ok("return", "authorize", "RMA-00001")
    doc = shipped.ok("return", "receive", "RMA-00001")  # broken: not back into stock
    assert (doc["status"], doc["restock"]) == ("received", False)
    assert stock(shipped, "CHAIR-ERGO") == ("38", "0", "38")
    assert counted(shipped, "SO-00001", "CHAIR-ERGO") == ("2", "1", "0", "0")

    out = human(
        "return", "resolve", "RMA-00001", "--replace", "--carrier", "UPS", "--tracking", "1Z9"
    )
    assert "resolved" in out and "SH-00003" in out
    doc = shipped.ok("return", "show", "RMA-00001")
    assert (doc["resolution"], doc["replacement"], doc["credit_memos"]) == (
        "replacement",
        "SH-00003",
        [],
    )
    shipment = shipped.ok("shipment", "show", "SH-00003")
    assert (shipment["order"], shipment["carrier"], shipment["tracking"], shipment["status"]) == (
        "SO-00001",
        "UPS",
        "1Z9",
        "shipped",
    )
    assert [(ln["sku"], ln["qty"]) for ln in shipment["lines"]] == [("CHAIR-ERGO", "1")]
    assert stock(shipped, "CHAIR-ERGO") == ("37", "0", "37")
    # A replacement never counts as shipping the order line twice.
    assert counted(shipped, "SO-00001", "CHAIR-ERGO") == ("2", "1", "0", "1")
    order = shipped.ok("order", "show", "SO-00001")
    assert order["fulfilment_status"] == "partially_shipped"
    assert "SH-00003" in order["shipments"]
    invoice = shipped.ok("invoice", "show", "INV-00001")
    assert (invoice["credited"], invoice["balance"]) == ("0.00", "3264.77")  # nothing credited
    # The replacement chair can itself come back.
    doc = shipped.ok("return", "request", "SO-00001", "--line", "CHAIR-ERGO=2", "--reason", "again")
    assert rma_lines(doc) == [("CHAIR-ERGO", "2")]
    assert shipped.ok("check")["ok"] is True


def test_credit_memo_refund_for_a_paid_return(shipped):
    shipped.ok("payment", "record", "ACME", "3264.77", "--invoice", "INV-00001")
    shipped.ok("return", "request", "SO-00001", "--line", "CHAIR-ERGO=1", "--reason", "too tall")
    shipped.ok("return", "authorize", "RMA-00001")
    shipped.ok("return", "receive", "RMA-00001", "--restock")
    assert stock(shipped, "CHAIR-ERGO") == ("39", "0", "39")
    doc = shipped.ok("return", "resolve", "RMA-00001", "--credit-memo", "--refund")
    memo = shipped.ok("credit-memo", "show", doc["credit_memos"][0])
    assert (memo["total"], memo["settlement"], memo["refunded"], memo["refunds"]) == (
        "371.88",
        "refund",
        "371.88",
        ["RF-00001"],
    )
    first = shipped.ok("payment", "transactions")[0]
    assert (first["type"], first["number"], first["amount"]) == ("refund", "RF-00001", "-371.88")
    invoice = shipped.ok("invoice", "show", "INV-00001")
    assert (invoice["status"], invoice["paid"], invoice["credited"], invoice["balance"]) == (
        "paid",
        "2892.89",
        "371.88",
        "0.00",
    )
    assert shipped.ok("check")["ok"] is True


def test_rejected_return_frees_the_quantity(shipped, human, unchanged):
    shipped.ok("return", "request", "SO-00001", "--line", "DESK-OAK=3", "--reason", "changed mind")
    with unchanged():
        assert shipped.fails(
            "return", "request", "SO-00001", "--line", "DESK-OAK=1", "--reason", "x"
        ) == (
            "error: cannot return 1 × DESK-OAK on SO-00001: shipped 3, returned 0, "
            "on open returns 3, left 0"
        )
    out = human("return", "reject", "RMA-00001", "--reason", "outside the return window")
    assert "Return RMA-00001" in out and "rejected" in out
    assert shipped.ok("return", "show", "RMA-00001")["status"] == "rejected"
    assert counted(shipped, "SO-00001", "DESK-OAK") == ("3", "0", "0", "0")
    again = shipped.ok("return", "request", "SO-00001", "--line", "DESK-OAK=3", "--reason", "x")
    assert again["number"] == "RMA-00002"


def test_return_several_lines_at_once(shipped):
    doc = shipped.ok(
        "return",
        "request",
        "so-00001",
        "--line",
        "desk-oak=1",
        "--line",
        "CHAIR-ERGO=2",
        "--reason",
        "office closed",
    )
    assert rma_lines(doc) == [("DESK-OAK", "1"), ("CHAIR-ERGO", "2")]
    shipped.ok("return", "authorize", "RMA-00001")
    shipped.ok("return", "receive", "RMA-00001", "--restock")
    assert stock(shipped, "DESK-OAK") == ("10", "1", "9")
    assert stock(shipped, "CHAIR-ERGO") == ("40", "0", "40")
    doc = shipped.ok("return", "resolve", "RMA-00001", "--credit-memo")
    memo = shipped.ok("credit-memo", "show", doc["credit_memos"][0])
    assert [(ln["sku"], ln["qty"]) for ln in memo["lines"]] == [
        ("DESK-OAK", "1"),
        ("CHAIR-ERGO", "2"),
    ]
    assert memo["total"] == "1325.66"  # 581.91 + 743.75
    assert shipped.ok("check")["ok"] is True


# --- wrong states and bad input --------------------------------------------


def test_wrong_states_are_refused(shipped, unchanged):
    shipped.ok("return", "request", "SO-00001", "--line", "DESK-OAK=1", "--reason", "dent")
    with unchanged():
        assert shipped.fails("return", "receive", "RMA-00001") == (
            "error: cannot receive RMA-00001: it is requested, not yet authorized"
        )
        assert shipped.fails("return", "resolve", "RMA-00001", "--credit-memo") == (
            "error: cannot resolve RMA-00001: it is requested; the goods must be received first"
        )
    shipped.ok("return", "authorize", "RMA-00001")
    with unchanged():
        assert shipped.fails("return", "authorize", "RMA-00001") == (
            "error: cannot authorize RMA-00001: it is authorized (only a requested return can be)"
        )
        assert shipped.fails("return", "resolve", "RMA-00001", "--replace") == (
            "error: cannot resolve RMA-00001: it is authorized; the goods must be received first"
        )
    shipped.ok("return", "receive", "RMA-00001")
    with unchanged():
        assert shipped.fails("return", "receive", "RMA-00001").startswith(
            "error: cannot receive RMA-00001: it is received"
        )
        assert shipped.fails("return", "reject", "RMA-00001") == (
            "error: cannot reject RMA-00001: it is received "
            "(only a requested or authorized return can be)"
        )
        assert shipped.fails("return", "authorize", "RMA-00001") == (
            "error: cannot authorize RMA-00001: it is received (only a requested return can be)"
        )
        assert shipped.fails("return", "resolve", "RMA-00001") == (
            "error: resolve with either --credit-memo or --replace"
        )
        assert shipped.fails("return", "resolve", "RMA-00001", "--credit-memo", "--replace") == (
            "error: resolve with either --credit-memo or --replace"
        )
        assert shipped.fails("return", "resolve", "RMA-00001", "--replace", "--refund") == (
            "error: --refund/--store-credit go with --credit-memo, not --replace"
        )
        assert shipped.fails(
            "return", "resolve", "RMA-00001", "--credit-memo", "--refund", "--store-credit"
        ) == ("error: choose --refund or --store-credit, not both")
    shipped.ok("return", "resolve", "RMA-00001", "--credit-memo")
    with unchanged():
        assert shipped.fails("return", "resolve", "RMA-00001", "--credit-memo").startswith(
            "error: cannot resolve RMA-00001: it is resolved"
        )
        assert shipped.fails("return", "reject", "RMA-00001").startswith(
            "error: cannot reject RMA-00001: it is resolved"
        )


def test_resolving_uninvoiced_goods_with_a_credit_memo_is_refused(shipped, unchanged):
    shipped.ok("return", "request", "SO-00002", "--line", "LAMP-LED=1", "--reason", "flickers")
    shipped.ok("return", "authorize", "RMA-00001")
    shipped.ok("return", "receive", "RMA-00001", "--restock")
    with unchanged():
        message = shipped.fails("return", "resolve", "RMA-00001", "--credit-memo")
    assert message == (
        "error: cannot credit return RMA-00001: LAMP-LED was invoiced and not yet credited "
        "only 0, 1 returned"
    )
    assert shipped.ok("return", "resolve", "RMA-00001", "--replace")["replacement"] == "SH-00003"


def test_replacement_needs_available_stock(shipped, unchanged):
    shipped.ok("order", "new", "BRIGHT")
    shipped.ok("order", "add-line", "SO-00003", "DESK-STAND", "5")  # all 5 on hand
    shipped.ok("order", "confirm", "SO-00003")
    shipped.ok("ship", "SO-00003", "--line", "DESK-STAND=2")
    shipped.ok("return", "request", "SO-00003", "--line", "DESK-STAND=1", "--reason", "motor")
    shipped.ok("return", "authorize", "RMA-00001")
    shipped.ok("return", "receive", "RMA-00001")
    assert stock(shipped, "DESK-STAND") == ("3", "3", "0")
    with unchanged():
        message = shipped.fails("return", "resolve", "RMA-00001", "--replace")
    assert message == (
        "error: cannot replace 1 × DESK-STAND: only 0 available (on hand and not reserved)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["SO-00001", "--line", "DESK-OAK=4", "--reason", "x"],
            "cannot return 4 × DESK-OAK on SO-00001: shipped 3, returned 0, left 3",
        ),
        (
            ["SO-00001", "--line", "INSTALL=1", "--reason", "x"],
            "cannot return INSTALL on SO-00001: it is a service, delivered by invoicing it; "
            "a service is never returned",
        ),
        (
            ["SO-00001", "--line", "DESK-OAK=2", "--line", "DESK-OAK=2", "--reason", "x"],
            "cannot return 4 × DESK-OAK on SO-00001: shipped 3, returned 0, left 3",
        ),
        (
            ["SO-00001", "--line", "LAMP-LED=1", "--reason", "x"],
            "SO-00001 has no line for LAMP-LED",
        ),
        (["SO-00001", "--line", "NOPE=1", "--reason", "x"], "no product 'NOPE'"),
        (["SO-00001", "--reason", "x"], "a return needs at least one --line SKU=QTY"),
        (["SO-00001", "--line", "DESK-OAK=1"], "reason must not be empty"),
        (["SO-00001", "--line", "DESK-OAK=1", "--reason", ""], "reason must not be empty"),
        (["SO-00001", "--line", "DESK-OAK=1", "--reason", "  "], "reason must not be empty"),
        (
            ["SO-00001", "--line", "", "--reason", "x"],
            "--line '' must look like SKU=QTY, e.g. WIDGET=3",
        ),
        (
            ["SO-00001", "--line", "DESK-OAK=0", "--reason", "x"],
            "quantity for DESK-OAK '0' must be greater than zero",
        ),
        (
            ["SO-00001", "--line", "DESK-OAK=-1", "--reason", "x"],
            "quantity for DESK-OAK '-1' must be greater than zero",
        ),
        (
            ["SO-00001", "--line", "DESK-OAK=NaN", "--reason", "x"],
            "quantity for DESK-OAK 'NaN' is not a finite number",
        ),
        (
            ["SO-00001", "--line", "DESK-OAK=1e309", "--reason", "x"],
            "quantity for DESK-OAK '1e309' is too large",
        ),
        (["SO-00404", "--line", "DESK-OAK=1", "--reason", "x"], "no order 'SO-00404'"),
        (["", "--line", "DESK-OAK=1", "--reason", "x"], "order number is empty"),
    ],
)
def test_request_bad_input(shipped, unchanged, args, message):
    with unchanged():
        assert shipped.fails("return", "request", *args) == f"error: {message}"


def test_over_returning_counts_what_came_back(shipped, unchanged):
    shipped.ok("return", "request", "SO-00001", "--line", "DESK-OAK=2", "--reason", "a")
    with unchanged():
        assert shipped.fails(
            "return", "request", "SO-00001", "--line", "DESK-OAK=2", "--reason", "b"
        ) == (
            "error: cannot return 2 × DESK-OAK on SO-00001: shipped 3, returned 0, "
            "on open returns 2, left 1"
        )
    shipped.ok("return", "authorize", "RMA-00001")
    shipped.ok("return", "receive", "RMA-00001")
    with unchanged():
        assert (
            shipped.fails("return", "request", "SO-00001", "--line", "DESK-OAK=2", "--reason", "b")
            == "error: cannot return 2 × DESK-OAK on SO-00001: shipped 3, returned 2, left 1"
        )
    assert (
        shipped.ok("return", "request", "SO-00001", "--line", "DESK-OAK=1", "--reason", "b")[
            "number"
        ]
        == "RMA-00002"
    )


@pytest.mark.parametrize("verb", ["authorize", "receive", "reject", "show"])
@pytest.mark.parametrize(
    ("number", "message"),
    [("RMA-00404", "no return 'RMA-00404'"), ("", "return number is empty")],
)
def test_unknown_return(shipped, unchanged, verb, number, message):
    with unchanged():
        assert shipped.fails("return", verb, number) == f"error: {message}"


def test_unknown_return_resolve(shipped, unchanged):
    with unchanged():
        assert shipped.fails("return", "resolve", "RMA-00404", "--replace") == (
            "error: no return 'RMA-00404'"
        )


# --- list ------------------------------------------------------------------


def build_returns(cli) -> None:
    build_shipped(cli)
    cli.ok(
        "return",
        "request",
        "SO-00001",
        "--line",
        "DESK-OAK=1",
        "--reason",
        "dent",
        env=on("2027-01-10"),
    )
    cli.ok(
        "return",
        "request",
        "SO-00002",
        "--line",
        "LAMP-LED=1",
        "--reason",
        "dim",
        env=on("2027-01-11"),
    )
    cli.ok("return", "authorize", "RMA-00002", env=on("2027-01-11"))
    cli.ok(
        "return",
        "request",
        "SO-00001",
        "--line",
        "CHAIR-ERGO=1",
        "--reason",
        "x",
        env=on("2027-01-12"),
    )
    cli.ok("return", "reject", "RMA-00003", env=on("2027-01-12"))


@pytest.fixture
def returns(shop, ledger_state):
    """RMA-1 SO-1 ACME requested (Jan 10), RMA-2 SO-2 BRIGHT authorized (Jan 11),
    RMA-3 SO-1 ACME rejected (Jan 12)."""
    ledger_state("returns-list", build_returns)
    return shop


def numbers(rows) -> list[str]:
    return [row["number"] for row in rows]


def test_list_returns(returns, human):
    rows = returns.ok("return", "list")
    assert numbers(rows) == ["RMA-00003", "RMA-00002", "RMA-00001"]
    assert all(RETURN_KEYS <= row.keys() for row in rows)
    assert [(r["order"], r["status"], r["reason"]) for r in rows] == [
        ("SO-00001", "rejected", "x"),
        ("SO-00002", "authorized", "dim"),
        ("SO-00001", "requested", "dent"),
    ]
    assert rma_lines(rows[1]) == [("LAMP-LED", "1")]
    out = human("return", "list")
    for fact in ("Returns", "RMA-00003", "rejected", "BRIGHT", "authorized", "dent"):
        assert fact in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--status", "requested"], ["RMA-00001"]),
        (["--status", "AUTHORIZED"], ["RMA-00002"]),
        (["--status", "resolved"], []),
        (["--order", "SO-00001"], ["RMA-00003", "RMA-00001"]),
        (["--customer", "BRIGHT"], ["RMA-00002"]),
        (["--from", "2027-01-11"], ["RMA-00003", "RMA-00002"]),
        (["--to", "2027-01-10"], ["RMA-00001"]),
        (["--limit", "1"], ["RMA-00003"]),
    ],
)
def test_list_returns_filters(returns, args, expected):
    assert numbers(returns.ok("return", "list", *args)) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--status", "lost"],
            "unknown return status 'lost' (one of requested, authorized, received, resolved, "
            "rejected)",
        ),
        (["--order", "SO-00404"], "no order 'SO-00404'"),
        (["--customer", "NOPE"], "no customer 'NOPE'"),
    ],
)
def test_list_returns_bad_filters(returns, unchanged, args, message):
    with unchanged():
        assert returns.fails("return", "list", *args) == f"error: {message}"


def test_human_output_of_each_step(shipped, human):
    out = human("return", "request", "SO-00001", "--line", "DESK-OAK=1", "--reason", "dent")
    assert "Return RMA-00001" in out and "requested" in out and "DESK-OAK" in out
    out = human("return", "authorize", "RMA-00001")
    assert "authorized" in out
    out = human("return", "receive", "RMA-00001", "--restock")
    assert "received" in out
    out = human("return", "resolve", "RMA-00001", "--credit-memo")
    assert "resolved" in out and "CM-00001" in out


def test_list_empty(shop):
    assert shop.ok("return", "list") == []
    assert "no returns" in shop.run("return", "list").stderr
