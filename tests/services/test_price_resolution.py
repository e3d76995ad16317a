"""Where a line's price comes from (SPEC rule 19), through ``add_order_line`` and
``add_quote_line``: a typed price (``manual``) wins, then the customer's price list at
the document's date and quantity (the highest break not above the quantity; a price
valid on its first and its last day; an expired one falls back to a lower break or to
the product), then the product's own price. A price from the other basis (gross list,
net document or the other way round) is converted at the line's tax rate. A line keeps
its price when the list changes later.

The lists are written straight into the session here: these tests hold the pricing
rules, not the price list commands.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from ordercli.domain.money import from_minor
from ordercli.models import Customer, OrderLine, PriceList, PriceListPrice, Product, SalesOrder
from ordercli.services.sales import ordering, quoting

TODAY = date(2024, 3, 15)
CREATED = datetime(2024, 1, 1, tzinfo=UTC)
D = Decimal


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY.isoformat())


@pytest.fixture
def price_list(seeded, uow):
    """``price_list("TRADE", gross=False, prices=[("DESK-OAK", "1", "400.00")], customer="ACME")``
    → the list's id; each price is (sku, from qty, price[, valid_from, valid_to])."""

    def make(name="TRADE", *, gross=False, prices=(), customer="ACME") -> int:
        with uow() as session:
            plist = PriceList(name=name, gross=gross, created_at=CREATED)
            session.add(plist)
            session.flush()
            assert plist.id is not None
            for sku, min_qty, price, *dates in prices:
                valid_from, valid_to = (*dates, None, None)[:2]
                session.add(
                    PriceListPrice(
                        price_list_id=plist.id,
                        product_id=product_id(session, sku),
                        min_qty=int(D(min_qty) * 1000),
                        unit_price=int(D(price) * 100),
                        valid_from=valid_from,
                        valid_to=valid_to,
                        created_at=CREATED,
                    )
                )
            if customer is not None:
                row = session.exec(select(Customer).where(Customer.code == customer)).one()
                row.price_list_id = plist.id
                session.add(row)
            return plist.id

    return make


def product_id(session, sku: str) -> int:
    return session.exec(select(Product.id).where(Product.sku == sku)).one()


@pytest.fixture
def order_line(seeded, uow):
    """``order_line("DESK-OAK", "4")`` adds a line to a new draft order and returns its
    (unit price, source, list id, net, tax, order number)."""

    def add(sku, qty, *, price=None, customer="ACME", gross=None, order_date=None, number=None):
        with uow() as session:
            if number is None:
                number = ordering.new_order(
                    session=session,
                    customer_code=customer,
                    prices_include_tax=gross,
                    order_date=order_date,
                ).number
            line = ordering.add_order_line(
                session=session, number=number, sku=sku, qty=D(qty), price=price and D(price)
            )
            return (
                str(from_minor(line.unit_price)),
                line.price_source,
                line.price_list_id,
                line.net,
                line.tax,
                number,
            )

    return add


BREAKS = [
    ("DESK-OAK", "1", "400.00"),
    ("DESK-OAK", "5", "380.00"),
    ("DESK-OAK", "10", "350.00"),
]


@pytest.mark.parametrize(
    ("qty", "price", "source"),
    [
        ("1", "400.00", "list"),
        ("4.999", "400.00", "list"),
        ("5", "380.00", "break"),
        ("9", "380.00", "break"),
        ("10", "350.00", "break"),
        ("250", "350.00", "break"),
    ],
)
def test_the_highest_break_not_above_the_quantity_holds(price_list, order_line, qty, price, source):
    list_id = price_list(prices=BREAKS)
    unit_price, got_source, got_list, *_ = order_line("DESK-OAK", qty)
    assert (unit_price, got_source, got_list) == (price, source, list_id)


def test_below_the_lowest_break_the_product_price_holds(price_list, order_line):
    price_list(prices=[("DESK-OAK", "5", "380.00")])
    assert order_line("DESK-OAK", "4")[:3] == ("489.00", "product", None)
    assert order_line("DESK-OAK", "5")[:2] == ("380.00", "break")


