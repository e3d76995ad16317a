"""Where a document's prices came from and what its document discount came to (rule 19),
as the quote, order and invoice views show them."""

from __future__ import annotations

from sqlmodel import Session, col, select

from ordercli.books.settings import amount_of as _money
from ordercli.domain.money import pct_from_db
from ordercli.models import PriceList
from ordercli.views.reads import grouped


def sourced(view: dict, line, list_names: dict[int | None, str]) -> dict:
    """A quote or order line with where its price came from (rule 19)."""
    view["price_source"] = line.price_source
    view["price_list"] = list_names.get(line.price_list_id)
    return view


def price_list_names(session: Session, lines) -> dict[int | None, str]:
    """The names of the price lists ``lines`` were priced from, with one query per chunk."""
    rows = grouped(
        session,
        lambda chunk: select(PriceList.id, PriceList.name).where(col(PriceList.id).in_(chunk)),
        [ln.price_list_id for ln in lines if ln.price_list_id is not None],
    )
    return {key: names[0] for key, names in rows.items()}


def before_discount(line, gross: bool) -> int:
    """A line's amount before its share of the document discount, in minor units:
    gross when the document's prices include tax, net otherwise."""
    return line.net + line.doc_discount + (line.tax if gross else 0)


def discount_fields(session: Session, document, before: int, discount: int) -> dict:
    """A quote's or order's document discount (rule 19): as set, and as the lines took it."""
    return {
        "prices_include_tax": document.prices_include_tax,
        "discount_pct": (
            None if document.discount_pct is None else pct_from_db(document.discount_pct)
        ),
        "discount_amount": (
            None if document.discount_amount is None else _money(session, document.discount_amount)
        ),
        "discount": _money(session, discount),
        "subtotal_before_discount": _money(session, before),
    }
