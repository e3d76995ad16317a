"""`report matrix` and `report backorders`, now and as of past days.

Every figure is worked out by hand from the documents the test creates, with
dates set by ORDERCLI_TODAY and --date, never by calling the reports' code.
"""

from __future__ import annotations

import pytest

DAYS = {
    "d1": "2026-03-01",
    "d2": "2026-03-05",
    "d3": "2026-03-10",
    "d4": "2026-03-20",
}


def on(day: str) -> dict:
    return {"ORDERCLI_TODAY": DAYS[day]}


@pytest.fixture
def history(shop):
    """A ledger built over four days.

    d1: SO-00001 ACME DESK-STAND 4 (5 on hand) + INSTALL 2, confirmed.
        SO-00002 BRIGHT DESK-STAND 3 confirmed: 1 covered, 2 backordered.
        SO-00003 NORD LAMP-LED 1, left a draft.
    d2: SO-00001 ships DESK-STAND 4 (the 5th stand goes to SO-00002).
    d3: SO-00001 invoiced whole, which completes it (INSTALL is delivered by invoicing
        it); SO-00004 MUELLER CHAIR-ERGO 2 confirmed, then held.
    d4: SO-00005 CAFE LAMP-LED 1 confirmed then cancelled.
    """
    shop.ok("order", "new", "ACME", env=on("d1"))
    shop.ok("order", "add-line", "SO-00001", "DESK-STAND", "4", env=on("d1"))
    shop.ok("order", "add-line", "SO-00001", "INSTALL", "2", env=on("d1"))
    shop.ok("order", "confirm", "SO-00001", env=on("d1"))
    shop.ok("order", "new", "BRIGHT", env=on("d1"))
    shop.ok("order", "add-line", "SO-00002", "DESK-STAND", "3", env=on("d1"))
    shop.ok("order", "confirm", "SO-00002", env=on("d1"))
    shop.ok("order", "new", "NORD", env=on("d1"))
    shop.ok("order", "add-line", "SO-00003", "LAMP-LED", "1", env=on("d1"))
    shop.ok("ship", "SO-00001", "--line", "DESK-STAND=4", env=on("d2"))
    shop.ok("invoice", "create", "SO-00001", env=on("d3"))
    shop.ok("order", "new", "MUELLER", env=on("d3"))
    shop.ok("order", "add-line", "SO-00004", "CHAIR-ERGO", "2", env=on("d3"))
    shop.ok("order", "confirm", "SO-00004", env=on("d3"))
    shop.ok("order", "hold", "SO-00004", "waiting for a deposit", env=on("d3"))
    shop.ok("order", "new", "CAFE", env=on("d4"))
    shop.ok("order", "add-line", "SO-00005", "LAMP-LED", "1", env=on("d4"))
    shop.ok("order", "confirm", "SO-00005", env=on("d4"))
    shop.ok("order", "cancel", "SO-00005", env=on("d4"))
    return shop


def cells(report: dict) -> dict[str, tuple[int, int, int]]:
    return {
        row["state"]: (row["under_1_day"], row["d1_7"], row["over_7_days"])
        for row in report["rows"]
        if row["total"]
    }


def test_matrix_on_the_last_day(history):
    report = history.ok("report", "matrix", env=on("d4"))
    # d4 = 03-20. SO-00001: DESK-STAND shipped (d2) and invoiced (d3) -> completed, last
    # change d3 (10 days); INSTALL invoiced d3, which delivered it -> completed, d3.
    # SO-00002 backordered, last change d1 (19 days). SO-00003 draft since d1.
    # SO-00004 held on d3. SO-00005 cancelled today.
    assert cells(report) == {
        "completed": (0, 0, 2),
        "backordered": (0, 0, 1),
        "draft": (0, 0, 1),
        "on_hold": (0, 0, 1),
        "cancelled": (1, 0, 0),
    }
    assert report["totals"] == {"under_1_day": 1, "d1_7": 0, "over_7_days": 5, "total": 6}


def test_matrix_as_of_earlier_days_is_rebuilt(history):
    as_of_d2 = history.ok("report", "matrix", "--as-of", DAYS["d2"], env=on("d4"))
    # End of 03-05: SO-00001's stands shipped today (not invoiced) -> to_invoice; INSTALL
    # never ships, so to invoice, last change d1 (4 days); SO-00002 backordered since d1;
    # SO-00003 draft.
    assert cells(as_of_d2) == {
        "to_invoice": (1, 1, 0),
        "backordered": (0, 1, 0),
        "draft": (0, 1, 0),
    }
    assert as_of_d2["as_of"] == DAYS["d2"]
    as_of_d3 = history.ok("report", "matrix", "--as-of", DAYS["d3"], env=on("d4"))
    assert cells(as_of_d3) == {
        "completed": (2, 0, 0),
        "backordered": (0, 0, 1),
        "draft": (0, 0, 1),
        "on_hold": (1, 0, 0),
    }
    before = history.ok("report", "matrix", "--as-of", "2026-02-01", env=on("d4"))
    assert before["totals"]["total"] == 0


