"""SPEC rules 9 (never over-invoice or over-ship), 10 (exact money) and 11 (due dates)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from ordercli.books import settings
from ordercli.domain.errors import RuleViolation
from ordercli.services.inventory import catalog
from ordercli.services.parties import customers
from ordercli.services.sales import fulfilment, invoicing, ordering, quoting
from ordercli.views import sales as views

D = Decimal


def run(uow, action):
    with uow() as session:
        return action(session)


def invoice(uow, number: str, lines: dict | None = None, **kw):
    requests = [(sku, D(qty)) for sku, qty in lines.items()] if lines else None
    return run(
        uow,
        lambda s: invoicing.create_invoice(session=s, order_number=number, lines=requests, **kw),
    )


def invoice_view(uow, number: str) -> dict:
    with uow(write=False) as session:
        return views.invoice_view(session, invoicing.get_invoice(session=session, number=number))


# Rule 9 ---------------------------------------------------------------------


def test_over_invoicing_a_line_is_refused(make_order, uow, refused):
    number = make_order(lines=[("DESK-OAK", "4")])
    invoice(uow, number, {"DESK-OAK": "2"})
    refused(
        RuleViolation,
        f"cannot invoice 7 × DESK-OAK on {number}: ordered 4, already invoiced 2, left 2",
        lambda s: invoicing.create_invoice(
            session=s, order_number=number, lines=[("DESK-OAK", D(7))]
        ),
    )


def test_over_shipping_a_line_is_refused(make_order, uow, refused):
    number = make_order(lines=[("DESK-OAK", "4")])
    run(
        uow,
        lambda s: fulfilment.create_shipment(
            session=s, order_number=number, lines=[("DESK-OAK", D("1.5"))]
        ),
    )
    refused(
        RuleViolation,
        f"cannot ship 3 × DESK-OAK on {number}: ordered 4, already shipped 1.5, left 2.5",
        lambda s: fulfilment.create_shipment(
            session=s, order_number=number, lines=[("DESK-OAK", D(3))]
        ),
    )


def test_nothing_left_to_invoice(make_order, uow, refused):
    number = make_order(lines=[("DESK-OAK", "4"), ("INSTALL", "2")])
    invoice(uow, number)
    refused(
        RuleViolation,
        f"nothing left to invoice on {number}: every line is fully invoiced",
        lambda s: invoicing.create_invoice(session=s, order_number=number),
    )


def test_nothing_left_to_ship(make_order, uow, refused):
    number = make_order(lines=[("DESK-OAK", "4")])
    run(uow, lambda s: fulfilment.create_shipment(session=s, order_number=number))
    refused(
        RuleViolation,
        f"nothing left to ship on {number}: every line is fully shipped",
        lambda s: fulfilment.create_shipment(session=s, order_number=number),
    )


def test_a_sku_the_order_does_not_hold_is_refused(make_order, refused):
    number = make_order(lines=[("DESK-OAK", "4")])
    refused(
        RuleViolation,
        f"cannot invoice CHAIR-ERGO on {number}: the order has no line for it",
        lambda s: invoicing.create_invoice(
            session=s, order_number=number, lines=[("CHAIR-ERGO", D(1))]
        ),
    )


def test_a_sku_on_two_lines_is_invoiced_line_by_line_and_never_beyond(make_order, uow, refused):
    number = make_order(lines=[("DESK-OAK", "2"), ("CHAIR-ERGO", "1"), ("DESK-OAK", "3")])
    first = invoice(uow, number, {"DESK-OAK": "4"})
    view = invoice_view(uow, first.number)
    assert [(ln["sku"], ln["qty"]) for ln in view["lines"]] == [
        ("DESK-OAK", D(2)),
        ("DESK-OAK", D(2)),
    ]
    refused(
        RuleViolation,
        f"cannot invoice 2 × DESK-OAK on {number}: ordered 5, already invoiced 4, left 1",
        lambda s: invoicing.create_invoice(
            session=s, order_number=number, lines=[("DESK-OAK", D(2))]
        ),
    )
    invoice(uow, number, {"desk-oak": "1"})
    with uow(write=False) as session:
        order = views.order_view(session, ordering.get_order(session=session, number=number))
    assert [ln["qty_invoiced"] for ln in order["lines"]] == [D(2), D(0), D(3)]


def test_a_sku_on_two_lines_is_never_shipped_beyond(make_order, uow, refused):
    number = make_order(lines=[("DESK-OAK", "2"), ("DESK-OAK", "3")])
    run(
        uow,
        lambda s: fulfilment.create_shipment(
            session=s, order_number=number, lines=[("DESK-OAK", D(3))]
        ),
    )
    refused(
        RuleViolation,
        f"cannot ship 3 × DESK-OAK on {number}: ordered 5, already shipped 3, left 2",
        lambda s: fulfilment.create_shipment(
            session=s, order_number=number, lines=[("DESK-OAK", D(3))]
        ),
    )


def test_one_sku_asked_twice_in_one_invoice_is_refused_with_the_numbers(make_order, refused):
    number = make_order(lines=[("DESK-OAK", "4")])
    refused(
        RuleViolation,
        f"cannot invoice 6 × DESK-OAK on {number}: ordered 4, already invoiced 0, left 4",
        lambda s: invoicing.create_invoice(
            session=s, order_number=number, lines=[("DESK-OAK", D(3)), ("desk-oak", D(3))]
        ),
    )


def test_one_sku_asked_twice_still_never_over_invoices(make_order, uow, unchanged):
    """Whatever the message, the ledger itself refuses the over-invoice and keeps nothing."""
    number = make_order(lines=[("DESK-OAK", "4")])
    with unchanged():
        with pytest.raises(RuleViolation):
            invoice_twice = [("DESK-OAK", D(3)), ("desk-oak", D(3))]
            with uow() as session:
                invoicing.create_invoice(session=session, order_number=number, lines=invoice_twice)


def test_the_database_itself_refuses_over_invoicing(make_order, refused):
    make_order(lines=[("DESK-OAK", "4")])
    refused(
        RuleViolation,
        "the ledger refused the change: CHECK constraint failed: ck_order_line_invoiced_within",
        lambda s: s.connection().execute(text("UPDATE order_line SET qty_invoiced = qty + 1")),
    )
    refused(
        RuleViolation,
        "the ledger refused the change: CHECK constraint failed: ck_order_line_shipped_within",
        lambda s: s.connection().execute(text("UPDATE order_line SET qty_shipped = qty + 1")),
    )


# Rule 10 --------------------------------------------------------------------

MONEY_CASES = [
    # qty, unit price, discount %, tax %, expected net, expected tax
    ("3", "0.99", "12.5", "19", "2.60", "0.49"),  # 2.59875
    ("16", "348.35", "4", "22", "5350.66", "1177.15"),  # 5350.656 / 1177.1452
    ("1", "2.01", "50", "0", "1.01", "0.00"),  # 1.005: a float gives 1.00
    ("1", "0.25", "50", "10", "0.13", "0.01"),  # 0.125: banker's gives 0.12
    ("1", "0.50", "0", "5", "0.50", "0.03"),  # tax 0.025: banker's gives 0.02
    ("1", "10.50", "0", "1", "10.50", "0.11"),  # tax 0.105: a float gives 0.10
    ("0.5", "0.01", "0", "0", "0.01", "0.00"),  # 0.005: banker's gives 0.00
    ("2.5", "0.05", "0", "0", "0.13", "0.00"),  # 0.125
    ("3", "1.15", "0", "10", "3.45", "0.35"),  # tax 0.345
    ("7", "0.07", "50", "0", "0.25", "0.00"),  # 0.245
    ("1.5", "0.03", "0", "0", "0.05", "0.00"),  # 0.045
    ("0.333", "12.34", "0", "7.7", "4.11", "0.32"),  # 4.10922 / 0.31647
    ("999", "123456.78", "33.3333", "19", "82222256.59", "15622228.75"),
]


@pytest.fixture
def any_item(seeded, uow):
    """A catalog item whose price, discount and tax every line sets itself."""
    run(uow, lambda s: catalog.add_product(session=s, sku="ITEM", name="Item", price=D("1.00")))
    return "ITEM"


def add_priced_line(session, number, qty, price, discount, tax):
    return ordering.add_order_line(
        session=session,
        number=number,
        sku="ITEM",
        qty=D(qty),
        price=D(price),
        discount=D(discount),
        tax_rate=D(tax),
    )


@pytest.mark.parametrize(("qty", "price", "discount", "tax", "net", "line_tax"), MONEY_CASES)
def test_line_amounts_are_rounded_half_up(
    any_item, uow, order_state, qty, price, discount, tax, net, line_tax
):
    with uow() as session:
        order = ordering.new_order(session=session, customer_code="MUELLER")
        add_priced_line(session, order.number, qty, price, discount, tax)
        ordering.confirm_order(session=session, number=order.number)
    view = order_state(order.number)
    line = view["lines"][0]
    assert (line["net"], line["tax"], line["total"]) == (D(net), D(line_tax), D(net) + D(line_tax))
    assert (view["subtotal"], view["tax"]) == (D(net), D(line_tax))
    # Invoicing the whole line charges exactly the same amounts.
    issued = invoice(uow, order.number)
    billed = invoice_view(uow, issued.number)
    assert (billed["lines"][0]["net"], billed["lines"][0]["tax"]) == (D(net), D(line_tax))
    assert (billed["subtotal"], billed["tax"], billed["total"]) == (
        D(net),
        D(line_tax),
        D(net) + D(line_tax),
    )


def test_document_totals_are_sums_of_rounded_lines(any_item, uow, order_state):
    with uow() as session:
        order = ordering.new_order(session=session, customer_code="MUELLER")
        for _ in range(4):  # each 0.125 → 0.13, tax 0.013 → 0.01
            add_priced_line(session, order.number, "1", "0.25", "50", "10")
        add_priced_line(session, order.number, "16", "348.35", "4", "22")
        ordering.confirm_order(session=session, number=order.number)
    view = order_state(order.number)
    # Not round(4 × 0.125) = 0.50 and round(0.05) = 0.05: the sum of rounded lines.
    assert view["subtotal"] == D("0.52") + D("5350.66")
    assert view["tax"] == D("0.04") + D("1177.15")
    assert view["total"] == D("6528.37")
    billed = invoice_view(uow, invoice(uow, order.number).number)
    assert (billed["subtotal"], billed["tax"], billed["total"]) == (
        view["subtotal"],
        view["tax"],
        view["total"],
    )
    assert billed["balance"] == billed["total"]


def test_quote_amounts_follow_the_same_rule(any_item, uow):
    with uow() as session:
        quote = quoting.new_quote(session=session, customer_code="MUELLER")
        catalog.edit_product(session=session, sku="ITEM", changes={"tax_rate": D(22)})
        quoting.add_quote_line(
            session=session,
            number=quote.number,
            sku="ITEM",
            qty=D(16),
            price=D("348.35"),
            discount=D(4),
        )
        view = views.quote_view(session, quote)
    assert (view["lines"][0]["net"], view["lines"][0]["tax"]) == (D("5350.66"), D("1177.15"))
    assert view["total"] == D("6527.81")


def test_money_in_a_currency_without_minor_units(engine, uow, order_state):
    """JPY has no minor unit: amounts round half-up to whole yen."""
    with uow() as session:
        settings.set_currency(session=session, code="JPY")
        customers.add_customer(session=session, name="Sakura", code="SAKURA")
        catalog.add_product(session=session, sku="TEA", name="Tea", price=D(101), tax_rate=D(10))
        order = ordering.new_order(session=session, customer_code="SAKURA")
        ordering.add_order_line(session=session, number=order.number, sku="TEA", qty=D("1.5"))
        ordering.add_order_line(session=session, number=order.number, sku="TEA", qty=D("0.5"))
    view = order_state(order.number)
    # 151.5 → 152 (tax 15.2 → 15) and 50.5 → 51 (tax 5.1 → 5).
    assert [(ln["net"], ln["tax"]) for ln in view["lines"]] == [(D(152), D(15)), (D(51), D(5))]
    assert (view["subtotal"], view["tax"], view["total"]) == (D(203), D(20), D(223))


# Rule 11 --------------------------------------------------------------------


def test_due_date_is_issue_date_plus_terms_and_overdue_after_it(make_order, uow, monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-02-10")
    number = make_order("BRIGHT", [("DESK-OAK", "1")])  # 14 days
    issued = invoice(uow, number)
    view = invoice_view(uow, issued.number)
    assert (view["issue_date"], view["due_date"]) == (date(2026, 2, 10), date(2026, 2, 24))
    assert (view["status"], view["balance"], view["paid"]) == ("open", D("581.91"), D(0))
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-02-24")
    assert invoice_view(uow, issued.number)["status"] == "open"
    with uow(write=False) as session:
        assert invoicing.list_invoices(session=session, overdue=True) == []
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-02-25")
    assert invoice_view(uow, issued.number)["status"] == "overdue"
    with uow(write=False) as session:
        overdue = invoicing.list_invoices(session=session, overdue=True)
        assert [inv.number for inv in overdue] == [issued.number]
        assert [
            inv.number for inv in invoicing.list_invoices(session=session, status="overdue")
        ] == [issued.number]


def test_an_explicit_issue_date_sets_the_due_date(make_order, uow):
    number = make_order("MADRID", [("DESK-OAK", "1")], order_date=date(2026, 1, 31))  # 60 days
    issued = invoice(uow, number, issue_date=date(2026, 1, 31))
    view = invoice_view(uow, issued.number)
    assert (view["issue_date"], view["due_date"]) == (date(2026, 1, 31), date(2026, 4, 1))


def test_immediate_terms_are_due_on_the_issue_day(make_order, uow, monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-07-01")
    number = make_order("CAFE", [("LAMP-LED", "1")])  # terms 0
    issued = invoice(uow, number)
    assert invoice_view(uow, issued.number)["due_date"] == date(2026, 7, 1)
    assert invoice_view(uow, issued.number)["status"] == "open"
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-07-02")
    assert invoice_view(uow, issued.number)["status"] == "overdue"


def test_changing_terms_later_does_not_move_an_issued_due_date(make_order, uow):
    number = make_order("BRIGHT", [("DESK-OAK", "2")], order_date=date(2026, 3, 1))
    first = invoice(uow, number, {"DESK-OAK": "1"}, issue_date=date(2026, 3, 1))
    run(
        uow,
        lambda s: customers.edit_customer(session=s, code="BRIGHT", changes={"terms_days": 45}),
    )
    second = invoice(uow, number, issue_date=date(2026, 3, 1))
    assert invoice_view(uow, first.number)["due_date"] == date(2026, 3, 15)
    assert invoice_view(uow, second.number)["due_date"] == date(2026, 4, 15)


def test_status_follows_balance_and_due_date(make_order, uow):
    number = make_order("BRIGHT", [("DESK-OAK", "1")], order_date=date(2026, 2, 10))
    issued = invoice(uow, number, issue_date=date(2026, 2, 10))  # due 2026-02-24, 581.91
    on_time, late = date(2026, 2, 24), date(2026, 2, 25)
    with uow(write=False) as session:  # the schedule is read from the ledger
        issued = invoicing.get_invoice(session=session, number=issued.number)
        issued.paid = 10000
        assert invoicing.status_of(issued, on_time) == "partially_paid"
        assert invoicing.status_of(issued, late) == "overdue"
        issued.paid, issued.credited = 50000, 8191
        assert invoicing.status_of(issued, late) == "paid"
        issued.paid, issued.credited = 0, 0
        assert invoicing.status_of(issued, on_time) == "open"
