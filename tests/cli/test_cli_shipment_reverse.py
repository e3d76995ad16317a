"""`ordercli shipment reverse` end to end: a shipment recorded in error, taken back (rule 12)."""

from __future__ import annotations

# The `confirmed` order is dated the day its template was built (the real today): ship
# and reverse on days well after it.
SHIP_DAY = {"ORDERCLI_TODAY": "2099-01-01"}
NEXT_DAY = {"ORDERCLI_TODAY": "2099-01-02"}


def stock(cli, sku: str) -> tuple[str, str, str]:
    doc = cli.ok("product", "show", sku)
    return doc["on_hand"], doc["reserved"], doc["available"]


def test_reverse_takes_the_goods_back_and_reopens_the_order(confirmed):
    """SO-00001: 4 oak desks and 2.5 h of installation; 12 desks on hand."""
    confirmed.ok("ship", "SO-00001", "--carrier", "DHL", "--tracking", "JD0146", env=SHIP_DAY)
    assert stock(confirmed, "DESK-OAK") == ("8", "0", "8")

    doc = confirmed.ok(
        "shipment",
        "reverse",
        "SH-00001",
        "--reason",
        "scanned twice",
        "--date",
        "2099-01-01",
        env=NEXT_DAY,
    )
    expected = {
        "number": "SH-00001",
        "order": "SO-00001",
        "status": "reversed",
        "carrier": "DHL",
        "tracking": "JD0146",
        "ship_date": "2099-01-01",
        "reversed_by": {"number": "SR-00001", "date": "2099-01-01", "reason": "scanned twice"},
    }
    assert {k: doc[k] for k in expected} == expected
    assert [(line["sku"], line["qty"]) for line in doc["lines"]] == [("DESK-OAK", "4")]
    assert stock(confirmed, "DESK-OAK") == ("12", "4", "8")
    order = confirmed.ok("order", "show", "SO-00001")
    assert (order["status"], order["fulfilment_status"]) == ("confirmed", "not_shipped")
    assert [line["qty_shipped"] for line in order["lines"]] == ["0", "0"]
    assert confirmed.ok("shipment", "show", "SH-00001") == doc
    listed = confirmed.ok("shipment", "list", "--status", "reversed")
    assert [(s["number"], s["status"], s["reversed_by"]["number"]) for s in listed] == [
        ("SH-00001", "reversed", "SR-00001")
    ]
    assert confirmed.ok("check")["ok"] is True
    events = confirmed.ok("order", "timeline", "SO-00001")
    assert [(e["event"], e["document"]) for e in events][-1] == (
        "shipment reversed",
        "shipment SH-00001",
    )
    # Shipped anew: a new shipment, the old one stays reversed.
    again = confirmed.ok("ship", "SO-00001", env=NEXT_DAY)
    assert (again["number"], again["status"], again["reversed_by"]) == ("SH-00002", "shipped", None)
    assert stock(confirmed, "DESK-OAK") == ("8", "0", "8")
    assert confirmed.ok("check")["ok"] is True


def test_human_output_shows_the_reversal(confirmed, human):
    confirmed.ok("ship", "SO-00001", "--line", "DESK-OAK=1", env=SHIP_DAY)
    out = human("shipment", "reverse", "SH-00001", "--reason", "wrong order", env=NEXT_DAY)
    for fact in ("Shipment SH-00001", "reversed", "SR-00001 on 2099-01-02: wrong order"):
        assert fact in out
    assert "SR-00001" in human("shipment", "show", "SH-00001")
    listed = human("shipment", "list")
    assert "SH-00001" in listed and "reversed" in listed


def test_refusals_change_nothing(confirmed, unchanged):
    confirmed.ok("ship", "SO-00001", "--line", "DESK-OAK=1", env=SHIP_DAY)
    with unchanged():
        assert confirmed.fails("shipment", "reverse", "SH-00009", "--reason", "x") == (
            "error: no shipment 'SH-00009'"
        )
        assert confirmed.fails(
            "shipment", "reverse", "SH-00001", "--reason", " ", env=NEXT_DAY
        ) == ("error: reason must not be empty")
        assert confirmed.fails(
            "shipment", "reverse", "SH-00001", "--reason", "x", "--date", "2099-01-03", env=NEXT_DAY
        ) == ("error: shipment reversal date 2099-01-03 is in the future (today is 2099-01-02)")
        assert confirmed.fails(
            "shipment", "reverse", "SH-00001", "--reason", "x", "--date", "2098-12-31", env=NEXT_DAY
        ) == (
            "error: shipment reversal dated 2098-12-31 cannot come before shipment SH-00001, "
            "dated 2099-01-01"
        )
        assert confirmed.fails(
            "shipment", "reverse", "SH-00001", "--reason", "x", "--date", "Jan 2"
        ).startswith("error: --date")
    confirmed.ok("order", "hold", "SO-00001", "fraud check")
    with unchanged():
        result = confirmed.run("shipment", "reverse", "SH-00001", "--reason", "x", env=NEXT_DAY)
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            "error: cannot reverse SH-00001: its order SO-00001 is on hold (fraud check); "
            "release it first",
            "hint: `ordercli order release SO-00001` first",
        ]
    confirmed.ok("order", "release", "SO-00001")
    confirmed.ok("shipment", "reverse", "SH-00001", "--reason", "x", env=NEXT_DAY)
    with unchanged():
        assert confirmed.fails(
            "shipment", "reverse", "SH-00001", "--reason", "y", env=NEXT_DAY
        ) == ("error: cannot reverse SH-00001: it was already reversed by SR-00001 on 2099-01-02")
        assert confirmed.fails("shipment", "deliver", "SH-00001") == (
            "error: cannot deliver SH-00001: it was reversed (recorded in error), so nothing "
            "of it is on its way"
        )
