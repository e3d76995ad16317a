"""Whole order-to-cash flows through the CLI: quote to completed order, stock, timelines."""

from __future__ import annotations

import pytest

EVENT_KEYS = {"at", "user", "subject", "kind", "action", "message"}


def on(day: str) -> dict:
    return {"ORDERCLI_TODAY": day}


def stock(cli, sku: str) -> tuple[str, str, str]:
    doc = cli.ok("product", "show", sku)
    return doc["on_hand"], doc["reserved"], doc["available"]


def statuses(cli, number: str) -> tuple[str, str, str]:
    doc = cli.ok("order", "show", number)
    return doc["status"], doc["billing_status"], doc["fulfilment_status"]


def test_quote_to_completed_order_in_parts(shop, human):
    day = on("2027-01-04")
    shop.ok("quote", "new", "BRIGHT", "--valid-days", "14", env=day)
    shop.ok("quote", "add-line", "Q-00001", "DESK-OAK", "4", "--discount", "5", env=day)
    shop.ok("quote", "add-line", "Q-00001", "INSTALL", "2.5", env=day)
    shop.ok("quote", "note", "Q-00001", "Can you do 5% off the desks?", "--from", "buyer", env=day)
    shop.ok("quote", "send", "Q-00001", env=day)
    shop.ok("quote", "accept", "Q-00001", env=on("2027-01-10"))
    order = shop.ok("quote", "convert", "Q-00001", env=on("2027-01-10"))
    assert (order["number"], order["quote"], order["status"]) == ("SO-00001", "Q-00001", "draft")
    assert stock(shop, "DESK-OAK") == ("12", "0", "12")  # quotes and drafts never touch stock

    shop.ok("order", "add-line", "SO-00001", "CHAIR-ERGO", "6")
    confirmed = shop.ok("order", "confirm", "SO-00001", env=on("2027-01-11"))
    assert confirmed["total"] == "4635.89"
    assert stock(shop, "DESK-OAK") == ("12", "4", "8")
    assert stock(shop, "CHAIR-ERGO") == ("40", "6", "34")
    assert shop.ok("product", "show", "INSTALL")["reserved"] == "0"

    inv1 = shop.ok(
        "invoice", "create", "SO-00001", "--partial", "--line", "DESK-OAK=2", env=on("2027-01-12")
    )
    assert (inv1["number"], inv1["total"], inv1["due_date"]) == (
        "INV-00001",
        "1105.63",
        "2027-01-26",
    )
    assert statuses(shop, "SO-00001") == ("confirmed", "partially_invoiced", "not_shipped")

    sh1 = shop.ok(
        "ship",
        "SO-00001",
        "--line",
        "DESK-OAK=2",
        "--line",
        "CHAIR-ERGO=6",
        "--carrier",
        "DHL",
        "--tracking",
        "JD014600003828",
        env=on("2027-01-12"),
    )
    assert sh1["number"] == "SH-00001"
    assert stock(shop, "DESK-OAK") == ("10", "2", "8")
    assert stock(shop, "CHAIR-ERGO") == ("34", "0", "34")
    assert statuses(shop, "SO-00001") == ("confirmed", "partially_invoiced", "partially_shipped")

    inv2 = shop.ok("invoice", "create", "SO-00001", env=on("2027-01-13"))
    assert [(line["sku"], line["qty"]) for line in inv2["lines"]] == [
        ("DESK-OAK", "2"),
        ("INSTALL", "2.5"),
        ("CHAIR-ERGO", "6"),
    ]
    assert inv2["total"] == "3530.26"
    assert statuses(shop, "SO-00001") == ("confirmed", "invoiced", "partially_shipped")

    shop.ok("shipment", "create", "SO-00001", "--carrier", "DHL", env=on("2027-01-14"))
    assert statuses(shop, "SO-00001") == ("completed", "invoiced", "shipped")
    assert stock(shop, "DESK-OAK") == ("8", "0", "8")
    shop.ok("shipment", "deliver", "SH-00001", env=on("2027-01-15"))

    final = shop.ok("order", "show", "SO-00001")
    assert final["invoices"] == ["INV-00001", "INV-00002"]
    assert final["shipments"] == ["SH-00001", "SH-00002"]
    assert all(
        line["qty_invoiced"] == line["qty"] == line["qty_fulfilled"] for line in final["lines"]
    )
    # the installation was delivered by invoicing it, never shipped (rule 12)
    assert [line["qty_shipped"] for line in final["lines"]] == ["4", "0", "6"]
    # Rule 4a: a balance is as the ledger stands on the day it is read.
    assert shop.ok("customer", "show", "BRIGHT", env=on("2027-01-15"))["balance"] == "4635.89"

    events = shop.ok("order", "timeline", "SO-00001")
    assert isinstance(events, list)
    assert all(set(event) >= EVENT_KEYS for event in events)
    assert all(event["user"] for event in events)
    trail = [(e["subject"], e["kind"], e["action"]) for e in events]
    assert trail == [
        ("Q-00001", "quote", "created"),
        ("Q-00001", "quote", "line_added"),
        ("Q-00001", "quote", "line_added"),
        ("Q-00001", "quote", "note"),
        ("Q-00001", "quote", "sent"),
        ("Q-00001", "quote", "accepted"),
        ("SO-00001", "order", "created"),
        ("Q-00001", "quote", "converted"),
        ("SO-00001", "order", "line_added"),
        ("SO-00001", "order", "confirmed"),
        ("INV-00001", "invoice", "issued"),
        ("SH-00001", "shipment", "shipped"),
        ("INV-00002", "invoice", "issued"),
        ("SH-00002", "shipment", "shipped"),
        ("SO-00001", "order", "completed"),
        ("SH-00001", "shipment", "delivered"),
    ]
    assert events[0]["at"].startswith("2027-01-04")
    assert events[-1]["at"].startswith("2027-01-15")
    assert events[3]["message"] == "buyer note: Can you do 5% off the desks?"
    assert "JD014600003828" in events[11]["message"]

    # a completed order takes no more work
    for args, message in (
        (
            ["invoice", "create", "SO-00001"],
            "cannot invoice SO-00001: it is completed: fully invoiced and shipped",
        ),
        (["ship", "SO-00001"], "cannot ship SO-00001: it is completed: fully invoiced and shipped"),
        (["order", "cancel", "SO-00001"], "cannot cancel SO-00001: it is completed"),
        (
            ["order", "edit-line", "SO-00001", "1", "--qty", "9"],
            "cannot edit a line on SO-00001: it is completed",
        ),
    ):
        assert shop.fails(*args) == f"error: {message}"

    out = human("order", "timeline", "SO-00001")
    assert "Timeline of SO-00001" in out
    for fact in ("Q-00001", "INV-00002", "SH-00002", "completed", "delivered"):
        assert fact in out


