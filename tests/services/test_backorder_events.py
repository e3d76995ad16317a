"""Rule 4: an order line becoming backordered, or covered again, is logged on its order."""

from __future__ import annotations

from decimal import Decimal as D

from ordercli.books.events import events_for
from ordercli.services.inventory import catalog, stock
from ordercli.services.parties import customers
from ordercli.services.sales import fulfilment, ordering


def _backorder_messages(uow, number):
    with uow() as session:
        order = ordering.get_order(session=session, number=number)
        return [
            e.message
            for e in events_for(session=session, order_id=order.id, quote_id=None)
            if e.action == "backorder"
        ]


def test_stock_taken_by_another_order_and_received_again_is_logged(uow):
    with uow() as session:
        customers.add_customer(session=session, name="A", code="A")
        catalog.add_product(session=session, sku="W", name="Widget", price=D(1), stock=D(5))
        for _ in range(2):
            order = ordering.new_order(session=session, customer_code="A")
            ordering.add_order_line(session=session, number=order.number, sku="W", qty=D(4))
            ordering.confirm_order(session=session, number=order.number)
    assert _backorder_messages(uow, "SO-00002") == ["line 1 (W) is backordered 3"]
    with uow() as session:
        fulfilment.create_shipment(session=session, order_number="SO-00002")
    assert _backorder_messages(uow, "SO-00001") == ["line 1 (W) is backordered 3"]
    with uow() as session:
        stock.receive_stock(session=session, sku="W", qty=D(10))
        line = ordering.order_lines(
            session=session, order=ordering.get_order(session=session, number="SO-00001")
        )[0]
        assert line.qty_backordered == 0
    assert _backorder_messages(uow, "SO-00001")[-1] == "line 1 (W) is covered by stock"
