"""`ordercli order new/add-line/edit-line/remove-line/confirm/hold/release/cancel/show/list`."""

from __future__ import annotations

import pytest

ORDER_KEYS = {
    "number",
    "customer",
    "status",
    "lines",
    "subtotal",
    "tax",
    "total",
    "billing_status",
    "fulfilment_status",
    "quote",
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
    "qty_invoiced",
    "qty_shipped",
    "qty_credited",
    "qty_returned",
}

# Rule 4a: an order is never dated after "today".
XMAS = {"ORDERCLI_TODAY": "2026-12-24"}
FEB3 = {"ORDERCLI_TODAY": "2027-02-03"}


def stock(cli, sku: str) -> tuple[str, str, str]:
    doc = cli.ok("product", "show", sku)
    return doc["on_hand"], doc["reserved"], doc["available"]


def build_draft(cli) -> None:
    cli.ok("order", "new", "ACME")
    cli.ok("order", "add-line", "SO-00001", "DESK-OAK", "4")
    cli.ok("order", "add-line", "SO-00001", "INSTALL", "2.5")


@pytest.fixture
def draft(shop, ledger_state):
    """SO-00001 for ACME, draft: 4 × DESK-OAK and 2.5 h INSTALL."""
    ledger_state("order-draft", build_draft)
    return shop


# --- new -------------------------------------------------------------------


def test_new_order(shop, human):
    doc = shop.ok("order", "new", "ACME", env={"ORDERCLI_TODAY": "2027-03-04"})
    assert ORDER_KEYS <= doc.keys()
    expected = {
        "number": "SO-00001",
        "customer": "ACME",
        "status": "draft",
        "billing_status": "not_invoiced",
        "fulfilment_status": "not_shipped",
        "quote": None,
        "order_date": "2027-03-04",
        "lines": [],
        "subtotal": "0.00",
        "tax": "0.00",
        "total": "0.00",
    }
    assert {k: doc[k] for k in expected} == expected
    earlier = shop.ok("order", "new", "TOKYO", "--date", "2026-12-24", env=XMAS)
    assert earlier["order_date"] == "2026-12-24"
    out = human("order", "new", "Müller & Söhne Architekten")
    assert "Order SO-00003" in out and "MUELLER" in out and "draft" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NOPE"], "no customer 'NOPE'"),
        ([""], "customer code is empty"),
        (["ACME", "--date", "2027-02-30"], "--date '2027-02-30' is not a date (use YYYY-MM-DD)"),
        (["ACME", "--date", "tomorrow"], "--date 'tomorrow' is not a date (use YYYY-MM-DD)"),
    ],
)
def test_new_order_refused(shop, unchanged, args, message):
    with unchanged():
        assert shop.fails("order", "new", *args) == f"error: {message}"


def test_refused_commands_consume_no_number(shop):
    shop.fails("order", "new", "NOPE")
    shop.fails("order", "new", "ACME", "--date", "bad")
    assert shop.ok("order", "new", "ACME")["number"] == "SO-00001"
    assert shop.ok("order", "new", "ACME")["number"] == "SO-00002"


# --- add-line --------------------------------------------------------------


def test_add_line(draft, human):
    doc = draft.ok("order", "add-line", "SO-00001", "COFFEE-KG", "1.25", "--discount", "0")
    assert [line["sku"] for line in doc["lines"]] == ["DESK-OAK", "INSTALL", "COFFEE-KG"]
    desk, install, coffee = doc["lines"]
    assert LINE_KEYS <= desk.keys()
    expected = {
        "line": 1,
        "description": "Oak desk, 160 × 80 cm",
        "qty": "4",
        "unit_price": "489.00",
        "discount_pct": "0",
        "tax_rate": "19",
        "net": "1956.00",
        "tax": "371.64",
        "total": "2327.64",
        "qty_invoiced": "0",
        "qty_shipped": "0",
        "qty_credited": "0",
        "qty_returned": "0",
    }
    assert {k: desk[k] for k in expected} == expected
    assert (install["qty"], install["net"], install["tax"]) == ("2.5", "162.50", "30.88")
    assert (coffee["qty"], coffee["net"], coffee["tax"], coffee["total"]) == (
        "1.25",
        "26.75",
        "1.87",
        "28.62",
    )
    assert (doc["subtotal"], doc["tax"], doc["total"]) == ("2145.25", "404.39", "2549.64")
    assert stock(draft, "DESK-OAK") == ("12", "0", "12")  # a draft reserves nothing
    out = human(
        "order", "add-line", "SO-00001", "LAMP-LED", "2", "--price", "45", "--discount", "10"
    )
    assert "LAMP-LED" in out and "45.00" in out and "81.00" in out


