"""Short-closing an order's rest, and reopening it (SPEC rules 7, 8, 16).

A customer who will take no more of an order, after part of it was invoiced or
shipped, cannot have it cancelled (rule 7: issued documents stay). ``order close``
short-closes instead: on every line what is neither invoiced nor, for goods,
shipped (``domain.states.qty_closable``) goes to ``qty_closed``, its reservation
is released and it no longer counts towards the customer's exposure (rule 16).
What was shipped but not invoiced must still be invoiced, and what was invoiced
but not shipped must still be shipped: the order stays confirmed until they are,
and is completed at once when nothing else is open (rule 8).

``order reopen`` gives the closed quantities back: reserved again, checked against
the credit limit as confirming is, and the order confirmed again.
"""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session

from ordercli.books.clock import now
from ordercli.books.events import record_event
from ordercli.books.settings import minor_digits
from ordercli.domain.errors import RuleViolation
from ordercli.domain.money import from_minor, qty_text
from ordercli.domain.states import (
    OrderStatus,
    completed_because,
    line_finished,
    qty_closable,
    qty_to_invoice,
    qty_to_ship,
    refusal,
)
from ordercli.domain.text import clean_text
from ordercli.models import Customer, OrderLine, Product, SalesOrder
from ordercli.services.inventory.catalog import service_ids
from ordercli.services.inventory.levels import allocate_stock, lock_products, reserve
from ordercli.services.sales.ordering import (
    check_credit,
    get_order,
    order_lines,
    unbilled_units,
)


def close_order(*, session: Session, number: str, reason: str | None) -> SalesOrder:
    """Short-close everything still open on a confirmed order (rules 7, 8).

    Refused on a draft (cancel it), a held, completed or cancelled order, an order
    with nothing invoiced or shipped yet (cancel it: rule 7 allows it), and when
    nothing is left that is neither invoiced nor shipped."""
    reason = clean_text(reason, what="close reason", required=True, max_length=500)
    order = get_order(session=session, number=number, for_update=True)
    refused = refusal("close", order.status, hold_reason=order.hold_reason)
    if refused:
        hint = {
            OrderStatus.DRAFT: f"`ordercli order cancel {order.number}` cancels it",
            OrderStatus.ON_HOLD: f"`ordercli order release {order.number}` first",
        }.get(OrderStatus(order.status))
        raise RuleViolation(f"cannot close {order.number}: {refused}", hint=hint)
    lines = order_lines(session=session, order=order)
    if not any(ln.qty_invoiced or ln.qty_shipped for ln in lines):
        raise RuleViolation(
            f"cannot close {order.number}: nothing on it is invoiced or shipped yet; "
            "cancel it instead",
            hint=f"`ordercli order cancel {order.number}` cancels it and releases its reservations",
        )
    services = service_ids(session, (ln.product_id for ln in lines))
    closing = [(ln, qty_closable(ln, service=ln.product_id in services)) for ln in lines]
    closing = [(ln, qty) for ln, qty in closing if qty > 0]
    products = lock_products(session, (ln.product_id for ln in lines))
    still = _still_open(lines, services, products)
    if not closing:
        raise RuleViolation(
            f"cannot close {order.number}: nothing is left that is neither invoiced nor "
            "shipped" + (f" ({still})" if still else ""),
            hint="what is shipped must still be invoiced, and what is invoiced still shipped",
        )
    moment = now()
    for line, qty in closing:
        line.qty_closed += qty
        line.last_state_change = moment
        session.add(line)
        product = products[line.product_id]
        if not product.service:
            reserve(session=session, product=product, qty=-qty)
    for product_id in sorted({ln.product_id for ln, _ in closing}):
        allocate_stock(session=session, product=products[product_id])
    order.close_reason = reason
    session.add(order)
    closed = _listing((products[ln.product_id].sku, qty) for ln, qty in closing)
    still = _still_open(lines, services, products)  # once closed
    record_event(
        session=session,
        subject_kind="order",
        subject_number=order.number,
        action="closed",
        order_id=order.id,
        message=f"closed: {reason}; {closed} will not be shipped or invoiced"
        + (f"; {still}" if still else ""),
    )
    if all(line_finished(ln, service=ln.product_id in services) for ln in lines):
        order.status = OrderStatus.COMPLETED
        session.add(order)
        has_goods = any(ln.product_id not in services for ln in lines)
        record_event(
            session=session,
            subject_kind="order",
            subject_number=order.number,
            action="completed",
            order_id=order.id,
            message=f"order {order.number} completed: short-closed, everything not closed "
            "is " + completed_because(has_goods=has_goods),
        )
    return order


