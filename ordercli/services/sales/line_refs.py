"""How a command names a line of a quote or an order: its number, or its SKU when that
SKU is on one line only (`order edit-line SO-00012 2`, `quote remove-line Q-00003 DESK`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from sqlmodel import Session

from ordercli.domain.errors import InvalidInput, NotFound
from ordercli.services.inventory.catalog import get_product


class _Line(Protocol):
    @property
    def position(self) -> int: ...
    @property
    def product_id(self) -> int: ...


LineT = TypeVar("LineT", bound=_Line)


def find_line(session: Session, document: str, lines: Sequence[LineT], ref: str) -> LineT:
    """The line of ``document`` (its number, for messages) that ``ref`` names."""
    ref = (ref or "").strip()
    if not ref:
        raise InvalidInput("line is empty (give its number or SKU)")
    if ref.isascii() and ref.isdecimal():
        for line in lines:
            if line.position == int(ref):
                return line
        raise NotFound(f"{document} has no line {ref}")
    product = get_product(session=session, sku=ref)
    matching = [line for line in lines if line.product_id == product.id]
    if not matching:
        raise NotFound(f"{document} has no line for {product.sku}")
    if len(matching) > 1:
        positions = ", ".join(str(line.position) for line in matching)
        raise InvalidInput(
            f"{product.sku} is on lines {positions} of {document}; give the line number"
        )
    return matching[0]