def test_add_line_on_confirmed_order_reserves_at_once(draft):
    draft.ok("order", "confirm", "SO-00001")
    doc = draft.ok("order", "add-line", "SO-00001", "CHAIR-ERGO", "5")
    assert doc["status"] == "confirmed"
    assert stock(draft, "CHAIR-ERGO") == ("40", "5", "35")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["DESK-OAK", "--", "-1"], "quantity '-1' must be greater than zero"),
        (["DESK-OAK", "0"], "quantity '0' must be greater than zero"),
        (["DESK-OAK", "--", "-0"], "quantity '-0' must be greater than zero"),
        (["DESK-OAK", "0.0001"], "quantity '0.0001' has more than 3 decimal places"),
        (["DESK-OAK", "1.2345"], "quantity '1.2345' has more than 3 decimal places"),
        (["DESK-OAK", "abc"], "quantity 'abc' is not a number"),
        (["DESK-OAK", "1,5"], "quantity '1,5' is not a number"),
        (["DESK-OAK", "1e400"], "quantity '1e400' is too large"),
        (["DESK-OAK", "1e9"], "quantity '1e9' is too large"),
        (["DESK-OAK", "NaN"], "quantity 'NaN' is not a finite number"),
        (["DESK-OAK", "inf"], "quantity 'inf' is not a finite number"),
        (["DESK-OAK", ""], "quantity is empty"),
        (["DESK-OAK", "1", "--price=-5"], "price '-5' must not be negative"),
        (["DESK-OAK", "1", "--price", "1.005"], "price '1.005' has more than 2 decimal places"),
        (["DESK-OAK", "1", "--price", "1e400"], "price '1e400' is too large"),
        (["DESK-OAK", "1", "--discount", "101"], "discount '101' must be between 0 and 100"),
        (["DESK-OAK", "1", "--discount=-5"], "discount '-5' must be between 0 and 100"),
        (["DESK-OAK", "1", "--discount", "lots"], "discount 'lots' is not a number"),
        (["NOPE", "1"], "no product 'NOPE'"),
        (["", "1"], "SKU is empty"),
    ],
)
def test_add_line_bad_input(draft, unchanged, args, message):
    with unchanged():
        assert draft.fails("order", "add-line", "SO-00001", *args) == f"error: {message}"


@pytest.mark.parametrize(
    "args",
    [
        ["add-line", "SO-00001", "DESK-OAK", "999999", "--price", "9999999999999.99"],
        ["edit-line", "SO-00001", "1", "--qty", "999999", "--price", "9999999999999.99"],
    ],
)
def test_line_amount_too_large_is_refused_clearly(draft, unchanged, args):
    with unchanged():
        line = draft.fails("order", *args)
    assert not line.startswith("error: unexpected"), line
    assert "too large" in line


def test_large_but_representable_line_is_exact(draft):
    doc = draft.ok("order", "add-line", "SO-00001", "DESK-OAK", "999999999")
    assert doc["lines"][2]["net"] == "488999999511.00"
    assert doc["lines"][2]["tax"] == "92909999907.09"


def test_add_line_qty_as_option_style_negative_is_a_usage_error(draft, unchanged):
    with unchanged():
        result = draft.run("order", "add-line", "SO-00001", "DESK-OAK", "-1")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr


def test_add_line_to_unknown_order(shop, unchanged):
    with unchanged():
        assert shop.fails("order", "add-line", "SO-00042", "DESK-OAK", "1") == (
            "error: no order 'SO-00042'"
        )
        assert (
            shop.fails("order", "add-line", "", "DESK-OAK", "1") == "error: order number is empty"
        )


# --- edit-line -------------------------------------------------------------


