"""Price lists and their prices as ``--json`` shows them (SPEC rule 19).

Values are ``Decimal`` (money at the currency's minor digits, quantities
normalised), ``date`` or plain types; the CLI renders them without arithmetic.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from ordercli.books.clock import today
from ordercli.books.settings import amount_of as _money
from ordercli.domain.money import qty_from_db
from ordercli.models import Customer, PriceList, PriceListPrice, Product
from ordercli.services.sales.price_lists import holds_on, list_price_lists, prices_of


def price_view(session: Session, price: PriceListPrice, product: Product, on: date) -> dict:
    return {
        "sku": product.sku,
        "name": product.name,
        "min_qty": qty_from_db(price.min_qty),
        "unit_price": _money(session, price.unit_price),
        "valid_from": price.valid_from,
        "valid_to": price.valid_to,
        "holds": holds_on(price, on),
    }


def price_list_view(
    session: Session, price_list: PriceList, *, sku: str | None = None, on: date | None = None
) -> dict:
    """A list with its customers and prices; ``holds`` says whether each price is
    valid ``on`` that day (today)."""
    on = on or today()
    customers = list(
        session.exec(
            select(Customer.code)
            .where(Customer.price_list_id == price_list.id)
            .order_by(col(Customer.code))
        )
    )
    return {
        "name": price_list.name,
        "gross": price_list.gross,
        "on": on,
        "customers": customers,
        "prices": [
            price_view(session, price, product, on)
            for price, product in prices_of(session=session, price_list=price_list, sku=sku)
        ],
    }


def price_set_view(
    session: Session, price_list: PriceList, price: PriceListPrice, action: str
) -> dict:
    """What ``set-price`` or ``remove-price`` did: the price, its list and
    ``created``, ``updated``, ``unchanged`` or ``removed``."""
    product = session.get(Product, price.product_id)
    assert product is not None  # products are never deleted
    return {
        "price_list": price_list.name,
        "gross": price_list.gross,
        "action": action,
        **price_view(session, price, product, today()),
    }


def price_list_summaries(session: Session) -> list[dict]:
    """Every list with its number of prices and of customers buying from it."""
    return [
        {
            "name": price_list.name,
            "gross": price_list.gross,
            "price_count": prices,
            "customer_count": customers,
        }
        for price_list, prices, customers in list_price_lists(session=session)
    ]
