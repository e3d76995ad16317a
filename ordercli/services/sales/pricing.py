"""Pricing of quote and order lines, in one place for both (SPEC rule 10)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

from ordercli.domain.errors import InvalidInput
from ordercli.domain.money import (
    MAX_MINOR_UNITS,
    from_minor,
    line_net,
    line_tax,
    pct_from_db,
    pct_to_db,
    qty_to_db,
    to_minor,
)
from ordercli.models import Product


@dataclass(frozen=True)
class PricedLine:
    """Database values (integer units) of one priced line."""

    qty: int
    unit_price: int
    discount: int
    tax_rate: int
    net: int
    tax: int

    def columns(self) -> dict[str, int]:
        """The priced columns a quote or order line stores."""
        return asdict(self)


def price_line(
    *,
    product: Product,
    qty: Decimal,
    unit_price: Decimal | None,
    discount_pct: Decimal | None,
    tax_rate: Decimal | None = None,
    minor_digits: int,
) -> PricedLine:
    if not product.active:
        raise InvalidInput(f"product {product.sku} is inactive")
    price = from_minor(product.unit_price, minor_digits) if unit_price is None else unit_price
    discount = discount_pct if discount_pct is not None else Decimal(0)
    rate = pct_from_db(product.tax_rate) if tax_rate is None else tax_rate
    net = line_net(qty, price, discount, minor_digits)
    tax = line_tax(net, rate, minor_digits)
    _check_size(net + tax, minor_digits)
    return PricedLine(
        qty=qty_to_db(qty),
        unit_price=to_minor(price, minor_digits),
        discount=pct_to_db(discount),
        tax_rate=pct_to_db(rate),
        net=to_minor(net, minor_digits),
        tax=to_minor(tax, minor_digits),
    )


def _check_size(amount: Decimal, minor_digits: int) -> None:
    if abs(amount).scaleb(minor_digits) >= MAX_MINOR_UNITS:
        raise InvalidInput(f"line total {amount} is too large")


def reprice(
    *, qty: Decimal, unit_price: int, discount: int, tax_rate: int, minor_digits: int
) -> tuple[int, int]:
    """Net and tax (minor units) of a stored line at a new quantity or price."""
    net = line_net(qty, from_minor(unit_price, minor_digits), pct_from_db(discount), minor_digits)
    tax = line_tax(net, pct_from_db(tax_rate), minor_digits)
    _check_size(net + tax, minor_digits)
    return to_minor(net, minor_digits), to_minor(tax, minor_digits)


def totals(lines) -> tuple[int, int, int]:
    """Subtotal, tax and total of a document: sums of its rounded lines."""
    subtotal = sum(line.net for line in lines)
    tax = sum(line.tax for line in lines)
    return subtotal, tax, subtotal + tax
