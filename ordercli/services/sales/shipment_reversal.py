"""Shipment reversals: a shipment recorded in error, taken back whole (SPEC rules 4, 4a, 12).

An issued shipment is never edited or deleted (rule 4). When it was recorded in
error (goods that never left, the wrong order, a double entry), a shipment
reversal corrects it: a numbered document of its own (``SR-00001``), sealed in
its own hash chain and logged on the order's timeline. The shipment keeps every
word it said and only its status becomes ``reversed``.

Reversing puts the goods back where they left from (a ``shipment_reversal``
stock move into the shipment's warehouse), takes the quantities off the order
lines' shipped counters and reserves them again for the order, as confirming
did; backorders are worked out again and a completed order is confirmed again,
so the goods can be shipped anew. A delivered shipment can be reversed too: its
delivery was recorded in error as well.

Refused, changing nothing: a shipment already reversed; a replacement shipment
of a return (its goods resolve the return; what comes back of them is a new
return); a shipment whose goods a return counts on (returned, or asked back by
an open return: the order line would stand shipped less than it had back); an
order on hold (release it first); a date in the future, before the ship date,
or before the latest reversal's.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlmodel import Session, col, func, select

from ordercli.books.chronology import check_dated
from ordercli.books.clock import now, today
from ordercli.books.events import record_event
from ordercli.books.integrity import seal
from ordercli.books.numbering import next_number
from ordercli.domain.errors import RuleViolation
from ordercli.domain.money import qty_from_db
from ordercli.domain.states import (
    RETURN_OPEN,
    OrderStatus,
    ReturnStatus,
    ShipmentStatus,
    refusal,
)
from ordercli.domain.text import clean_text
from ordercli.models import (
    CreditMemo,
    CreditMemoLine,
    Customer,
    OrderLine,
    Rma,
    RmaLine,
    SalesOrder,
    Shipment,
    ShipmentLine,
    ShipmentReversal,
    Warehouse,
)
from ordercli.services.inventory.catalog import service_ids
from ordercli.services.inventory.levels import allocate_stock, lock_products, move_stock, reserve
from ordercli.services.inventory.warehouses import default_warehouse
from ordercli.services.sales.fulfilment import get_shipment, shipment_lines
from ordercli.services.sales.ordering import lock_order, order_lines, refresh_order_status


def reversal_of(session: Session, shipment: Shipment) -> ShipmentReversal | None:
    """The reversal that took ``shipment`` back, if any."""
    return session.exec(
        select(ShipmentReversal).where(ShipmentReversal.shipment_id == shipment.id)
    ).first()


def reverse_shipment(
    *,
    session: Session,
    number: str,
    reason: str,
    reversal_date: date | None = None,
) -> ShipmentReversal:
    """Take a shipment recorded in error back whole (rule 12); see the module's docstring."""
    reason = clean_text(reason, what="reason", required=True, max_length=500)
    found = get_shipment(session=session, number=number)
    # Everything that changes the order's line counters takes the order's lock first;
    # the shipment is read again under it, so two reversals (or a delivery) never both pass.
    order = lock_order(session, found.order_id)
    shipment = get_shipment(session=session, number=number, for_update=True)
    _check_reversible(session, shipment, order)
    items = shipment_lines(session=session, shipment=shipment)
    lines = {line.id: line for line in order_lines(session=session, order=order)}
    back: dict[int, int] = defaultdict(int)
    for item in items:
        back[item.order_line_id] += item.qty
    _check_returns(session, shipment, order, lines, back)

    reversal_number = next_number(session=session, kind="shipment_reversal")
    on = reversal_date or today()
    check_dated(
        session,
        what="shipment reversal",
        on=on,
        series="shipment_reversal",
        sources=[(f"shipment {shipment.number}", shipment.ship_date)],
    )
    moment = now()
    customer = session.get_one(Customer, order.customer_id)
    assert order.id is not None and shipment.id is not None  # stored rows
    reversal = ShipmentReversal(
        number=reversal_number,
        shipment_id=shipment.id,
        order_id=order.id,
        customer_id=order.customer_id,
        reversal_date=on,
        reason=reason,
        created_at=moment,
    )
    seal(
        session,
        reversal,
        refs={"shipment": shipment.number, "order": order.number, "customer": customer.code},
    )
    session.add(reversal)
    shipment.status = ShipmentStatus.REVERSED
    session.add(shipment)

    services = service_ids(session, (item.product_id for item in items))
    products = lock_products(session, (i.product_id for i in items if i.product_id not in services))
    warehouse = None
    if products:
        warehouse = (
            session.get_one(Warehouse, shipment.warehouse_id)
            if shipment.warehouse_id is not None
            else default_warehouse(session)
        )
    for item in items:
        product = products.get(item.product_id)
        if product is not None:  # goods: back on the shelf and promised to the order again
            move_stock(
                session=session,
                product=product,
                qty=item.qty,
                kind="shipment_reversal",
                reference=reversal_number,
                warehouse=warehouse,
            )
            reserve(session=session, product=product, qty=item.qty)
    for line_id, qty in back.items():
        line = lines[line_id]
        line.qty_shipped -= qty
        line.last_state_change = moment
        session.add(line)

    record_event(
        session=session,
        subject_kind="shipment",
        subject_number=shipment.number,
        action="reversed",
        order_id=order.id,
        message=f"shipment {shipment.number} reversed by {reversal_number}: {reason}"
        + (f"; goods back in {warehouse.code}" if warehouse is not None else ""),
    )
    if order.status == OrderStatus.COMPLETED:
        order.status = OrderStatus.CONFIRMED
        session.add(order)
        record_event(
            session=session,
            subject_kind="order",
            subject_number=order.number,
            action="reopened",
            order_id=order.id,
            message=f"order {order.number} confirmed again: shipment {shipment.number} "
            f"reversed by {reversal_number}",
        )
    # Backorders follow the order's status: it is open again before stock is spread.
    for product in products.values():
        allocate_stock(session=session, product=product)
    refresh_order_status(session=session, order=order, lines=list(lines.values()))
    return reversal