def test_timeline_of_an_order_without_a_quote(confirmed, human):
    events = confirmed.ok("order", "timeline", "SO-00001")
    assert [e["action"] for e in events] == ["created", "line_added", "line_added", "confirmed"]
    assert {e["kind"] for e in events} == {"order"}
    assert events[1]["message"] == "line 1: 4 × DESK-OAK at 489.00"
    assert "Timeline of SO-00001" in human("order", "timeline", "SO-00001")


def test_timeline_of_an_unknown_order(shop):
    assert shop.fails("order", "timeline", "SO-00001") == "error: no order 'SO-00001'"
    assert shop.fails("order", "timeline", "") == "error: order number is empty"


def test_timeline_keeps_quote_events_separate_per_order(shop):
    for number in ("Q-00001", "Q-00002"):
        shop.ok("quote", "new", "ACME")
        shop.ok("quote", "add-line", number, "LAMP-LED", "1")
        shop.ok("quote", "accept", number)
    shop.ok("quote", "convert", "Q-00002")
    events = shop.ok("order", "timeline", "SO-00001")
    assert {e["subject"] for e in events} == {"Q-00002", "SO-00001"}


def test_completion_by_shrinking_the_last_open_line(confirmed):
    confirmed.ok("invoice", "create", "SO-00001", "--line", "DESK-OAK=2", "--line", "INSTALL=2.5")
    confirmed.ok("ship", "SO-00001", "--line", "DESK-OAK=2")
    assert statuses(confirmed, "SO-00001") == (
        "confirmed",
        "partially_invoiced",
        "partially_shipped",
    )
    doc = confirmed.ok("order", "edit-line", "SO-00001", "DESK-OAK", "--qty", "2")
    assert (doc["status"], doc["billing_status"], doc["fulfilment_status"]) == (
        "completed",
        "invoiced",
        "shipped",
    )
    assert stock(confirmed, "DESK-OAK") == ("10", "0", "10")


def test_invoicing_and_shipping_in_either_order(confirmed):
    confirmed.ok("ship", "SO-00001")
    # the installation is delivered by invoicing it: until then fulfilment is partial
    assert statuses(confirmed, "SO-00001") == ("confirmed", "not_invoiced", "partially_shipped")
    confirmed.ok("invoice", "create", "SO-00001")
    assert statuses(confirmed, "SO-00001") == ("completed", "invoiced", "shipped")


def test_stock_through_confirm_ship_and_cancel(shop):
    assert stock(shop, "CHAIR-ERGO") == ("40", "0", "40")
    for code in ("ACME", "BRIGHT"):
        number = shop.ok("order", "new", code)["number"]
        shop.ok("order", "add-line", number, "CHAIR-ERGO", "10")
        shop.ok("order", "add-line", number, "DESIGN", "3")
    assert stock(shop, "CHAIR-ERGO") == ("40", "0", "40")  # drafts reserve nothing
    shop.ok("order", "confirm", "SO-00001")
    shop.ok("order", "confirm", "SO-00002")
    assert stock(shop, "CHAIR-ERGO") == ("40", "20", "20")
    assert stock(shop, "DESIGN") == ("0", "0", "0")  # services are never reserved
    shop.ok("ship", "SO-00001", "--line", "CHAIR-ERGO=4")
    assert stock(shop, "CHAIR-ERGO") == ("36", "16", "20")
    assert stock(shop, "DESIGN") == ("0", "0", "0")
    shop.ok("order", "cancel", "SO-00002")
    assert stock(shop, "CHAIR-ERGO") == ("36", "6", "30")
    shop.ok("ship", "SO-00001")
    assert stock(shop, "CHAIR-ERGO") == ("30", "0", "30")


