"""The catalog: stocked goods and services, with price and tax rate.

A product may name the EN 16931 VAT category it is sold under (rule 21,
``domain.vat``): ``S`` standard rated, ``Z`` zero rated, ``E`` exempt, ``O`` not
subject to VAT. Its tax rate must agree (above 0 for ``S``, 0 for the others), an
exempt product says why (words or a VATEX code), and only ``E`` and ``O`` take such
a reason. Without a category the rate and the buyer decide, as before.
"""

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
from ordercli.domain.money import pct_from_db, pct_to_db, qty_to_db, to_minor
from ordercli.domain.text import clean_code, clean_text
from ordercli.domain.units import DEFAULT_UNIT, parse_unit
from ordercli.domain.vat import CATEGORIES, check_category
from ordercli.models import Product
from ordercli.services.inventory.levels import move_stock

# How the user sets each VAT field, named in refusals: the command's options (an
# import names its columns instead).
VAT_OPTIONS = {
    "tax_rate": "--tax-rate",
    "vat_category": "--vat-category",
    "vat_exemption": "--vat-exemption",
}
MAX_EXEMPTION = 500


def vat_category_value(text: str | None) -> str | None:
    """A category typed for a product (S, Z, E, O), upper-cased; empty clears it."""
    text = clean_text(text, what="VAT category", max_length=10)
    return None if text is None else check_category(text)


def vat_exemption_value(text: str | None) -> str | None:
    """An exemption reason: words, or a VATEX code (``VATEX-EU-132-1I``) upper-cased."""
    text = clean_text(text, what="VAT exemption reason", max_length=MAX_EXEMPTION)
    if text is not None and "\n" in text:
        raise InvalidInput("VAT exemption reason must be a single line")
    if text is not None and text.upper().startswith("VATEX-"):
        return text.upper()
    return text


def vat_problem(
    *,
    sku: str,
    tax_rate: int,
    category: str | None,
    exemption: str | None,
    options: dict[str, str] = VAT_OPTIONS,
) -> str | None:
    """Why a product's tax rate (stored units), VAT category and exemption reason do not
    go together (rule 21), saying what fixes it; None when they do."""
    if category is None:
        if exemption:
            return (
                f"product {sku}: an exemption reason needs VAT category E or O; give "
                f"{options['vat_category']} E (exempt) or O (not subject to VAT)"
            )
        return None
    said = f"product {sku}: VAT category {category} ({CATEGORIES[category]})"
    if category == "S" and tax_rate <= 0:
        return (
            f"{said} needs a tax rate above 0; give {options['tax_rate']} PCT, "
            f"or {options['vat_category']} Z, E or O"
        )
    if category != "S" and tax_rate != 0:
        return (
            f"{said} needs a tax rate of 0, not {pct_from_db(tax_rate)}%; give "
            f"{options['tax_rate']} 0, or {options['vat_category']} S"
        )
    if category == "E" and not exemption:
        return (
            f"{said} needs an exemption reason; give {options['vat_exemption']} with the "
            "reason in words or a VATEX code (such as VATEX-EU-132-1I)"
        )
    if category in ("S", "Z") and exemption:
        return f"{said} takes no exemption reason; leave {options['vat_exemption']} out or empty"
    return None


def _check_vat(product: Product) -> None:
    problem = vat_problem(
        sku=product.sku,
        tax_rate=product.tax_rate,
        category=product.vat_category,
        exemption=product.vat_exemption,
    )
    if problem:
        raise InvalidInput(problem)


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
    vat_category: str | None = None,
    vat_exemption: str | None = None,
) -> Product:
    """A new product; its VAT category and exemption reason must agree with its tax
    rate (rule 21, see the module's docstring)."""
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
        vat_category=vat_category_value(vat_category),
        vat_exemption=vat_exemption_value(vat_exemption),
        created_at=now(),
    )
    _check_vat(product)
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
    """Change name, price, tax rate, unit, location, VAT category and exemption or the
    active flag; lines already written keep their prices and units. The tax rate,
    category and exemption reason must agree afterwards (rule 21)."""
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
        elif key == "vat_category":
            product.vat_category = vat_category_value(value)
        elif key == "vat_exemption":
            product.vat_exemption = vat_exemption_value(value)
        else:
            raise InvalidInput(f"unknown product field {key!r}")
    _check_vat(product)
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
