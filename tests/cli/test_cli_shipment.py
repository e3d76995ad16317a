"""`ordercli shipment create/show/list/deliver` and the top-level `ship` alias end to end."""

from __future__ import annotations

import pytest

SHIPMENT_KEYS = {"number", "order", "status", "carrier", "tracking", "lines"}
JAN1 = {"ORDERCLI_TODAY": "2027-01-01"}


def on(day: str) -> dict:
    return {"ORDERCLI_TODAY": day}


def stock(cli, sku: str) -> tuple[str, str, str]:
    doc = cli.ok("product", "show", sku)
    return doc["on_hand"], doc["reserved"], doc["available"]


# --- create / ship ---------------------------------------------------------


@pytest.mark.parametrize("command", [["shipment", "create"], ["ship"]])
def test_ship_everything_open(confirmed, human, command):
    doc = confirmed.ok(*command, "SO-00001", "--carrier", "DHL", "--tracking", "JD0146", env=JAN1)
    assert SHIPMENT_KEYS <= doc.keys()
    expected = {
        "number": "SH-00001",
        "order": "SO-00001",
        "customer": "ACME",
        "status": "shipped",
        "carrier": "DHL",
        "tracking": "JD0146",
        "ship_date": "2027-01-01",
        "delivered_at": None,
    }
    assert {k: doc[k] for k in expected} == expected
    # Only goods are shipped: the installation is delivered by invoicing it (rule 12).
    assert [(line["sku"], line["qty"]) for line in doc["lines"]] == [("DESK-OAK", "4")]
    assert stock(confirmed, "DESK-OAK") == ("8", "0", "8")
    assert confirmed.ok("product", "show", "INSTALL")["on_hand"] == "0"  # services hold no stock
    order = confirmed.ok("order", "show", "SO-00001")
    assert (order["status"], order["fulfilment_status"], order["billing_status"]) == (
        "confirmed",
        "partially_shipped",
        "not_invoiced",
    )
    assert order["shipments"] == ["SH-00001"]
    out = human("shipment", "show", "SH-00001")
    for fact in ("Shipment SH-00001", "SO-00001", "ACME", "shipped", "DHL", "JD0146", "DESK-OAK"):
        assert fact in out


def test_ship_alias_prints_the_shipment(confirmed, human):
    out = human("ship", "SO-00001", "--line", "DESK-OAK=1", "--carrier", "UPS")
    assert "Shipment SH-00001" in out and "UPS" in out and "DESK-OAK" in out


def test_partial_shipments_and_fractional_quantities(confirmed, unchanged):
    confirmed.ok("order", "add-line", "SO-00001", "COFFEE-KG", "2.5")
    first = confirmed.ok("ship", "SO-00001", "--line", "DESK-OAK=1", "--line", "COFFEE-KG=1.25")
    assert [(line["sku"], line["qty"]) for line in first["lines"]] == [
        ("DESK-OAK", "1"),
        ("COFFEE-KG", "1.25"),
    ]
    assert (first["carrier"], first["tracking"]) == (None, None)
    assert stock(confirmed, "DESK-OAK") == ("11", "3", "8")
    order = confirmed.ok("order", "show", "SO-00001")
    assert order["fulfilment_status"] == "partially_shipped"
    assert [line["qty_shipped"] for line in order["lines"]] == ["1", "0", "1.25"]
    with unchanged():
        assert confirmed.fails("ship", "SO-00001", "--line", "DESK-OAK=4") == (
            "error: cannot ship 4 × DESK-OAK on SO-00001: ordered 4, already shipped 1, left 3"
        )
        assert confirmed.fails("shipment", "create", "SO-00001", "--line", "COFFEE-KG=1.3") == (
            "error: cannot ship 1.3 × COFFEE-KG on SO-00001: ordered 2.5, already shipped 1.25, "
            "left 1.25"
        )
    rest = confirmed.ok("shipment", "create", "SO-00001")
    assert [(line["sku"], line["qty"]) for line in rest["lines"]] == [
        ("DESK-OAK", "3"),
        ("COFFEE-KG", "1.25"),
    ]
    assert rest["number"] == "SH-00002"
    assert stock(confirmed, "DESK-OAK") == ("8", "0", "8")
    with unchanged():
        assert confirmed.fails("ship", "SO-00001") == (
            "error: nothing left to ship on SO-00001: its goods are fully shipped, and "
            "services are delivered by invoicing them, never shipped"
        )


