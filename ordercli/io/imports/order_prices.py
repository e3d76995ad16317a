"""Prices of `import orders` rows that bring none, and each order's tax basis (SPEC rule 19).

A row without ``unit_price`` is priced like a line added by hand without
``--price``: the customer's price list at the order's date and the row's
quantity, else the product's price; ``pricing.resolve_prices`` answers all the
rows of a file at once. An order's prices include tax when its rows say so
(``prices_include_tax``), else when ``--prices-include-tax`` says so, else when
the customer buys from a gross price list (``pricing.gross_by_default``, here
for all the file's customers in one query).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, cast

from sqlalchemy import select
from sqlmodel import Session, col

from ordercli.db.lookup import chunks
from ordercli.models import PriceList, Product
from ordercli.services.sales.pricing import PriceRequest, found_price, resolve_prices

if TYPE_CHECKING:
    from collections.abc import Iterable


class ProductPrice:
    """What ``found_price`` reads of a product: its own (net) price in minor units."""

    __slots__ = ("unit_price",)

    def __init__(self, unit_price: int) -> None:
        self.unit_price = unit_price


def gross_lists(session: Session, list_ids: set[int]) -> set[int]:
    """The price lists, of ``list_ids``, whose prices include tax."""
    found: set[int] = set()
    connection = session.connection()
    for chunk in chunks(sorted(list_ids)):
        found.update(
            cast(
                "Iterable[int]",
                connection.execute(
                    select(col(PriceList.id)).where(
                        col(PriceList.id).in_(chunk), col(PriceList.gross).is_(True)
                    )
                ).scalars(),
            )
        )
    return found


def price_rows(
    session: Session,
    unpriced: Sequence[tuple[int, int | None, date, bool]],
    *,
    product_ids: list[int],
    qtys: list[int | None],
    tax_rates: list[int | None],
    product_prices: dict[int, int],
) -> list[tuple[int, str, int | None]]:
    """Unit price (minor units, on its order's basis), source and price list of each
    ``(row, customer's price list, order date, gross)`` in ``unpriced``.

    Rows asking the same list for the same product, quantity and day share one request."""
    keys: dict[tuple[int, int, int, date], int] = {}
    slots = []  # each row's request, -1 for a customer without a list
    for i, list_id, on, _ in unpriced:
        if list_id is None:
            slots.append(-1)
        else:
            key = (list_id, product_ids[i], cast("int", qtys[i]), on)
            slots.append(keys.setdefault(key, len(keys)))
    found = resolve_prices(session, [PriceRequest(*key) for key in keys])
    products = {pid: ProductPrice(price) for pid, price in product_prices.items()}
    # Many rows meet the same price at the same rate and basis: converted once each.
    # Keyed by the product, or by the list price found (alive in ``found`` throughout).
    converted: dict[tuple[int, bool, int], tuple[int, str, int | None]] = {}
    priced = []
    for (i, _, _, gross), slot in zip(unpriced, slots, strict=True):
        listed = found[slot] if slot >= 0 else None
        rate = cast("int", tax_rates[i])
        memo = (product_ids[i] if listed is None else -1 - id(listed), gross, rate)
        price = converted.get(memo)
        if price is None:
            price = converted[memo] = found_price(
                # found_price reads nothing of the product but its price.
                cast("Product", products[product_ids[i]]),
                listed,
                gross=gross,
                tax_rate=rate,
            )
        priced.append(price)
    return priced