def test_edit_line_on_a_draft(draft, human):
    doc = draft.ok("order", "edit-line", "SO-00001", "1", "--qty", "2", "--price", "450")
    desk = doc["lines"][0]
    assert (desk["qty"], desk["unit_price"], desk["net"], desk["tax"]) == (
        "2",
        "450.00",
        "900.00",
        "171.00",
    )
    doc = draft.ok("order", "edit-line", "SO-00001", "install", "--discount", "50")
    assert (doc["lines"][1]["discount_pct"], doc["lines"][1]["net"]) == ("50", "81.25")
    assert doc["total"] == "1167.69"
    out = human("order", "edit-line", "SO-00001", "2", "--qty", "3")
    assert "INSTALL" in out and "97.50" in out


def test_edit_line_on_a_confirmed_order_moves_the_reservation(draft):
    draft.ok("order", "confirm", "SO-00001")
    assert stock(draft, "DESK-OAK") == ("12", "4", "8")
    doc = draft.ok("order", "edit-line", "SO-00001", "DESK-OAK", "--qty", "14")
    assert stock(draft, "DESK-OAK") == ("12", "14", "-2")
    assert (doc["lines"][0]["backordered"], doc["lines"][0]["qty_backordered"]) == (True, "2")
    doc = draft.ok("order", "edit-line", "SO-00001", "DESK-OAK", "--qty", "3")
    assert stock(draft, "DESK-OAK") == ("12", "3", "9")
    assert (doc["lines"][0]["backordered"], doc["lines"][0]["qty_backordered"]) == (False, "0")


def test_edit_line_never_below_invoiced_or_shipped(draft, unchanged):
    draft.ok("order", "confirm", "SO-00001")
    draft.ok(
        "invoice", "create", "SO-00001", "--partial", "--line", "DESK-OAK=1", "--line", "INSTALL=1"
    )
    draft.ok("ship", "SO-00001", "--line", "DESK-OAK=2")
    with unchanged():
        assert draft.fails("order", "edit-line", "SO-00001", "1", "--qty", "1") == (
            "error: cannot set line 1 (DESK-OAK) on SO-00001 to 1: already invoiced 1, shipped 2"
        )
        assert draft.fails("order", "edit-line", "SO-00001", "2", "--qty", "0.5") == (
            "error: cannot set line 2 (INSTALL) on SO-00001 to 0.5: already invoiced 1, shipped 0"
        )
        assert draft.fails("order", "edit-line", "SO-00001", "1", "--price", "1") == (
            "error: cannot change the price of line 1 (DESK-OAK) on SO-00001: "
            "1 already invoiced, 2 already shipped"
        )
    doc = draft.ok("order", "edit-line", "SO-00001", "1", "--qty", "2")
    assert doc["lines"][0]["qty"] == "2"
    assert doc["billing_status"] == "partially_invoiced"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["1"], "nothing to change: give --qty, --price or --discount"),
        (["9", "--qty", "1"], "SO-00001 has no line 9"),
        (["LAMP-LED", "--qty", "1"], "SO-00001 has no line for LAMP-LED"),
        (["NOPE", "--qty", "1"], "no product 'NOPE'"),
        (["", "--qty", "1"], "line is empty (give its number or SKU)"),
        (["1", "--qty", "0"], "quantity '0' must be greater than zero"),
        (["1", "--qty=-2"], "quantity '-2' must be greater than zero"),
        (["1", "--qty", "1.0001"], "quantity '1.0001' has more than 3 decimal places"),
        (["1", "--qty", "1e400"], "quantity '1e400' is too large"),
        (["1", "--price", "x"], "price 'x' is not a number"),
        (["1", "--discount", "100.5"], "discount '100.5' must be between 0 and 100"),
    ],
)
def test_edit_line_bad_input(draft, unchanged, args, message):
    with unchanged():
        assert draft.fails("order", "edit-line", "SO-00001", *args) == f"error: {message}"


def test_edit_line_by_ambiguous_sku(draft, unchanged):
    draft.ok("order", "add-line", "SO-00001", "DESK-OAK", "1")
    with unchanged():
        assert draft.fails("order", "edit-line", "SO-00001", "DESK-OAK", "--qty", "2") == (
            "error: DESK-OAK is on lines 1, 3 of SO-00001; give the line number"
        )
    assert draft.ok("order", "edit-line", "SO-00001", "3", "--qty", "2")["lines"][2]["qty"] == "2"


