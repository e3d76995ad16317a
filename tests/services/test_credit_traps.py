"""Every correction stays possible whatever the rounding did before (SPEC rules 7, 10,
14, 15): a credit whose money rounds to nothing still credits its quantity, so a line
can always be credited to the end and its invoice nets to exactly zero; goods of a free
line that came back are credited like any other; and a line's quantity can always be
set to what is invoiced, however its partial invoices rounded."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from ordercli.models import InvoiceLine, OrderLine
from ordercli.services.inventory import catalog
from ordercli.services.sales import fulfilment, invoicing, ordering
from ordercli.services.settlement import credit_memos, returns
from ordercli.views import sales as views
from ordercli.views.settlement import credit_memo_view, return_view

D = Decimal


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-10")


@pytest.fixture
def tiny(seeded, uow):
    """``TINY``: goods at 0.01, untaxed (tax would round up what the net loses), in stock."""
    with uow() as session:
        catalog.add_product(
            session=session,
            sku="TINY",
            name="Tiny part",
            price=D("0.01"),
            tax_rate=D(0),
            stock=D(1000),
        )


def new_order(uow, lines) -> str:
    with uow() as session:
        order = ordering.new_order(session=session, customer_code="ACME")
        for sku, qty, *discount in lines:
            ordering.add_order_line(
                session=session,
                number=order.number,
                sku=sku,
                qty=D(qty),
                discount=D(discount[0]) if discount else None,
            )
        ordering.confirm_order(session=session, number=order.number, override_credit="test")
        return order.number


def invoice(uow, order: str, qty: str | None = None, sku: str = "TINY") -> str:
    with uow() as session:
        lines = None if qty is None else [(sku, D(qty))]
        return invoicing.create_invoice(session=session, order_number=order, lines=lines).number


def credit(uow, number: str, qty: str | None = None, sku: str = "TINY") -> dict:
    with uow() as session:
        lines = None if qty is None else [(sku, D(qty))]
        memo = credit_memos.create_credit_memo(session=session, invoice_number=number, lines=lines)
        return credit_memo_view(session, memo)


def invoice_view(uow, number: str) -> dict:
    with uow(write=False) as session:
        return views.invoice_view(session, invoicing.get_invoice(session=session, number=number))


# b. The last half of 3 × 0.01 ----------------------------------------------------------


def test_a_credit_whose_money_rounds_to_nothing_still_credits_its_quantity(tiny, uow, ledger_ok):
    order = new_order(uow, [("TINY", "3")])
    number = invoice(uow, order)
    assert [m["total"] for m in (credit(uow, number, "1.5"), credit(uow, number, "1"))] == [
        D("0.02"),  # 1.5 × 0.01 = 0.015, half-up
        D("0.01"),
    ]
    last = credit(uow, number, "0.5")  # nothing left of the money: the quantity still moves
    assert (last["total"], [(ln["qty"], ln["net"]) for ln in last["lines"]]) == (
        D("0.00"),
        [(D("0.5"), D("0.00"))],
    )
    view = invoice_view(uow, number)
    assert (view["credited"], view["balance"], view["lines"][0]["qty_credited"]) == (
        view["total"],
        D("0.00"),
        D(3),
    )
    ledger_ok()


# a. A free line that came back -----------------------------------------------------------


def test_a_returned_free_line_is_credited_for_nothing(seeded, uow, order_state, ledger_ok):
    order = new_order(uow, [("LAMP-LED", "2", "100")])
    with uow() as session:
        fulfilment.create_shipment(session=session, order_number=order)
        invoicing.create_invoice(session=session, order_number=order)
        rma = returns.request_return(
            session=session, order_number=order, lines=[("LAMP-LED", D(1))], reason="broken"
        ).number
        returns.authorize_return(session=session, number=rma)
        returns.receive_return(session=session, number=rma, restock=True)
    with uow() as session:
        resolved, memos, _ = returns.resolve_return(session=session, number=rma, credit_memo=True)
        view = return_view(session, resolved)
        memo = credit_memo_view(session, memos[0])
    assert (view["status"], view["credit_memos"]) == ("resolved", [memo["number"]])
    assert (memo["total"], memo["kind"], memo["return"]) == (D("0.00"), "returned", rma)
    line = order_state(order)["lines"][0]
    assert (line["qty_returned"], line["qty_credited"]) == (D(1), D(1))
    ledger_ok()


# c. A line shrunk to what its rounded partial invoices hold ---------------------------


def test_a_line_can_be_set_to_what_is_invoiced_after_rounded_partials(
    tiny, uow, order_state, ledger_ok
):
    order = new_order(uow, [("TINY", "10")])
    for _ in range(3):
        invoice(uow, order, "0.5")  # 0.005 each, half-up: 0.03 for 1.5
    with uow() as session:
        line = ordering.edit_order_line(session=session, number=order, line_ref="1", qty=D(2))
        assert (line.net, line.net_invoiced) == (3, 3)  # never less than its invoices
    rest = invoice(uow, order)
    assert [(ln["qty"], ln["net"]) for ln in invoice_view(uow, rest)["lines"]] == [
        (D("0.5"), D("0.00"))
    ]
    with uow() as session:
        ordering.edit_order_line(session=session, number=order, line_ref="1", qty=D(2))
    assert order_state(order)["billing_status"] == "invoiced"
    ledger_ok()


# Any sequence of partial invoices and credits of tiny prices ---------------------------

STEPS = st.lists(st.integers(min_value=1, max_value=1500), min_size=1, max_size=4)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    price=st.sampled_from(["0.01", "0.03", "0.07", "0.11"]),
    rate=st.sampled_from(["0", "7", "19"]),
    invoice_steps=STEPS,
    credit_steps=STEPS,
)
@example(price="0.01", rate="0", invoice_steps=[500, 500, 500], credit_steps=[1500, 1000])
def test_tiny_prices_always_end_fully_credited_and_editable(
    seeded, uow, ledger_ok, price, rate, invoice_steps, credit_steps
):
    with uow() as session:
        sku = f"T{session.exec(select(OrderLine.id)).all().__len__() + 1}"
        catalog.add_product(
            session=session, sku=sku, name="Tiny", price=D(price), tax_rate=D(rate), stock=D(1)
        )
    total = sum(invoice_steps) + 1000
    order = new_order(uow, [(sku, str(D(total) / 1000))])
    numbers = [invoice(uow, order, str(D(step) / 1000), sku) for step in invoice_steps]
    invoiced = sum(invoice_steps)
    with uow() as session:  # rule 7 in quantities: down to exactly what is invoiced
        ordering.edit_order_line(
            session=session, number=order, line_ref="1", qty=D(invoiced) / 1000
        )
    for number, step in zip(numbers, invoice_steps, strict=True):
        left = step
        for part in credit_steps:
            take = min(part, left)
            if take:
                credit(uow, number, str(D(take) / 1000), sku)
                left -= take
        if left:
            credit(uow, number)  # everything left of it
    with uow(write=False) as session:
        for number in numbers:
            inv = invoicing.get_invoice(session=session, number=number)
            assert (inv.credited, inv.total - inv.paid - inv.credited) == (inv.total, 0)
            for il in session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)):
                assert (il.qty_credited, il.net_credited, il.tax_credited) == (
                    il.qty,
                    il.net,
                    il.tax,
                )
        line = session.exec(
            select(OrderLine).join(InvoiceLine).where(InvoiceLine.sku == sku)
        ).first()
        assert line is not None
        # every credit was billed in error: nothing stands invoiced, all of it reopened
        assert (line.qty_invoiced, line.net_invoiced, line.tax_invoiced, line.qty_reopened) == (
            0,
            0,
            0,
            invoiced,
        )
    ledger_ok()
