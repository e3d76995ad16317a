"""Reading ``--line SKU=QTY`` arguments."""

from __future__ import annotations

from decimal import Decimal

from ordercli.domain.errors import InvalidInput
from ordercli.domain.money import parse_qty


def parse_line_specs(specs: list[str] | None) -> list[tuple[str, Decimal]] | None:
    """``["WIDGET=3", "BOLT=2.5"]`` → ``[("WIDGET", 3), ("BOLT", 2.5)]``; repeats are summed.

    ``None`` (no ``--line`` at all) means "everything still open".
    """
    if not specs:
        return None
    merged: dict[str, Decimal] = {}
    display: dict[str, str] = {}
    for spec in specs:
        sku, sep, qty_text = spec.rpartition("=")
        sku = sku.strip()
        if not sep or not sku:
            raise InvalidInput(f"--line {spec!r} must look like SKU=QTY, e.g. WIDGET=3")
        qty = parse_qty(qty_text, what=f"quantity for {sku}")
        key = sku.lower()
        merged[key] = merged.get(key, Decimal(0)) + qty
        display.setdefault(key, sku)
    return [(display[key], qty) for key, qty in merged.items()]
