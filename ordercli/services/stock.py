"""Stock on hand and reservations (SPEC rule 12).

On hand changes only through ``move_stock``, which writes a signed stock move
so every unit can be accounted for. Confirming an order reserves what it still
has to ship; cancelling releases it; shipping takes it from both on hand and
reserved. Available = on hand − reserved, and may go below zero: confirming
more than is available is allowed and leaves the line backordered. Services
are never stocked or reserved.
"""

from __future__ import annotations

from sqlmodel import Session

from ordercli.domain.errors import RuleViolation
from ordercli.domain.money import qty_from_db
from ordercli.models import Product, StockMove
from ordercli.services.clock import now


def move_stock(
    *, session: Session, product: Product, qty: int, kind: str, reference: str | None
) -> StockMove:
    """Change on hand by ``qty`` (thousandths, signed); never below zero."""
    if product.service:
        raise RuleViolation(f"{product.sku} is a service and holds no stock")
    if product.on_hand + qty < 0:
        raise RuleViolation(
            f"not enough {product.sku} on hand: {qty_from_db(product.on_hand)} on hand, "
            f"{qty_from_db(-qty)} needed"
        )
    product.on_hand += qty
    session.add(product)
    move = StockMove(product_id=product.id, at=now(), qty=qty, kind=kind, reference=reference)
    session.add(move)
    return move


def reserve(*, session: Session, product: Product, qty: int) -> None:
    """Add (or, with a negative qty, release) a reservation."""
    if product.service:
        return
    product.reserved += qty
    session.add(product)


def available(product: Product) -> int:
    return 0 if product.service else product.on_hand - product.reserved
