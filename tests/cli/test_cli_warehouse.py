"""Warehouses end to end: `warehouse add/list/default`, `stock … --warehouse`,
`stock transfer`, `shipment create --warehouse`, `shipment pick-list` and
`product add/edit --location`.

Every expected figure is worked out by hand in the test from the sample catalog
(``sample_data/products.csv``: all opening stock lies in MAIN) and the commands the
test runs. Refusals print one ``error:`` line and leave every table as it was.

Documented behaviour: backorders follow a product's stock on hand in all warehouses
together, so goods received into any warehouse clear them; the order may then have to
ship from that warehouse (or after a transfer), and `shipment create` from the default
warehouse says where the goods are.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import text

# The sample catalog's opening stock, all in MAIN: 13 stocked products.
OPENING_UNITS = "461.5"  # 12 + 5 + 40 + 60 + 100 + 25 + 8 + 30 + 6 + 50 + 80 + 10 + 35.5
WAREHOUSE_KEYS = {"code", "name", "active", "default", "products", "units"}
LEVEL_KEYS = {"sku", "name", "on_hand", "reserved", "available", "location", "warehouses"}


def on(day: str) -> dict:
    return {"ORDERCLI_TODAY": day}


def held(cli, sku: str) -> dict[str, Decimal]:
    """What each warehouse holds of ``sku``: its moves summed per warehouse by the test."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for move in cli.ok("stock", "moves", sku, "--all"):
        totals[move["warehouse"]] += Decimal(move["qty"])
    return {code: qty for code, qty in sorted(totals.items()) if qty}


def level(cli, sku: str, *args: str) -> dict:
    return next(row for row in cli.ok("stock", "list", "--all", *args) if row["sku"] == sku)


def shipped(cli, number: str) -> list[tuple[str, str, str]]:
    """``(sku, qty, qty_shipped)`` of each line of an order."""
    return [
        (ln["sku"], ln["qty"], ln["qty_shipped"]) for ln in cli.ok("order", "show", number)["lines"]
    ]