def test_shipping_more_than_on_hand_is_refused(shop, unchanged):
    shop.ok("order", "new", "ACME")
    shop.ok("order", "add-line", "SO-00001", "WHITEBOARD", "8")  # 6 on hand
    shop.ok("order", "confirm", "SO-00001")
    with unchanged():
        assert shop.fails("ship", "SO-00001") == (
            "error: cannot ship 8 × WHITEBOARD on SO-00001 from MAIN: only 6 on hand there"
        )
        assert shop.fails("ship", "SO-00001", "--line", "WHITEBOARD=7") == (
            "error: cannot ship 7 × WHITEBOARD on SO-00001 from MAIN: only 6 on hand there"
        )
    doc = shop.ok("ship", "SO-00001", "--line", "WHITEBOARD=6")
    assert doc["lines"][0]["qty"] == "6"
    assert stock(shop, "WHITEBOARD") == ("0", "2", "-2")
    with unchanged():
        assert shop.fails("ship", "SO-00001") == (
            "error: cannot ship 2 × WHITEBOARD on SO-00001 from MAIN: only 0 on hand there"
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--line", "DESK-OAK"], "--line 'DESK-OAK' must look like SKU=QTY, e.g. WIDGET=3"),
        (["--line", "=1"], "--line '=1' must look like SKU=QTY, e.g. WIDGET=3"),
        (["--line", "DESK-OAK=0"], "quantity for DESK-OAK '0' must be greater than zero"),
        (["--line", "DESK-OAK=-2"], "quantity for DESK-OAK '-2' must be greater than zero"),
        (["--line", "DESK-OAK=x"], "quantity for DESK-OAK 'x' is not a number"),
        (
            ["--line", "DESK-OAK=0.0005"],
            "quantity for DESK-OAK '0.0005' has more than 3 decimal places",
        ),
        (["--line", "DESK-OAK=1e400"], "quantity for DESK-OAK '1e400' is too large"),
        (
            ["--line", "DESK-OAK=5"],
            "cannot ship 5 × DESK-OAK on SO-00001: ordered 4, already shipped 0, left 4",
        ),
        (
            ["--line", "CHAIR-ERGO=1"],
            "cannot ship CHAIR-ERGO on SO-00001: the order has no line for it",
        ),
        (["--line", "NOPE=1"], "no product 'NOPE'"),
        (["--carrier", "bad\x01carrier"], "carrier contains control characters"),
        (["--tracking", "t" * 101], "tracking number is longer than 100 characters"),
        (["--date", "31.01.2027"], "--date '31.01.2027' is not a date (use YYYY-MM-DD)"),
    ],
)
def test_ship_bad_input(confirmed, unchanged, args, message):
    with unchanged():
        assert confirmed.fails("ship", "SO-00001", *args) == f"error: {message}"


def test_ship_in_wrong_states_is_refused(shop, unchanged):
    shop.ok("order", "new", "ACME")
    shop.ok("order", "add-line", "SO-00001", "LAMP-LED", "2")
    with unchanged():
        assert shop.fails("ship", "SO-00001") == (
            "error: cannot ship SO-00001: it is a draft; confirm it first"
        )
    shop.ok("order", "confirm", "SO-00001")
    shop.ok("order", "hold", "SO-00001", "address unclear")
    with unchanged():
        assert shop.fails("ship", "SO-00001") == (
            "error: cannot ship SO-00001: it is on hold (address unclear); release it first"
        )
        assert shop.fails("shipment", "create", "SO-00001", "--line", "LAMP-LED=1") == (
            "error: cannot ship SO-00001: it is on hold (address unclear); release it first"
        )
    shop.ok("order", "cancel", "SO-00001")
    with unchanged():
        assert shop.fails("ship", "SO-00001") == "error: cannot ship SO-00001: it is cancelled"
        assert shop.fails("ship", "SO-00404") == "error: no order 'SO-00404'"
        assert shop.fails("ship", "") == "error: order number is empty"


def test_ship_date_and_custom_number_prefix(confirmed):
    confirmed.ok("numbering", "set", "shipment", "--prefix", "DN-", "--width", "3")
    doc = confirmed.ok("ship", "SO-00001", "--date", "2027-05-06", env=on("2027-05-06"))
    assert (doc["number"], doc["ship_date"]) == ("DN-001", "2027-05-06")
    assert confirmed.ok("shipment", "show", "dn-001")["number"] == "DN-001"


def test_ship_unicode_carrier_and_tracking(confirmed):
    doc = confirmed.ok(
        "ship", "SO-00001", "--carrier", "ヤマト運輸 <b>&</b>", "--tracking", "№ 42/ß"
    )
    assert (doc["carrier"], doc["tracking"]) == ("ヤマト運輸 <b>&</b>", "№ 42/ß")
    shown = confirmed.ok("shipment", "show", "SH-00001")
    assert (shown["carrier"], shown["tracking"]) == ("ヤマト運輸 <b>&</b>", "№ 42/ß")


