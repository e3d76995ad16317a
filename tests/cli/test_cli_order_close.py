"""`ordercli order close ORDER --reason TEXT` and `ordercli order reopen ORDER` end to end
(SPEC rules 7, 8, 16): JSON, the order card, the explanation, the refusals."""

from __future__ import annotations

import pytest

REASON = "customer needs no more"


def stock(cli, sku: str) -> tuple[str, str]:
    doc = cli.ok("product", "show", sku)
    return doc["on_hand"], doc["reserved"]


@pytest.fixture
def partly_done(shop):
    """SO-00001 for ACME: 5 × DESK-OAK (3 shipped, 2 invoiced) and 2 h INSTALL (1 invoiced)."""
    shop.ok("order", "new", "ACME")
    shop.ok("order", "add-line", "SO-00001", "DESK-OAK", "5")
    shop.ok("order", "add-line", "SO-00001", "INSTALL", "2")
    shop.ok("order", "confirm", "SO-00001")
    shop.ok("ship", "SO-00001", "--line", "DESK-OAK=3")
    shop.ok("invoice", "create", "SO-00001", "--line", "DESK-OAK=2", "--line", "INSTALL=1")
    return shop


def test_close_and_reopen(partly_done, human, unchanged):
    cli = partly_done
    assert stock(cli, "DESK-OAK") == ("9", "2")
    doc = cli.ok("order", "close", "SO-00001", "--reason", REASON)
    assert (doc["status"], doc["close_reason"]) == ("confirmed", REASON)
    assert [(ln["sku"], ln["qty_closed"]) for ln in doc["lines"]] == [
        ("DESK-OAK", "2"),
        ("INSTALL", "1"),
    ]
    assert stock(cli, "DESK-OAK") == ("9", "0")
    # the desk shipped and not invoiced must still be invoiced, and nothing else
    invoice = cli.ok("invoice", "create", "SO-00001")
    assert [(ln["sku"], ln["qty"]) for ln in invoice["lines"]] == [("DESK-OAK", "1")]
    assert cli.ok("order", "show", "SO-00001")["status"] == "completed"
    assert cli.ok("check")["ok"] is True

    timeline = cli.ok("order", "timeline", "SO-00001")
    closed = next(row for row in timeline if row["event"] == "short-closed")
    assert closed["message"] == (
        f"closed: {REASON}; 2 × DESK-OAK, 1 × INSTALL will not be shipped or invoiced; "
        "still to invoice 1 × DESK-OAK"
    )

    out = human("order", "explain", "SO-00001")
    assert "ordercli order reopen SO-00001" in out
    out = human("order", "show", "SO-00001")
    assert REASON in out and "Closed" in out
    assert "closed: the rest will not be delivered" in human("order", "track", "SO-00001")

    doc = cli.ok("order", "reopen", "SO-00001")
    assert (doc["status"], doc["close_reason"]) == ("confirmed", None)
    assert [ln["qty_closed"] for ln in doc["lines"]] == ["0", "0"]
    assert stock(cli, "DESK-OAK") == ("9", "2")
    assert cli.ok("check")["ok"] is True
    with unchanged():
        assert cli.fails("order", "reopen", "SO-00001") == (
            "error: cannot reopen SO-00001: it was not short-closed"
        )
    out = human("order", "close", "SO-00001", "--reason", "no more desks")
    assert "no more desks" in out and "completed" in out


def test_close_refusals(partly_done, unchanged):
    cli = partly_done
    cli.ok("order", "new", "ACME")
    cli.ok("order", "add-line", "SO-00002", "DESK-OAK", "1")
    with unchanged():
        assert cli.fails("order", "close", "SO-00002", "--reason", REASON) == (
            "error: cannot close SO-00002: it is a draft; cancel it instead"
        )
        assert cli.fails("order", "close", "SO-00001") == "error: close reason is required"
        assert cli.fails("order", "close", "SO-00001", "--reason", " ") == (
            "error: close reason must not be empty"
        )
        assert cli.fails("order", "close", "SO-00099", "--reason", REASON) == (
            "error: no order 'SO-00099'"
        )
    cli.ok("order", "confirm", "SO-00002")
    with unchanged():
        result = cli.run("order", "close", "SO-00002", "--reason", REASON)
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            "error: cannot close SO-00002: nothing on it is invoiced or shipped yet; "
            "cancel it instead",
            "hint: `ordercli order cancel SO-00002` cancels it and releases its reservations",
        ]
    cli.ok("order", "hold", "SO-00001", "dispute")
    with unchanged():
        assert cli.fails("order", "close", "SO-00001", "--reason", REASON) == (
            "error: cannot close SO-00001: it is on hold (dispute); release it first"
        )


def test_reopen_over_the_credit_limit(shop, unchanged):
    # BRIGHT's limit is 15000.00: 20 × 729.00 × 1.19 = 17350.20, 5 of them 4337.55
    shop.ok("order", "new", "BRIGHT")
    shop.ok("order", "add-line", "SO-00001", "DESK-STAND", "20")
    shop.ok("order", "confirm", "SO-00001", "--override-credit", "big client")
    shop.ok("ship", "SO-00001", "--line", "DESK-STAND=5")
    shop.ok("invoice", "create", "SO-00001", "--line", "DESK-STAND=5")
    assert shop.ok("order", "close", "SO-00001", "--reason", REASON)["status"] == "completed"
    with unchanged():
        assert shop.fails("order", "reopen", "SO-00001") == (
            "error: cannot reopen SO-00001: BRIGHT would owe 17350.20 against a credit limit "
            "of 15000.00 (exposure 4337.55 + the reopened rest 13012.65)"
        )
    doc = shop.ok("order", "reopen", "SO-00001", "--override-credit", "prepaid")
    assert doc["status"] == "confirmed"
    timeline = shop.ok("order", "timeline", "SO-00001")
    # the 15 desks reopened have no stock left for them: backordered again
    assert [row["event"] for row in timeline][-3:] == ["credit override", "reopened", "backorder"]
    assert doc["lines"][0]["qty_backordered"] == "15"
    assert shop.ok("check")["ok"] is True