def deactivate(path, code: str) -> None:
    """No command deactivates a warehouse yet; the test does what one would."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute("UPDATE warehouse SET active = 0 WHERE code = ?", (code,))
    finally:
        conn.close()


def ledger_is_consistent(cli) -> None:
    report = cli.ok("check")
    assert (report["ok"], report["problems"]) == (True, [])


# --- warehouse add / list / default ----------------------------------------------------------


def test_warehouse_add_and_default(shop, human):
    added = shop.ok("warehouse", "add", "SHOP", "Shop floor")
    assert added == {
        "code": "SHOP",
        "name": "Shop floor",
        "active": True,
        "default": False,
        "products": 0,
        "units": "0",
    }
    chosen = shop.ok("warehouse", "default", "main")
    assert chosen == {
        "code": "MAIN",
        "name": "Main warehouse",
        "active": True,
        "default": True,
        "products": 13,
        "units": OPENING_UNITS,
    }
    chosen = shop.ok("warehouse", "default", "shop")
    assert (chosen["code"], chosen["default"], chosen["units"]) == ("SHOP", True, "0")
    # The default now takes receipts (and adjustments).
    shop.ok("stock", "receive", "LAMP-LED", "4")
    shop.ok("stock", "adjust", "LAMP-LED", "-1", "--reason", "dropped")
    assert held(shop, "LAMP-LED") == {"MAIN": Decimal(100), "SHOP": Decimal(3)}
    listed = shop.ok("warehouse", "list")
    assert [(w.keys() == WAREHOUSE_KEYS, w["code"], w["default"]) for w in listed] == [
        (True, "MAIN", False),
        (True, "SHOP", True),
    ]
    out = human("warehouse", "default", "SHOP")
    assert "SHOP" in out and "Shop floor" in out and "yes" in out
    out = human("warehouse", "add", "DEPOT", "Depot")
    assert "DEPOT" in out and "Depot" in out


def test_warehouse_list_shows_what_each_warehouse_holds(shop, human):
    shop.ok("warehouse", "add", "SHOP", "Shop floor")
    shop.ok("stock", "transfer", "LAMP-LED", "4", "--from", "MAIN", "--to", "SHOP")
    shop.ok("stock", "transfer", "COFFEE-KG", "0.5", "--from", "MAIN", "--to", "SHOP")
    shop.ok("warehouse", "add", "EMPTY", "Nothing here")
    assert shop.ok("warehouse", "list") == [
        {
            "code": "EMPTY",
            "name": "Nothing here",
            "active": True,
            "default": False,
            "products": 0,
            "units": "0",
        },
        {
            "code": "MAIN",
            "name": "Main warehouse",
            "active": True,
            "default": True,
            "products": 13,
            "units": "457",  # 461.5 - 4 - 0.5
        },
        {
            "code": "SHOP",
            "name": "Shop floor",
            "active": True,
            "default": False,
            "products": 2,
            "units": "4.5",
        },
    ]
    out = human("warehouse", "list")
    for fact in ("Warehouses", "Main warehouse", "Shop floor", "yes", "457", "4.5"):
        assert fact in out


@pytest.mark.sqlite_only("deactivate() writes the ledger file with sqlite3")
def test_warehouse_refusals_change_nothing(shop, unchanged, ledger_path):
    shop.ok("warehouse", "add", "DEPOT", "Depot")
    deactivate(ledger_path, "DEPOT")
    refusals = [
        (["warehouse", "add", "main", "Again"], "error: warehouse main already exists"),
        (["warehouse", "add", "Depot", "Again"], "error: warehouse Depot already exists"),
        (
            ["warehouse", "add", "S P", "Spaced"],
            "error: warehouse code 'S P' must not contain spaces",
        ),
        (["warehouse", "add", "X", "  "], "error: warehouse name must not be empty"),
        (["warehouse", "default", "NOPE"], "error: no warehouse 'NOPE'"),
        (["warehouse", "default", "depot"], "error: warehouse DEPOT is inactive"),
    ]
    for args, message in refusals:
        with unchanged():
            assert shop.fails(*args) == message, args
    result = shop.run("warehouse", "default", "NOPE")
    assert "hint: warehouses: DEPOT, MAIN" in result.stderr


# --- stock per warehouse --------------------------------------------------------------------


def test_stock_receive_adjust_transfer_moves_list(shop, human):
    shop.ok("warehouse", "add", "SHOP", "Shop floor")
    doc = shop.ok("stock", "receive", "DESK-OAK", "3", "--warehouse", "shop", "--reference", "PO-7")
    assert LEVEL_KEYS <= doc.keys()
    assert (doc["on_hand"], doc["warehouses"], doc["warehouse"], doc["on_hand_here"]) == (
        "15",
        {"MAIN": "12", "SHOP": "3"},
        "SHOP",
        "3",
    )
    doc = shop.ok("stock", "adjust", "DESK-OAK", "-1", "--reason", "broken", "--warehouse", "SHOP")
    assert (doc["on_hand"], doc["warehouses"]) == ("14", {"MAIN": "12", "SHOP": "2"})
    doc = shop.ok("stock", "adjust", "DESK-OAK", "+0.5", "--reason", "found half")
    assert (doc["on_hand"], doc["warehouses"]) == ("14.5", {"MAIN": "12.5", "SHOP": "2"})
    doc = shop.ok("stock", "transfer", "DESK-OAK", "2.5", "--from", "main", "--to", "SHOP")
    assert (doc["on_hand"], doc["reserved"], doc["warehouses"]) == (
        "14.5",
        "0",
        {"MAIN": "10", "SHOP": "4.5"},
    )
    moves = shop.ok("stock", "moves", "DESK-OAK")
    assert [(m["kind"], m["warehouse"], m["qty"], m["reference"]) for m in moves] == [
        ("transfer", "SHOP", "2.5", "MAIN → SHOP"),
        ("transfer", "MAIN", "-2.5", "MAIN → SHOP"),
        ("adjust", "MAIN", "0.5", "found half"),
        ("adjust", "SHOP", "-1", "broken"),
        ("receive", "SHOP", "3", "PO-7"),
        ("receive", "MAIN", "12", "opening stock"),
    ]
    only_shop = shop.ok("stock", "moves", "DESK-OAK", "--warehouse", "shop")
    assert [(m["kind"], m["qty"]) for m in only_shop] == [
        ("transfer", "2.5"),
        ("adjust", "-1"),
        ("receive", "3"),
    ]
    assert held(shop, "DESK-OAK") == {"MAIN": Decimal(10), "SHOP": Decimal("4.5")}
    assert level(shop, "DESK-OAK")["warehouses"] == {"MAIN": "10", "SHOP": "4.5"}
    in_shop = level(shop, "LAMP-LED", "--warehouse", "SHOP")
    assert (in_shop["on_hand"], in_shop["on_hand_here"], in_shop["warehouses"]) == (
        "100",
        "0",
        {"MAIN": "100"},
    )
    product = shop.ok("product", "show", "DESK-OAK")
    assert (product["on_hand"], product["available"]) == ("14.5", "14.5")
    assert "INSTALL" not in {row["sku"] for row in shop.ok("stock", "list", "--all")}
    ledger_is_consistent(shop)

    out = human("stock", "list", "--all")
    assert "By warehouse" in out and "MAIN 10, SHOP 4.5" in out
    out = human("stock", "list", "--all", "--warehouse", "SHOP")
    assert "In SHOP" in out and "DESK-OAK" in out
    out = human("stock", "moves", "DESK-OAK")
    assert "Warehouse" in out and "MAIN → SHOP" in out and "SHOP" in out
    out = human("stock", "transfer", "DESK-OAK", "1", "--from", "SHOP", "--to", "MAIN")
    assert "MAIN 11, SHOP 3.5" in out
    out = human("stock", "receive", "LAMP-LED", "2", "--warehouse", "SHOP")
    assert "In SHOP" in out and "LAMP-LED" in out
    out = human("stock", "adjust", "LAMP-LED", "-1", "--reason", "dropped", "--warehouse", "SHOP")
    assert "In SHOP" in out and "101" in out


def build_two_warehouses(cli) -> None:
    """SO-00001 (ACME, 4 × DESK-OAK, 2.5 h INSTALL) confirmed; SHOP holds 3 of the 15
    DESK-OAK; DEPOT is inactive."""
    cli.ok("order", "new", "ACME")
    cli.ok("order", "add-line", "SO-00001", "DESK-OAK", "4")
    cli.ok("order", "add-line", "SO-00001", "INSTALL", "2.5")
    cli.ok("order", "confirm", "SO-00001")
    cli.ok("warehouse", "add", "SHOP", "Shop floor")
    cli.ok("warehouse", "add", "DEPOT", "Depot")
    cli.ok("stock", "receive", "DESK-OAK", "3", "--warehouse", "SHOP")
    deactivate(cli.ledger, "DEPOT")


REFUSALS = [
    (["stock", "receive", "DESK-OAK", "1", "--warehouse", "NOPE"], "no warehouse 'NOPE'"),
    (["stock", "receive", "DESK-OAK", "1", "--warehouse", "DEPOT"], "warehouse DEPOT is inactive"),
    (["stock", "receive", "DESK-OAK", "0"], "quantity '0' must be greater than zero"),
    (["stock", "receive", "DESK-OAK", "abc"], "quantity 'abc' is not a number"),
    (
        ["stock", "receive", "DESK-OAK", "1.0001"],
        "quantity '1.0001' has more than 3 decimal places",
    ),
    (
        ["stock", "adjust", "DESK-OAK", "-4", "--reason", "broken", "--warehouse", "SHOP"],
        "not enough DESK-OAK on hand in SHOP: 3 on hand, 4 needed",
    ),
    (
        ["stock", "adjust", "DESK-OAK", "-0", "--reason", "count"],
        "adjustment quantity '0' must be greater than zero",
    ),
    (["stock", "adjust", "DESK-OAK", "-1", "--reason", " "], "reason must not be empty"),
    (
        ["stock", "adjust", "DESK-OAK", "1", "--reason", "x", "--warehouse", "NOPE"],
        "no warehouse 'NOPE'",
    ),
    (
        ["stock", "transfer", "DESK-OAK", "1", "--from", "SHOP", "--to", "shop"],
        "--from and --to are both SHOP",
    ),
    (
        ["stock", "transfer", "DESK-OAK", "4", "--from", "SHOP", "--to", "MAIN"],
        "not enough DESK-OAK on hand in SHOP: 3 on hand, 4 needed",
    ),
    (
        ["stock", "transfer", "DESK-OAK", "13", "--from", "MAIN", "--to", "SHOP"],
        "not enough DESK-OAK on hand in MAIN: 12 on hand, 13 needed",
    ),
    (
        ["stock", "transfer", "DESK-OAK", "0", "--from", "MAIN", "--to", "SHOP"],
        "quantity '0' must be greater than zero",
    ),
    (
        ["stock", "transfer", "DESK-OAK", "1", "--from", "MAIN", "--to", "NOPE"],
        "no warehouse 'NOPE'",
    ),
    (
        ["stock", "transfer", "DESK-OAK", "1", "--from", "MAIN", "--to", "DEPOT"],
        "warehouse DEPOT is inactive",
    ),
    (
        ["stock", "transfer", "INSTALL", "1", "--from", "MAIN", "--to", "SHOP"],
        "INSTALL is a service and holds no stock",
    ),
    (
        ["shipment", "create", "SO-00001", "--warehouse", "SHOP"],
        "cannot ship 4 × DESK-OAK on SO-00001 from SHOP: only 3 on hand there",
    ),
    (
        ["ship", "SO-00001", "--line", "DESK-OAK=3.5", "--warehouse", "shop"],
        "cannot ship 3.5 × DESK-OAK on SO-00001 from SHOP: only 3 on hand there",
    ),
    (["ship", "SO-00001", "--warehouse", "DEPOT"], "warehouse DEPOT is inactive"),
    (["ship", "SO-00001", "--warehouse", "NOPE"], "no warehouse 'NOPE'"),
    (["stock", "moves", "DESK-OAK", "--warehouse", "NOPE"], "no warehouse 'NOPE'"),
    (["stock", "list", "--warehouse", "NOPE"], "no warehouse 'NOPE'"),
    (["shipment", "pick-list", "--warehouse", "NOPE"], "no warehouse 'NOPE'"),
]


@pytest.mark.parametrize(("args", "message"), REFUSALS, ids=[" ".join(a) for a, _ in REFUSALS])
@pytest.mark.sqlite_only("deactivate() writes the ledger file with sqlite3")
def test_stock_and_shipment_refusals_change_nothing(shop, ledger_state, unchanged, args, message):
    ledger_state("two-warehouses", build_two_warehouses)
    with unchanged():
        assert shop.fails(*args) == f"error: {message}"


@pytest.mark.sqlite_only("deactivate() writes the ledger file with sqlite3")
def test_shipping_more_than_a_warehouse_holds_says_where_the_rest_is(shop, ledger_state):
    ledger_state("two-warehouses", build_two_warehouses)
    result = shop.run("shipment", "create", "SO-00001", "--warehouse", "SHOP")
    assert result.exit_code == 1
    assert "12 in other warehouses" in result.stderr and "stock transfer" in result.stderr


# --- shipping from a warehouse ----------------------------------------------------------------


@pytest.mark.sqlite_only("deactivate() writes the ledger file with sqlite3")
def test_shipping_from_a_named_warehouse(shop, ledger_state, human):
    ledger_state("two-warehouses", build_two_warehouses)  # SHOP 3, MAIN 12 DESK-OAK
    doc = shop.ok(
        "shipment", "create", "SO-00001", "--line", "DESK-OAK=3", "--warehouse", "SHOP",
        env=on("2027-01-04"),
    )  # fmt: skip
    assert (doc["number"], doc["warehouse"]) == ("SH-00001", "SHOP")
    assert [(ln["sku"], ln["qty"]) for ln in doc["lines"]] == [("DESK-OAK", "3")]
    assert held(shop, "DESK-OAK") == {"MAIN": Decimal(12)}
    assert shop.ok("stock", "moves", "DESK-OAK", "--limit", "1")[0] | {"at": None} == {
        "at": None,
        "kind": "ship",
        "warehouse": "SHOP",
        "qty": "-3",
        "reference": "SH-00001",
    }
    product = shop.ok("product", "show", "DESK-OAK")
    assert (product["on_hand"], product["reserved"], product["available"]) == ("12", "1", "11")
    assert shipped(shop, "SO-00001") == [("DESK-OAK", "4", "3"), ("INSTALL", "2.5", "0")]
    assert shop.ok("order", "show", "SO-00001")["fulfilment_status"] == "partially_shipped"

    rest = shop.ok("ship", "SO-00001", env=on("2027-01-04"))  # the default warehouse, MAIN
    assert (rest["number"], rest["warehouse"]) == ("SH-00002", "MAIN")
    assert held(shop, "DESK-OAK") == {"MAIN": Decimal(11)}
    product = shop.ok("product", "show", "DESK-OAK")
    assert (product["on_hand"], product["reserved"]) == ("11", "0")
    # the installation never leaves a warehouse: invoicing it delivers it (rule 12)
    assert shipped(shop, "SO-00001") == [("DESK-OAK", "4", "4"), ("INSTALL", "2.5", "0")]
    order = shop.ok("order", "show", "SO-00001")
    assert (order["fulfilment_status"], order["shipments"]) == (
        "partially_shipped",
        ["SH-00001", "SH-00002"],
    )
    assert [s["warehouse"] for s in shop.ok("shipment", "list")] == ["MAIN", "SHOP"]
    ledger_is_consistent(shop)
    out = human("shipment", "show", "SH-00001")
    assert "From" in out and "SHOP" in out
    assert "ok:" in human("check")


def test_services_never_leave_a_warehouse(shop, unchanged):
    shop.ok("order", "new", "ACME")
    shop.ok("order", "add-line", "SO-00001", "INSTALL", "2")
    shop.ok("order", "confirm", "SO-00001")
    with unchanged():
        assert shop.fails("ship", "SO-00001", "--warehouse", "MAIN") == (
            "error: nothing to ship on SO-00001: it holds only services, which are delivered "
            "by invoicing them, never shipped"
        )
    ledger_is_consistent(shop)


def test_backorders_clear_when_stock_arrives_in_any_warehouse(shop, unchanged):
    """Allocation is on the product's total on hand: receiving into SHOP covers the
    backorder at once, although MAIN (the default) still cannot ship it all."""
    shop.ok("warehouse", "add", "SHOP", "Shop floor")
    shop.ok("order", "new", "ACME")
    shop.ok("order", "add-line", "SO-00001", "DESK-STAND", "8")
    shop.ok("order", "confirm", "SO-00001")  # 5 on hand, in MAIN
    line = shop.ok("order", "show", "SO-00001")["lines"][0]
    assert (line["qty_backordered"], line["backordered"]) == ("3", True)

    shop.ok("stock", "receive", "DESK-STAND", "3", "--warehouse", "SHOP")
    line = shop.ok("order", "show", "SO-00001")["lines"][0]
    assert (line["qty_backordered"], line["backordered"]) == ("0", False)
    with unchanged():
        assert shop.fails("ship", "SO-00001") == (
            "error: cannot ship 8 × DESK-STAND on SO-00001 from MAIN: only 5 on hand there"
        )
    # Each warehouse's pick list offers what it holds; the rest is listed as short.
    main = shop.ok("shipment", "pick-list")
    assert [(ln["sku"], ln["qty"]) for ln in main["lines"]] == [("DESK-STAND", "5")]
    assert [(s["order"], s["sku"], s["qty"]) for s in main["short"]] == [
        ("SO-00001", "DESK-STAND", "3")
    ]
    there = shop.ok("shipment", "pick-list", "--warehouse", "SHOP")
    assert [(ln["sku"], ln["qty"]) for ln in there["lines"]] == [("DESK-STAND", "3")]
    assert [s["qty"] for s in there["short"]] == ["5"]
    shop.ok("ship", "SO-00001", "--line", "DESK-STAND=5")
    shop.ok("ship", "SO-00001", "--warehouse", "SHOP")
    assert shipped(shop, "SO-00001") == [("DESK-STAND", "8", "8")]
    assert held(shop, "DESK-STAND") == {}
    ledger_is_consistent(shop)


# --- product locations ------------------------------------------------------------------------


def test_product_location_add_edit_show(shop, human, unchanged):
    doc = shop.ok(
        "product", "add", "BIN-1", "Bin", "--price", "2", "--stock", "3", "--location", "A-01"
    )
    assert (doc["location"], doc["on_hand"]) == ("A-01", "3")
    assert held(shop, "BIN-1") == {"MAIN": Decimal(3)}
    assert shop.ok("product", "edit", "BIN-1", "--location", "B-02")["location"] == "B-02"
    assert shop.ok("product", "show", "BIN-1")["location"] == "B-02"
    assert level(shop, "BIN-1")["location"] == "B-02"
    out = human("product", "show", "BIN-1")
    assert "Location" in out and "B-02" in out
    with unchanged():
        assert shop.fails(
            "product", "add", "HOURS", "Hours", "--price", "1", "--service", "--location", "A"
        ) == ("error: HOURS is a service: services are never stocked, drop --location")


def test_a_service_cannot_get_a_location_by_edit(shop, unchanged):
    with unchanged():
        assert shop.fails("product", "edit", "INSTALL", "--location", "A-01") == (
            "error: INSTALL is a service: services are never stocked or picked, "
            "so they have no location"
        )


# --- the pick list ----------------------------------------------------------------------------


def build_picking(cli) -> None:
    """Two warehouses and six orders (worked through in test_the_pick_list_by_hand)."""
    cli.ok("warehouse", "add", "SHOP", "Shop floor")
    cli.ok("product", "edit", "WHITEBOARD", "--location", "A-01-01")
    cli.ok("product", "edit", "LAMP-LED", "--location", "A-01-02")
    cli.ok("product", "edit", "DESK-STAND", "--location", "C-10")  # CHAIR-VISIT has none
    cli.ok("stock", "transfer", "DESK-STAND", "2", "--from", "MAIN", "--to", "SHOP")
    cli.ok("stock", "transfer", "WHITEBOARD", "4", "--from", "MAIN", "--to", "SHOP")
    day1 = on("2026-03-01")
    orders = [
        ("ACME", [("DESK-STAND", "1"), ("WHITEBOARD", "1"), ("INSTALL", "3")]),
        ("BRIGHT", [("DESK-STAND", "4"), ("LAMP-LED", "5"), ("LAMP-LED", "2")]),
        ("MUELLER", [("WHITEBOARD", "3"), ("DESK-STAND", "1")]),
        ("HOTEL", [("DESK-STAND", "2")]),
        ("NORD", [("LAMP-LED", "7")]),
        (
            "SCHOOL",
            [("WHITEBOARD", "2"), ("LAMP-LED", "1"), ("DESK-STAND", "1"), ("CHAIR-VISIT", "10")],
        ),
    ]
    for number, (customer, lines) in enumerate(orders, start=1):
        cli.ok("order", "new", customer, env=day1)
        for sku, qty in lines:
            cli.ok("order", "add-line", f"SO-{number:05d}", sku, qty, env=day1)
    # Confirmed out of number order: SO-3, SO-4, SO-1, SO-2, SO-6; SO-5 stays a draft.
    for number, day in [(3, "03-01"), (4, "03-01"), (1, "03-02"), (2, "03-03"), (6, "03-04")]:
        cli.ok("order", "confirm", f"SO-{number:05d}", env=on(f"2026-{day}"))
    cli.ok("order", "hold", "SO-00004", "customer asked to wait", env=on("2026-03-05"))


def pick(order: str, customer: str, line: int, qty: str) -> dict:
    return {"order": order, "customer": customer, "line": line, "qty": qty}


def short(order: str, customer: str, line: int, sku: str, qty: str) -> dict:
    return {
        "order": order,
        "customer": customer,
        "line": line,
        "sku": sku,
        "qty": qty,
        "unit": "C62",
    }


def pieces(qty: str, lines: int) -> list[dict]:
    """A pick list's total when everything on it is counted in pieces."""
    return [{"unit": "C62", "symbol": "pc", "lines": lines, "qty": qty}]


