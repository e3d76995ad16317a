"""SPEC rules 4, 4a and 12: a shipment recorded in error is reversed, never deleted.

A reversal is a numbered document of its own (SR-00001); the goods go back into the
warehouse they left, the order lines count them unshipped and reserved again, and a
completed order is confirmed again. Every refusal leaves the ledger as it was.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from ordercli.books import checks
from ordercli.documents.context import packing_slip_context
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.reports import order_story
from ordercli.services.inventory import stock, warehouses
from ordercli.services.sales import fulfilment, ordering, shipment_reversal
from ordercli.services.settlement import returns
from ordercli.views import sales as views

D = Decimal
TODAY = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY.isoformat())


def ship(uow, order: str, lines: dict | None = None, **options) -> str:
    with uow() as session:
        return fulfilment.create_shipment(
            session=session,
            order_number=order,
            lines=None if lines is None else [(sku, D(qty)) for sku, qty in lines.items()],
            **options,
        ).number


def reverse(uow, number: str = "SH-00001", reason: str = "scanned twice", on=None) -> str:
    with uow() as session:
        return shipment_reversal.reverse_shipment(
            session=session, number=number, reason=reason, reversal_date=on
        ).number


def shipment_of(uow, number: str = "SH-00001") -> dict:
    with uow(write=False) as session:
        return views.shipment_view(session, fulfilment.get_shipment(session=session, number=number))


def moves(engine, sku: str) -> list[tuple[str, str, Decimal, str | None]]:
    """``(warehouse, kind, qty, reference)`` of every move of ``sku``, read with plain SQL."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT w.code, m.kind, m.qty, m.reference FROM stock_move m "
                "JOIN warehouse w ON w.id = m.warehouse_id "
                "JOIN product p ON p.id = m.product_id WHERE p.sku = :sku ORDER BY m.id"
            ),
            {"sku": sku},
        )
        return [(code, kind, D(qty) / 1000, ref) for code, kind, qty, ref in rows]


def line_counts(order_state, number: str) -> list[tuple[str, Decimal, Decimal]]:
    return [
        (ln["sku"], ln["qty_shipped"], ln["qty_backordered"]) for ln in order_state(number)["lines"]
    ]


# --- what a reversal does ---------------------------------------------------------------


def test_goods_go_back_to_the_warehouse_they_left(
    seeded, make_order, uow, order_state, stock_of, events_of, ledger_ok
):
    with uow() as session:
        warehouses.add_warehouse(session=session, code="EAST", name="East depot")
        stock.receive_stock(session=session, sku="DESK-OAK", qty=D(5), warehouse="EAST")
    number = make_order("ACME", [("DESK-OAK", "3"), ("INSTALL", "1")])
    ship(uow, number, warehouse="EAST", carrier="DHL", tracking="JD01")
    assert stock_of("DESK-OAK") == (D(14), D(0))

    assert reverse(uow, reason="scanned twice, never left") == "SR-00001"

    assert moves(seeded, "DESK-OAK")[-2:] == [
        ("EAST", "ship", D(-3), "SH-00001"),
        ("EAST", "shipment_reversal", D(3), "SR-00001"),
    ]
    assert stock_of("DESK-OAK") == (D(17), D(3))  # on hand back, and reserved again
    order = order_state(number)
    assert (order["status"], order["fulfilment_status"]) == ("confirmed", "not_shipped")
    assert line_counts(order_state, number)[0] == ("DESK-OAK", D(0), D(0))
    view = shipment_of(uow)
    # The shipment keeps what it said; only its status changes.
    assert (view["status"], view["carrier"], view["tracking"], view["ship_date"]) == (
        "reversed",
        "DHL",
        "JD01",
        TODAY,
    )
    assert [(ln["sku"], ln["qty"]) for ln in view["lines"]] == [("DESK-OAK", D(3))]
    assert view["reversed_by"] == {
        "number": "SR-00001",
        "date": TODAY,
        "reason": "scanned twice, never left",
    }
    assert events_of("SH-00001")[-1] == (
        "reversed",
        "shipment SH-00001 reversed by SR-00001: scanned twice, never left; goods back in EAST",
    )
    ledger_ok()
    # Reshipping takes the goods again, from wherever they are now.
    assert ship(uow, number, warehouse="EAST") == "SH-00002"
    assert stock_of("DESK-OAK") == (D(14), D(0))
    ledger_ok()