# --- remove-line -----------------------------------------------------------


def test_remove_line(draft, human):
    doc = draft.ok("order", "remove-line", "SO-00001", "INSTALL")
    assert [line["sku"] for line in doc["lines"]] == ["DESK-OAK"]
    assert doc["total"] == "2327.64"
    out = human("order", "remove-line", "SO-00001", "1")
    assert "Order SO-00001" in out and "0.00" in out
    assert draft.ok("order", "show", "SO-00001")["lines"] == []


def test_remove_line_on_confirmed_order_releases_reservation(draft):
    draft.ok("order", "add-line", "SO-00001", "CHAIR-ERGO", "3")
    draft.ok("order", "confirm", "SO-00001")
    assert stock(draft, "CHAIR-ERGO") == ("40", "3", "37")
    draft.ok("order", "remove-line", "SO-00001", "CHAIR-ERGO")
    assert stock(draft, "CHAIR-ERGO") == ("40", "0", "40")


def test_remove_line_refused(draft, unchanged):
    draft.ok("order", "confirm", "SO-00001")
    draft.ok("invoice", "create", "SO-00001", "--partial", "--line", "DESK-OAK=1")
    with unchanged():
        assert draft.fails("order", "remove-line", "SO-00001", "1") == (
            "error: cannot remove line 1 (DESK-OAK) from SO-00001: 1 invoiced, 0 shipped"
        )
        assert (
            draft.fails("order", "remove-line", "SO-00001", "7") == "error: SO-00001 has no line 7"
        )
    draft.ok("order", "remove-line", "SO-00001", "2")
    draft.ok("order", "new", "BRIGHT")
    draft.ok("order", "add-line", "SO-00002", "LAMP-LED", "1")
    draft.ok("order", "confirm", "SO-00002")
    with unchanged():
        assert draft.fails("order", "remove-line", "SO-00002", "1") == (
            "error: cannot remove the last line of confirmed order SO-00002"
        )


# --- confirm ---------------------------------------------------------------


def test_confirm_reserves_stock_but_never_services(draft, human):
    before_install = draft.ok("product", "show", "INSTALL")
    doc = draft.ok("order", "confirm", "SO-00001")
    assert (doc["status"], doc["billing_status"], doc["fulfilment_status"]) == (
        "confirmed",
        "not_invoiced",
        "not_shipped",
    )
    assert stock(draft, "DESK-OAK") == ("12", "4", "8")
    assert draft.ok("product", "show", "INSTALL") == before_install
    assert before_install["reserved"] == "0"
    assert not any(line["backordered"] for line in doc["lines"])
    draft.ok("order", "new", "BRIGHT")
    draft.ok("order", "add-line", "SO-00002", "LAMP-LED", "1")
    out = human("order", "confirm", "SO-00002")
    assert "Order SO-00002" in out and "confirmed" in out


def test_confirm_more_than_available_backorders(shop, human):
    shop.ok("order", "new", "ACME")
    shop.ok("order", "add-line", "SO-00001", "DESK-OAK", "15")
    doc = shop.ok("order", "confirm", "SO-00001")
    line = doc["lines"][0]
    assert (line["backordered"], line["qty_backordered"]) == (True, "3")
    assert stock(shop, "DESK-OAK") == ("12", "15", "-3")
    result = shop.run("order", "show", "SO-00001")
    assert result.exit_code == 0
    assert "backordered 3" in result.stdout
    assert "line 1 (DESK-OAK) is backordered 3" in result.stderr
    # a second order for the same goods is wholly backordered
    shop.ok("order", "new", "BRIGHT")
    shop.ok("order", "add-line", "SO-00002", "DESK-OAK", "2")
    second = shop.ok("order", "confirm", "SO-00002")["lines"][0]
    assert (second["backordered"], second["qty_backordered"]) == (True, "2")


def test_confirm_twice_is_refused(draft, unchanged):
    draft.ok("order", "confirm", "SO-00001")
    with unchanged():
        assert draft.fails("order", "confirm", "SO-00001") == (
            "error: cannot confirm SO-00001: it is confirmed, not draft"
        )