def test_a_typed_price_wins_over_the_list(price_list, order_line):
    price_list(prices=BREAKS)
    assert order_line("DESK-OAK", "10", price="123.45")[:3] == ("123.45", "manual", None)


def test_a_product_missing_from_the_list_takes_its_own_price(price_list, order_line):
    price_list(prices=BREAKS)
    assert order_line("CHAIR-VISIT", "2")[:3] == ("79.90", "product", None)


def test_a_customer_without_a_list_gets_the_product_price(price_list, order_line):
    price_list(prices=BREAKS, customer="BRIGHT")  # not ACME's
    assert order_line("DESK-OAK", "10")[:3] == ("489.00", "product", None)
    assert order_line("DESK-OAK", "10", customer="BRIGHT")[:2] == ("350.00", "break")


def test_a_price_is_valid_on_its_first_and_last_day(price_list, order_line):
    list_id = price_list(prices=[("DESK-OAK", "1", "400.00", TODAY, TODAY)])
    assert order_line("DESK-OAK", "1")[:3] == ("400.00", "list", list_id)


@pytest.mark.parametrize(
    ("valid_from", "valid_to"),
    [
        (None, date(2024, 3, 14)),  # expired yesterday
        (date(2024, 3, 16), None),  # starts tomorrow
        (date(2024, 1, 1), date(2024, 3, 14)),
    ],
)
def test_a_price_outside_its_dates_falls_back(price_list, order_line, valid_from, valid_to):
    list_id = price_list(
        prices=[
            ("DESK-OAK", "1", "400.00"),
            ("DESK-OAK", "5", "380.00", valid_from, valid_to),
            ("CHAIR-VISIT", "1", "70.00", valid_from, valid_to),
        ]
    )
    # The break does not hold: the lower one does; with none lower, the product's price.
    assert order_line("DESK-OAK", "5")[:3] == ("400.00", "list", list_id)
    assert order_line("CHAIR-VISIT", "1")[:3] == ("79.90", "product", None)


def test_the_order_date_decides_which_price_holds(price_list, order_line):
    price_list(
        prices=[
            ("DESK-OAK", "1", "410.00", None, date(2024, 2, 29)),
            ("DESK-OAK", "1", "400.00", date(2024, 3, 1), None),
        ]
    )
    assert order_line("DESK-OAK", "1", order_date=date(2024, 2, 29))[:2] == ("410.00", "list")
    assert order_line("DESK-OAK", "1", order_date=date(2024, 3, 1))[:2] == ("400.00", "list")


def test_a_gross_list_on_a_net_order_is_taken_net(price_list, order_line):
    list_id = price_list(
        gross=True, prices=[("DESK-OAK", "1", "119.00"), ("PLANT-FICUS", "1", "10.00")]
    )
    # 119.00 at 19 % is 100.00 net; 10.00 at 7 % is 9.3457… → 9.35.
    unit_price, source, got_list, net, tax, _ = order_line("DESK-OAK", "2", gross=False)
    assert (unit_price, source, got_list, net, tax) == ("100.00", "list", list_id, 20000, 3800)
    assert order_line("PLANT-FICUS", "1", gross=False)[:2] == ("9.35", "list")


def test_a_gross_list_makes_a_gross_order_by_default(price_list, order_line, uow):
    price_list(gross=True, prices=[("DESK-OAK", "1", "119.00")])
    unit_price, _, _, net, tax, number = order_line("DESK-OAK", "2")
    # The price stays gross; the line's 238.00 splits into 200.00 + 38.00.
    assert (unit_price, net, tax) == ("119.00", 20000, 3800)
    with uow(write=False) as session:
        order = ordering.get_order(session=session, number=number)
        assert order.prices_include_tax is True
        assert (order.subtotal, order.tax, order.total) == (20000, 3800, 23800)


def test_a_net_list_on_a_gross_order_is_taken_gross(price_list, order_line):
    list_id = price_list(prices=[("DESK-OAK", "1", "100.00")])
    unit_price, source, got_list, net, tax, _ = order_line("DESK-OAK", "1", gross=True)
    assert (unit_price, source, got_list, net, tax) == ("119.00", "list", list_id, 10000, 1900)