def test_a_completed_order_is_confirmed_again_and_completes_on_reshipping(
    invoiced, uow, order_state, events_of, ledger_ok
):
    number, _ = invoiced("ACME", [("DESK-OAK", "2")], ship=True)
    assert order_state(number)["status"] == "completed"
    reverse(uow)
    order = order_state(number)
    assert (order["status"], order["billing_status"], order["fulfilment_status"]) == (
        "confirmed",
        "invoiced",
        "not_shipped",
    )
    assert events_of(number)[-1] == (
        "reopened",
        f"order {number} confirmed again: shipment SH-00001 reversed by SR-00001",
    )
    ledger_ok()
    ship(uow, number)
    assert order_state(number)["status"] == "completed"
    assert [action for action, _ in events_of(number)].count("completed") == 2
    ledger_ok()


def test_backorders_are_worked_out_again(make_order, uow, order_state, stock_of, ledger_ok):
    """12 oak desks on hand. B (4) is confirmed before A (10); A ships 10, so B waits for 2.
    Reversing A's shipment gives B its desks back first: A now waits for 2."""
    b = make_order("ACME", [("DESK-OAK", "4")])
    a = make_order("BRIGHT", [("DESK-OAK", "10")])
    ship(uow, a)
    assert line_counts(order_state, b) == [("DESK-OAK", D(0), D(2))]
    reverse(uow)
    assert line_counts(order_state, b) == [("DESK-OAK", D(0), D(0))]
    assert line_counts(order_state, a) == [("DESK-OAK", D(0), D(2))]
    assert stock_of("DESK-OAK") == (D(12), D(14))
    ledger_ok()


def test_part_of_an_order_and_a_delivered_shipment(make_order, uow, order_state, ledger_ok):
    number = make_order("ACME", [("DESK-OAK", "3"), ("LAMP-LED", "2")])
    ship(uow, number, {"DESK-OAK": "1"})
    ship(uow, number, {"DESK-OAK": "2", "LAMP-LED": "1"})
    with uow() as session:
        fulfilment.deliver_shipment(session=session, number="SH-00002")
    reverse(uow, "SH-00002", reason="wrong order")
    assert line_counts(order_state, number) == [("DESK-OAK", D(1), D(0)), ("LAMP-LED", D(0), D(0))]
    assert order_state(number)["fulfilment_status"] == "partially_shipped"
    assert shipment_of(uow, "SH-00002")["status"] == "reversed"
    assert shipment_of(uow, "SH-00001")["reversed_by"] is None
    with uow(write=False) as session:
        track = order_story.track_order(session=session, number=number)
        _, timeline = order_story.order_timeline(session=session, number=number)
    # The customer is told only of what went out; the timeline tells the correction.
    assert [s["shipment"] for s in track["shipped"]] == ["SH-00001"]
    assert [(r["event"], r["document"]) for r in timeline][-1] == (
        "shipment reversed",
        "shipment SH-00002",
    )
    ledger_ok()


@pytest.fixture
def ordered_on_march_1(make_order, monkeypatch):
    """``ordered_on_march_1(lines)``: an ACME order dated 2026-03-01, so it can ship before
    today (2026-03-10)."""

    def make(lines) -> str:
        monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-01")
        try:
            return make_order("ACME", lines)
        finally:
            monkeypatch.setenv("ORDERCLI_TODAY", TODAY.isoformat())

    return make


def test_a_dated_reversal(ordered_on_march_1, uow, ledger_ok):
    number = ordered_on_march_1([("DESK-OAK", "1")])
    ship(uow, number, ship_date=date(2026, 3, 2))
    reverse(uow, on=date(2026, 3, 4))
    assert shipment_of(uow)["reversed_by"]["date"] == date(2026, 3, 4)
    ledger_ok()


# --- refusals: exact message, ledger unchanged ------------------------------------------


def test_a_shipment_is_reversed_once(make_order, uow, refused):
    make_order("ACME", [("DESK-OAK", "1")])
    ship(uow, "SO-00001")
    reverse(uow)
    refused(
        RuleViolation,
        "cannot reverse SH-00001: it was already reversed by SR-00001 on 2026-03-10",
        lambda s: shipment_reversal.reverse_shipment(session=s, number="sh-00001", reason="r"),
    )
    refused(
        RuleViolation,
        "cannot deliver SH-00001: it was reversed (recorded in error), so nothing of it is "
        "on its way",
        lambda s: fulfilment.deliver_shipment(session=s, number="SH-00001"),
    )


