"""Where a document's prices came from, for ``order explain`` (SPEC rule 19).

Each line says where its price came from (typed on the line, a price list and
which quantity break, the product's own price, or not recorded for lines entered
before price lists existed), and the document says whether its prices include
tax and what its discount on the whole comes to. One query for the lists' names
and one per thousand products for the breaks (of lines priced at one), however
many lines.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from ordercli.books.settings import amount_of, minor_digits
from ordercli.domain.money import from_minor, pct_from_db, qty_from_db, qty_text
from ordercli.models import OrderLine, PriceList, SalesOrder
from ordercli.services.sales.pricing import (
    BREAK,
    LIST,
    MANUAL,
    PRODUCT,
    PriceRequest,
    resolve_prices,
)


def price_story(
    session: Session, order: SalesOrder, lines: Sequence[OrderLine], skus: dict[int, str]
) -> dict:
    """``pricing`` of ``order explain --json``: the order's tax basis and discount
    (``notes``, in words too) and per line where its price came from (``price_from``).
    ``skus``: the SKU of each product id, as the caller read them with the lines."""
    money = lambda units: amount_of(session, units)  # noqa: E731
    list_ids = {line.price_list_id for line in lines if line.price_list_id is not None}
    names: dict[int | None, str] = {}
    if list_ids:
        query = select(PriceList.id, PriceList.name).where(col(PriceList.id).in_(list_ids))
        names = {list_id: name for list_id, name in session.exec(query) if list_id is not None}
    # The break a line's price came from: the list's price at the order's date and the
    # line's quantity, as pricing found it (the line keeps its list, not its break).
    found = resolve_prices(
        session,
        [
            PriceRequest(
                line.price_list_id if line.price_source == BREAK else None,
                line.product_id,
                line.qty,
                order.order_date,
            )
            for line in lines
        ],
    )
    rows = []
    for line, listed in zip(lines, found, strict=True):
        price = from_minor(line.unit_price, minor_digits(session))
        where = _where(line, names.get(line.price_list_id), listed)
        rows.append(
            {
                "line": line.position,
                "sku": skus[line.product_id],
                "unit_price": money(line.unit_price),
                "price_source": line.price_source,
                "price_list": names.get(line.price_list_id),
                "min_qty": qty_from_db(listed.min_qty)
                if listed and _same_list(line, listed)
                else None,
                "doc_discount": money(line.doc_discount),
                "price_from": f"line {line.position} {skus[line.product_id]}: {price}{where}",
            }
        )
    return {
        "prices_include_tax": order.prices_include_tax,
        "discount_pct": pct_from_db(order.discount_pct) if order.discount_pct else None,
        "discount_amount": money(order.discount_amount) if order.discount_amount else None,
        "discount_total": money(sum(line.doc_discount for line in lines)),
        "notes": _notes(session, order, lines),
        "lines": rows,
    }


def _same_list(line: OrderLine, listed) -> bool:
    return listed is not None and listed.price_list_id == line.price_list_id


def _where(line: OrderLine, list_name: str | None, listed) -> str:
    source = line.price_source
    if source == MANUAL:
        return " typed on the line"
    if source == PRODUCT:
        return ", the product's price"
    if source in (LIST, BREAK):
        text = f" from price list {list_name or '(removed)'}"
        if source == BREAK:
            text += (
                f", break {qty_text(listed.min_qty)}+" if _same_list(line, listed) else ", break"
            )
        return text
    return ", not recorded (entered before price lists)"


def _notes(session: Session, order: SalesOrder, lines: Sequence[OrderLine]) -> list[str]:
    notes = ["prices include tax"] if order.prices_include_tax else []
    if order.discount_pct or order.discount_amount:
        what = (
            f"{pct_from_db(order.discount_pct)}%"
            if order.discount_pct
            else f"{amount_of(session, order.discount_amount or 0)}"
        )
        taken = amount_of(session, sum(line.doc_discount for line in lines))
        count = f"{len(lines)} line" + ("" if len(lines) == 1 else "s")
        notes.append(f"order discount {what} ({taken} over {count})")
    return notes
