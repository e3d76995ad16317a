"""The catalog: stocked goods and services, with price and tax rate."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlmodel import Session, col, func, select

from ordercli.books.clock import now
from ordercli.books.events import record_event
from ordercli.books.settings import minor_digits
from ordercli.db.lookup import chunks
from ordercli.db.queries import check_limit
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.domain.money import pct_to_db, qty_to_db, to_minor
from ordercli.domain.text import clean_code, clean_text
from ordercli.domain.units import DEFAULT_UNIT, parse_unit
from ordercli.models import Product
from ordercli.services.inventory.levels import move_stock


def add_product(
    *,
    session: Session,
    sku: str,
    name: str,
    price: Decimal,
    tax_rate: Decimal = Decimal(0),
    stock: Decimal | None = None,
    service: bool = False,
    location: str | None = None,
    unit: str | None = None,
) -> Product:
    sku = clean_code(sku, what="SKU")
    unit = DEFAULT_UNIT if unit is None else parse_unit(unit)
    name = clean_text(name, what="product name", required=True, max_length=200)
    location = clean_text(location, what="location", max_length=64)
    if service and location:
        raise InvalidInput(f"{sku} is a service: services are never stocked, drop --location")
    if find_product(session=session, sku=sku) is not None:
        raise RuleViolation(f"product {sku} already exists")
    if service and stock:
        raise InvalidInput(f"{sku} is a service: services are never stocked, drop --stock")
    product = Product(
        sku=sku,
        name=name,
        unit_price=to_minor(price, minor_digits(session)),
        tax_rate=pct_to_db(tax_rate),
        service=service,
        unit=unit,
        on_hand=0,
        reserved=0,
        active=True,
        location=location,
        created_at=now(),
    )
    session.add(product)
    session.flush()
    record_event(
        session=session,
        subject_kind="product",
        subject_number=sku,
        action="created",
        message=f"product {sku} {name!r} added",
    )
    if stock:
        move_stock(
            session=session,
            product=product,
            qty=qty_to_db(stock),
            kind="receive",
            reference="opening stock",
        )
    return product


def find_product(*, session: Session, sku: str) -> Product | None:
    product = session.exec(select(Product).where(Product.sku == sku)).first()
    if product is None:
        product = session.exec(
            select(Product).where(func.lower(Product.sku) == sku.lower())
        ).first()
    return product


def get_product(*, session: Session, sku: str, for_update: bool = False) -> Product:
    sku = (sku or "").strip()
    if not sku:
        raise InvalidInput("SKU is empty")
    product = find_product(session=session, sku=sku)
    if product is None:
        raise NotFound(f"no product {sku!r}", hint="`ordercli product list` shows the SKUs")
    if for_update:
        session.refresh(product, with_for_update={"key_share": True})
    return product


def edit_product(*, session: Session, sku: str, changes: dict) -> Product:
    """Change name, price, tax rate, unit or active flag; lines already written keep
    their prices and units."""
    product = get_product(session=session, sku=sku)
    if not changes:
        raise InvalidInput(
            f"nothing to change on product {product.sku}",
            hint="give at least one option, e.g. --price",
        )
    for key, value in changes.items():
        if key == "name":
            name = clean_text(value, what="product name", required=True, max_length=200)
            product.name = name
        elif key == "price":
            product.unit_price = to_minor(value, minor_digits(session))
        elif key == "tax_rate":
            product.tax_rate = pct_to_db(value)
        elif key == "active":
            product.active = bool(value)
        elif key == "unit":
            product.unit = parse_unit(value)
        elif key == "location":
            if product.service:
                raise InvalidInput(
                    f"{product.sku} is a service: services are never stocked or picked, "
                    "so they have no location"
                )
            product.location = clean_text(value, what="location", max_length=64)
        else:
            raise InvalidInput(f"unknown product field {key!r}")
    session.add(product)
    record_event(
        session=session,
        subject_kind="product",
        subject_number=product.sku,
        action="edited",
        message=f"product {product.sku}: changed {', '.join(changes)}",
    )
    return product


def list_products(
    *,
    session: Session,
    search: str | None = None,
    services: bool | None = None,
    limit: int | None = 50,
) -> list[Product]:
    check_limit(limit)
    query = select(Product)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            func.lower(Product.name).like(pattern) | func.lower(Product.sku).like(pattern)
        )
    if services is not None:
        query = query.where(Product.service == services)
    query = query.order_by(col(Product.id).desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query))


def service_ids(session: Session, product_ids: Iterable[int]) -> set[int]:
    """Which of ``product_ids`` are services: delivered by invoicing, never shipped."""
    found: set[int] = set()
    for chunk in chunks(sorted(set(product_ids))):
        query = select(col(Product.id)).where(
            col(Product.id).in_(chunk), col(Product.service).is_(True)
        )
        found.update(id_ for id_ in session.exec(query) if id_ is not None)  # primary keys
    return found