def test_backorders_now_and_as_of(history):
    report = history.ok("report", "backorders", env=on("d4"))
    # 5 stands on hand on d1; SO-00001 (confirmed first) takes 4, SO-00002 gets 1 of 3.
    assert report["totals"] == {"products": 1, "lines": 1, "units": "2"}
    (stand,) = report["products"]
    assert (stand["sku"], stand["on_hand"], stand["reserved"], stand["available"]) == (
        "DESK-STAND",
        "1",
        "3",
        "-2",
    )
    assert (stand["backordered"], stand["to_receive"]) == ("2", "2")
    assert [(o["order"], o["customer"], o["line"], o["qty"]) for o in stand["orders"]] == [
        ("SO-00002", "BRIGHT", 1, "2")
    ]
    assert report["customers"] == [{"customer": "BRIGHT", "lines": 1, "backordered": "2"}]
    # Before SO-00002 was confirmed there was nothing to wait for.
    assert history.ok("report", "backorders", "--as-of", "2026-02-28", env=on("d4"))["totals"] == {
        "products": 0,
        "lines": 0,
        "units": "0",
    }
    # Receiving two clears it, and the matrix moves the line to to_ship.
    history.ok("stock", "receive", "DESK-STAND", "2", env=on("d4"))
    assert history.ok("report", "backorders", env=on("d4"))["products"] == []
    assert cells(history.ok("report", "matrix", env=on("d4")))["to_ship"] == (0, 0, 1)


def test_as_of_is_exact_unless_a_line_was_edited_later(history):
    assert history.ok("report", "matrix", "--as-of", DAYS["d3"], env=on("d4"))["as_of_exact"]
    history.ok("order", "edit-line", "SO-00003", "1", "--qty", "2", env=on("d4"))
    later = history.ok("report", "backorders", "--as-of", DAYS["d3"], env=on("d4"))
    assert later["as_of_exact"] is False


def test_reports_read_only_and_refuse_bad_dates(history, unchanged):
    with unchanged():
        history.ok("report", "matrix")
        history.ok("report", "backorders")
        assert "not a date" in history.fails("report", "matrix", "--as-of", "yesterday")
        assert "not a date" in history.fails("report", "backorders", "--as-of", "2026-02-30")


def test_human_output(history):
    matrix = history.run("report", "matrix", env=on("d4"))
    assert matrix.exit_code == 0 and "Order matrix, 2026-03-20" in matrix.stdout
    assert "backordered" in matrix.stdout and "Total" in matrix.stdout
    back = history.run("report", "backorders", env=on("d4"))
    assert back.exit_code == 0 and "SO-00002 (BRIGHT) ×2" in back.stdout
    history.ok("stock", "receive", "DESK-STAND", "2", env=on("d4"))
    empty = history.run("report", "backorders", env=on("d4"))
    assert "no backorders" in empty.stdout + empty.stderr


@pytest.mark.postgres
def test_the_same_on_postgres(pg_engine, cli, monkeypatch):
    import os

    from ordercli.io.demo import sample_data_dir

    monkeypatch.setenv("ORDERCLI_TODAY", "2026-11-22")
    pg = type(cli)(os.environ["ORDERCLI_TEST_PG_URL"])
    for kind in ("customers", "products", "orders"):
        pg.ok("import", kind, str(sample_data_dir() / f"{kind}.csv"))
    pg.ok("warehouse", "add", "SHOP", "Shop floor")
    pg.ok("stock", "transfer", "DESK-STAND", "2", "--from", "MAIN", "--to", "SHOP")
    pg.ok("order", "new", "ACME")
    pg.ok("order", "add-line", "SO-00009", "DESK-STAND", "9")
    pg.ok("order", "confirm", "SO-00009")
    # 5 stands: WEB-10004 (SO-00004) holds 2, so SO-00009 gets 3 and waits for 6.
    backorders = pg.ok("report", "backorders")
    assert backorders["totals"] == {"products": 1, "lines": 1, "units": "6"}
    matrix = pg.ok("report", "matrix")
    states = {row["state"]: row["total"] for row in matrix["rows"]}
    # Imported: 7 confirmed orders with 13 lines, of which MUELLER's 2 are a draft.
    assert states["draft"] == 2 and states["backordered"] == 1
    assert matrix["totals"]["total"] == 16
    picks = pg.ok("shipment", "pick-list")
    stands = next(line for line in picks["lines"] if line["sku"] == "DESK-STAND")
    assert stands["qty"] == "3"  # MAIN holds 3 after the transfer: SO-00004's 2, then 1
    assert pg.ok("check")["ok"] is True