def test_no_such_shipment_and_no_reason(make_order, uow, refused):
    make_order("ACME", [("DESK-OAK", "1")])
    ship(uow, "SO-00001")
    refused(
        NotFound,
        "no shipment 'SH-00009'",
        lambda s: shipment_reversal.reverse_shipment(session=s, number="SH-00009", reason="r"),
    )
    refused(
        InvalidInput,
        "reason must not be empty",
        lambda s: shipment_reversal.reverse_shipment(session=s, number="SH-00001", reason="  "),
    )


def test_an_order_on_hold_is_released_first(make_order, uow, refused):
    number = make_order("ACME", [("DESK-OAK", "2")])
    ship(uow, number, {"DESK-OAK": "1"})
    with uow() as session:
        ordering.hold_order(session=session, number=number, reason="address check")
    error = refused(
        RuleViolation,
        f"cannot reverse SH-00001: its order {number} is on hold (address check); release it first",
        lambda s: shipment_reversal.reverse_shipment(session=s, number="SH-00001", reason="r"),
    )
    assert error.hint == f"`ordercli order release {number}` first"  # type: ignore[attr-defined]


def test_dates_run_forward(ordered_on_march_1, uow, refused):
    number = ordered_on_march_1([("DESK-OAK", "3")])
    ship(uow, number, {"DESK-OAK": "1"}, ship_date=date(2026, 3, 5))
    ship(uow, number, {"DESK-OAK": "1"}, ship_date=date(2026, 3, 6))

    def reversing(number: str, on: date):
        return lambda s: shipment_reversal.reverse_shipment(
            session=s, number=number, reason="r", reversal_date=on
        )

    refused(
        InvalidInput,
        "shipment reversal date 2026-03-11 is in the future (today is 2026-03-10)",
        reversing("SH-00001", date(2026, 3, 11)),
    )
    refused(
        RuleViolation,
        "shipment reversal dated 2026-03-04 cannot come before shipment SH-00001, dated 2026-03-05",
        reversing("SH-00001", date(2026, 3, 4)),
    )
    reverse(uow, "SH-00002", on=date(2026, 3, 8))
    refused(
        RuleViolation,
        "shipment reversal dated 2026-03-07 cannot come after SR-00001, dated 2026-03-08: "
        "a later number never carries an earlier date",
        reversing("SH-00001", date(2026, 3, 7)),
    )
    assert reverse(uow, "SH-00001", on=date(2026, 3, 8)) == "SR-00002"


def test_goods_a_return_counts_on_stay_shipped(make_order, uow, refused, ledger_ok):
    number = make_order("ACME", [("DESK-OAK", "3")])
    ship(uow, number, {"DESK-OAK": "1"})
    ship(uow, number, {"DESK-OAK": "2"})
    with uow() as session:
        returns.request_return(
            session=session, order_number=number, lines=[("DESK-OAK", D(2))], reason="scratched"
        )
    # Without SH-00002 only 1 would stand shipped against the 2 asked back.
    error = refused(
        RuleViolation,
        f"cannot reverse SH-00002: return RMA-00001 takes back 2 × DESK-OAK on {number} "
        "line 1, and without this shipment only 1 would stand shipped",
        lambda s: shipment_reversal.reverse_shipment(session=s, number="SH-00002", reason="r"),
    )
    assert error.hint == "`ordercli return reject RMA-00001` first if it was asked in error"  # type: ignore[attr-defined]
    # Received, the goods count as returned: still refused, with no hint to reject.
    with uow() as session:
        returns.authorize_return(session=session, number="RMA-00001")
        returns.receive_return(session=session, number="RMA-00001", restock=True)
    error = refused(
        RuleViolation,
        f"cannot reverse SH-00002: return RMA-00001 takes back 2 × DESK-OAK on {number} "
        "line 1, and without this shipment only 1 would stand shipped",
        lambda s: shipment_reversal.reverse_shipment(session=s, number="SH-00002", reason="r"),
    )
    assert error.hint is None  # type: ignore[attr-defined]
    ledger_ok()


def test_a_return_of_less_leaves_room_and_a_rejected_one_none_to_keep(
    make_order, uow, order_state, ledger_ok
):
    number = make_order("ACME", [("DESK-OAK", "3")])
    ship(uow, number, {"DESK-OAK": "1"})
    ship(uow, number, {"DESK-OAK": "2"})
    with uow() as session:
        returns.request_return(
            session=session, order_number=number, lines=[("DESK-OAK", D(2))], reason="wrong"
        )
        returns.reject_return(session=session, number="RMA-00001", reason="not ours")
        returns.request_return(
            session=session, order_number=number, lines=[("DESK-OAK", D(1))], reason="dented"
        )
    reverse(uow, "SH-00002")
    assert line_counts(order_state, number) == [("DESK-OAK", D(1), D(0))]
    ledger_ok()


