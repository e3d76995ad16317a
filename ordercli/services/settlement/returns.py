"""Returns (RMA): goods coming back from a customer (SPEC rule 15).

A return names order lines of goods and quantities, at most what was shipped
(or sent as a replacement) and not yet returned or already asked back by another
open return. A service is never returned: it is delivered by invoicing it, and a
credit memo corrects one billed in error or not delivered. A return goes
requested → authorized → received → resolved, or rejected before it is received.
Receiving counts the goods as returned on the order line and, with
``--restock``, puts them back into stock. Resolving either credits them (a
credit memo per invoice that billed them) or sends them again (a replacement
shipment, which never counts as shipping the order line twice).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import cast

from sqlmodel import Session, col, select

from ordercli.books.chronology import check_dated, goods_shipped_by
from ordercli.books.clock import now, today
from ordercli.books.events import record_event
from ordercli.books.integrity import seal
from ordercli.books.numbering import next_number
from ordercli.db.queries import by_number, newest_first
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.domain.money import qty_from_db, qty_to_db
from ordercli.domain.states import RETURN_OPEN, ReturnStatus, ShipmentStatus
from ordercli.domain.text import clean_text, parse_status
from ordercli.models import (
    CreditMemo,
    Customer,
    Invoice,
    InvoiceLine,
    OrderLine,
    Product,
    Rma,
    RmaLine,
    SalesOrder,
    Shipment,
    ShipmentLine,
)
from ordercli.services.inventory.catalog import get_product
from ordercli.services.inventory.levels import (
    allocate_stock,
    available,
    lock_products,
    move_stock,
)
from ordercli.services.inventory.warehouses import default_warehouse
from ordercli.services.parties.customers import get_customer
from ordercli.services.parties.snapshots import freeze_parties_of
from ordercli.services.sales.ordering import get_order, lock_order, order_lines
from ordercli.services.settlement.credit_memos import create_credit_memo
from ordercli.services.settlement.open_returns import pending_returns


def _returnable(line: OrderLine) -> int:
    return line.qty_shipped + line.qty_replaced - line.qty_returned


def request_return(
    *,
    session: Session,
    order_number: str,
    lines: list[tuple[str, Decimal]] | None,
    reason: str,
    requested_on: date | None = None,
) -> Rma:

    reason = clean_text(reason, what="reason", required=True, max_length=500)
    if not lines:
        raise InvalidInput("a return needs at least one --line SKU=QTY")
    order = get_order(session=session, number=order_number, for_update=True)
    all_lines = order_lines(session=session, order=order)
    pending = pending_returns(session, [line.id for line in all_lines])
    taken: list[tuple[OrderLine, int]] = []
    for sku, qty in lines:
        product = get_product(session=session, sku=sku)
        matching = [line for line in all_lines if line.product_id == product.id]
        if not matching:
            raise RuleViolation(f"{order.number} has no line for {product.sku}")
        if product.service:
            raise RuleViolation(
                f"cannot return {product.sku} on {order.number}: it is a service, delivered "
                "by invoicing it; a service is never returned",
                hint="a credit memo corrects a service billed in error or not delivered",
            )
        wanted = qty_to_db(qty)
        shipped = sum(line.qty_shipped + line.qty_replaced for line in matching)
        returned = sum(line.qty_returned for line in matching)
        # Stored lines: every id is set.
        asked = sum(pending.get(cast(int, line.id), 0) for line in matching)
        left = shipped - returned - asked
        if wanted > left:
            raise RuleViolation(
                f"cannot return {qty} × {product.sku} on {order.number}: shipped "
                f"{qty_from_db(shipped)}, returned {qty_from_db(returned)}"
                + (f", on open returns {qty_from_db(asked)}" if asked else "")
                + f", left {qty_from_db(max(left, 0))}"
            )
        for line in matching:
            assert line.id is not None  # a stored line
            take = min(wanted, _returnable(line) - pending.get(line.id, 0))
            if take > 0:
                taken.append((line, take))
                wanted -= take
    moment = now()
    assert order.id is not None  # a stored order
    rma = Rma(
        number=next_number(session=session, kind="return"),
        order_id=order.id,
        customer_id=order.customer_id,
        status=ReturnStatus.REQUESTED,
        reason=reason,
        requested_on=requested_on or today(),
        created_at=moment,
        updated_at=moment,
    )
    shipped_by = goods_shipped_by(session, (cast(int, line.id) for line, _ in taken))
    check_dated(  # rule 4a: not before its goods shipped, nor the series' latest return
        session,
        what="return",
        on=rma.requested_on,
        series="return",
        sources=[shipped_by] if shipped_by else [],
    )
    session.add(rma)
    session.flush()
    assert rma.id is not None  # flushed just above
    for position, (line, take) in enumerate(sorted(taken, key=lambda t: t[0].position), start=1):
        product = session.get_one(Product, line.product_id)
        assert line.id is not None  # a stored line
        session.add(
            RmaLine(
                rma_id=rma.id,
                order_line_id=line.id,
                position=position,
                product_id=line.product_id,
                sku=product.sku,
                description=line.description,
                unit=line.unit,
                qty=take,
            )
        )
    _log(session, rma, "requested", f"return {rma.number} requested for {order.number}: {reason}")
    return rma


def get_return(*, session: Session, number: str, for_update: bool = False) -> Rma:
    number = (number or "").strip()
    if not number:
        raise InvalidInput("return number is empty")
    query = select(Rma)
    if for_update:
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    rma = by_number(session, query, Rma.number, number)
    if rma is None:
        raise NotFound(f"no return {number!r}", hint="`ordercli return list` shows the returns")
    return rma


def _locked(session: Session, number: str) -> Rma:
    """The return and its order, locked order first as every counter change does."""
    lock_order(session, get_return(session=session, number=number).order_id)
    return get_return(session=session, number=number, for_update=True)


def return_lines(*, session: Session, rma: Rma) -> list[RmaLine]:
    return list(
        session.exec(
            select(RmaLine).where(RmaLine.rma_id == rma.id).order_by(col(RmaLine.position))
        )
    )


def _log(session: Session, rma: Rma, action: str, message: str) -> None:
    record_event(
        session=session,
        subject_kind="return",
        subject_number=rma.number,
        action=action,
        order_id=rma.order_id,
        message=message,
    )


def _move(rma: Rma, to: ReturnStatus, allowed: tuple[ReturnStatus, ...], verb: str) -> None:
    if rma.status not in allowed:
        raise RuleViolation(
            f"cannot {verb} {rma.number}: it is {rma.status}"
            + (f" (only a {' or '.join(allowed)} return can be)" if allowed else "")
        )
    rma.status = to
    rma.updated_at = now()


def authorize_return(*, session: Session, number: str) -> Rma:
    rma = get_return(session=session, number=number, for_update=True)
    _move(rma, ReturnStatus.AUTHORIZED, (ReturnStatus.REQUESTED,), "authorize")
    session.add(rma)
    _log(session, rma, "authorized", f"return {rma.number} authorized")
    return rma


def reject_return(*, session: Session, number: str, reason: str | None = None) -> Rma:
    reason = clean_text(reason, what="reason", max_length=500)
    rma = get_return(session=session, number=number, for_update=True)
    _move(rma, ReturnStatus.REJECTED, RETURN_OPEN, "reject")
    session.add(rma)
    _log(
        session,
        rma,
        "rejected",
        f"return {rma.number} rejected" + (f": {reason}" if reason else ""),
    )
    return rma


def receive_return(*, session: Session, number: str, restock: bool = False) -> Rma:
    """The goods are back: count them returned; with ``restock``, back into stock."""
    rma = _locked(session, number)
    if rma.status == ReturnStatus.REQUESTED:
        raise RuleViolation(
            f"cannot receive {rma.number}: it is requested, not yet authorized",
            hint=f"`ordercli return authorize {rma.number}` first",
        )
    _move(rma, ReturnStatus.RECEIVED, (ReturnStatus.AUTHORIZED,), "receive")
    rma.restock = restock
    lines = return_lines(session=session, rma=rma)
    order_line_map = {
        line.id: line
        for line in session.exec(
            select(OrderLine).where(col(OrderLine.id).in_([ln.order_line_id for ln in lines]))
        )
    }
    products = lock_products(session, (ln.product_id for ln in lines))
    moment = now()
    for ln in lines:
        order_line = order_line_map[ln.order_line_id]
        if ln.qty > _returnable(order_line):
            raise RuleViolation(
                f"cannot receive {qty_from_db(ln.qty)} × {ln.sku} on {rma.number}: only "
                f"{qty_from_db(_returnable(order_line))} shipped and not yet returned"
            )
        order_line.qty_returned += ln.qty
        order_line.last_state_change = moment
        session.add(order_line)
        product = products[ln.product_id]
        if restock and not product.service:
            move_stock(
                session=session, product=product, qty=ln.qty, kind="return", reference=rma.number
            )
    session.add(rma)
    session.flush()
    if restock:
        for product in products.values():
            if not product.service:
                allocate_stock(session=session, product=product)
    _log(
        session,
        rma,
        "received",
        f"return {rma.number} received" + (", goods restocked" if restock else ", not restocked"),
    )
    return rma


def resolve_return(
    *,
    session: Session,
    number: str,
    credit_memo: bool = False,
    replace: bool = False,
    settlement: str | None = None,
    carrier: str | None = None,
    tracking: str | None = None,
) -> tuple[Rma, list[CreditMemo], Shipment | None]:
    if credit_memo == replace:
        raise InvalidInput("resolve with either --credit-memo or --replace")
    rma = _locked(session, number)
    if rma.status in RETURN_OPEN:
        raise RuleViolation(
            f"cannot resolve {rma.number}: it is {rma.status}; the goods must be received first",
            hint=f"`ordercli return receive {rma.number}`",
        )
    _move(rma, ReturnStatus.RESOLVED, (ReturnStatus.RECEIVED,), "resolve")
    lines = return_lines(session=session, rma=rma)
    memos: list[CreditMemo] = []
    shipment = None
    if credit_memo:
        rma.resolution = "credit_memo"
        memos = _credit(session, rma, lines, settlement)
        what = "credited by " + ", ".join(memo.number for memo in memos)
    else:
        if settlement is not None:
            raise InvalidInput("--refund/--store-credit go with --credit-memo, not --replace")
        rma.resolution = "replacement"
        shipment = _replace(session, rma, lines, carrier, tracking)
        what = f"replaced by shipment {shipment.number}"
    session.add(rma)
    _log(session, rma, "resolved", f"return {rma.number} resolved: {what}")
    return rma, memos, shipment


def _credit(session: Session, rma: Rma, lines: list[RmaLine], settlement) -> list[CreditMemo]:
    """One credit memo per invoice that billed the returned goods, oldest invoice first."""
    wanted: dict[int, int] = defaultdict(int)
    for ln in lines:
        wanted[ln.order_line_id] += ln.qty
    rows = session.exec(
        select(
            Invoice.number, InvoiceLine.order_line_id, InvoiceLine.qty - InvoiceLine.qty_credited
        )
        .join(Invoice, col(Invoice.id) == InvoiceLine.invoice_id)
        .where(col(InvoiceLine.order_line_id).in_(list(wanted)))
        .order_by(col(Invoice.id), col(InvoiceLine.position))
    ).all()
    creditable: defaultdict[int, int] = defaultdict(int)
    plan: dict[str, dict[int, int]] = {}
    left = dict(wanted)
    for invoice_number, order_line_id, open_qty in rows:
        assert order_line_id is not None  # selected by order line
        creditable[order_line_id] += open_qty
        take = min(left[order_line_id], open_qty)
        if take > 0:
            plan.setdefault(invoice_number, {})
            plan[invoice_number][order_line_id] = plan[invoice_number].get(order_line_id, 0) + take
            left[order_line_id] -= take
    short = [ln for ln in lines if left.get(ln.order_line_id, 0) > 0]
    if short:
        ln = short[0]
        raise RuleViolation(
            f"cannot credit return {rma.number}: {ln.sku} was invoiced and not yet credited "
            f"only {qty_from_db(creditable[ln.order_line_id])}, "
            f"{qty_from_db(wanted[ln.order_line_id])} returned",
            hint="invoice the goods first, or resolve with --replace",
        )
    return [
        create_credit_memo(
            session=session,
            invoice_number=invoice_number,
            settlement=settlement,
            reason=f"return {rma.number}: {rma.reason}",
            order_line_qtys=dict(qtys),
            return_id=rma.id,
        )
        for invoice_number, qtys in plan.items()
    ]


def _replace(session: Session, rma: Rma, lines: list[RmaLine], carrier, tracking) -> Shipment:
    """Send the returned goods again, from stock that no other order has reserved.

    A service is never shipped (rule 12): a return holding a service line is resolved
    by a credit memo instead."""
    carrier = clean_text(carrier, what="carrier", max_length=100)
    tracking = clean_text(tracking, what="tracking number", max_length=100)
    products = lock_products(session, (ln.product_id for ln in lines))
    services = [ln.sku for ln in lines if products[ln.product_id].service]
    if services:
        raise RuleViolation(
            f"cannot replace {rma.number} by a shipment: {', '.join(services)} "
            f"{'is a service' if len(services) == 1 else 'are services'}, delivered by "
            "invoicing, never shipped",
            hint=f"`ordercli return resolve {rma.number} --credit-memo`",
        )
    needed: dict[int, int] = defaultdict(int)
    for ln in lines:
        needed[ln.product_id] += ln.qty
    for product_id, qty in needed.items():
        product = products[product_id]
        if qty > max(available(product), 0):
            raise RuleViolation(
                f"cannot replace {qty_from_db(qty)} × {product.sku}: only "
                f"{qty_from_db(max(available(product), 0))} available (on hand and not reserved)",
                hint="receive stock first, or resolve with --credit-memo",
            )

    # Replacements leave the default warehouse, as restocked returns arrive there.
    source = default_warehouse(session)
    order = session.get_one(SalesOrder, rma.order_id)
    assert order.id is not None  # a stored order
    number = next_number(session=session, kind="shipment")
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
        return_id=rma.id,
        ship_date=today(),
        warehouse_id=source.id,
        created_at=moment,
    )
    check_dated(  # rule 4a: a replacement is a shipment of its own series
        session,
        what="shipment",
        on=shipment.ship_date,
        series="shipment",
        sources=[(f"return {rma.number}", rma.requested_on)],
    )
    items = [
        # shipment_id is set below, once the shipment is flushed and has its id.
        ShipmentLine(  # type: ignore[call-arg]
            order_line_id=ln.order_line_id,
            position=position,
            product_id=ln.product_id,
            sku=ln.sku,
            description=ln.description,
            unit=ln.unit,
            qty=ln.qty,
        )
        for position, ln in enumerate(lines, start=1)
    ]
    seal(
        session,
        shipment,
        refs={
            "order": order.number,
            "customer": session.get_one(Customer, order.customer_id).code,
            "warehouse": source.code,
            "return": rma.number,
        },
        lines=items,
    )
    session.add(shipment)
    session.flush()
    assert shipment.id is not None  # flushed just above
    for item, ln in zip(items, lines, strict=True):
        product = products[ln.product_id]
        item.shipment_id = shipment.id
        session.add(item)
        move_stock(
            session=session,
            product=product,
            qty=-ln.qty,
            kind="replace",
            reference=number,
            warehouse=source,
        )
        order_line = session.get_one(OrderLine, ln.order_line_id)
        order_line.qty_replaced += ln.qty
        order_line.last_state_change = moment
        session.add(order_line)
    session.flush()
    for product in products.values():
        allocate_stock(session=session, product=product)
    record_event(
        session=session,
        subject_kind="shipment",
        subject_number=number,
        action="shipped",
        order_id=order.id,
        message=f"replacement shipment {number} for return {rma.number}"
        + (f" via {carrier}" if carrier else "")
        + (f", tracking {tracking}" if tracking else ""),
    )
    return shipment


def list_returns(
    *,
    session: Session,
    customer: str | None = None,
    order: str | None = None,
    status: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int | None = 50,
) -> list[Rma]:
    query = select(Rma)
    if customer:
        query = query.where(Rma.customer_id == get_customer(session=session, code=customer).id)
    if order:
        query = query.where(Rma.order_id == get_order(session=session, number=order).id)
    if status:
        query = query.where(Rma.status == parse_status(ReturnStatus, status, what="return"))
    query = newest_first(
        query,
        model=Rma,
        date_column=Rma.requested_on,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
    )
    return list(session.exec(query))