def test_confirm_empty_order_is_refused(shop, unchanged):
    shop.ok("order", "new", "ACME")
    with unchanged():
        assert shop.fails("order", "confirm", "SO-00001") == (
            "error: cannot confirm SO-00001: it has no lines"
        )
        assert shop.fails("order", "confirm", "SO-00002") == "error: no order 'SO-00002'"


def test_confirm_over_credit_limit(shop, unchanged):
    shop.ok("order", "new", "CAFE")
    shop.ok("order", "add-line", "SO-00001", "DESK-OAK", "5")
    with unchanged():
        assert shop.fails("order", "confirm", "SO-00001") == (
            "error: cannot confirm SO-00001: CAFE would owe 2909.55 against a credit limit of "
            "2000.00 (exposure 0.00 + this order 2909.55)"
        )
        assert shop.fails("order", "confirm", "SO-00001", "--override-credit", "  ") == (
            "error: cannot confirm SO-00001: CAFE would owe 2909.55 against a credit limit of "
            "2000.00 (exposure 0.00 + this order 2909.55)"
        )
    doc = shop.ok("order", "confirm", "SO-00001", "--override-credit", "prepaid by wire")
    assert doc["status"] == "confirmed"
    events = shop.ok("order", "timeline", "SO-00001")
    override = [e for e in events if e["action"] == "credit_override"]
    assert len(override) == 1 and "reason: prepaid by wire" in override[0]["message"]
    assert shop.ok("customer", "show", "CAFE")["exposure"] == "2909.55"


def test_credit_limit_counts_confirmed_orders(shop, unchanged):
    shop.ok("order", "new", "CAFE")
    shop.ok("order", "add-line", "SO-00001", "CHAIR-ERGO", "4")  # 1487.50
    shop.ok("order", "confirm", "SO-00001")
    shop.ok("order", "new", "CAFE")
    shop.ok("order", "add-line", "SO-00002", "CHAIR-ERGO", "2")  # 743.75
    with unchanged():
        line = shop.fails("order", "confirm", "SO-00002")
    assert line == (
        "error: cannot confirm SO-00002: CAFE would owe 2231.25 against a credit limit of "
        "2000.00 (exposure 1487.50 + this order 743.75)"
    )


def test_confirm_on_hold_is_refused_until_released(draft, unchanged):
    draft.ok("order", "hold", "SO-00001", "awaiting prepayment")
    with unchanged():
        assert draft.fails("order", "confirm", "SO-00001") == (
            "error: cannot confirm SO-00001: it is on hold (awaiting prepayment)"
        )
    assert draft.ok("order", "release", "SO-00001")["status"] == "draft"
    assert draft.ok("order", "confirm", "SO-00001")["status"] == "confirmed"


# --- hold / release --------------------------------------------------------


def test_hold_and_release_a_confirmed_order(draft, human, unchanged):
    draft.ok("order", "confirm", "SO-00001")
    doc = draft.ok("order", "hold", "SO-00001", "credit check — 審査中")
    assert (doc["status"], doc["hold_reason"]) == ("on_hold", "credit check — 審査中")
    assert stock(draft, "DESK-OAK") == ("12", "4", "8")  # a hold keeps the reservation
    with unchanged():
        assert draft.fails("order", "hold", "SO-00001", "again") == (
            "error: cannot hold SO-00001: it is on_hold"
        )
        assert draft.fails("order", "add-line", "SO-00001", "LAMP-LED", "1") == (
            "error: cannot add a line on SO-00001: it is on hold (credit check — 審査中); "
            "release it first"
        )
    doc = draft.ok("order", "release", "SO-00001")
    assert (doc["status"], doc["hold_reason"]) == ("confirmed", None)
    with unchanged():
        assert draft.fails("order", "release", "SO-00001") == (
            "error: cannot release SO-00001: it is confirmed, not on hold"
        )
    out = human("order", "hold", "SO-00001", "customer asked to wait")
    assert "on_hold" in out and "customer asked to wait" in out
    out = human("order", "release", "SO-00001")
    assert "confirmed" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["SO-00001", ""], "hold reason must not be empty"),
        (["SO-00001", "  "], "hold reason must not be empty"),
        (["SO-00001", "x" * 501], "hold reason is longer than 500 characters"),
        (["SO-00099", "why"], "no order 'SO-00099'"),
    ],
)
def test_hold_refused(draft, unchanged, args, message):
    with unchanged():
        assert draft.fails("order", "hold", *args) == f"error: {message}"


