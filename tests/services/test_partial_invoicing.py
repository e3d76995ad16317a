"""Partial invoices (SPEC rules 9 and 10): however a line is split, its invoices add up
to the order line to the cent, and the first invoice of a line is the plain formula."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlmodel import select

from ordercli.models import InvoiceLine, OrderLine
from ordercli.services.inventory import catalog
from ordercli.services.sales import invoicing, ordering
from ordercli.views import sales as views

D = Decimal
CENT = D("0.01")


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def expected_net(qty, price, discount) -> Decimal:
    return half_up(D(qty) * D(price) * (1 - D(discount) / 100))


def expected_tax(net, rate) -> Decimal:
    return half_up(net * D(rate) / 100)


def splits_of(total: Decimal, step: Decimal, seed: int) -> list[list[Decimal]]:
    """Many ways to cut ``total`` into positive parts that are multiples of ``step``."""
    units = int(total / step)
    ways = [[units], [1, units - 1], [units - 1, 1], [1] * min(units, 12) + [units - 12]]
    ways.append([units // 2, units - units // 2])
    ways.append([units // 3, units // 3, units - 2 * (units // 3)])
    rng = random.Random(seed)
    for _ in range(4):
        cuts = sorted(rng.sample(range(1, units), k=min(units - 1, rng.randint(2, 6))))
        ways.append([b - a for a, b in zip([0, *cuts], [*cuts, units], strict=True)])
    cleaned = []
    for way in ways:
        parts = [p for p in way if p > 0]
        if sum(parts) == units and parts not in cleaned:
            cleaned.append(parts)
    return [[step * p for p in parts] for parts in cleaned]


LINES = [
    # qty, unit price, discount %, tax %, the step quantities are invoiced in
    ("7", "0.99", "12.5", "19", "1"),
    ("16", "348.35", "4", "22", "1"),
    ("10", "0.33", "0", "7", "1"),
    ("9", "1.11", "33.3333", "19", "1"),
    ("12.5", "65.00", "0", "19", "0.5"),
    ("3", "2.01", "50", "5", "0.25"),
    ("100", "0.07", "15", "7.7", "1"),
    ("2.5", "0.05", "0", "10", "0.125"),
    ("1.234", "999.99", "2.5", "21", "0.001"),
]


@pytest.fixture
def item(seeded, uow):
    with uow() as session:
        catalog.add_product(session=session, sku="ITEM", name="Item", price=D("1.00"))


@pytest.mark.parametrize(("qty", "price", "discount", "rate", "step"), LINES)
def test_partial_invoices_of_a_line_add_up_to_the_line(item, uow, qty, price, discount, rate, step):
    splits = splits_of(D(qty), D(step), seed=int(D(qty) * 1000 + D(price) * 100))
    assert len(splits) >= 5
    orders = []
    with uow() as session:
        for _ in splits:
            order = ordering.new_order(session=session, customer_code="MUELLER")
            ordering.add_order_line(
                session=session,
                number=order.number,
                sku="ITEM",
                qty=D(qty),
                price=D(price),
                discount=D(discount),
                tax_rate=D(rate),
            )
            ordering.confirm_order(session=session, number=order.number)
            orders.append(order.number)
    line_net = expected_net(qty, price, discount)
    line_tax = expected_tax(line_net, rate)
    for number, parts in zip(orders, splits, strict=True):
        issued = []
        for part in parts:
            with uow() as session:
                invoice = invoicing.create_invoice(
                    session=session, order_number=number, lines=[("ITEM", part)]
                )
                issued.append(views.invoice_view(session, invoice))
        amounts = [(inv["lines"][0]["net"], inv["lines"][0]["tax"]) for inv in issued]
        context = (number, [str(p) for p in parts], [tuple(map(str, a)) for a in amounts])
        # The first invoice of a line is exactly the rounded formula for its quantity.
        first_net = expected_net(parts[0], price, discount)
        assert amounts[0] == (first_net, expected_tax(first_net, rate)), context
        # All of them add up to the order line, to the cent; none is negative.
        assert sum(net for net, _ in amounts) == line_net, context
        assert sum(tax for _, tax in amounts) == line_tax, context
        assert all(net >= 0 and tax >= 0 for net, tax in amounts), context
        for inv in issued:
            assert inv["subtotal"] == inv["lines"][0]["net"]
            assert inv["total"] == inv["subtotal"] + inv["tax"]
        with uow(write=False) as session:
            order = ordering.get_order(session=session, number=number)
            (line,) = ordering.order_lines(session=session, order=order)
            assert (line.net, line.tax) == (int(line_net * 100), int(line_tax * 100))
            assert (line.net_invoiced, line.tax_invoiced) == (line.net, line.tax)
            assert ordering.billing_status([line]) == "invoiced"


def test_partial_invoices_across_several_lines_add_up_to_the_order(item, uow):
    lines = [
        ("5", "0.99", "12.5", "19"),
        ("16", "348.35", "4", "22"),
        ("3", "0.25", "50", "10"),
    ]
    with uow() as session:
        order = ordering.new_order(session=session, customer_code="MUELLER")
        for qty, price, discount, rate in lines:
            ordering.add_order_line(
                session=session,
                number=order.number,
                sku="ITEM",
                qty=D(qty),
                price=D(price),
                discount=D(discount),
                tax_rate=D(rate),
            )
        ordering.confirm_order(session=session, number=order.number)
    # ITEM sits on three lines: each request fills them in order.
    for part in ("2", "4", "1", "9", "7"):
        with uow() as session:
            invoicing.create_invoice(
                session=session, order_number=order.number, lines=[("ITEM", D(part))]
            )
    with uow() as session:
        invoicing.create_invoice(session=session, order_number=order.number)
    with uow(write=False) as session:
        order = ordering.get_order(session=session, number=order.number)
        invoices = invoicing.invoices_of_order(session=session, order=order)
        assert len(invoices) == 6
        for order_line in ordering.order_lines(session=session, order=order):
            billed = session.exec(
                select(InvoiceLine).where(InvoiceLine.order_line_id == order_line.id)
            ).all()
            assert sum(il.qty for il in billed) == order_line.qty
            assert sum(il.net for il in billed) == order_line.net
            assert sum(il.tax for il in billed) == order_line.tax
        assert sum(inv.subtotal for inv in invoices) == order.subtotal
        assert sum(inv.tax for inv in invoices) == order.tax
        assert sum(inv.total for inv in invoices) == order.total
        assert all(inv.total == inv.subtotal + inv.tax for inv in invoices)


def test_a_line_grown_after_partial_invoicing_still_adds_up(item, uow):
    with uow() as session:
        order = ordering.new_order(session=session, customer_code="MUELLER")
        ordering.add_order_line(
            session=session,
            number=order.number,
            sku="ITEM",
            qty=D(3),
            price=D("0.99"),
            discount=D("12.5"),
            tax_rate=D(19),
        )
        ordering.confirm_order(session=session, number=order.number)
        invoicing.create_invoice(session=session, order_number=order.number, lines=[("ITEM", D(1))])
    with uow() as session:
        ordering.edit_order_line(session=session, number=order.number, line_ref="1", qty=D(11))
        invoicing.create_invoice(session=session, order_number=order.number, lines=[("ITEM", D(5))])
    with uow() as session:
        invoicing.create_invoice(session=session, order_number=order.number)
    with uow(write=False) as session:
        (line,) = session.exec(select(OrderLine)).all()
        billed = session.exec(select(InvoiceLine).order_by(InvoiceLine.id)).all()
        assert [il.qty for il in billed] == [1000, 5000, 5000]
        assert line.net == int(expected_net(11, "0.99", "12.5") * 100)  # 9.52875 → 9.53
        assert sum(il.net for il in billed) == line.net == 953
        assert sum(il.tax for il in billed) == line.tax == int(expected_tax(D("9.53"), 19) * 100)
        assert billed[0].net == int(expected_net(1, "0.99", "12.5") * 100)  # 0.86625 → 0.87
