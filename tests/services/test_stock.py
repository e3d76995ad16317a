"""SPEC rule 12: shipping takes stock off hand and off the reservation, never below zero;
services hold no stock; a shipment records carrier and tracking and is delivered once."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text
from sqlmodel import select

from ordercli.domain.errors import RuleViolation
from ordercli.models import Product, StockMove
from ordercli.services.inventory import catalog, levels, stock
from ordercli.services.sales import fulfilment, invoicing, ordering
from ordercli.views import sales as views

D = Decimal


def ship(uow, number: str, lines: dict | None = None, **kw):
    requests = [(sku, D(qty)) for sku, qty in lines.items()] if lines else None
    with uow() as session:
        return fulfilment.create_shipment(
            session=session, order_number=number, lines=requests, **kw
        )


def moves(uow, sku: str) -> list[tuple[int, str, str | None]]:
    with uow(write=False) as session:
        product = catalog.get_product(session=session, sku=sku)
        rows = session.exec(
            select(StockMove).where(StockMove.product_id == product.id).order_by(StockMove.id)
        )
        return [(m.qty, m.kind, m.reference) for m in rows]


def test_shipping_takes_stock_off_hand_and_off_the_reservation(make_order, uow, stock_of):
    number = make_order(lines=[("DESK-OAK", "4")])
    assert stock_of("DESK-OAK") == (D(12), D(4))
    first = ship(uow, number, {"DESK-OAK": "3"})
    assert stock_of("DESK-OAK") == (D(9), D(1))
    second = ship(uow, number)
    assert stock_of("DESK-OAK") == (D(8), D(0))
    assert moves(uow, "DESK-OAK") == [
        (12000, "receive", "opening stock"),
        (-3000, "ship", first.number),
        (-1000, "ship", second.number),
    ]


def test_shipping_more_than_on_hand_is_refused(make_order, uow, refused, stock_of):
    number = make_order(lines=[("DESK-STAND", "8")])  # 5 on hand, 3 backordered
    refused(
        RuleViolation,
        f"cannot ship 8 × DESK-STAND on {number} from MAIN: only 5 on hand there",
        lambda s: fulfilment.create_shipment(session=s, order_number=number),
    )
    ship(uow, number, {"DESK-STAND": "5"})
    assert stock_of("DESK-STAND") == (D(0), D(3))
    refused(
        RuleViolation,
        f"cannot ship 1 × DESK-STAND on {number} from MAIN: only 0 on hand there",
        lambda s: fulfilment.create_shipment(
            session=s, order_number=number, lines=[("DESK-STAND", D(1))]
        ),
    )


def test_one_sku_on_two_lines_is_checked_against_stock_as_a_whole(make_order, refused):
    number = make_order(lines=[("DESK-STAND", "3"), ("DESK-STAND", "3")])
    refused(
        RuleViolation,
        f"cannot ship 6 × DESK-STAND on {number} from MAIN: only 5 on hand there",
        lambda s: fulfilment.create_shipment(session=s, order_number=number),
    )


def test_fractional_stock_ships_exactly(make_order, uow, refused, stock_of):
    number = make_order(lines=[("COFFEE-KG", "40")])  # 35.5 kg on hand
    refused(
        RuleViolation,
        f"cannot ship 36 × COFFEE-KG on {number} from MAIN: only 35.5 on hand there",
        lambda s: fulfilment.create_shipment(
            session=s, order_number=number, lines=[("COFFEE-KG", D(36))]
        ),
    )
    ship(uow, number, {"COFFEE-KG": "35.5"})
    assert stock_of("COFFEE-KG") == (D(0), D("4.5"))


def test_stock_reserved_for_one_order_cannot_be_shipped_twice(make_order, uow, refused, stock_of):
    first = make_order("ACME", [("DESK-OAK", "10")])
    second = make_order("BRIGHT", [("DESK-OAK", "10")])
    ship(uow, first)
    assert stock_of("DESK-OAK") == (D(2), D(10))
    refused(
        RuleViolation,
        f"cannot ship 10 × DESK-OAK on {second} from MAIN: only 2 on hand there",
        lambda s: fulfilment.create_shipment(session=s, order_number=second),
    )
    with uow(write=False) as session:
        assert all(p.on_hand >= 0 for p in session.exec(select(Product)))


def test_stock_never_goes_negative(seeded, refused):
    def take_too_much(session):
        product = catalog.get_product(session=session, sku="DESK-OAK")
        levels.move_stock(
            session=session, product=product, qty=-13000, kind="adjust", reference=None
        )

    refused(
        RuleViolation, "not enough DESK-OAK on hand in MAIN: 12 on hand, 13 needed", take_too_much
    )
    refused(
        RuleViolation,
        "the ledger refused the change: CHECK constraint failed: ck_product_on_hand_not_negative",
        lambda s: s.connection().execute(
            text("UPDATE product SET on_hand = -1 WHERE sku = 'DESK-OAK'")
        ),
    )


def test_services_are_delivered_by_invoicing_without_touching_stock(
    make_order, uow, stock_of, order_state
):
    number = make_order(lines=[("INSTALL", "3"), ("DESIGN", "1.5")])
    assert stock_of("INSTALL") == (D(0), D(0))  # never reserved
    with uow() as session:
        invoicing.create_invoice(session=session, order_number=number)
    assert stock_of("INSTALL") == (D(0), D(0))
    assert stock_of("DESIGN") == (D(0), D(0))
    assert moves(uow, "INSTALL") == []
    state = order_state(number)
    assert (state["status"], state["fulfilment_status"]) == ("completed", "shipped")
    assert [(ln["qty_shipped"], ln["qty_fulfilled"]) for ln in state["lines"]] == [
        (D(0), D(3)),
        (D(0), D("1.5")),
    ]


def test_services_hold_no_stock(seeded, refused):
    def receive(session):
        product = catalog.get_product(session=session, sku="INSTALL")
        levels.move_stock(
            session=session, product=product, qty=1000, kind="receive", reference=None
        )

    refused(RuleViolation, "INSTALL is a service and holds no stock", receive)


def test_a_shipment_records_carrier_and_tracking_and_is_delivered_once(
    make_order, uow, refused, monkeypatch
):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-06-15")
    number = make_order(lines=[("LAMP-LED", "2")])
    shipment = ship(uow, number, carrier="DHL Express", tracking="JD0146000012345")
    with uow() as session:
        fulfilment.deliver_shipment(session=session, number=shipment.number)
    with uow(write=False) as session:
        view = views.shipment_view(
            session, fulfilment.get_shipment(session=session, number=shipment.number)
        )
    assert (view["order"], view["carrier"], view["tracking"]) == (
        number,
        "DHL Express",
        "JD0146000012345",
    )
    assert view["status"] == "delivered"
    assert view["delivered_at"].date().isoformat() == "2026-06-15"
    refused(
        RuleViolation,
        f"{shipment.number} was already delivered on 2026-06-15",
        lambda s: fulfilment.deliver_shipment(session=s, number=shipment.number),
    )


def test_backorders_shrink_as_stock_ships(make_order, uow, order_state, stock_of):
    number = make_order(lines=[("WHITEBOARD", "9")])  # 6 on hand
    assert order_state(number)["lines"][0]["qty_backordered"] == D(3)
    ship(uow, number, {"WHITEBOARD": "6"})
    assert stock_of("WHITEBOARD") == (D(0), D(3))
    line = order_state(number)["lines"][0]
    assert (line["qty_shipped"], line["qty_backordered"]) == (D(6), D(3))
    with uow() as session:
        ordering.edit_order_line(session=session, number=number, line_ref="1", qty=D(6))
    assert stock_of("WHITEBOARD") == (D(0), D(0))
    assert order_state(number)["lines"][0]["qty_backordered"] == D(0)


def test_received_stock_clears_backorders_in_confirmation_order(make_order, uow, order_state):
    first = make_order("ACME", [("DESK-STAND", "4")])  # 5 on hand: fully covered
    second = make_order("BRIGHT", [("DESK-STAND", "4")])  # 1 left for it: 3 backordered
    third = make_order("NORD", [("DESK-STAND", "2")])  # nothing left: 2 backordered

    def backorders():
        return [order_state(n)["lines"][0]["qty_backordered"] for n in (first, second, third)]

    assert backorders() == [D(0), D(3), D(2)]
    with uow() as session:
        stock.receive_stock(session=session, sku="DESK-STAND", qty=D(2), reference="PO-77")
    assert backorders() == [D(0), D(1), D(2)]
    with uow() as session:
        stock.receive_stock(session=session, sku="DESK-STAND", qty=D(2))
    assert backorders() == [D(0), D(0), D(1)]
    assert moves(uow, "DESK-STAND")[-2:] == [(2000, "receive", "PO-77"), (2000, "receive", None)]


def test_an_adjustment_never_takes_stock_below_zero(seeded, uow, refused, stock_of):
    refused(
        RuleViolation,
        "not enough LAMP-LED on hand in MAIN: 100 on hand, 101 needed",
        lambda s: stock.adjust_stock(session=s, sku="LAMP-LED", qty=D(-101), reason="stocktake"),
    )
    with uow() as session:
        stock.adjust_stock(session=session, sku="LAMP-LED", qty=D(-100), reason="flood")
    assert stock_of("LAMP-LED") == (D(0), D(0))
    assert moves(uow, "LAMP-LED")[-1] == (-100000, "adjust", "flood")