def test_hold_needs_a_reason(draft, unchanged):
    with unchanged():
        result = draft.run("order", "hold", "SO-00001")
    assert result.exit_code == 2


# --- cancel ----------------------------------------------------------------


def test_cancel_confirmed_order_releases_reservations(draft, human, unchanged):
    draft.ok("order", "add-line", "SO-00001", "DESK-OAK", "10")
    draft.ok("order", "confirm", "SO-00001")
    assert stock(draft, "DESK-OAK") == ("12", "14", "-2")
    doc = draft.ok("order", "cancel", "SO-00001", "--reason", "customer changed their mind")
    assert doc["status"] == "cancelled"
    assert stock(draft, "DESK-OAK") == ("12", "0", "12")
    assert not any(line["backordered"] for line in doc["lines"])
    with unchanged():
        assert draft.fails("order", "cancel", "SO-00001") == (
            "error: cannot cancel SO-00001: it is cancelled"
        )
        assert draft.fails("order", "confirm", "SO-00001") == (
            "error: cannot confirm SO-00001: it is cancelled, not draft"
        )
        assert draft.fails("order", "add-line", "SO-00001", "LAMP-LED", "1") == (
            "error: cannot add a line on SO-00001: it is cancelled"
        )
        assert draft.fails("order", "hold", "SO-00001", "x") == (
            "error: cannot hold SO-00001: it is cancelled"
        )
    events = draft.ok("order", "timeline", "SO-00001")
    assert events[-1]["message"] == "order SO-00001 cancelled: customer changed their mind"
    draft.ok("order", "new", "BRIGHT")
    assert "cancelled" in human("order", "cancel", "SO-00002")


def test_cancel_draft_and_held_orders(draft):
    draft.ok("order", "new", "BRIGHT")
    draft.ok("order", "add-line", "SO-00002", "CHAIR-ERGO", "3")
    draft.ok("order", "confirm", "SO-00002")
    draft.ok("order", "hold", "SO-00002", "fraud check")
    assert stock(draft, "CHAIR-ERGO") == ("40", "3", "37")
    held = draft.ok("order", "cancel", "SO-00002")
    assert (held["status"], held["hold_reason"]) == ("cancelled", None)
    assert stock(draft, "CHAIR-ERGO") == ("40", "0", "40")
    assert draft.ok("order", "cancel", "SO-00001")["status"] == "cancelled"
    assert stock(draft, "DESK-OAK") == ("12", "0", "12")


def test_cancel_after_invoicing_or_shipping_is_refused(draft, unchanged):
    draft.ok("order", "confirm", "SO-00001")
    draft.ok("invoice", "create", "SO-00001", "--partial", "--line", "DESK-OAK=1")
    draft.ok("order", "new", "BRIGHT")
    draft.ok("order", "add-line", "SO-00002", "LAMP-LED", "4")
    draft.ok("order", "confirm", "SO-00002")
    draft.ok("ship", "SO-00002", "--line", "LAMP-LED=1")
    with unchanged():
        assert draft.fails("order", "cancel", "SO-00001") == (
            "error: cannot cancel SO-00001: 1 invoiced and 0 shipped already"
        )
        assert draft.fails("order", "cancel", "SO-00002") == (
            "error: cannot cancel SO-00002: 0 invoiced and 1 shipped already"
        )


# --- show ------------------------------------------------------------------


def test_show_order(draft, human):
    doc = draft.ok("order", "show", "so-00001")
    assert ORDER_KEYS <= doc.keys()
    assert doc["number"] == "SO-00001"
    assert doc["invoices"] == [] and doc["shipments"] == []
    assert all(LINE_KEYS <= line.keys() for line in doc["lines"])
    out = human("order", "show", "SO-00001")
    for fact in ("Order SO-00001", "ACME", "draft", "not_invoiced", "DESK-OAK", "2521.02"):
        assert fact in out


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("SO-00099", "no order 'SO-00099'"),
        ("", "order number is empty"),
        ("INV-00001", "no order 'INV-00001'"),
    ],
)
def test_show_unknown_order(draft, unchanged, number, message):
    with unchanged():
        assert draft.fails("order", "show", number) == f"error: {message}"