def reopen_order(
    *, session: Session, number: str, override_credit: str | None = None
) -> SalesOrder:
    """Give a short-closed order its closed quantities back (rules 8, 16).

    They are reserved again and count towards the customer's exposure again, so the
    credit limit is kept as confirming keeps it (``--override-credit`` is logged); a
    completed order is confirmed again."""
    order = get_order(session=session, number=number, for_update=True)
    refused = refusal("reopen", order.status, hold_reason=order.hold_reason)
    if refused:
        held = order.status == OrderStatus.ON_HOLD
        raise RuleViolation(
            f"cannot reopen {order.number}: {refused}",
            hint=f"`ordercli order release {order.number}` first" if held else None,
        )
    override_credit = clean_text(override_credit, what="override reason")
    lines = order_lines(session=session, order=order)
    reopening = [ln for ln in lines if ln.qty_closed]
    if order.close_reason is None and not reopening:
        raise RuleViolation(
            f"cannot reopen {order.number}: it was not short-closed",
            hint=f"`ordercli order close {order.number} --reason TEXT` short-closes the rest",
        )
    digits = minor_digits(session)
    added = sum(_reopened_value(ln, digits, order.prices_include_tax) for ln in reopening)
    customer = session.get(Customer, order.customer_id)
    assert customer is not None  # customers are never deleted
    check_credit(
        session=session,
        order=order,
        customer=customer,
        added=from_minor(added, digits),
        what="the reopened rest",
        verb="reopen",
        override=override_credit,
    )
    products = lock_products(session, (ln.product_id for ln in reopening))
    moment = now()
    back = []
    for line in reopening:
        product = products[line.product_id]
        back.append((product.sku, line.qty_closed))
        if not product.service:
            reserve(session=session, product=product, qty=line.qty_closed)
        line.qty_closed = 0
        line.last_state_change = moment
        session.add(line)
    reason, order.close_reason = order.close_reason, None
    was = order.status
    order.status = OrderStatus.CONFIRMED
    session.add(order)
    record_event(
        session=session,
        subject_kind="order",
        subject_number=order.number,
        action="reopened",
        order_id=order.id,
        message=f"reopened: {_listing(back) if back else 'nothing'} back on the order"
        + (f" (closed: {reason})" if reason else "")
        + ("; confirmed again" if was == OrderStatus.COMPLETED else ""),
    )
    # Only once the order is open again: allocation sees the lines of open orders only,
    # and a completed order's reopened lines must take their place in the queue.
    for product in products.values():
        allocate_stock(session=session, product=product)
    return order


def _reopened_value(line: OrderLine, digits: int, gross: bool) -> int:
    """How much more is left to invoice on a line once its closed quantity is back."""
    net, tax = unbilled_units(line, digits, gross=gross)
    return line.net + line.tax - line.net_invoiced - line.tax_invoiced - net - tax


def _listing(items) -> str:
    """``3 × WIDGET, 1 × SETUP``, one entry per SKU in the order first met."""
    per_sku: dict[str, int] = defaultdict(int)
    for sku, qty in items:
        per_sku[sku] += qty
    return ", ".join(f"{qty_text(qty)} × {sku}" for sku, qty in per_sku.items())


def _still_open(lines: list[OrderLine], services: set[int], products: dict[int, Product]) -> str:
    """What a short-close leaves: shipped and still to invoice, invoiced and still to
    ship."""
    to_invoice = _listing(
        (products[ln.product_id].sku, qty_to_invoice(ln)) for ln in lines if qty_to_invoice(ln) > 0
    )
    to_ship = _listing(
        (products[ln.product_id].sku, qty_to_ship(ln))
        for ln in lines
        if ln.product_id not in services and qty_to_ship(ln) > 0
    )
    parts = [
        *([f"still to invoice {to_invoice}"] if to_invoice else []),
        *([f"still to ship {to_ship}"] if to_ship else []),
    ]
    return "; ".join(parts)
