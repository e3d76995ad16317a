"""The catalog's units of measure, at the service level: a product's unit is a known
UN/ECE Rec. 20 code, refused otherwise with nothing written; a line keeps the unit
its product had when the line was written; an import of units is all or nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlmodel import select

from ordercli.domain.errors import InvalidInput
from ordercli.io.imports import import_file
from ordercli.models import OrderLine, Product
from ordercli.services.inventory import catalog
from ordercli.services.sales import ordering
from tests.services.conftest import add_lines

UNKNOWN = (
    "unknown unit 'kgg'; did you mean kg (KGM) or pkg (XPK)?",
    "unknown unit 'furlong'",
)


def unit_of(uow, sku: str) -> str:
    with uow(write=False) as session:
        return catalog.get_product(session=session, sku=sku).unit


def test_a_product_takes_a_unit_by_code_or_name(seeded, uow):
    with uow() as session:
        added = catalog.add_product(
            session=session, sku="RICE", name="Rice", price=Decimal("3.20"), unit="kilogram"
        )
        plain = catalog.add_product(session=session, sku="TAPE", name="Tape", price=Decimal(1))
        assert (added.unit, plain.unit) == ("KGM", "C62")
    assert unit_of(uow, "RICE") == "KGM"


def test_an_unknown_unit_is_refused_and_nothing_is_written(seeded, refused):
    refused(
        InvalidInput,
        UNKNOWN[0],
        lambda s: catalog.add_product(
            session=s, sku="RICE", name="Rice", price=Decimal(3), unit="kgg"
        ),
    )
    refused(
        InvalidInput,
        UNKNOWN[1],
        lambda s: catalog.edit_product(
            session=s, sku="COFFEE-KG", changes={"name": "Beans", "unit": "furlong"}
        ),
    )


def test_a_line_keeps_its_unit_when_the_product_changes(seeded, uow):
    with uow() as session:
        order = ordering.new_order(session=session, customer_code="ACME")
        add_lines(session, order.number, [("COFFEE-KG", "2.5")])
        catalog.edit_product(session=session, sku="COFFEE-KG", changes={"unit": "XBG"})
        add_lines(session, order.number, [("COFFEE-KG", "1")])
        number = order.number
    with uow(write=False) as session:
        order = ordering.get_order(session=session, number=number)
        lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all()
        assert sorted((line.position, line.unit) for line in lines) == [(1, "KGM"), (2, "XBG")]
        product = session.exec(select(Product).where(Product.sku == "COFFEE-KG")).one()
        assert product.unit == "XBG"


def test_an_import_with_one_unknown_unit_writes_nothing(seeded, uow, unchanged, tmp_path: Path):
    path = tmp_path / "units.csv"
    path.write_text(
        "sku,name,unit_price,unit\nOK1,Fine,1,kg\nBAD,Bad,1,furlong\nDESK-OAK,Oak desk,489,box\n",
        encoding="utf-8",
    )
    with unchanged():
        with uow() as session:
            result = import_file(session=session, kind="products", path=path)
    assert [(p.line, p.message) for p in result.errors] == [(3, UNKNOWN[1])]
    assert (result.created, result.updated) == (0, 0)
    assert unit_of(uow, "DESK-OAK") == "C62"