# Worked by hand. On hand: DESK-STAND MAIN 3 + SHOP 2 = 5; WHITEBOARD MAIN 2 + SHOP 4 = 6;
# LAMP-LED MAIN 100; CHAIR-VISIT MAIN 60. Confirmation order: SO-3, SO-4 (then held),
# SO-1, SO-2, SO-6. DESK-STAND queue on the total 5: SO-3 1, SO-4 2, SO-1 1 (4 so far),
# SO-2 4 (3 backordered, 1 ready), SO-6 1 (backordered). The hold (SO-4), the draft
# (SO-5) and the service (INSTALL) are never picked. Each warehouse then serves the
# ready quantities in confirmation order from what it holds; locations sort
# A-01-01 < A-01-02 < C-10 < none.
MAIN_PICKS = {
    "warehouse": "MAIN",
    "lines": [
        {
            "location": "A-01-01",
            "sku": "WHITEBOARD",
            "name": "Magnetic whiteboard 180 × 90",
            "qty": "2",
            "unit": "C62",
            "orders": [pick("SO-00003", "MUELLER", 1, "2")],
        },
        {
            "location": "A-01-02",
            "sku": "LAMP-LED",
            "name": "LED desk lamp",
            "qty": "8",
            "unit": "C62",
            "orders": [
                pick("SO-00002", "BRIGHT", 2, "5"),
                pick("SO-00002", "BRIGHT", 3, "2"),
                pick("SO-00006", "SCHOOL", 2, "1"),
            ],
        },
        {
            "location": "C-10",
            "sku": "DESK-STAND",
            "name": "Electric standing desk",
            "qty": "3",
            "unit": "C62",
            "orders": [
                pick("SO-00003", "MUELLER", 2, "1"),
                pick("SO-00001", "ACME", 1, "1"),
                pick("SO-00002", "BRIGHT", 1, "1"),
            ],
        },
        {
            "location": None,
            "sku": "CHAIR-VISIT",
            "name": "Visitor chair (stackable)",
            "qty": "10",
            "unit": "C62",
            "orders": [pick("SO-00006", "SCHOOL", 4, "10")],
        },
    ],
    "orders": 4,
    "units": "23",
    "quantities": pieces("23", 4),
    "short": [
        short("SO-00003", "MUELLER", 1, "WHITEBOARD", "1"),
        short("SO-00001", "ACME", 2, "WHITEBOARD", "1"),
        short("SO-00006", "SCHOOL", 1, "WHITEBOARD", "2"),
    ],
}
SHOP_PICKS = {
    "warehouse": "SHOP",
    "lines": [
        {
            "location": "A-01-01",
            "sku": "WHITEBOARD",
            "name": "Magnetic whiteboard 180 × 90",
            "qty": "4",
            "unit": "C62",
            "orders": [pick("SO-00003", "MUELLER", 1, "3"), pick("SO-00001", "ACME", 2, "1")],
        },
        {
            "location": "C-10",
            "sku": "DESK-STAND",
            "name": "Electric standing desk",
            "qty": "2",
            "unit": "C62",
            "orders": [pick("SO-00003", "MUELLER", 2, "1"), pick("SO-00001", "ACME", 1, "1")],
        },
    ],
    "orders": 2,
    "units": "6",
    "quantities": pieces("6", 2),
    "short": [
        short("SO-00006", "SCHOOL", 1, "WHITEBOARD", "2"),
        short("SO-00002", "BRIGHT", 2, "LAMP-LED", "5"),
        short("SO-00002", "BRIGHT", 3, "LAMP-LED", "2"),
        short("SO-00006", "SCHOOL", 2, "LAMP-LED", "1"),
        short("SO-00002", "BRIGHT", 1, "DESK-STAND", "1"),
        short("SO-00006", "SCHOOL", 4, "CHAIR-VISIT", "10"),
    ],
}