def test_a_replacement_shipment_is_not_reversed(make_order, uow, refused, ledger_ok):
    """Its goods resolve a return (``qty_replaced``): what comes back of them is a new
    return. And the original shipment's goods were returned, so it stays too."""
    number = make_order("ACME", [("DESK-OAK", "1")])
    ship(uow, number)
    with uow() as session:
        returns.request_return(
            session=session, order_number=number, lines=[("DESK-OAK", D(1))], reason="broken"
        )
        returns.authorize_return(session=session, number="RMA-00001")
        returns.receive_return(session=session, number="RMA-00001")
        returns.resolve_return(session=session, number="RMA-00001", replace=True)
    error = refused(
        RuleViolation,
        "cannot reverse SH-00002: it is the replacement shipment of return RMA-00001, and a "
        "reversal takes back only shipments of the order itself",
        lambda s: shipment_reversal.reverse_shipment(session=s, number="SH-00002", reason="r"),
    )
    assert "return request" in error.hint  # type: ignore[attr-defined]
    # SH-00001's desk came back and was replaced; the replacement makes no room for
    # taking SH-00001 back: it was sent only because that desk was returned.
    refused(
        RuleViolation,
        f"cannot reverse SH-00001: return RMA-00001 takes back 1 × DESK-OAK on {number} "
        "line 1, and without this shipment only 0 would stand shipped",
        lambda s: shipment_reversal.reverse_shipment(session=s, number="SH-00001", reason="r"),
    )
    ledger_ok()


# --- what `ordercli check` verifies -----------------------------------------------------


def test_check_ties_reversals_to_shipments(make_order, uow, engine):
    number = make_order("ACME", [("DESK-OAK", "2")])
    ship(uow, number, {"DESK-OAK": "1"})
    ship(uow, number, {"DESK-OAK": "1"})
    reverse(uow)
    with engine.begin() as conn:
        conn.execute(text("UPDATE shipment SET status = 'reversed' WHERE number = 'SH-00002'"))
        conn.execute(text("UPDATE shipment SET status = 'shipped' WHERE number = 'SH-00001'"))
    with uow(write=False) as session:
        found = {(p["check"], p["problem"]) for p in checks.run_checks(session=session)["problems"]}
    tie = "a shipment is reversed exactly when a shipment reversal took it back"
    assert (tie, "SH-00001 is shipped, reversed by SR-00001") in found
    assert (tie, "SH-00002 is reversed but no shipment reversal took it back") in found
    # Put back, and one more desk counted shipped than the shipments not reversed hold.
    with engine.begin() as conn:
        conn.execute(text("UPDATE shipment SET status = 'shipped' WHERE number = 'SH-00002'"))
        conn.execute(text("UPDATE shipment SET status = 'reversed' WHERE number = 'SH-00001'"))
        conn.execute(text("UPDATE order_line SET qty_shipped = 2000"))
    with uow(write=False) as session:
        found = {(p["check"], p["problem"]) for p in checks.run_checks(session=session)["problems"]}
    assert found == {
        (
            "shipped quantities match the shipments",
            f"{number} line 1: says shipped 2 (replaced 0), its shipments hold 1 (replacements 0)",
        ),
        (
            "reserved stock is what confirmed orders still have to ship",
            "DESK-OAK: reserved 1, confirmed orders still have to ship 0",
        ),
    }


def test_a_later_packing_slip_counts_no_reversed_goods(make_order, uow):
    """What is still to come after a shipment leaves the goods of an earlier shipment out
    once that one was reversed; the reversed slip itself still says what it said."""
    number = make_order("ACME", [("DESK-OAK", "5")])
    ship(uow, number, {"DESK-OAK": "2"})
    reverse(uow)
    ship(uow, number, {"DESK-OAK": "3"})
    with uow(write=False) as session:
        first = packing_slip_context(session, "SH-00001")["shipment"]
        second = packing_slip_context(session, "SH-00002")["shipment"]
    assert [(ln["qty"], ln["still_to_come"]) for ln in first["lines"]] == [(D(2), D(3))]
    assert first["status"] == "reversed"
    assert [(ln["qty"], ln["still_to_come"]) for ln in second["lines"]] == [(D(3), D(2))]