def test_the_product_price_on_a_gross_order_is_taken_gross(order_line):
    # 489.00 × 1.19 = 581.91 gross; 581.91 ÷ 1.19 = 489.00 net again.
    assert order_line("DESK-OAK", "1", gross=True)[:5] == ("581.91", "product", None, 48900, 9291)


def test_a_typed_price_on_a_gross_order_is_read_as_gross(order_line):
    unit_price, source, _, net, tax, _ = order_line("DESK-OAK", "1", price="119.00", gross=True)
    assert (unit_price, source, net, tax) == ("119.00", "manual", 10000, 1900)


def test_a_line_keeps_its_price_when_the_list_changes(price_list, order_line, uow):
    price_list(prices=BREAKS)
    *_, number = order_line("DESK-OAK", "1")
    with uow() as session:
        for row in session.exec(select(PriceListPrice)):
            row.unit_price += 1000
            session.add(row)
    # A new line takes the new price; the first keeps what it was priced at.
    order_line("DESK-OAK", "1", number=number)
    with uow(write=False) as session:
        order = ordering.get_order(session=session, number=number)
        lines = session.exec(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.position)
        ).all()
        assert [ln.unit_price for ln in lines] == [40000, 41000]
        assert order.subtotal == 81000


def test_a_quantity_edited_on_a_draft_looks_the_price_up_again(price_list, order_line, uow):
    list_id = price_list(prices=BREAKS)
    *_, number = order_line("DESK-OAK", "1")
    with uow() as session:
        line = ordering.edit_order_line(session=session, number=number, line_ref="1", qty=D(5))
        assert (line.unit_price, line.price_source, line.price_list_id) == (38000, "break", list_id)
        assert (line.net, line.tax) == (190000, 36100)
        order = session.get(SalesOrder, line.order_id)
        assert order is not None and order.total == 226100


def test_a_typed_price_stays_when_the_quantity_changes(price_list, order_line, uow):
    price_list(prices=BREAKS)
    *_, number = order_line("DESK-OAK", "1", price="450.00")
    with uow() as session:
        line = ordering.edit_order_line(session=session, number=number, line_ref="1", qty=D(10))
        assert (line.unit_price, line.price_source, line.price_list_id) == (45000, "manual", None)


# --- quotes -----------------------------------------------------------------------------------


@pytest.fixture
def quote_line(seeded, uow):
    def add(sku, qty, *, price=None, customer="ACME", gross=None):
        with uow() as session:
            quote = quoting.new_quote(
                session=session, customer_code=customer, prices_include_tax=gross
            )
            line = quoting.add_quote_line(
                session=session, number=quote.number, sku=sku, qty=D(qty), price=price and D(price)
            )
            return str(from_minor(line.unit_price)), line.price_source, line.price_list_id

    return add


def test_a_quote_line_resolves_like_an_order_line(price_list, quote_line):
    list_id = price_list(prices=[*BREAKS, ("CHAIR-VISIT", "1", "70.00", None, date(2024, 3, 14))])
    assert quote_line("DESK-OAK", "4") == ("400.00", "list", list_id)
    assert quote_line("DESK-OAK", "12") == ("350.00", "break", list_id)
    assert quote_line("DESK-OAK", "12", price="1.00") == ("1.00", "manual", None)
    assert quote_line("CHAIR-VISIT", "1") == ("79.90", "product", None)  # expired
    assert quote_line("DESK-OAK", "1", customer="BRIGHT") == ("489.00", "product", None)


def test_a_quote_converts_between_bases_like_an_order(price_list, quote_line):
    price_list(gross=True, prices=[("DESK-OAK", "1", "119.00")])
    assert quote_line("DESK-OAK", "1", gross=False)[:2] == ("100.00", "list")
    assert quote_line("DESK-OAK", "1")[:2] == ("119.00", "list")  # gross by default
    assert quote_line("CHAIR-VISIT", "1")[:2] == ("95.08", "product")  # 79.90 × 1.19