@pytest.fixture
def picking(shop, ledger_state):
    ledger_state("picking", build_picking)
    return shop


def test_the_pick_list_by_hand(picking, human):
    backorders = {
        number: [ln["qty_backordered"] for ln in picking.ok("order", "show", number)["lines"]]
        for number in ("SO-00002", "SO-00006")
    }
    assert backorders == {"SO-00002": ["3", "0", "0"], "SO-00006": ["0", "0", "1", "0"]}
    assert picking.ok("shipment", "pick-list") == MAIN_PICKS
    assert picking.ok("shipment", "pick-list", "--warehouse", "shop") == SHOP_PICKS
    out = human("shipment", "pick-list")
    for fact in (
        "Pick list, MAIN: 23 pc for 4 order(s)",
        "A-01-01",
        "SO-00002 ×5, SO-00002 ×2, SO-00006 ×1",
        "Ready to ship but not in MAIN",
    ):
        assert fact in out
    assert "INSTALL" not in out and "SO-00004" not in out and "SO-00005" not in out
    assert out.index("WHITEBOARD") < out.index("LAMP-LED") < out.index("DESK-STAND")
    assert out.index("DESK-STAND") < out.index("CHAIR-VISIT")


def ship_the_pick_list(cli, picks: dict) -> None:
    wanted: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for entry in picks["lines"]:
        for o in entry["orders"]:
            wanted[o["order"]][entry["sku"]] += Decimal(o["qty"])
    for number, skus in wanted.items():
        specs = [arg for sku, qty in skus.items() for arg in ("--line", f"{sku}={qty}")]
        cli.ok("ship", number, *specs, "--warehouse", picks["warehouse"])


