"""What a credited quantity does to its order line (SPEC rule 14).

Every credited quantity is exactly one of:

- ``rebill`` (kind ``rebill``, the default): billed in error. It stands invoiced no
  more: the order line's invoiced quantity, net and tax go down by what the memo
  line credits, and ``qty_reopened`` counts it, so it can be invoiced again, and
  invoicing the whole rest takes exactly the net and tax still left on the line.
  Goods shipped stay shipped; the order is not finished until it is invoiced again.
- ``cancel`` (kind ``not_delivered``): it will not be delivered. Goods must be
  invoiced and not yet shipped (nothing credited as not delivered is ever shipped:
  shipped + cancelled + short-closed never exceeds the line), and their
  reservation is released; a service, delivered by invoicing it, leaves the order.
- ``return`` (kind ``returned``: ``--restock``, ``--kind returned``, or resolving a
  received return): the goods came back. Capped by what was shipped and not yet
  returned; a memo of a return counts nothing again, as receiving it did. A service
  is never returned: in a returned memo it is credited as not delivered.

A credit by amount moves no quantity (``none``), and neither does a memo line that
credits only money left on an invoice line. Nothing is ever both credited and
delivered without being billed.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlmodel import Session, col, select

from ordercli.books.events import record_event
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.domain.money import qty_from_db
from ordercli.domain.states import OrderStatus, qty_to_ship
from ordercli.models import CreditMemoLine, OrderLine, SalesOrder
from ordercli.services.inventory.catalog import service_ids
from ordercli.services.inventory.levels import allocate_stock, lock_products, move_stock, reserve
from ordercli.services.sales.ordering import is_finished, order_lines, refresh_order_status
from ordercli.services.settlement.open_returns import pending_returns

# What a user asks a quantity credit to be, and the effect it has on each line.
KINDS = ("rebill", "not_delivered", "returned")
_EFFECT = {"rebill": "rebill", "not_delivered": "cancel", "returned": "return"}


def parse_kind(kind: str | None) -> str | None:
    """``rebill``, ``not-delivered`` (or ``not_delivered``) or ``returned``; None if not given."""
    if kind is None:
        return None
    key = kind.strip().lower().replace("-", "_")
    if key not in KINDS:
        raise InvalidInput(f"credit kind {kind!r} must be rebill, not-delivered or returned")
    return key


def effect_of(kind: str, *, qty: int, service: bool) -> str:
    """The effect of a memo line of ``kind`` crediting ``qty`` (stored units)."""
    if not qty:
        return "none"
    if kind == "returned" and service:
        return "cancel"  # a service is never returned: it will not be delivered
    return _EFFECT[kind]


def apply_effects(
    session: Session,
    *,
    memo_number: str,
    invoice_number: str,
    items: list[CreditMemoLine],
    restock: bool,
    from_return: bool,
    moment: datetime,
) -> None:
    """Count each memo line on its order line, by its effect; refuse, with the numbers,
    a quantity its effect cannot take (rule 14). Stock and backorders follow. A memo
    line of no order line (a deposit invoice's) has no effect on the order."""
    items = [item for item in items if item.order_line_id is not None]
    if not items:
        return
    ids = {item.order_line_id for item in items}
    # Keyed as the memo lines name them (``order_line_id`` is nullable; none is None here).
    lines: dict[int | None, OrderLine] = {
        cast(int, line.id): line  # stored lines: their ids are set
        for line in session.exec(select(OrderLine).where(col(OrderLine.id).in_(ids)))
    }
    moving = [item for item in items if item.qty and item.effect in ("cancel", "return")]
    products = lock_products(session, (lines[item.order_line_id].product_id for item in moving))
    pending = pending_returns(session, ids) if moving and not from_return else {}
    order = session.get_one(SalesOrder, next(iter(lines.values())).order_id)
    touched: set[int] = set()
    for item in items:
        line = lines[item.order_line_id]
        line.qty_credited += item.qty
        line.last_state_change = moment
        if item.effect == "rebill":
            line.qty_invoiced -= item.qty
            line.net_invoiced -= item.net
            line.tax_invoiced -= item.tax
            line.qty_reopened += item.qty
        elif item.effect == "cancel":
            product = products[line.product_id]
            if not product.service:
                _check_not_shipped(line, item, invoice_number, order.number)
                reserve(session=session, product=product, qty=-item.qty)
                touched.add(line.product_id)
            line.qty_cancelled += item.qty
        elif item.effect == "return" and not from_return:
            _check_returnable(line, item, pending.get(cast(int, line.id), 0), restock)
            line.qty_returned += item.qty
            if restock:
                move_stock(
                    session=session,
                    product=products[line.product_id],
                    qty=item.qty,
                    kind="credit_restock",
                    reference=memo_number,
                )
                touched.add(line.product_id)
        session.add(line)
    session.flush()
    for product_id in sorted(touched):
        allocate_stock(session=session, product=products[product_id])
    _refresh_order(session, order, memo_number)


def _check_not_shipped(line: OrderLine, item: CreditMemoLine, invoice: str, order: str) -> None:
    left = qty_to_ship(line)
    if item.qty <= left:
        return
    off = [
        f"{label} {qty_from_db(qty)}"
        for label, qty in (("cancelled", line.qty_cancelled), ("closed", line.qty_closed))
        if qty
    ]
    raise RuleViolation(
        f"cannot credit {qty_from_db(item.qty)} × {item.sku} on {invoice} as not delivered: "
        f"{order} line {line.position} ordered {qty_from_db(line.qty)}, shipped "
        f"{qty_from_db(line.qty_shipped)}"
        + "".join(f", {text}" for text in off)
        + f", left to ship {qty_from_db(max(left, 0))}",
        hint="goods shipped are credited as returned (--restock, or a return) or as "
        "billed in error (--kind rebill)",
    )


def _check_returnable(line: OrderLine, item: CreditMemoLine, asked: int, restock: bool) -> None:
    returnable = line.qty_shipped + line.qty_replaced - line.qty_returned - asked
    if item.qty <= returnable:
        return
    verb = "restock" if restock else "credit as returned"
    raise RuleViolation(
        f"cannot {verb} {qty_from_db(item.qty)} × {item.sku}: only "
        f"{qty_from_db(max(returnable, 0))} shipped and not yet returned"
        + (f" ({qty_from_db(asked)} more on open returns)" if asked else ""),
        hint="credit what was never shipped as --kind not-delivered or rebill; "
        "goods on an open return come back with `return receive`",
    )


def _refresh_order(session: Session, order: SalesOrder, memo_number: str) -> None:
    """A credit can finish an order (what is left will not be delivered) or unfinish
    it (a quantity reopened for invoicing): a completed order that is no longer fully
    invoiced and delivered is confirmed again, as invoicing would leave it (rule 8)."""
    lines = order_lines(session=session, order=order)
    if order.status == OrderStatus.COMPLETED:
        services = service_ids(session, (ln.product_id for ln in lines))
        if not all(is_finished(ln, services) for ln in lines):
            order.status = OrderStatus.CONFIRMED
            session.add(order)
            record_event(
                session=session,
                subject_kind="order",
                subject_number=order.number,
                action="billing_reopened",
                order_id=order.id,
                message=f"order {order.number} confirmed again: credit memo {memo_number} "
                "reopened quantities for invoicing",
            )
    else:
        refresh_order_status(session=session, order=order, lines=lines)
