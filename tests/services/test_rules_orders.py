"""SPEC rules 6 (drafts, confirming), 7 (changes, cancel, hold) and 8 (order statuses)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordercli.domain.errors import RuleViolation
from ordercli.services.sales import fulfilment, invoicing, ordering

D = Decimal


def run(uow, action):
    with uow() as session:
        return action(session)


def statuses(order_state, number: str) -> tuple[str, str, str]:
    view = order_state(number)
    return view["status"], view["billing_status"], view["fulfilment_status"]


def invoice(uow, number: str, lines: dict | None = None):
    requests = [(sku, D(qty)) for sku, qty in lines.items()] if lines else None
    return run(
        uow, lambda s: invoicing.create_invoice(session=s, order_number=number, lines=requests)
    )


def ship(uow, number: str, lines: dict | None = None):
    requests = [(sku, D(qty)) for sku, qty in lines.items()] if lines else None
    return run(
        uow, lambda s: fulfilment.create_shipment(session=s, order_number=number, lines=requests)
    )


# Rule 6 ---------------------------------------------------------------------


def test_a_draft_cannot_be_invoiced(make_order, refused):
    number = make_order(confirm=False)
    refused(
        RuleViolation,
        f"cannot invoice {number}: it is a draft; confirm it first",
        lambda s: invoicing.create_invoice(session=s, order_number=number),
    )


def test_a_draft_cannot_be_shipped(make_order, refused):
    number = make_order(confirm=False)
    refused(
        RuleViolation,
        f"cannot ship {number}: it is a draft; confirm it first",
        lambda s: fulfilment.create_shipment(session=s, order_number=number),
    )


def test_confirming_needs_a_line(make_order, refused):
    number = make_order(lines=[], confirm=False)
    refused(
        RuleViolation,
        f"cannot confirm {number}: it has no lines",
        lambda s: ordering.confirm_order(session=s, number=number),
    )


def test_an_order_is_confirmed_once(make_order, refused):
    number = make_order()
    refused(
        RuleViolation,
        f"cannot confirm {number}: it is confirmed, not draft",
        lambda s: ordering.confirm_order(session=s, number=number),
    )


def test_a_draft_is_fully_editable_and_reserves_nothing(make_order, uow, order_state, stock_of):
    number = make_order(lines=[("DESK-OAK", "2"), ("CHAIR-ERGO", "4")], confirm=False)
    run(
        uow,
        lambda s: ordering.edit_order_line(
            session=s, number=number, line_ref="DESK-OAK", qty=D(3), price=D("450"), discount=D(10)
        ),
    )
    run(uow, lambda s: ordering.remove_order_line(session=s, number=number, line_ref="2"))
    run(
        uow,
        lambda s: ordering.add_order_line(session=s, number=number, sku="LAMP-LED", qty=D(1)),
    )
    view = order_state(number)
    assert [(ln["sku"], ln["qty"], ln["unit_price"], ln["net"]) for ln in view["lines"]] == [
        ("DESK-OAK", D(3), D("450.00"), D("1215.00")),
        ("LAMP-LED", D(1), D("49.95"), D("49.95")),
    ]
    assert view["subtotal"] == D("1264.95")
    assert stock_of("DESK-OAK") == (D(12), D(0))
    assert stock_of("CHAIR-ERGO") == (D(40), D(0))
    assert stock_of("LAMP-LED") == (D(100), D(0))


def test_confirming_reserves_stock_but_not_for_services(make_order, uow, stock_of, order_state):
    number = make_order(lines=[("DESK-OAK", "4"), ("INSTALL", "3")], confirm=False)
    run(uow, lambda s: ordering.confirm_order(session=s, number=number))
    assert stock_of("DESK-OAK") == (D(12), D(4))
    assert stock_of("INSTALL") == (D(0), D(0))
    assert statuses(order_state, number) == ("confirmed", "not_invoiced", "not_shipped")


def test_confirming_more_than_available_backorders_the_rest(make_order, stock_of, order_state):
    number = make_order(lines=[("DESK-STAND", "8")])  # 5 on hand
    assert stock_of("DESK-STAND") == (D(5), D(8))
    line = order_state(number)["lines"][0]
    assert (line["qty_backordered"], line["backordered"]) == (D(3), True)


# Rule 7 ---------------------------------------------------------------------


def test_a_confirmed_line_never_drops_below_what_is_invoiced_or_shipped(
    make_order, uow, refused, stock_of
):
    number = make_order(lines=[("DESK-OAK", "4")])
    invoice(uow, number, {"DESK-OAK": "2"})
    ship(uow, number, {"DESK-OAK": "3"})
    refused(
        RuleViolation,
        f"cannot set line 1 (DESK-OAK) on {number} to 2: already invoiced 2, shipped 3",
        lambda s: ordering.edit_order_line(session=s, number=number, line_ref="1", qty=D(2)),
    )
    refused(
        RuleViolation,
        f"cannot remove line 1 (DESK-OAK) from {number}: 2 invoiced, 3 shipped",
        lambda s: ordering.remove_order_line(session=s, number=number, line_ref="1"),
    )
    # Down to exactly what was shipped is allowed and releases the rest of the reservation.
    assert stock_of("DESK-OAK") == (D(9), D(1))
    run(uow, lambda s: ordering.edit_order_line(session=s, number=number, line_ref="1", qty=D(3)))
    assert stock_of("DESK-OAK") == (D(9), D(0))


def test_the_price_of_an_invoiced_line_is_fixed(make_order, uow, refused):
    number = make_order(lines=[("DESK-OAK", "4")])
    invoice(uow, number, {"DESK-OAK": "1"})
    refused(
        RuleViolation,
        f"cannot change the price of line 1 (DESK-OAK) on {number}: 1 already invoiced, "
        "0 already shipped",
        lambda s: ordering.edit_order_line(session=s, number=number, line_ref="1", price=D("1.00")),
    )


def test_changing_a_confirmed_quantity_moves_the_reservation(make_order, uow, stock_of):
    number = make_order(lines=[("DESK-OAK", "4")])
    run(uow, lambda s: ordering.edit_order_line(session=s, number=number, line_ref="1", qty=D(6)))
    assert stock_of("DESK-OAK") == (D(12), D(6))
    run(uow, lambda s: ordering.edit_order_line(session=s, number=number, line_ref="1", qty=D(1)))
    assert stock_of("DESK-OAK") == (D(12), D(1))


def test_removing_a_confirmed_line_releases_its_reservation(make_order, uow, refused, stock_of):
    number = make_order(lines=[("DESK-OAK", "4"), ("CHAIR-ERGO", "2")])
    assert stock_of("CHAIR-ERGO") == (D(40), D(2))
    run(uow, lambda s: ordering.remove_order_line(session=s, number=number, line_ref="2"))
    assert stock_of("CHAIR-ERGO") == (D(40), D(0))
    assert stock_of("DESK-OAK") == (D(12), D(4))
    refused(
        RuleViolation,
        f"cannot remove the last line of confirmed order {number}",
        lambda s: ordering.remove_order_line(session=s, number=number, line_ref="1"),
    )


def test_an_invoiced_order_cannot_be_cancelled(make_order, uow, refused):
    number = make_order(lines=[("DESK-OAK", "4")])
    invoice(uow, number, {"DESK-OAK": "2"})
    refused(
        RuleViolation,
        f"cannot cancel {number}: 2 invoiced and 0 shipped already",
        lambda s: ordering.cancel_order(session=s, number=number),
    )


def test_a_shipped_order_cannot_be_cancelled(make_order, uow, refused):
    number = make_order(lines=[("DESK-OAK", "4")])
    ship(uow, number, {"DESK-OAK": "1"})
    refused(
        RuleViolation,
        f"cannot cancel {number}: 0 invoiced and 1 shipped already",
        lambda s: ordering.cancel_order(session=s, number=number),
    )


def test_cancelling_releases_the_reservations(make_order, uow, stock_of, order_state):
    number = make_order(lines=[("DESK-OAK", "4"), ("CHAIR-ERGO", "2"), ("DESK-STAND", "7")])
    assert stock_of("DESK-STAND") == (D(5), D(7))
    run(uow, lambda s: ordering.cancel_order(session=s, number=number, reason="changed mind"))
    assert stock_of("DESK-OAK") == (D(12), D(0))
    assert stock_of("CHAIR-ERGO") == (D(40), D(0))
    assert stock_of("DESK-STAND") == (D(5), D(0))
    assert order_state(number)["status"] == "cancelled"
    assert all(ln["qty_backordered"] == 0 for ln in order_state(number)["lines"])


def test_cancelling_a_held_confirmed_order_releases_its_reservations(make_order, uow, stock_of):
    number = make_order(lines=[("DESK-OAK", "4")])
    run(uow, lambda s: ordering.hold_order(session=s, number=number, reason="fraud check"))
    assert stock_of("DESK-OAK") == (D(12), D(4))
    run(uow, lambda s: ordering.cancel_order(session=s, number=number))
    assert stock_of("DESK-OAK") == (D(12), D(0))


def test_a_cancelled_order_stays_cancelled(make_order, uow, refused):
    number = make_order()
    run(uow, lambda s: ordering.cancel_order(session=s, number=number))
    refused(
        RuleViolation,
        f"cannot cancel {number}: it is cancelled",
        lambda s: ordering.cancel_order(session=s, number=number),
    )
    refused(
        RuleViolation,
        f"cannot invoice {number}: it is cancelled",
        lambda s: invoicing.create_invoice(session=s, order_number=number),
    )
    refused(
        RuleViolation,
        f"cannot ship {number}: it is cancelled",
        lambda s: fulfilment.create_shipment(session=s, order_number=number),
    )


@pytest.fixture
def held(make_order, uow):
    number = make_order(lines=[("DESK-OAK", "4")])
    run(uow, lambda s: ordering.hold_order(session=s, number=number, reason="price dispute"))
    return number


def test_a_held_order_cannot_be_invoiced(held, refused):
    refused(
        RuleViolation,
        f"cannot invoice {held}: it is on hold (price dispute); release it first",
        lambda s: invoicing.create_invoice(session=s, order_number=held),
    )


def test_a_held_order_cannot_be_shipped(held, refused):
    refused(
        RuleViolation,
        f"cannot ship {held}: it is on hold (price dispute); release it first",
        lambda s: fulfilment.create_shipment(session=s, order_number=held),
    )


def test_a_held_order_cannot_be_edited(held, refused):
    refused(
        RuleViolation,
        f"cannot edit a line on {held}: it is on hold (price dispute); release it first",
        lambda s: ordering.edit_order_line(session=s, number=held, line_ref="1", qty=D(5)),
    )


def test_a_held_draft_cannot_be_confirmed_until_released(make_order, uow, refused, order_state):
    number = make_order(confirm=False)
    run(uow, lambda s: ordering.hold_order(session=s, number=number, reason="awaiting PO"))
    refused(
        RuleViolation,
        f"cannot confirm {number}: it is on hold (awaiting PO)",
        lambda s: ordering.confirm_order(session=s, number=number),
    )
    run(uow, lambda s: ordering.release_order(session=s, number=number))
    assert order_state(number)["status"] == "draft"
    run(uow, lambda s: ordering.confirm_order(session=s, number=number))
    assert order_state(number)["status"] == "confirmed"


def test_a_released_order_can_be_invoiced_and_shipped(held, uow, order_state):
    run(uow, lambda s: ordering.release_order(session=s, number=held))
    assert order_state(held)["status"] == "confirmed"
    assert order_state(held)["hold_reason"] is None
    invoice(uow, held)
    ship(uow, held)
    assert statuses(order_state, held) == ("completed", "invoiced", "shipped")


def test_only_a_held_order_is_released(make_order, refused):
    number = make_order()
    refused(
        RuleViolation,
        f"cannot release {number}: it is confirmed, not on hold",
        lambda s: ordering.release_order(session=s, number=number),
    )


# Rule 8 ---------------------------------------------------------------------


def test_statuses_progress_to_completed(make_order, uow, order_state, refused):
    number = make_order(lines=[("DESK-OAK", "4"), ("INSTALL", "2")], confirm=False)
    assert statuses(order_state, number) == ("draft", "not_invoiced", "not_shipped")
    run(uow, lambda s: ordering.confirm_order(session=s, number=number))
    assert statuses(order_state, number) == ("confirmed", "not_invoiced", "not_shipped")
    invoice(uow, number, {"DESK-OAK": "1"})
    assert statuses(order_state, number) == ("confirmed", "partially_invoiced", "not_shipped")
    invoice(uow, number, {"DESK-OAK": "3"})
    # Every desk invoiced, the installation not yet: still partial.
    assert statuses(order_state, number) == ("confirmed", "partially_invoiced", "not_shipped")
    invoice(uow, number)
    # Invoicing the installation delivered it (rule 12); the desks are still to ship.
    assert statuses(order_state, number) == ("confirmed", "invoiced", "partially_shipped")
    ship(uow, number, {"DESK-OAK": "4"})
    assert statuses(order_state, number) == ("completed", "invoiced", "shipped")
    refused(
        RuleViolation,
        f"cannot invoice {number}: it is completed: fully invoiced and shipped",
        lambda s: invoicing.create_invoice(session=s, order_number=number),
    )
    refused(
        RuleViolation,
        f"cannot cancel {number}: it is completed",
        lambda s: ordering.cancel_order(session=s, number=number),
    )
    refused(
        RuleViolation,
        f"cannot add a line on {number}: it is completed",
        lambda s: ordering.add_order_line(session=s, number=number, sku="LAMP-LED", qty=D(1)),
    )


def test_shipped_first_then_invoiced_also_completes(make_order, uow, order_state):
    number = make_order(lines=[("DESK-OAK", "2")])
    ship(uow, number)
    assert statuses(order_state, number) == ("confirmed", "not_invoiced", "shipped")
    invoice(uow, number, {"DESK-OAK": "1"})
    assert statuses(order_state, number) == ("confirmed", "partially_invoiced", "shipped")
    invoice(uow, number)
    assert statuses(order_state, number) == ("completed", "invoiced", "shipped")


def test_shrinking_the_last_open_line_completes_the_order(make_order, uow, order_state):
    number = make_order(lines=[("DESK-OAK", "4")])
    invoice(uow, number, {"DESK-OAK": "3"})
    ship(uow, number, {"DESK-OAK": "3"})
    assert statuses(order_state, number) == (
        "confirmed",
        "partially_invoiced",
        "partially_shipped",
    )
    run(uow, lambda s: ordering.edit_order_line(session=s, number=number, line_ref="1", qty=D(3)))
    assert statuses(order_state, number) == ("completed", "invoiced", "shipped")


def test_growing_a_fully_invoiced_line_makes_billing_partial_again(make_order, uow, order_state):
    number = make_order(lines=[("DESK-OAK", "2")])
    invoice(uow, number)
    assert statuses(order_state, number) == ("confirmed", "invoiced", "not_shipped")
    run(uow, lambda s: ordering.edit_order_line(session=s, number=number, line_ref="1", qty=D(3)))
    assert statuses(order_state, number) == ("confirmed", "partially_invoiced", "not_shipped")


def test_hold_and_release_keep_the_progress(make_order, uow, order_state):
    number = make_order(lines=[("DESK-OAK", "4")])
    invoice(uow, number, {"DESK-OAK": "1"})
    run(uow, lambda s: ordering.hold_order(session=s, number=number, reason="check"))
    assert statuses(order_state, number) == ("on_hold", "partially_invoiced", "not_shipped")
    run(uow, lambda s: ordering.release_order(session=s, number=number))
    assert statuses(order_state, number) == ("confirmed", "partially_invoiced", "not_shipped")