def test_shipping_exactly_the_pick_list_empties_it(picking, human):
    ship_the_pick_list(picking, picking.ok("shipment", "pick-list"))
    assert shipped(picking, "SO-00001") == [
        ("DESK-STAND", "1", "1"),
        ("WHITEBOARD", "1", "0"),
        ("INSTALL", "3", "0"),
    ]
    assert shipped(picking, "SO-00002") == [
        ("DESK-STAND", "4", "1"),
        ("LAMP-LED", "5", "5"),
        ("LAMP-LED", "2", "2"),
    ]
    assert shipped(picking, "SO-00003") == [("WHITEBOARD", "3", "2"), ("DESK-STAND", "1", "1")]
    assert shipped(picking, "SO-00006") == [
        ("WHITEBOARD", "2", "0"),
        ("LAMP-LED", "1", "1"),
        ("DESK-STAND", "1", "0"),
        ("CHAIR-VISIT", "10", "10"),
    ]
    assert [s["warehouse"] for s in picking.ok("shipment", "list")] == ["MAIN"] * 4
    assert held(picking, "WHITEBOARD") == {"SHOP": Decimal(4)}
    assert held(picking, "DESK-STAND") == {"SHOP": Decimal(2)}  # kept for SO-4 on hold
    ledger_is_consistent(picking)

    after = picking.ok("shipment", "pick-list")
    assert (after["lines"], after["orders"], after["units"]) == ([], 0, "0")
    assert after["short"] == MAIN_PICKS["short"]  # the whiteboards are in SHOP
    result = picking.run("shipment", "pick-list")
    assert result.exit_code == 0 and "nothing to pick in MAIN" in result.stdout + result.stderr

    # SHOP now serves the rest of the whiteboards; then neither list has anything.
    there = picking.ok("shipment", "pick-list", "--warehouse", "SHOP")
    assert [(ln["sku"], ln["qty"], [o["qty"] for o in ln["orders"]]) for ln in there["lines"]] == [
        ("WHITEBOARD", "4", ["1", "1", "2"])
    ]
    assert there["short"] == []
    ship_the_pick_list(picking, there)
    for args in ([], ["--warehouse", "SHOP"]):
        doc = picking.ok("shipment", "pick-list", *args)
        assert (doc["lines"], doc["short"]) == ([], [])
    assert held(picking, "WHITEBOARD") == {}
    ledger_is_consistent(picking)


