"""`import orders` prices by SPEC rule 19 (issue 18): rows without ``unit_price`` and
orders whose prices include tax.

* A row without ``unit_price`` takes the customer's price list at the order's date and
  the row's quantity (the highest break not above it), else the product's price; a row
  with one keeps it (``manual``). The line records where its price came from.
* An order's prices include tax when its rows say ``prices_include_tax``, else when
  ``--prices-include-tax`` says so, else when the customer's list is gross. Gross lines:
  net = gross ÷ (1 + rate) rounded half-up, tax = gross − net.

Expected amounts are worked out here with ``Decimal``, never with the product's money
code. The price lists are written straight into the ledger: these tests hold the
import, not the price list commands.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from ordercli.io.imports import import_file
from ordercli.models import Customer, OrderLine, PriceList, PriceListPrice, Product, SalesOrder
from ordercli.views import sales as views

TODAY = "2026-06-15"
HEADER = (
    "order_ref,customer_code,order_date,sku,qty,unit_price,discount_pct,tax_rate,confirm,"
    "prices_include_tax"
)
CREATED = datetime(2026, 1, 1, tzinfo=UTC)
D = Decimal
CENT = D("0.01")


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


def write(folder: Path, *rows: str, name: str = "orders.csv") -> Path:
    path = folder / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def price_list(seeded, uow):
    """``price_list(name, gross, [(sku, min_qty, price[, from, to])], customers)`` → id."""

    def make(name="TRADE", *, gross=False, prices=(), customers=("ACME",)) -> int:
        with uow() as session:
            plist = PriceList(name=name, gross=gross, created_at=CREATED)
            session.add(plist)
            session.flush()
            assert plist.id is not None
            for sku, min_qty, price, *dates in prices:
                valid_from, valid_to = (*dates, None, None)[:2]
                product = session.exec(select(Product).where(Product.sku == sku)).one()
                session.add(
                    PriceListPrice(
                        price_list_id=plist.id,
                        product_id=product.id,
                        min_qty=int(D(min_qty) * 1000),
                        unit_price=int(D(price) * 100),
                        valid_from=valid_from,
                        valid_to=valid_to,
                        created_at=CREATED,
                    )
                )
            for code in customers:
                row = session.exec(select(Customer).where(Customer.code == code)).one()
                row.price_list_id = plist.id
                session.add(row)
            return plist.id

    return make


@pytest.fixture
def run(uow):
    def go(path: Path, **options):
        with uow() as session:
            return import_file(session=session, kind="orders", path=path, **options)

    return go


@pytest.fixture
def imported(uow):
    """``imported(ref)`` → (order, [(sku, unit_price, source, list id, net, tax, total)])."""

    def get(ref: str):
        with uow(write=False) as session:
            order = session.exec(select(SalesOrder).where(SalesOrder.order_ref == ref)).one()
            lines = session.exec(
                select(OrderLine, Product.sku)
                .join(Product, Product.id == OrderLine.product_id)  # type: ignore[arg-type]
                .where(OrderLine.order_id == order.id)
                .order_by(OrderLine.position)  # type: ignore[arg-type]
            ).all()
            session.expunge_all()
        rows = [
            (
                sku,
                money(ln.unit_price),
                ln.price_source,
                ln.price_list_id,
                money(ln.net),
                money(ln.tax),
                money(ln.net + ln.tax),
            )
            for ln, sku in lines
        ]
        return order, rows

    return get


def money(units: int) -> Decimal:
    return D(units) / 100


def gross_split(gross: Decimal, rate: str) -> tuple[Decimal, Decimal]:
    """Rule 19, independently: net = gross ÷ (1 + rate) half-up, tax = gross − net."""
    net = (gross / (1 + D(rate) / 100)).quantize(CENT, ROUND_HALF_UP)
    return net, gross - net


def net_split(net: Decimal, rate: str) -> tuple[Decimal, Decimal]:
    return net, (net * D(rate) / 100).quantize(CENT, ROUND_HALF_UP)


def test_rows_without_a_price_take_the_customers_list(tmp_path, price_list, run, imported):
    list_id = price_list(
        prices=[
            ("DESK-OAK", "1", "400.00"),
            ("DESK-OAK", "5", "380.00"),
            ("CHAIR-ERGO", "1", "300.00", date(2026, 1, 1), date(2026, 3, 31)),
            ("CHAIR-ERGO", "1", "290.00", date(2026, 4, 1)),
        ]
    )
    path = write(
        tmp_path,
        "A1,ACME,2026-02-01,DESK-OAK,2,,0,,false,",
        "A1,ACME,2026-02-01,DESK-OAK,6,,0,,false,",
        "A1,ACME,2026-02-01,CHAIR-ERGO,1,,0,,false,",
        "A1,ACME,2026-02-01,CHAIR-VISIT,1,,0,,false,",
        "A2,ACME,2026-05-01,CHAIR-ERGO,1,,10,,false,",
        "A2,ACME,2026-05-01,DESK-OAK,0.5,,0,,false,",
    )
    result = run(path)
    assert not result.errors, result.errors
    assert (result.created, result.lines_created) == (2, 6)
    order, lines = imported("A1")
    assert not order.prices_include_tax
    assert [ln[:4] for ln in lines] == [
        ("DESK-OAK", D("400.00"), "list", list_id),
        ("DESK-OAK", D("380.00"), "break", list_id),
        ("CHAIR-ERGO", D("300.00"), "list", list_id),  # the price of the order's date
        ("CHAIR-VISIT", D("79.90"), "product", None),  # not on the list
    ]
    assert [ln[4:6] for ln in lines] == [
        net_split(D("800.00"), "19"),
        net_split(D("2280.00"), "19"),
        net_split(D("300.00"), "19"),
        net_split(D("79.90"), "19"),
    ]
    _, later = imported("A2")
    assert [ln[:4] for ln in later] == [
        ("CHAIR-ERGO", D("290.00"), "list", list_id),
        # Below the list's first break (from 1 on): the product's price.
        ("DESK-OAK", D("489.00"), "product", None),
    ]
    assert later[0][4] == D("261.00")  # 290.00 less 10 %


def test_a_customer_without_a_list_and_a_typed_price(tmp_path, price_list, run, imported):
    price_list(prices=[("DESK-OAK", "1", "400.00")])
    path = write(
        tmp_path,
        "M1,MUELLER,2026-06-01,DESK-OAK,1,,0,,false,",
        "T1,ACME,2026-06-01,DESK-OAK,1,450.00,0,,false,",
    )
    assert not run(path).errors
    assert imported("M1")[1][0][:4] == ("DESK-OAK", D("489.00"), "product", None)
    # The shop's price wins over the list (rule 19).
    assert imported("T1")[1][0][:4] == ("DESK-OAK", D("450.00"), "manual", None)


def test_gross_column_flag_and_gross_list(tmp_path, price_list, run, imported):
    gross_list = price_list(
        "B2C", gross=True, prices=[("DESK-OAK", "1", "595.00")], customers=("MUELLER",)
    )
    path = write(
        tmp_path,
        # The row says so.
        "G1,ACME,2026-06-01,DESK-OAK,1,119.00,0,19,false,true",
        "G1,ACME,2026-06-01,CHAIR-VISIT,3,,0,,false,true",
        # The flag says so (below).
        "F1,ACME,2026-06-01,LAMP-LED,2,49.99,0,7,false,",
        # The customer's list is gross.
        "L1,MUELLER,2026-06-01,DESK-OAK,1,,0,,false,",
        "L1,MUELLER,2026-06-01,CHAIR-VISIT,1,,0,,false,",
        # The row overrides both: net, and the gross list price taken out of tax.
        "N1,MUELLER,2026-06-01,DESK-OAK,1,,0,,false,false",
    )
    assert not run(path, prices_include_tax=True).errors
    order, lines = imported("G1")
    assert order.prices_include_tax
    assert lines[0][4:7] == (*gross_split(D("119.00"), "19"), D("119.00"))
    assert lines[0][4:6] == (D("100.00"), D("19.00"))
    # A product's net price on a gross order, with tax added at the unit: 79.90 × 1.19.
    assert lines[1][1:3] == (D("95.08"), "product")
    assert lines[1][4:7] == (*gross_split(D("285.24"), "19"), D("285.24"))
    order, lines = imported("F1")
    assert order.prices_include_tax
    assert lines[0][4:7] == (*gross_split(D("99.98"), "7"), D("99.98"))
    order, lines = imported("L1")
    assert order.prices_include_tax
    assert lines[0][1:4] == (D("595.00"), "list", gross_list)
    assert lines[0][4:6] == (D("500.00"), D("95.00"))
    order, lines = imported("N1")
    assert not order.prices_include_tax
    assert lines[0][1:6] == (D("500.00"), "list", gross_list, D("500.00"), D("95.00"))
    for ref in ("G1", "F1", "L1", "N1"):
        order, lines = imported(ref)
        assert money(order.subtotal) == sum(ln[4] for ln in lines)
        assert money(order.tax) == sum(ln[5] for ln in lines)
        assert money(order.total) == sum(ln[6] for ln in lines)


def test_without_flag_a_net_list_customer_is_net(tmp_path, price_list, run, imported):
    price_list(prices=[("DESK-OAK", "1", "400.00")])
    assert not run(write(tmp_path, "A1,ACME,2026-06-01,DESK-OAK,1,,0,,false,")).errors
    order, lines = imported("A1")
    assert not order.prices_include_tax
    assert lines[0][4:6] == (D("400.00"), D("76.00"))


def test_rows_of_one_order_must_agree_on_prices_include_tax(tmp_path, seeded, uow, unchanged):
    path = write(
        tmp_path,
        "X1,ACME,2026-06-01,DESK-OAK,1,100.00,0,,false,true",
        "X1,ACME,2026-06-01,LAMP-LED,1,10.00,0,,false,false",
        "X1,ACME,2026-06-01,LAMP-LED,1,10.00,0,,false,",
        "X2,ACME,2026-06-01,LAMP-LED,1,10.00,0,,false,",
        "X2,ACME,2026-06-01,LAMP-LED,1,10.00,0,,false,yes",
        "X3,ACME,2026-06-01,LAMP-LED,1,10.00,0,,false,maybe",
    )
    with unchanged():
        with uow() as session:
            result = import_file(session=session, kind="orders", path=path)
    assert result.created == 0
    by_line = {p.line: p.message for p in result.errors}
    assert set(by_line) == {3, 4, 6, 7}, by_line
    assert "order X1 (line 2) has prices_include_tax=true, not false" in by_line[3]
    assert "not (empty)" in by_line[4]
    assert "order X2 (line 5) has prices_include_tax=(empty), not true" in by_line[6]
    assert "prices_include_tax" in by_line[7] and "true or false" in by_line[7]


def test_the_flag_fills_empty_cells_so_they_agree(tmp_path, seeded, run, imported):
    path = write(
        tmp_path,
        "X1,ACME,2026-06-01,LAMP-LED,1,10.00,0,,false,true",
        "X1,ACME,2026-06-01,LAMP-LED,1,10.00,0,,false,",
    )
    assert not run(path, prices_include_tax=True).errors
    assert imported("X1")[0].prices_include_tax


def test_again_creates_nothing_twice(tmp_path, price_list, run, uow, unchanged):
    price_list(prices=[("DESK-OAK", "1", "400.00")])
    path = write(
        tmp_path,
        "R1,ACME,2026-06-01,DESK-OAK,1,,0,,true,",
        "R2,MUELLER,2026-06-01,DESK-OAK,1,,0,,false,true",
    )
    first = run(path)
    assert (first.created, first.lines_created, first.confirmed) == (2, 2, 1)
    with unchanged():
        again = run(path)
    assert (again.created, again.skipped) == (0, 2)


def test_order_json_names_the_price_source(tmp_path, price_list, run, uow):
    list_id = price_list(prices=[("DESK-OAK", "1", "400.00")])
    path = write(
        tmp_path,
        "J1,ACME,2026-06-01,DESK-OAK,1,,0,,false,",
        "J1,ACME,2026-06-01,LAMP-LED,1,45.00,0,,false,",
        "J1,ACME,2026-06-01,CHAIR-VISIT,1,,0,,false,",
    )
    assert not run(path).errors
    with uow(write=False) as session:
        order = session.exec(select(SalesOrder).where(SalesOrder.order_ref == "J1")).one()
        view = views.order_view(session, order)
    assert [line["price_source"] for line in view["lines"]] == ["list", "manual", "product"]
    assert view["prices_include_tax"] is False
    assert list_id


def test_a_confirmed_gross_order_counts_its_gross_against_the_credit_limit(
    tmp_path, seeded, run, uow, unchanged
):
    """Rule 16 on the order's total: the gross amount, tax included once."""
    with uow() as session:
        acme = session.exec(select(Customer).where(Customer.code == "ACME")).one()
        limit = money(acme.credit_limit)
    over = (limit + 1).quantize(CENT)
    path = write(tmp_path, f"C1,ACME,2026-06-01,DESK-OAK,1,{over},0,,true,true")
    with unchanged():
        refused = run(path)
    assert any("credit limit" in p.message for p in refused.errors), refused.errors
    # Just under the limit, gross: net + tax is the price typed, not the price plus tax.
    path = write(tmp_path, f"C2,ACME,2026-06-01,DESK-OAK,1,{limit - 1},0,,true,true", name="b.csv")
    assert not run(path).errors


def test_an_order_whose_date_is_refused_is_not_priced(tmp_path, price_list, uow, unchanged):
    """Its later rows have no day to be priced on: the file is refused, nothing raises."""
    price_list(prices=[("DESK-OAK", "1", "400.00", date(2026, 1, 1))])
    path = write(
        tmp_path,
        "D1,ACME,yesterday,DESK-OAK,1,,0,,false,",
        "D1,ACME,2026-06-01,DESK-OAK,1,,0,,false,",
    )
    with unchanged():
        with uow() as session:
            result = import_file(session=session, kind="orders", path=path)
    assert [p.line for p in result.errors] == [2], result.errors
