"""Services are delivered by invoicing them, never shipped, picked, packed or returned
(SPEC rule 12 and the product line), end to end through the CLI.

``confirmed`` is SO-00001 for ACME: 4 × DESK-OAK and 2.5 h INSTALL (a service).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

SHIP_A_SERVICE = [
    "error: cannot ship INSTALL on SO-00001: it is a service, delivered by invoicing it, "
    "never shipped",
    "hint: `ordercli invoice create SO-00001 --partial --line INSTALL=QTY` delivers it",
]


def statuses(cli, number: str) -> tuple[str, str, str]:
    doc = cli.ok("order", "show", number)
    return doc["status"], doc["billing_status"], doc["fulfilment_status"]


@pytest.mark.parametrize("command", [["ship"], ["shipment", "create"]])
def test_shipping_a_service_is_refused(confirmed, unchanged, command):
    with unchanged():
        for lines in (["--line", "INSTALL=1"], ["--line", "DESK-OAK=1", "--line", "install=2"]):
            result = confirmed.run(*command, "SO-00001", *lines)
            assert result.exit_code == 1, (result.stdout, result.stderr)
            assert result.stderr.splitlines() == SHIP_A_SERVICE
            assert "Traceback" not in result.stdout + result.stderr


def test_an_order_of_services_alone_completes_by_invoicing(shop, unchanged):
    shop.ok("order", "new", "ACME")
    shop.ok("order", "add-line", "SO-00001", "INSTALL", "3")
    shop.ok("order", "add-line", "SO-00001", "DELIVERY", "1")
    shop.ok("order", "confirm", "SO-00001")
    with unchanged():
        result = shop.run("ship", "SO-00001")
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            "error: nothing to ship on SO-00001: it holds only services, which are delivered "
            "by invoicing them, never shipped",
            "hint: `ordercli invoice create SO-00001` delivers them",
        ]
    shop.ok("invoice", "create", "SO-00001", "--partial", "--line", "INSTALL=1")
    assert statuses(shop, "SO-00001") == ("confirmed", "partially_invoiced", "partially_shipped")
    shop.ok("invoice", "create", "SO-00001")
    order = shop.ok("order", "show", "SO-00001")
    assert (order["status"], order["billing_status"], order["fulfilment_status"]) == (
        "completed",
        "invoiced",
        "shipped",
    )
    assert order["shipments"] == []
    assert [(ln["qty_shipped"], ln["qty_fulfilled"]) for ln in order["lines"]] == [
        ("0", "3"),
        ("0", "1"),
    ]
    completed = [e for e in shop.ok("order", "timeline", "SO-00001") if e["action"] == "completed"]
    assert [e["message"] for e in completed] == [
        "order SO-00001 completed: fully invoiced, its services delivered"
    ]


def test_goods_and_services_complete_when_the_goods_are_shipped_and_all_is_invoiced(
    confirmed, unchanged
):
    shipment = confirmed.ok("ship", "SO-00001", "--carrier", "DHL")
    assert [(line["sku"], line["qty"]) for line in shipment["lines"]] == [("DESK-OAK", "4")]
    assert statuses(confirmed, "SO-00001") == ("confirmed", "not_invoiced", "partially_shipped")
    confirmed.ok("invoice", "create", "SO-00001")
    order = confirmed.ok("order", "show", "SO-00001")
    assert (order["status"], order["billing_status"], order["fulfilment_status"]) == (
        "completed",
        "invoiced",
        "shipped",
    )
    assert [(ln["qty_shipped"], ln["qty_fulfilled"]) for ln in order["lines"]] == [
        ("4", "4"),
        ("0", "2.5"),
    ]
    with unchanged():
        assert confirmed.fails("ship", "SO-00001") == (
            "error: cannot ship SO-00001: it is completed: fully invoiced and shipped"
        )
    assert confirmed.ok("check")["ok"] is True


def test_invoice_first_then_ship_the_goods(confirmed, unchanged):
    confirmed.ok("invoice", "create", "SO-00001")
    assert statuses(confirmed, "SO-00001") == ("confirmed", "invoiced", "partially_shipped")
    confirmed.ok("ship", "SO-00001", "--line", "DESK-OAK=3")
    assert statuses(confirmed, "SO-00001") == ("confirmed", "invoiced", "partially_shipped")
    confirmed.ok("ship", "SO-00001")
    assert statuses(confirmed, "SO-00001") == ("completed", "invoiced", "shipped")


def test_track_and_explain_tell_a_service_as_delivered_never_on_its_way(confirmed, human):
    doc = confirmed.ok("order", "track", "SO-00001")
    assert [(c["sku"], c["qty"]) for c in doc["coming"]] == [("DESK-OAK", "4")]
    assert [(c["sku"], c["qty"]) for c in doc["to_deliver"]] == [("INSTALL", "2.5")]
    out = human("order", "track", "SO-00001")
    to_deliver = [line for line in out.splitlines() if line.startswith("Still to be delivered: ")]
    assert len(to_deliver) == 1 and "Installation" in to_deliver[0]
    assert "Nothing has shipped yet." in out
    explained = confirmed.ok("order", "explain", "SO-00001")
    install = explained["lines"][1]
    assert (install["service"], install["state"]) == (True, "to_invoice")
    assert "delivered" in install["why"] and "shipped" not in install["why"]
    ship = [
        step["command"] for step in explained["next"] if step["command"].startswith("ordercli ship")
    ]
    assert ship == ["ordercli ship SO-00001"]

    confirmed.ok("invoice", "create", "SO-00001", "--partial", "--line", "INSTALL=2.5")
    confirmed.ok("ship", "SO-00001", "--carrier", "DHL")
    doc = confirmed.ok("order", "track", "SO-00001")
    assert doc["status_text"] == "shipped"
    assert [(d["sku"], d["qty"]) for d in doc["delivered"]] == [("INSTALL", "2.5")]
    assert (doc["coming"], doc["to_deliver"]) == ([], [])
    out = human("order", "track", "SO-00001")
    (shipped,) = [line for line in out.splitlines() if line.startswith("Shipped on ")]
    assert shipped.endswith("On its way.") and "Installation" not in shipped
    (delivered,) = [line for line in out.splitlines() if line.startswith("Delivered: ")]
    assert "Installation" in delivered and "On its way" not in delivered


def test_returning_a_service_is_refused(confirmed, unchanged):
    confirmed.ok("ship", "SO-00001")
    confirmed.ok("invoice", "create", "SO-00001")
    with unchanged():
        assert confirmed.fails(
            "return", "request", "SO-00001", "--line", "INSTALL=1", "--reason", "redo"
        ) == (
            "error: cannot return INSTALL on SO-00001: it is a service, delivered by invoicing "
            "it; a service is never returned"
        )
    explained = confirmed.ok("order", "explain", "SO-00001")
    returns = [s["command"] for s in explained["next"] if "return request" in s["command"]]
    assert returns == ["ordercli return request SO-00001 --line DESK-OAK=4 --reason REASON"]


def test_pick_list_and_packing_slip_never_list_services(confirmed, human, tmp_path):
    picks = confirmed.ok("shipment", "pick-list")
    assert [line["sku"] for line in picks["lines"]] == ["DESK-OAK"]
    assert "INSTALL" not in human("shipment", "pick-list")
    confirmed.ok("ship", "SO-00001")
    slip = tmp_path / "slip.html"
    human("shipment", "slip", "SH-00001", "--html", "-o", str(slip))
    html = slip.read_text()
    assert "DESK-OAK" in html and "INSTALL" not in html


@pytest.mark.sqlite_only("upgrades a SQLite ledger of an earlier release")
def test_an_older_ledger_whose_shipments_hold_services(cli_at, tmp_path):
    """ledger-0004: SH-00002 shipped 2 desks and 2.5 h INSTALL on SO-00001 (completed)."""
    path = tmp_path / "older.db"
    shutil.copyfile(FIXTURES / "ledger-0004.db", path)
    older = cli_at(path)
    assert older.ok("check")["ok"] is True
    slip = tmp_path / "slip.html"
    result = older.run("shipment", "slip", "SH-00002", "--html", "-o", str(slip))
    assert result.exit_code == 0, result.stderr
    html = slip.read_text()
    assert "DESK-OAK" in html and "INSTALL" not in html
    doc = older.ok("order", "track", "SO-00001")
    assert not any(
        item["sku"] == "INSTALL" for shipment in doc["shipped"] for item in shipment["items"]
    )
    assert [(d["sku"], d["qty"]) for d in doc["delivered"]] == [("INSTALL", "2.5")]
    # the shipment still shows what it recorded when it was issued
    recorded = older.ok("shipment", "show", "SH-00002")
    assert [line["sku"] for line in recorded["lines"]] == ["DESK-OAK", "INSTALL"]