def test_released_orders_are_picked_in_their_confirmation_place(picking, engine):
    """Releasing SO-4 (confirmed second) puts its 2 DESK-STAND back at the head of the
    queue: MAIN's 3 go to SO-3, SO-4 and nothing is left for SO-1 and SO-2."""
    picking.ok("order", "release", "SO-00004")
    main = picking.ok("shipment", "pick-list")
    desks = next(ln for ln in main["lines"] if ln["sku"] == "DESK-STAND")
    assert [(o["order"], o["qty"]) for o in desks["orders"]] == [
        ("SO-00003", "1"),
        ("SO-00004", "2"),
    ]
    with engine.connect() as conn:
        confirmed = conn.execute(
            text("SELECT number FROM sales_order WHERE status = 'confirmed' ORDER BY confirmed_at")
        ).scalars()
        assert list(confirmed) == ["SO-00003", "SO-00004", "SO-00001", "SO-00002", "SO-00006"]


def test_negative_quantities_get_a_clear_error_not_a_usage_error(shop, unchanged):
    with unchanged():
        for args in (
            ("stock", "transfer", "DESK-OAK", "-1", "--from", "MAIN", "--to", "MAIN"),
            ("stock", "receive", "DESK-OAK", "-5"),
        ):
            assert shop.fails(*args) == f"error: quantity '{args[3]}' must be greater than zero"
