"""How prices' sources, document discounts and gross prices show (SPEC rule 19): in the
``--json`` views of quotes, orders and invoices, and on the printed documents, where a
discount sits between the lines total and the subtotal and a gross document's net and
tax add up to its total to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordercli.documents import render_document
from ordercli.domain.money import pct_to_db
from ordercli.services.parties.customers import edit_customer
from ordercli.services.sales import invoicing, ordering, price_lists, quoting
from ordercli.views import sales as views

D = Decimal
ORDER_KEYS = {
    "prices_include_tax",
    "discount_pct",
    "discount_amount",
    "discount",
    "subtotal_before_discount",
}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-20")
    monkeypatch.delenv("ORDERCLI_TEMPLATES", raising=False)


@pytest.fixture
def trade(seeded, uow):
    """ACME buys from TRADE: DESK-OAK 450.00, from 5 on 400.00."""
    with uow() as session:
        price_lists.add_price_list(session=session, name="TRADE")
        for price, min_qty in (("450", "1"), ("400", "5")):
            price_lists.set_price(
                session=session,
                list_name="TRADE",
                sku="DESK-OAK",
                price=D(price),
                min_qty=D(min_qty),
            )
        edit_customer(session=session, code="ACME", changes={"price_list": "TRADE"})


LINES = (
    ("DESK-OAK", "6", None),
    ("DESK-OAK", "1", None),
    ("LAMP-LED", "3", "45"),
    ("CHAIR-ERGO", "2", None),
)


def order_with(uow, lines, *, customer="ACME", pct=None, amount=None, gross=None) -> str:
    """A draft order of ``lines`` (sku, qty, price), discounted as told."""
    with uow() as session:
        order = ordering.new_order(
            session=session, customer_code=customer, prices_include_tax=gross
        )
        for sku, qty, price in lines:
            ordering.add_order_line(
                session=session,
                number=order.number,
                sku=sku,
                qty=D(qty),
                price=None if price is None else D(price),
            )
        if pct is not None or amount is not None:
            order.discount_pct = None if pct is None else pct_to_db(D(pct))
            order.discount_amount = None if amount is None else int(D(amount) * 100)
            ordering.refresh_totals(
                session, order, ordering.order_lines(session=session, order=order)
            )
        return order.number


def invoiced(uow, number: str) -> str:
    with uow() as session:
        ordering.confirm_order(session=session, number=number, override_credit="test")
        return invoicing.create_invoice(session=session, order_number=number).number


def order_json(uow, number: str) -> dict:
    with uow(write=False) as session:
        return views.order_view(session, ordering.get_order(session=session, number=number))


def invoice_json(uow, number: str) -> dict:
    with uow(write=False) as session:
        return views.invoice_view(session, invoicing.get_invoice(session=session, number=number))


def html(uow, kind: str, number: str) -> str:
    with uow(write=False) as session:
        return render_document(session, kind, number, fmt="html").content.decode()


def test_a_discounted_orders_json_says_where_prices_came_from_and_what_came_off(trade, uow):
    number = order_with(uow, LINES, pct="5")
    view = order_json(uow, number)
    assert ORDER_KEYS <= view.keys()
    assert {"subtotal", "tax", "total", "lines"} <= view.keys()  # the SPEC keys stay
    assert view["prices_include_tax"] is False
    assert (view["discount_pct"], view["discount_amount"]) == (D("5"), None)
    lines = view["lines"]
    assert [(ln["price_source"], ln["price_list"]) for ln in lines] == [
        ("break", "TRADE"),
        ("list", "TRADE"),
        ("manual", None),
        ("product", None),
    ]
    assert all("gross" not in ln for ln in lines)
    assert view["discount"] == sum(ln["doc_discount"] for ln in lines) > 0
    # Each line's share is 5 % of its amount, rounded there; the amounts add up.
    for ln in lines:
        before = ln["net"] + ln["doc_discount"]
        assert ln["doc_discount"] == (before * D("0.05")).quantize(D("0.01"))
    assert view["subtotal_before_discount"] == sum(ln["net"] + ln["doc_discount"] for ln in lines)
    assert view["subtotal_before_discount"] - view["discount"] == view["subtotal"]


def test_an_undiscounted_order_says_so(seeded, uow):
    view = order_json(uow, order_with(uow, (("DESK-OAK", "1", None),)))
    assert view["discount"] == 0 and view["discount_pct"] is view["discount_amount"] is None
    assert view["subtotal_before_discount"] == view["subtotal"]
    assert view["lines"][0]["doc_discount"] == 0


def test_a_gross_orders_json_and_its_invoice_add_up_to_the_cent(seeded, uow):
    number = order_with(uow, LINES, gross=True, amount="50")
    view = order_json(uow, number)
    assert view["prices_include_tax"] is True
    assert (view["discount_pct"], view["discount_amount"]) == (None, D("50.00"))
    assert view["discount"] == D("50.00")
    for ln in view["lines"]:
        assert ln["gross"] == ln["net"] + ln["tax"] == ln["total"]
    # Gross basis: the lines' gross amounts less the discount are the total.
    assert view["subtotal_before_discount"] - view["discount"] == view["total"]
    assert view["subtotal"] + view["tax"] == view["total"]

    invoice = invoice_json(uow, invoiced(uow, number))
    assert invoice["prices_include_tax"] is True
    assert invoice["discount"] == D("50.00")
    assert [ln["doc_discount"] for ln in invoice["lines"]] == [
        ln["doc_discount"] for ln in view["lines"]
    ]
    assert all(ln["gross"] == ln["net"] + ln["tax"] for ln in invoice["lines"])


def test_a_net_invoice_has_no_gross_and_no_discount(seeded, uow):
    invoice = invoice_json(uow, invoiced(uow, order_with(uow, (("DESK-OAK", "1", None),))))
    assert invoice["prices_include_tax"] is False and invoice["discount"] == 0
    assert invoice["lines"][0]["doc_discount"] == 0 and "gross" not in invoice["lines"][0]


def test_the_list_views_carry_the_discount_without_lines(seeded, uow):
    number = order_with(uow, LINES, pct="10")
    with uow() as session:
        quote = quoting.new_quote(session=session, customer_code="ACME")
        quoting.add_quote_line(session=session, number=quote.number, sku="DESK-OAK", qty=D(2))
        quote.discount_pct = pct_to_db(D(10))
        lines = quoting.quote_lines(session=session, quote=quote)
        for line in lines:
            line.doc_discount = 9780  # 10 % of 2 × 489.00
            line.net -= 9780
        session.add_all(lines)
        quote_number = quote.number
    with uow(write=False) as session:
        quote = quoting.get_quote(session=session, number=quote_number)
        whole, bare = (
            views.quote_view(session, quote),
            views.quote_view(session, quote, with_lines=False),
        )
        assert {k: whole[k] for k in ORDER_KEYS} == {k: bare[k] for k in ORDER_KEYS}
        assert bare["discount"] == D("97.80") and bare["subtotal_before_discount"] == D("978.00")
        order = ordering.get_order(session=session, number=number)
        assert (
            views.order_views(session, [order], with_lines=False)[0]["discount"]
            == (order_json(uow, number)["discount"])
        )


def money(amount: Decimal) -> str:
    """An amount as the documents print it (EUR, English locale)."""
    return f"-€{-amount:,}" if amount < 0 else f"€{amount:,}"


def test_a_discounted_invoice_prints_lines_total_discount_and_subtotal(trade, uow):
    number = order_with(uow, LINES, pct="5")
    view = order_json(uow, number)
    page = html(uow, "invoice", invoiced(uow, number))
    labels = ["Lines total", "Discount (5%)", "Subtotal (net)", "Tax", "Total", "Balance due"]
    at = [page.index(f"<td>{label}</td>") for label in labels]
    assert at == sorted(at)
    assert money(-view["discount"]) in page
    assert money(view["subtotal_before_discount"]) in page
    # A line prints its amount before the document discount.
    first = view["lines"][0]
    assert money(first["net"] + first["doc_discount"]) in page
    assert "incl. tax" not in page


def test_a_gross_invoice_prints_gross_headings_and_totals(seeded, uow):
    number = order_with(uow, LINES, gross=True, amount="50")
    invoice = invoice_json(uow, invoiced(uow, number))
    page = html(uow, "invoice", invoice["number"])
    for heading in ("Unit price incl. tax", "Amount incl. tax", "Lines total incl. tax"):
        assert heading in page
    labels = ["Lines total incl. tax", "Discount", "Net", "Tax", "Total incl. tax"]
    at = [page.index(f"<td>{label}</td>") for label in labels]
    assert at == sorted(at)
    for amount in (invoice["subtotal"], invoice["tax"], invoice["total"]):
        assert money(amount) in page
    first = invoice["lines"][0]
    assert money(first["gross"] + first["doc_discount"]) in page


def test_a_gross_quote_prints_gross_headings(seeded, uow):
    with uow() as session:
        quote = quoting.new_quote(session=session, customer_code="ACME", prices_include_tax=True)
        quoting.add_quote_line(session=session, number=quote.number, sku="DESK-OAK", qty=D(1))
        number = quote.number
    page = html(uow, "quote", number)
    assert "Unit price incl. tax" in page and "Total incl. tax" in page
    assert "Lines total" not in page and "Discount" not in page


def test_an_undiscounted_net_document_prints_as_before(seeded, uow):
    page = html(uow, "invoice", invoiced(uow, order_with(uow, (("DESK-OAK", "1", None),))))
    assert "<td>Subtotal</td>" in page and "Net amount" in page
    for new in ("Lines total", "Discount", "incl. tax", "Subtotal (net)"):
        assert new not in page