# --- list ------------------------------------------------------------------


def build_orders(cli) -> None:
    cli.ok("order", "new", "ACME", "--date", "2027-01-05", env=FEB3)
    cli.ok("order", "new", "BRIGHT", "--date", "2027-01-20", env=FEB3)
    cli.ok("order", "add-line", "SO-00002", "LAMP-LED", "1")
    cli.ok("order", "confirm", "SO-00002")
    cli.ok("order", "new", "ACME", "--date", "2027-02-02", env=FEB3)
    cli.ok("order", "hold", "SO-00003", "check")
    cli.ok("order", "new", "TOKYO", "--date", "2027-02-03", env=FEB3)
    cli.ok("order", "cancel", "SO-00004")


@pytest.fixture
def orders(shop, ledger_state):
    """SO-1 ACME draft (Jan 5), SO-2 BRIGHT confirmed (Jan 20), SO-3 ACME on hold (Feb 2),
    SO-4 TOKYO cancelled (Feb 3)."""
    ledger_state("order-list", build_orders)
    return shop


def numbers(rows) -> list[str]:
    return [row["number"] for row in rows]


def test_list_orders_newest_first(orders, human):
    rows = orders.ok("order", "list")
    assert numbers(rows) == ["SO-00004", "SO-00003", "SO-00002", "SO-00001"]
    assert all(ORDER_KEYS <= row.keys() for row in rows)
    assert rows[2]["lines"][0]["sku"] == "LAMP-LED"
    out = human("order", "list")
    assert "Orders" in out and "SO-00004" in out and "cancelled" in out and "on_hold" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--status", "draft"], ["SO-00001"]),
        (["--status", "confirmed"], ["SO-00002"]),
        (["--status", "on_hold"], ["SO-00003"]),
        (["--status", "Cancelled"], ["SO-00004"]),
        (["--status", "completed"], []),
        (["--customer", "ACME"], ["SO-00003", "SO-00001"]),
        (["--customer", "acme", "--status", "draft"], ["SO-00001"]),
        (["--from", "2027-01-20"], ["SO-00004", "SO-00003", "SO-00002"]),
        (["--to", "2027-01-20"], ["SO-00002", "SO-00001"]),
        (["--from", "2027-01-06", "--to", "2027-02-02"], ["SO-00003", "SO-00002"]),
        (["--from", "2027-02-02", "--to", "2027-02-02"], ["SO-00003"]),
        (["--limit", "2"], ["SO-00004", "SO-00003"]),
        (["--all"], ["SO-00004", "SO-00003", "SO-00002", "SO-00001"]),
    ],
)
def test_list_orders_filters(orders, args, expected):
    assert numbers(orders.ok("order", "list", *args)) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--status", "open"],
            "unknown order status 'open' (one of draft, confirmed, on_hold, completed, cancelled)",
        ),
        (["--customer", "NOPE"], "no customer 'NOPE'"),
        (
            ["--from", "2027-03-01", "--to", "2027-01-01"],
            "--from 2027-03-01 is after --to 2027-01-01",
        ),
        (["--to", "yesterday"], "--to 'yesterday' is not a date (use YYYY-MM-DD)"),
        (["--limit", "0"], "--limit 0 must be at least 1"),
    ],
)
def test_list_orders_bad_filters(orders, unchanged, args, message):
    with unchanged():
        assert orders.fails("order", "list", *args) == f"error: {message}"


def test_list_orders_default_limit_is_50(shop):
    for _ in range(55):
        shop.ok("order", "new", "ACME")
    rows = shop.ok("order", "list")
    assert len(rows) == 50
    assert (rows[0]["number"], rows[-1]["number"]) == ("SO-00055", "SO-00006")
    assert len(shop.ok("order", "list", "--all")) == 55
    assert len(shop.ok("order", "list", "--limit", "51")) == 51