# --- deliver ---------------------------------------------------------------


def test_deliver(confirmed, human, unchanged):
    confirmed.ok("ship", "SO-00001", env=JAN1)
    doc = confirmed.ok("shipment", "deliver", "SH-00001", env=on("2027-01-03"))
    assert doc["status"] == "delivered"
    assert doc["delivered_at"].startswith("2027-01-03")
    assert confirmed.ok("shipment", "show", "SH-00001")["status"] == "delivered"
    with unchanged():
        assert confirmed.fails("shipment", "deliver", "SH-00001") == (
            "error: SH-00001 was already delivered on 2027-01-03"
        )
        assert confirmed.fails("shipment", "deliver", "SH-00002") == "error: no shipment 'SH-00002'"
        assert confirmed.fails("shipment", "deliver", "") == "error: shipment number is empty"
    confirmed.ok("order", "new", "BRIGHT")
    confirmed.ok("order", "add-line", "SO-00002", "LAMP-LED", "1")
    confirmed.ok("order", "confirm", "SO-00002")
    confirmed.ok("ship", "SO-00002", env=on("2027-01-03"))  # rule 4a: not before SH-00001
    out = human("shipment", "deliver", "SH-00002")
    assert "delivered" in out and "SH-00002" in out


# --- show ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "message"),
    [("SH-00009", "no shipment 'SH-00009'"), ("", "shipment number is empty")],
)
def test_show_unknown_shipment(confirmed, unchanged, number, message):
    with unchanged():
        assert confirmed.fails("shipment", "show", number) == f"error: {message}"


# --- list ------------------------------------------------------------------


def build_shipments(cli) -> None:
    for code in ("ACME", "BRIGHT", "ACME"):
        number = cli.ok("order", "new", code)["number"]
        cli.ok("order", "add-line", number, "LAMP-LED", "2")
        cli.ok("order", "confirm", number)
    cli.ok("ship", "SO-00001", "--date", "2027-01-05", "--carrier", "DHL", env=on("2027-01-05"))
    cli.ok("shipment", "deliver", "SH-00001")
    cli.ok("ship", "SO-00002", "--date", "2027-01-20", env=on("2027-01-20"))
    cli.ok("ship", "SO-00003", "--date", "2027-02-02", "--line", "LAMP-LED=1", env=on("2027-02-02"))


@pytest.fixture
def shipments(shop, ledger_state):
    """SH-1 ACME Jan 5 delivered, SH-2 BRIGHT Jan 20, SH-3 ACME Feb 2 (second order)."""
    ledger_state("shipment-list", build_shipments)
    return shop


def numbers(rows) -> list[str]:
    return [row["number"] for row in rows]


def test_list_shipments_newest_first(shipments, human):
    rows = shipments.ok("shipment", "list")
    assert numbers(rows) == ["SH-00003", "SH-00002", "SH-00001"]
    assert all(SHIPMENT_KEYS <= row.keys() for row in rows)
    assert rows[0]["lines"] == [
        {"line": 1, "sku": "LAMP-LED", "description": "LED desk lamp", "qty": "1", "unit": "C62"}
    ]
    out = human("shipment", "list")
    assert "Shipments" in out and "SH-00003" in out and "delivered" in out and "DHL" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--status", "shipped"], ["SH-00003", "SH-00002"]),
        (["--status", "delivered"], ["SH-00001"]),
        (["--customer", "ACME"], ["SH-00003", "SH-00001"]),
        (["--order", "SO-00002"], ["SH-00002"]),
        (["--from", "2027-01-06"], ["SH-00003", "SH-00002"]),
        (["--to", "2027-01-20"], ["SH-00002", "SH-00001"]),
        (["--from", "2027-01-20", "--to", "2027-01-20"], ["SH-00002"]),
        (["--limit", "2"], ["SH-00003", "SH-00002"]),
        (["--all"], ["SH-00003", "SH-00002", "SH-00001"]),
    ],
)
def test_list_shipments_filters(shipments, args, expected):
    assert numbers(shipments.ok("shipment", "list", *args)) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--status", "lost"],
            "unknown shipment status 'lost' (one of shipped, delivered, reversed)",
        ),
        (["--customer", "NOPE"], "no customer 'NOPE'"),
        (["--order", "SO-00404"], "no order 'SO-00404'"),
        (
            ["--from", "2027-02-01", "--to", "2027-01-01"],
            "--from 2027-02-01 is after --to 2027-01-01",
        ),
        (["--limit", "0"], "--limit 0 must be at least 1"),
    ],
)
def test_list_shipments_bad_filters(shipments, unchanged, args, message):
    with unchanged():
        assert shipments.fails("shipment", "list", *args) == f"error: {message}"