def test_backorders_are_allocated_in_confirmation_order(shop, human):
    shop.ok("order", "new", "ACME")
    shop.ok("order", "add-line", "SO-00001", "CABINET-3D", "5")  # 8 on hand
    shop.ok("order", "add-line", "SO-00001", "INSTALL", "1")
    shop.ok("order", "new", "BRIGHT")
    shop.ok("order", "add-line", "SO-00002", "CABINET-3D", "6")
    first = shop.ok("order", "confirm", "SO-00001")["lines"]
    second = shop.ok("order", "confirm", "SO-00002")["lines"][0]
    assert [(line["backordered"], line["qty_backordered"]) for line in first] == [
        (False, "0"),
        (False, "0"),  # a service is never backordered
    ]
    assert (second["backordered"], second["qty_backordered"]) == (True, "3")
    assert stock(shop, "CABINET-3D") == ("8", "11", "-3")
    result = shop.run("order", "show", "SO-00002")
    assert result.exit_code == 0 and "backordered 3" in result.stdout
    assert "line 1 (CABINET-3D) is backordered 3" in result.stderr
    # cancelling the first order frees its stock for the second
    shop.ok("order", "cancel", "SO-00001")
    line = shop.ok("order", "show", "SO-00002")["lines"][0]
    assert (line["backordered"], line["qty_backordered"]) == (False, "0")
    assert stock(shop, "CABINET-3D") == ("8", "6", "2")
    assert "backordered" not in human("order", "show", "SO-00002")


def test_fractional_quantities_end_to_end(shop):
    shop.ok("order", "new", "WIEN")
    shop.ok("order", "add-line", "SO-00001", "COFFEE-KG", "1.25")
    shop.ok("order", "add-line", "SO-00001", "INSTALL", "2.5")
    order = shop.ok("order", "confirm", "SO-00001")
    assert [(line["qty"], line["net"], line["tax"]) for line in order["lines"]] == [
        ("1.25", "26.75", "1.87"),
        ("2.5", "162.50", "30.88"),
    ]
    assert order["total"] == "222.00"
    assert stock(shop, "COFFEE-KG") == ("35.5", "1.25", "34.25")
    inv = shop.ok("invoice", "create", "SO-00001", "--partial", "--line", "COFFEE-KG=0.75")
    assert (inv["lines"][0]["qty"], inv["subtotal"], inv["tax"]) == ("0.75", "16.05", "1.12")
    shop.ok("ship", "SO-00001", "--line", "COFFEE-KG=0.5")
    assert stock(shop, "COFFEE-KG") == ("35", "0.75", "34.25")
    rest = shop.ok("invoice", "create", "SO-00001")
    assert (rest["lines"][0]["qty"], rest["lines"][0]["net"], rest["lines"][0]["tax"]) == (
        "0.5",
        "10.70",
        "0.75",
    )
    shop.ok("ship", "SO-00001")
    assert stock(shop, "COFFEE-KG") == ("34.25", "0", "34.25")
    final = shop.ok("order", "show", "SO-00001")
    assert final["status"] == "completed"
    assert [line["qty_shipped"] for line in final["lines"]] == ["1.25", "0"]
    assert [line["qty_fulfilled"] for line in final["lines"]] == ["1.25", "2.5"]


@pytest.mark.parametrize(
    ("qty", "price", "discount", "net", "tax"),
    [
        ("0.5", "0.05", "0", "0.03", "0.01"),  # 0.025 rounds half up, not to even
        ("1", "0.10", "0", "0.10", "0.03"),  # tax 0.025 -> 0.03 at 25 %
        ("3", "33.33", "10", "89.99", "22.50"),  # 89.991 -> 89.99; tax 22.4975 -> 22.50
        ("0.001", "0.01", "0", "0.00", "0.00"),
    ],
)
def test_line_rounding_is_half_up(shop, qty, price, discount, net, tax):
    shop.ok("product", "add", "QTR", "Quarter-rate part", "--price", "1", "--tax-rate", "25")
    shop.ok("order", "new", "ACME")
    doc = shop.ok(
        "order", "add-line", "SO-00001", "QTR", qty, "--price", price, "--discount", discount
    )
    line = doc["lines"][0]
    assert (line["net"], line["tax"]) == (net, tax)
    assert doc["subtotal"] == net and doc["tax"] == tax
