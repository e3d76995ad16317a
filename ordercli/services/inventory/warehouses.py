"""Warehouses: the places that hold stock (SPEC "stock … [--warehouse W]").

The default warehouse (``MAIN`` in a new ledger) always exists; commands that
take ``--warehouse`` use it when none is named. What a warehouse holds of a
product is the sum of that product's stock moves there, never a stored number.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session, col

from ordercli.books.clock import now
from ordercli.books.events import record_event
from ordercli.books.settings import get_setting, put_setting
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.domain.money import qty_from_db
from ordercli.domain.text import clean_code, clean_text
from ordercli.models import StockMove, Warehouse

DEFAULT_KEY = "default_warehouse_id"


def default_warehouse(session: Session) -> Warehouse:
    cached: Warehouse | None = session.info.get("default_warehouse")
    if cached is None:
        setting = get_setting(session=session, key=DEFAULT_KEY, default="1")
        assert setting is not None  # a default is given
        warehouse_id = int(setting)
        cached = session.get(Warehouse, warehouse_id)
        assert cached is not None  # the default warehouse always exists (module docstring)
        session.info["default_warehouse"] = cached
    return cached


def get_warehouse(*, session: Session, code: str | None) -> Warehouse:
    """A warehouse by code (case-insensitive); the default one when ``code`` is None."""
    if code is None:
        return default_warehouse(session)
    code = code.strip()
    if not code:
        raise InvalidInput("warehouse code is empty")
    found = _by_code(session, code)
    if found is None:
        known = ", ".join(w.code for w in list_warehouses(session=session))
        raise NotFound(f"no warehouse {code!r}", hint=f"warehouses: {known}")
    return found


def _by_code(session: Session, code: str) -> Warehouse | None:
    return session.scalar(select(Warehouse).where(func.lower(Warehouse.code) == code.lower()))


def list_warehouses(*, session: Session) -> list[Warehouse]:
    return list(session.scalars(select(Warehouse).order_by(Warehouse.code)))


def add_warehouse(*, session: Session, code: str, name: str) -> Warehouse:
    code = clean_code(code, what="warehouse code")
    name = clean_text(name, what="warehouse name", required=True, max_length=200)
    if _by_code(session, code) is not None:
        raise RuleViolation(f"warehouse {code} already exists")
    warehouse = Warehouse(code=code, name=name, active=True, created_at=now())
    session.add(warehouse)
    session.flush()
    record_event(
        session=session,
        subject_kind="warehouse",
        subject_number=code,
        action="created",
        message=f"warehouse {code} {name!r} added",
    )
    return warehouse


def set_default_warehouse(*, session: Session, code: str) -> Warehouse:
    warehouse = get_warehouse(session=session, code=code)
    if not warehouse.active:
        raise RuleViolation(f"warehouse {warehouse.code} is inactive")
    put_setting(session=session, key=DEFAULT_KEY, value=str(warehouse.id))
    session.info.pop("default_warehouse", None)
    record_event(
        session=session,
        subject_kind="warehouse",
        subject_number=warehouse.code,
        action="default",
        message=f"warehouse {warehouse.code} is now the default",
    )
    return warehouse


def on_hand_in(session: Session, product_id: int, warehouse_id: int) -> int:
    """What a warehouse holds of a product (thousandths): the sum of its moves there."""
    held = session.scalar(
        select(func.coalesce(func.sum(StockMove.qty), 0)).where(
            col(StockMove.product_id) == product_id, col(StockMove.warehouse_id) == warehouse_id
        )
    )
    assert held is not None  # an aggregate without GROUP BY always returns its one row
    return held


def stock_by_warehouse(session: Session, product_ids: list[int]) -> dict[int, dict[str, int]]:
    """On hand per product and warehouse code, from one grouped query per 500 products."""
    levels: dict[int, dict[str, int]] = {}
    ids = list(dict.fromkeys(product_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = (
            select(col(StockMove.product_id), col(Warehouse.code), func.sum(StockMove.qty))
            .join(Warehouse, col(Warehouse.id) == StockMove.warehouse_id)
            .where(col(StockMove.product_id).in_(chunk))
            .group_by(col(StockMove.product_id), col(Warehouse.code))
            .order_by(col(Warehouse.code))
        )
        for product_id, code, qty in session.execute(query):
            if qty:
                levels.setdefault(product_id, {})[code] = int(qty)
    return levels


def holdings(session: Session) -> dict[int, dict]:
    """Per warehouse: how many products it holds and how many units (one grouped query)."""
    per_product = (
        select(
            col(StockMove.warehouse_id).label("warehouse_id"),
            func.sum(StockMove.qty).label("qty"),
        )
        .group_by(col(StockMove.warehouse_id), col(StockMove.product_id))
        .subquery()
    )
    query = select(
        per_product.c.warehouse_id,
        func.count().filter(per_product.c.qty != 0),
        func.coalesce(func.sum(per_product.c.qty), 0),
    ).group_by(per_product.c.warehouse_id)
    return {
        warehouse_id: {"products": int(products), "units": qty_from_db(int(units))}
        for warehouse_id, products, units in session.execute(query)
    }