def _check_reversible(session: Session, shipment: Shipment, order: SalesOrder) -> None:
    if shipment.status == ShipmentStatus.REVERSED:
        earlier = reversal_of(session, shipment)
        assert earlier is not None  # a reversed shipment has its reversal (`ordercli check`)
        raise RuleViolation(
            f"cannot reverse {shipment.number}: it was already reversed by {earlier.number} "
            f"on {earlier.reversal_date}"
        )
    if shipment.return_id is not None:
        rma = session.get_one(Rma, shipment.return_id)
        raise RuleViolation(
            f"cannot reverse {shipment.number}: it is the replacement shipment of return "
            f"{rma.number}, and a reversal takes back only shipments of the order itself",
            hint=f"replaced goods that come back are a new return: `ordercli return request "
            f"{order.number} --line SKU=QTY --reason …`",
        )
    refused = refusal("reverse", order.status, hold_reason=order.hold_reason)
    if refused:
        held = order.status == OrderStatus.ON_HOLD
        raise RuleViolation(
            f"cannot reverse {shipment.number}: its order {order.number} "
            + refused.removeprefix("it "),
            hint=f"`ordercli order release {order.number}` first" if held else None,
        )


def _check_returns(
    session: Session,
    shipment: Shipment,
    order: SalesOrder,
    lines: dict[int | None, OrderLine],
    back: dict[int, int],
) -> None:
    """Rule 15 after the reversal: an order line never has more back (returned, or asked
    back by an open return) than it stands shipped. A replacement makes no room: it was
    sent only because goods came back, so goods a return took back stay shipped."""
    asked = dict(
        session.exec(
            select(RmaLine.order_line_id, func.sum(RmaLine.qty))
            .join(Rma, col(Rma.id) == RmaLine.rma_id)
            .where(
                col(Rma.status).in_(list(RETURN_OPEN)), col(RmaLine.order_line_id).in_(list(back))
            )
            .group_by(col(RmaLine.order_line_id))
        ).all()
    )
    for line_id in sorted(back, key=lambda i: lines[i].position):
        line = lines[line_id]
        left = line.qty_shipped - back[line_id]
        claimed = line.qty_returned + asked.get(line_id, 0)
        if left >= claimed:
            continue
        document, open_return = _return_on(session, line_id)
        sku = session.exec(
            select(ShipmentLine.sku).where(
                ShipmentLine.shipment_id == shipment.id, ShipmentLine.order_line_id == line_id
            )
        ).first()
        raise RuleViolation(
            f"cannot reverse {shipment.number}: {document} takes back "
            f"{qty_from_db(claimed)} × {sku} on {order.number} line {line.position}, and "
            f"without this shipment only {qty_from_db(left)} would stand shipped",
            hint=f"`ordercli return reject {open_return}` first if it was asked in error"
            if open_return
            else None,
        )


def _return_on(session: Session, line_id: int) -> tuple[str, str | None]:
    """The latest return (not rejected) on an order line, as "return RMA-…", and its number
    while it is still open; a credit memo that restocked goods of it when no return did."""
    row = session.exec(
        select(Rma.number, Rma.status)
        .join(RmaLine, col(RmaLine.rma_id) == Rma.id)
        .where(RmaLine.order_line_id == line_id, Rma.status != ReturnStatus.REJECTED)
        .order_by(col(Rma.id).desc())
    ).first()
    if row is not None:
        return f"return {row[0]}", row[0] if row[1] in RETURN_OPEN else None
    memo = session.exec(
        select(CreditMemo.number)
        .join(CreditMemoLine, col(CreditMemoLine.credit_memo_id) == CreditMemo.id)
        .where(CreditMemoLine.order_line_id == line_id, col(CreditMemo.restock).is_(True))
        .order_by(col(CreditMemo.id).desc())
    ).first()
    return (f"credit memo {memo}" if memo else "a return"), None
