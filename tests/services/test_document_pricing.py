"""Re-pricing drafts, document discounts and prices that include tax (SPEC rules 10, 19):
a document's lines keep their prices until `reprice`, a discount on the whole is spread
so every line, invoice and credit memo adds up to the cent, and gross lines split into
net and tax that add up to the gross."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlmodel import select

from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.models import CreditMemo, Invoice, InvoiceLine, OrderLine, QuoteLine, SalesOrder
from ordercli.reports.order_story import explain_order
from ordercli.services.parties.customers import edit_customer
from ordercli.services.sales import document_pricing, invoicing, ordering, price_lists, quoting
from ordercli.services.settlement import credit_memos

D = Decimal


@pytest.fixture
def trade(seeded, uow):
    """ACME buys from TRADE: DESK-OAK 450.00, from 10 on 400.00; LAMP-LED 45.00."""
    with uow() as session:
        price_lists.add_price_list(session=session, name="TRADE")
        for sku, price, min_qty in (("DESK-OAK", "450", "1"), ("DESK-OAK", "400", "10")):
            price_lists.set_price(
                session=session, list_name="TRADE", sku=sku, price=D(price), min_qty=D(min_qty)
            )
        price_lists.set_price(session=session, list_name="TRADE", sku="LAMP-LED", price=D("45"))
        edit_customer(session=session, code="ACME", changes={"price_list": "TRADE"})


def draft(uow, lines, customer="ACME", **kw) -> str:
    with uow() as session:
        order = ordering.new_order(session=session, customer_code=customer, **kw)
        for sku, qty, *price in lines:
            ordering.add_order_line(
                session=session,
                number=order.number,
                sku=sku,
                qty=D(qty),
                price=D(price[0]) if price else None,
            )
        return order.number


def rows(uow, number: str) -> list[OrderLine]:
    with uow(write=False) as session:
        order = ordering.get_order(session=session, number=number)
        lines = ordering.order_lines(session=session, order=order)
        for line in lines:
            session.expunge(line)
        return lines


def order_row(uow, number: str) -> SalesOrder:
    with uow(write=False) as session:
        order = ordering.get_order(session=session, number=number)
        session.expunge(order)
        return order


def set_price(uow, sku: str, price: str, min_qty: str = "1") -> None:
    with uow() as session:
        price_lists.set_price(
            session=session, list_name="TRADE", sku=sku, price=D(price), min_qty=D(min_qty)
        )


def half_up(value: Decimal) -> int:
    """Minor units of ``value`` rounded half-up to the cent."""
    return int((value * 100).quantize(D(1), rounding=ROUND_HALF_UP))


# --- reprice ------------------------------------------------------------------------


def test_reprice_picks_up_a_new_list_price_and_keeps_typed_ones(trade, uow, events_of):
    number = draft(uow, [("DESK-OAK", "4"), ("LAMP-LED", "2", "50.00"), ("MAT-CHAIR", "1")])
    assert [(ln.unit_price, ln.price_source) for ln in rows(uow, number)] == [
        (45000, "list"),
        (5000, "manual"),
        (3900, "product"),
    ]
    set_price(uow, "DESK-OAK", "440")
    set_price(uow, "LAMP-LED", "40")
    # A price list change touches no document by itself.
    assert rows(uow, number)[0].unit_price == 45000
    with uow() as session:
        changed = document_pricing.reprice_order(session=session, number=number)
    assert changed.changes == ["line 1 (DESK-OAK): price 450.00 → 440.00 (list)"]
    lines = rows(uow, number)
    assert [ln.unit_price for ln in lines] == [44000, 5000, 3900]
    assert lines[0].net == 176000 and lines[0].tax == half_up(D("1760") * D("0.19"))
    order = order_row(uow, number)
    assert order.total == sum(ln.net + ln.tax for ln in lines)
    assert events_of(number)[-1] == (
        "repriced",
        "re-priced: line 1 (DESK-OAK): price 450.00 → 440.00 (list)",
    )
    with uow() as session:
        again = document_pricing.reprice_order(session=session, number=number)
    assert again.changes == [] and again.summary == "nothing changed"
    assert events_of(number)[-1] == ("repriced", "re-priced: nothing changed")


def test_reprice_picks_up_a_break_set_after_the_line(trade, uow):
    number = draft(uow, [("LAMP-LED", "12")])
    set_price(uow, "LAMP-LED", "39.50", "10")
    with uow() as session:
        changed = document_pricing.reprice_order(session=session, number=number)
    assert changed.changes == ["line 1 (LAMP-LED): price 45.00 → 39.50 (break)"]
    (line,) = rows(uow, number)
    assert (line.unit_price, line.price_source, line.net) == (3950, "break", 47400)


def test_a_qty_edit_then_reprice_lands_on_the_break(trade, uow):
    number = draft(uow, [("DESK-OAK", "4")])
    with uow() as session:
        ordering.edit_order_line(session=session, number=number, line_ref="1", qty=D(12))
    (line,) = rows(uow, number)
    assert (line.unit_price, line.price_source) == (40000, "break")
    set_price(uow, "DESK-OAK", "390", "10")
    with uow() as session:
        changed = document_pricing.reprice_order(session=session, number=number)
    assert changed.changes == ["line 1 (DESK-OAK): price 400.00 → 390.00 (break)"]


def test_a_line_without_a_recorded_source_is_priced_again(trade, uow):
    number = draft(uow, [("MAT-CHAIR", "1")])
    with uow() as session:
        line = ordering.order_lines(
            session=session, order=ordering.get_order(session=session, number=number)
        )[0]
        line.price_source = None  # written before price lists existed
        session.add(line)
    with uow() as session:
        changed = document_pricing.reprice_order(session=session, number=number)
    assert changed.changes == ["line 1 (MAT-CHAIR): price 39.00 kept, now recorded as product"]
    assert rows(uow, number)[0].price_source == "product"


def test_a_confirmed_order_is_not_repriced(trade, uow, refused):
    number = draft(uow, [("DESK-OAK", "4")])
    with uow() as session:
        ordering.confirm_order(session=session, number=number, override_credit="test")
    set_price(uow, "DESK-OAK", "300")
    # A changed price list never changes a confirmed order's lines.
    assert rows(uow, number)[0].unit_price == 45000
    refused(
        RuleViolation,
        f"only a draft is re-priced; {number} is confirmed",
        lambda s: document_pricing.reprice_order(session=s, number=number),
    )
    assert rows(uow, number)[0].unit_price == 45000


def test_reprice_a_draft_quote_and_refuse_a_sent_one(trade, uow, refused):
    with uow() as session:
        quote = quoting.new_quote(session=session, customer_code="ACME")
        quoting.add_quote_line(session=session, number=quote.number, sku="DESK-OAK", qty=D(2))
        number = quote.number
    set_price(uow, "DESK-OAK", "430")
    with uow() as session:
        changed = document_pricing.reprice_quote(session=session, number=number)
        assert changed.changes == ["line 1 (DESK-OAK): price 450.00 → 430.00 (list)"]
        assert changed.document.subtotal == 86000
        quoting.send_quote(session=session, number=number)
    refused(
        RuleViolation,
        f"{number} is sent: revise it first (`ordercli quote revise {number}`)",
        lambda s: document_pricing.reprice_quote(session=s, number=number),
    )


# --- document discounts -------------------------------------------------------------

ODD_LINES = [("DESK-OAK", "3", "333.33"), ("LAMP-LED", "7", "49.95"), ("MAT-CHAIR", "1", "0.01")]


def check_adds_up(uow, number: str) -> list[OrderLine]:
    lines = rows(uow, number)
    order = order_row(uow, number)
    assert all(ln.net >= 0 and ln.tax >= 0 for ln in lines)
    assert order.subtotal == sum(ln.net for ln in lines)
    assert order.tax == sum(ln.tax for ln in lines)
    assert order.total == order.subtotal + order.tax
    return lines


def test_a_percent_discount_is_taken_from_each_line_half_up(seeded, uow, events_of):
    number = draft(uow, ODD_LINES)
    with uow() as session:
        changed = document_pricing.set_order_discount(session=session, number=number, pct=D("7.5"))
    lines = check_adds_up(uow, number)
    amounts = [D("999.99"), D("349.65"), D("0.01")]
    assert [ln.doc_discount for ln in lines] == [half_up(a * D("0.075")) for a in amounts]
    assert [ln.net for ln in lines] == [half_up(a) - half_up(a * D("0.075")) for a in amounts]
    taken = D(sum(ln.doc_discount for ln in lines)) / 100
    total = D(order_row(uow, number).total) / 100
    assert changed.changes == [f"discount 7.5%: {taken} off over 3 lines; total {total}"]
    assert events_of(number)[-1] == ("discounted", changed.changes[0])


def test_an_amount_discount_is_spread_to_the_cent(seeded, uow):
    number = draft(uow, ODD_LINES)
    with uow() as session:
        document_pricing.set_order_discount(session=session, number=number, amount=D("100.01"))
    lines = check_adds_up(uow, number)
    assert sum(ln.doc_discount for ln in lines) == 10001
    # Proportional: 100.01 × 999.99 / 1349.65 = 74.097…, 100.01 × 349.65 / 1349.65 = 25.909…
    assert [ln.doc_discount for ln in lines] == [7410, 2591, 0]
    # A line added later takes its share too; the shares still add up.
    with uow() as session:
        ordering.add_order_line(session=session, number=number, sku="CHAIR-ERGO", qty=D(2))
    lines = check_adds_up(uow, number)
    assert sum(ln.doc_discount for ln in lines) == 10001


def test_clearing_a_discount_puts_the_lines_back(seeded, uow):
    number = draft(uow, ODD_LINES)
    before = order_row(uow, number).total
    with uow() as session:
        document_pricing.set_order_discount(session=session, number=number, pct=D(10))
        changed = document_pricing.set_order_discount(session=session, number=number, clear=True)
    assert changed.changes[0].startswith("discount cleared (was 10%)")
    lines = check_adds_up(uow, number)
    assert all(ln.doc_discount == 0 for ln in lines)
    order = order_row(uow, number)
    assert (order.total, order.discount_pct, order.discount_amount) == (before, None, None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pct": D(5), "amount": D(5)}, "give exactly one of --pct, --amount or --clear"),
        ({}, "give exactly one of --pct, --amount or --clear"),
        (
            {"pct": D(100)},
            "a document discount of 100% must be more than 0% and less than 100% "
            "(100% would leave nothing to invoice)",
        ),
        ({"amount": D(0)}, "a document discount of 0 must be more than 0"),
        (
            {"amount": D("1350.00")},
            "a discount of 1350.00 is more than {number}'s lines come to before it (1349.65)",
        ),
    ],
)
def test_a_bad_discount_is_refused(seeded, uow, refused, kwargs, message):
    number = draft(uow, ODD_LINES)
    refused(
        InvalidInput,
        message.format(number=number),
        lambda s: document_pricing.set_order_discount(session=s, number=number, **kwargs),
    )


def test_no_discount_on_a_confirmed_order_or_a_sent_quote(seeded, uow, refused):
    number = draft(uow, ODD_LINES)
    with uow() as session:
        ordering.confirm_order(session=session, number=number, override_credit="test")
        quote = quoting.new_quote(session=session, customer_code="ACME")
        quoting.add_quote_line(session=session, number=quote.number, sku="DESK-OAK", qty=D(1))
        quoting.send_quote(session=session, number=quote.number)
    error = refused(
        RuleViolation,
        f"only a draft is discounted as a whole; {number} is confirmed",
        lambda s: document_pricing.set_order_discount(session=s, number=number, pct=D(5)),
    )
    assert "credit memo" in error.hint
    refused(
        RuleViolation,
        f"{quote.number} is sent: revise it first (`ordercli quote revise {quote.number}`)",
        lambda s: document_pricing.set_quote_discount(session=s, number=quote.number, pct=D(5)),
    )


def test_a_quote_discount_goes_with_it_into_its_order(seeded, uow):
    with uow() as session:
        quote = quoting.new_quote(session=session, customer_code="ACME")
        for sku, qty in (("DESK-OAK", 2), ("LAMP-LED", 3)):
            quoting.add_quote_line(session=session, number=quote.number, sku=sku, qty=D(qty))
        changed = document_pricing.set_quote_discount(
            session=session, number=quote.number, amount=D("50")
        )
        assert changed.document.subtotal == 97800 + 14985 - 5000
        quoting.send_quote(session=session, number=quote.number)
        quoting.accept_quote(session=session, number=quote.number)
        order = quoting.convert_quote(session=session, number=quote.number)
        lines = session.exec(select(QuoteLine).where(QuoteLine.quote_id == quote.id)).all()
        assert sum(ln.doc_discount for ln in lines) == 5000
        assert (order.discount_amount, order.subtotal) == (5000, 97800 + 14985 - 5000)


# --- invoices and credit memos of a discounted order -----------------------------------


def invoice_lines(session, invoice: Invoice) -> list[InvoiceLine]:
    return list(session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)))


@pytest.mark.parametrize("discount", [{"pct": D("12.5")}, {"amount": D("77.77")}])
def test_invoices_of_a_discounted_order_add_up_to_it(seeded, uow, discount):
    number = draft(uow, [("LAMP-LED", "7"), ("COFFEE-KG", "3.5"), ("MAT-CHAIR", "3")])
    with uow() as session:
        document_pricing.set_order_discount(session=session, number=number, **discount)
        ordering.confirm_order(session=session, number=number, override_credit="test")
        first = invoicing.create_invoice(
            session=session,
            order_number=number,
            lines=[("LAMP-LED", D(2)), ("COFFEE-KG", D("1.5")), ("MAT-CHAIR", D(1))],
        )
        second = invoicing.create_invoice(session=session, order_number=number)
        order = ordering.get_order(session=session, number=number)
        assert first.total + second.total == order.total
        assert first.subtotal + second.subtotal == order.subtotal
        for line in ordering.order_lines(session=session, order=order):
            parts = [
                il
                for inv in (first, second)
                for il in invoice_lines(session, inv)
                if il.order_line_id == line.id
            ]
            assert sum(il.net for il in parts) == line.net
            assert sum(il.tax for il in parts) == line.tax
            assert all(il.net >= 0 and il.tax >= 0 for il in parts)


def test_a_full_credit_of_a_discounted_invoice_nets_to_zero(seeded, uow):
    number = draft(uow, ODD_LINES)
    with uow() as session:
        document_pricing.set_order_discount(session=session, number=number, amount=D("33.33"))
        ordering.confirm_order(session=session, number=number, override_credit="test")
        invoice = invoicing.create_invoice(session=session, order_number=number)
        memo = credit_memos.create_credit_memo(
            session=session, invoice_number=invoice.number, kind="not_delivered"
        )
        session.refresh(invoice)
        memo = session.get(CreditMemo, memo.id)
        assert memo.total == invoice.total
        assert invoice.total - invoice.credited == 0


# --- prices that include tax --------------------------------------------------------


def test_a_gross_order_splits_each_line_into_net_and_tax(seeded, uow):
    number = draft(
        uow,
        [("LAMP-LED", "3", "59.99"), ("COFFEE-KG", "2.5", "22.90"), ("DESK-OAK", "1")],
        prices_include_tax=True,
    )
    with uow() as session:
        document_pricing.set_order_discount(session=session, number=number, pct=D(3))
    lines = check_adds_up(uow, number)
    # The product's net 489.00 on a gross document: × 1.19, half-up.
    assert lines[2].unit_price == half_up(D("489") * D("1.19"))
    for line in lines:
        gross = half_up(D(line.qty) / 1000 * D(line.unit_price) / 100) - line.doc_discount
        assert line.net + line.tax == gross
        rate = D(line.tax_rate) / 1000000
        assert line.net == half_up(D(gross) / 100 / (1 + rate))
    with uow() as session:
        ordering.confirm_order(session=session, number=number, override_credit="test")
        invoicing.create_invoice(session=session, order_number=number, lines=[("LAMP-LED", D(1))])
        invoicing.create_invoice(session=session, order_number=number)
        invoices = session.exec(select(Invoice).order_by(Invoice.id)).all()
        assert sum(inv.total for inv in invoices) == order_row(uow, number).total
        for inv in invoices:
            for il in invoice_lines(session, inv):
                assert il.net >= 0 and il.tax >= 0


def test_explain_says_where_each_price_came_from(trade, uow):
    number = draft(
        uow, [("DESK-OAK", "12"), ("LAMP-LED", "1"), ("MAT-CHAIR", "2"), ("CHAIR-ERGO", "1", "300")]
    )
    with uow() as session:
        document_pricing.set_order_discount(session=session, number=number, pct=D(5))
    with uow(write=False) as session:
        story = explain_order(session=session, number=number)
    pricing = story["pricing"]
    assert [ln["price_from"] for ln in pricing["lines"]] == [
        "line 1 DESK-OAK: 400.00 from price list TRADE, break 10+",
        "line 2 LAMP-LED: 45.00 from price list TRADE",
        "line 3 MAT-CHAIR: 39.00, the product's price",
        "line 4 CHAIR-ERGO: 300.00 typed on the line",
    ]
    taken = D(sum(ln.doc_discount for ln in rows(uow, number))) / 100
    assert pricing["notes"] == [f"order discount 5% ({taken} over 4 lines)"]
    assert pricing["lines"][0]["min_qty"] == D(10)
    assert pricing["prices_include_tax"] is False


def test_check_finds_a_discount_share_changed_behind_ordercli(seeded, uow):
    from ordercli.books import checks

    number = draft(uow, [("DESK-OAK", "2"), ("LAMP-LED", "3")])
    with uow() as session:
        document_pricing.set_order_discount(session=session, number=number, amount=D("50.00"))
    with uow(write=False) as session:
        assert checks.run_checks(session=session)["ok"]
    with uow() as session:
        line = session.exec(select(OrderLine).where(OrderLine.position == 2)).first()
        line.doc_discount += 1
        session.add(line)
    with uow(write=False) as session:
        problems = checks.run_checks(session=session)["problems"]
    assert [p["problem"] for p in problems if p["rule"] == "10"] == [
        f"order {number}: a discount of 50.00, its lines' shares come to 50.01"
    ]
