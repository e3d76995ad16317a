"""Shipments: goods leave the warehouse, whole or in parts (SPEC rules 9, 12).

A shipment takes quantities from a confirmed order's lines of goods, never more
than ordered and never more than is on hand: stock never goes negative. Shipping
takes the goods off on-hand stock and off the order's reservation. Only goods
are shipped: a service is delivered by invoicing it, so a shipment never takes
a service line, and asking to ship one is refused. A shipment records carrier
and tracking number and is later marked delivered. A shipment recorded in error is
reversed (``shipment_reversal.py``), never edited or deleted.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, select

from ordercli.books.chronology import check_dated
from ordercli.books.clock import now, today
from ordercli.books.events import record_event
from ordercli.books.integrity import seal
from ordercli.books.numbering import next_number
from ordercli.db.queries import by_number, newest_first
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.domain.money import qty_from_db
from ordercli.domain.states import ShipmentStatus
from ordercli.domain.text import clean_text, parse_status
from ordercli.models import Customer, OrderLine, SalesOrder, Shipment, ShipmentLine
from ordercli.services.inventory.catalog import get_product, service_ids
from ordercli.services.inventory.levels import allocate_stock, lock_products, move_stock, reserve
from ordercli.services.inventory.warehouses import get_warehouse, on_hand_in
from ordercli.services.parties.customers import get_customer
from ordercli.services.parties.snapshots import freeze_parties_of
from ordercli.services.sales.ordering import (
    allocate_lines,
    check_workable,
    get_order,
    order_lines,
    refresh_order_status,
)


def create_shipment(
    *,
    session: Session,
    order_number: str,
    lines: list[tuple[str, Decimal]] | None = None,
    carrier: str | None = None,
    tracking: str | None = None,
    ship_date: date | None = None,
    warehouse: str | None = None,
) -> Shipment:
    """Ship from ``warehouse`` (default: the default warehouse), which must hold the goods."""
    carrier = clean_text(carrier, what="carrier", max_length=100)
    tracking = clean_text(tracking, what="tracking number", max_length=100)
    source = get_warehouse(session=session, code=warehouse)
    if not source.active:
        raise RuleViolation(f"warehouse {source.code} is inactive")
    assert source.id is not None  # a stored warehouse
    order = get_order(session=session, number=order_number, for_update=True)
    check_workable(order, "ship")
    assert order.id is not None  # a stored order
    all_lines = order_lines(session=session, order=order)
    goods = _goods_lines(session, order, all_lines, lines)
    taken = allocate_lines(
        session=session,
        order=order,
        lines=goods,
        requests=lines,
        done_attr="qty_shipped",
        verb="ship",
    )
    products = lock_products(session, (line.product_id for line, _ in taken))
    needed: dict[int, int] = defaultdict(int)
    for line, qty in taken:
        needed[line.product_id] += qty
    for product_id, qty in needed.items():
        product = products[product_id]
        held = on_hand_in(session, product_id, source.id)
        if qty > held:
            elsewhere = product.on_hand - held
            raise RuleViolation(
                f"cannot ship {qty_from_db(qty)} × {product.sku} on {order.number} from "
                f"{source.code}: only {qty_from_db(held)} on hand there",
                hint=f"ship what there is with --line {product.sku}=QTY, or receive stock first"
                + (
                    f" ({qty_from_db(elsewhere)} in other warehouses: --warehouse W, "
                    "or `ordercli stock transfer`)"
                    if elsewhere > 0
                    else ""
                ),
            )
    number = next_number(session=session, kind="shipment")
    ship_date = ship_date or today()
    check_dated(  # rule 4a: not before its order nor the series' latest shipment
        session,
        what="shipment",
        on=ship_date,
        series="shipment",
        sources=[(f"order {order.number}", order.order_date)],
    )
    moment = now()
    seller_id, buyer_id = freeze_parties_of(session, order.customer_id)
    shipment = Shipment(
        number=number,
        order_id=order.id,
        customer_id=order.customer_id,
        seller_id=seller_id,
        buyer_id=buyer_id,
        status=ShipmentStatus.SHIPPED,
        carrier=carrier,
        tracking=tracking,
        ship_date=ship_date,
        warehouse_id=source.id,
        created_at=moment,
    )
    items: list[ShipmentLine] = []
    for position, (line, qty) in enumerate(taken, start=1):
        assert line.id is not None  # a stored order line
        items.append(
            # shipment_id is set below, once the shipment is flushed and has its id.
            ShipmentLine(  # type: ignore[call-arg]
                order_line_id=line.id,
                position=position,
                product_id=line.product_id,
                sku=products[line.product_id].sku,
                description=line.description,
                unit=line.unit,
                qty=qty,
            )
        )
    customer = session.get(Customer, order.customer_id)
    assert customer is not None  # customers are never deleted
    seal(
        session,
        shipment,
        refs={
            "order": order.number,
            "customer": customer.code,
            "warehouse": source.code,
            "return": None,
        },
        lines=items,
    )
    session.add(shipment)
    session.flush()
    assert shipment.id is not None  # just flushed
    for item, (line, qty) in zip(items, taken, strict=True):
        product = products[line.product_id]
        item.shipment_id = shipment.id
        session.add(item)
        move_stock(
            session=session,
            product=product,
            qty=-qty,
            kind="ship",
            reference=number,
            warehouse=source,
        )
        reserve(session=session, product=product, qty=-qty)
        line.qty_shipped += qty
        line.last_state_change = moment
        session.add(line)
    for product in products.values():
        allocate_stock(session=session, product=product)
    via = f" from {source.code}" + (" via " + carrier if carrier else "")
    record_event(
        session=session,
        subject_kind="shipment",
        subject_number=number,
        action="shipped",
        order_id=order.id,
        message=f"shipment {number} for {order.number}: {len(taken)} line(s){via}"
        + (f", tracking {tracking}" if tracking else ""),
    )
    refresh_order_status(session=session, order=order, lines=all_lines)
    return shipment


def _goods_lines(
    session: Session,
    order: SalesOrder,
    lines: list[OrderLine],
    requests: list[tuple[str, Decimal]] | None,
) -> list[OrderLine]:
    """The order's lines a shipment may take: goods only (rule 12). Asking for a service,
    or shipping an order of services alone, is refused with what to do instead."""
    services = service_ids(session, (line.product_id for line in lines))
    for sku, _ in requests or ():
        product = get_product(session=session, sku=sku)
        if product.service:
            raise RuleViolation(
                f"cannot ship {product.sku} on {order.number}: it is a service, delivered "
                "by invoicing it, never shipped",
                hint=f"`ordercli invoice create {order.number} --partial --line "
                f"{product.sku}=QTY` delivers it",
            )
    goods = [line for line in lines if line.product_id not in services]
    invoice_them = f"`ordercli invoice create {order.number}` delivers them"
    if lines and not goods:
        raise RuleViolation(
            f"nothing to ship on {order.number}: it holds only services, which are "
            "delivered by invoicing them, never shipped",
            hint=invoice_them,
        )
    if services and requests is None and all(line.qty_shipped >= line.qty for line in goods):
        raise RuleViolation(
            f"nothing left to ship on {order.number}: its goods are fully shipped, and "
            "services are delivered by invoicing them, never shipped",
            hint=invoice_them
            if any(line.qty_invoiced < line.qty for line in lines if line.product_id in services)
            else None,
        )
    return goods


def get_shipment(*, session: Session, number: str, for_update: bool = False) -> Shipment:
    number = (number or "").strip()
    if not number:
        raise InvalidInput("shipment number is empty")
    query = select(Shipment)
    if for_update:
        # Read afresh under a row lock (PostgreSQL): its status is about to change.
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    shipment = by_number(session, query, Shipment.number, number)
    if shipment is None:
        raise NotFound(
            f"no shipment {number!r}", hint="`ordercli shipment list` shows the shipments"
        )
    return shipment


def shipment_lines(*, session: Session, shipment: Shipment) -> list[ShipmentLine]:
    return list(
        session.exec(
            select(ShipmentLine)
            .where(ShipmentLine.shipment_id == shipment.id)
            .order_by(col(ShipmentLine.position))
        )
    )


def deliver_shipment(*, session: Session, number: str) -> Shipment:
    shipment = get_shipment(session=session, number=number, for_update=True)
    if shipment.status == ShipmentStatus.REVERSED:
        raise RuleViolation(
            f"cannot deliver {shipment.number}: it was reversed (recorded in error), "
            "so nothing of it is on its way"
        )
    if shipment.status == ShipmentStatus.DELIVERED:
        raise RuleViolation(
            f"{shipment.number} was already delivered on {shipment.delivered_at:%Y-%m-%d}"
        )
    shipment.status = ShipmentStatus.DELIVERED
    shipment.delivered_at = now()
    session.add(shipment)
    record_event(
        session=session,
        subject_kind="shipment",
        subject_number=shipment.number,
        action="delivered",
        order_id=shipment.order_id,
        message=f"shipment {shipment.number} delivered",
    )
    return shipment


def list_shipments(
    *,
    session: Session,
    status: str | None = None,
    customer: str | None = None,
    order: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int | None = 50,
) -> list[Shipment]:
    query = select(Shipment)
    if status:
        query = query.where(
            Shipment.status == parse_status(ShipmentStatus, status, what="shipment")
        )
    if customer:
        query = query.where(Shipment.customer_id == get_customer(session=session, code=customer).id)
    if order:
        query = query.where(Shipment.order_id == get_order(session=session, number=order).id)
    query = newest_first(
        query,
        model=Shipment,
        date_column=Shipment.ship_date,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
    )
    return list(session.exec(query))


def shipments_of_order(*, session: Session, order: SalesOrder) -> list[Shipment]:
    return list(
        session.exec(
            select(Shipment).where(Shipment.order_id == order.id).order_by(col(Shipment.id))
        )
    )
