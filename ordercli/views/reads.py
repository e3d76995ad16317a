"""Batched reads the views share: rows of many records at once, grouped by their parent."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlmodel import Session, col, select

from ordercli.models import (
    Customer,
    Product,
)
from ordercli.services.parties.snapshots import snapshot_fields

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from sqlmodel.sql.expression import Select


K = TypeVar("K")  # the ids a grouped query is keyed by


def sku_map(session: Session, product_ids) -> dict[int, str]:
    ids = set(product_ids)
    if not ids:
        return {}
    rows = session.exec(select(Product.id, Product.sku).where(col(Product.id).in_(ids)))
    # Product.id is the primary key: never NULL in a row
    return dict(cast("Sequence[tuple[int, str]]", rows.all()))


def customer_code(session: Session, customer_id: int) -> str:
    customer = session.get(Customer, customer_id)
    assert customer is not None  # customer_id is a NOT NULL foreign key to it
    return customer.code


CHUNK = 500  # ids per IN (...) list, well under every database's parameter limit


def grouped(
    session: Session, query_for: Callable[[list[K]], Select[Any, Any]], ids: Iterable[K]
) -> dict[K, list[Any]]:
    """Rows of ``query_for(chunk_of_ids)`` grouped by their first column, in query order."""
    grouped: dict[K, list[Any]] = defaultdict(list)
    ids = list(dict.fromkeys(ids))
    for start in range(0, len(ids), CHUNK):
        for row in session.exec(query_for(ids[start : start + CHUNK])):
            grouped[row[0]].append(row[1])
    return grouped


def lines_by_parent(
    session: Session, line_model, parent_column, ids: Iterable[K]
) -> dict[K, list[Any]]:
    """The lines of many documents, grouped by document id, in line order."""
    return grouped(
        session,
        lambda chunk: (
            select(parent_column, line_model)
            .where(parent_column.in_(chunk))
            .order_by(parent_column, line_model.position)
        ),
        ids,
    )


def numbers_by_id(session: Session, model, ids: Iterable[int | None]) -> dict[int | None, str]:
    # Keyed by ``int | None`` because it is looked up by optional foreign keys; None is
    # never a key, so ``.get(None)`` is None.
    rows = grouped(
        session,
        lambda chunk: select(model.id, model.number).where(model.id.in_(chunk)),
        [i for i in ids if i is not None],
    )
    return {key: values[0] for key, values in rows.items()}


def customer_codes(session: Session, ids: Iterable[int]) -> dict[int, str]:
    rows = grouped(
        session,
        lambda chunk: select(Customer.id, Customer.code).where(col(Customer.id).in_(chunk)),
        ids,
    )
    return {key: values[0] for key, values in rows.items()}


def frozen_parties(session: Session, documents: Iterable) -> dict[int, dict]:
    """The seller and buyer snapshots of many issued documents, by snapshot id (rule 4):
    a few distinct snapshots serve any number of documents, read with one query."""
    documents = list(documents)
    return snapshot_fields(
        session, {d.seller_id for d in documents} | {d.buyer_id for d in documents}
    )
