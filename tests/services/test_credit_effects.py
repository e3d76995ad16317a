"""SPEC rule 14: every credited quantity is exactly one of billed in error (``rebill``:
open to invoice again), not to be delivered (``cancel``: never shipped afterwards) or
returned (``return``); a credit by amount moves no quantity. Nothing is ever both
credited and delivered without being billed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.services.sales import fulfilment, invoicing
from ordercli.services.settlement import credit_memos
from ordercli.views.settlement import credit_memo_view

D = Decimal


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-10")


def credit(uow, invoice: str, lines: dict | None = None, **kw) -> dict:
    requests = [(sku, D(qty)) for sku, qty in lines.items()] if lines else None
    with uow() as session:
        memo = credit_memos.create_credit_memo(
            session=session, invoice_number=invoice, lines=requests, **kw
        )
        return credit_memo_view(session, memo)


def invoice(uow, order: str, lines: dict | None = None) -> dict:
    from ordercli.views import sales as views

    requests = [(sku, D(qty)) for sku, qty in lines.items()] if lines else None
    with uow() as session:
        made = invoicing.create_invoice(session=session, order_number=order, lines=requests)
        return views.invoice_view(session, made)


def ship(uow, order: str, lines: dict | None = None) -> None:
    requests = [(sku, D(qty)) for sku, qty in lines.items()] if lines else None
    with uow() as session:
        fulfilment.create_shipment(session=session, order_number=order, lines=requests)


def counters(line: dict) -> tuple:
    return (
        line["qty_invoiced"],
        line["qty_shipped"],
        line["qty_credited"],
        line["qty_reopened"],
        line["qty_cancelled"],
        line["qty_returned"],
    )


# Billed in error: reopened for invoicing (the default) -------------------------------


def test_a_quantity_credit_is_billed_in_error_by_default(make_order, uow, order_state, ledger_ok):
    order = make_order("ACME", [("DESK-OAK", "10")])
    first = invoice(uow, order)
    memo = credit(uow, first["number"], {"DESK-OAK": "4"})
    assert memo["kind"] == "rebill"
    assert [(ln["qty"], ln["effect"]) for ln in memo["lines"]] == [(D(4), "rebill")]
    state = order_state(order)
    desk = state["lines"][0]
    # invoiced 10, 4 taken off again: 6 stand invoiced, 4 reopened for invoicing
    assert counters(desk) == (D(6), D(0), D(4), D(4), D(0), D(0))
    assert state["billing_status"] == "partially_invoiced"
    # invoicing the rest takes exactly what is left of the line: it adds up to the cent
    again = invoice(uow, order)
    assert [(ln["qty"], ln["net"], ln["tax"]) for ln in again["lines"]] == [
        (D(4), memo["lines"][0]["net"], memo["lines"][0]["tax"])
    ]
    state = order_state(order)
    assert state["lines"][0]["qty_invoiced"] == D(10)
    assert state["billing_status"] == "invoiced"
    ledger_ok()


def test_rebilled_goods_can_ship_but_the_order_waits_to_be_invoiced_again(
    make_order, uow, order_state, ledger_ok
):
    order = make_order("ACME", [("DESK-OAK", "10")])
    number = invoice(uow, order)["number"]
    credit(uow, number, {"DESK-OAK": "10"}, kind="rebill")
    ship(uow, order)  # shipping all 10 is allowed: nothing is off the order
    state = order_state(order)
    assert (state["status"], state["billing_status"], state["fulfilment_status"]) == (
        "confirmed",
        "not_invoiced",
        "shipped",
    )
    invoice(uow, order)
    assert order_state(order)["status"] == "completed"
    ledger_ok()


def test_a_rebill_credit_on_a_completed_order_confirms_it_again(
    make_order, uow, order_state, events_of, ledger_ok
):
    order = make_order("ACME", [("DESK-OAK", "2"), ("INSTALL", "1")])
    ship(uow, order)
    number = invoice(uow, order)["number"]
    assert order_state(order)["status"] == "completed"
    memo = credit(uow, number, {"INSTALL": "1"})
    state = order_state(order)
    assert (state["status"], state["billing_status"], state["fulfilment_status"]) == (
        "confirmed",
        "partially_invoiced",
        "partially_shipped",  # a service rebilled is delivered again once invoiced again
    )
    assert events_of(order)[-1] == (
        "billing_reopened",
        f"order {order} confirmed again: credit memo {memo['number']} reopened quantities "
        "for invoicing",
    )
    invoice(uow, order)
    assert order_state(order)["status"] == "completed"
    ledger_ok()


# Not to be delivered: off the order, never shipped ------------------------------------


def test_goods_credited_as_not_delivered_leave_the_order(
    make_order, uow, order_state, stock_of, refused, ledger_ok
):
    order = make_order("ACME", [("DESK-OAK", "10")])
    number = invoice(uow, order)["number"]
    assert stock_of("DESK-OAK") == (D(12), D(10))
    ship(uow, order, {"DESK-OAK": "4"})
    memo = credit(uow, number, {"DESK-OAK": "6"}, kind="not-delivered")
    assert memo["kind"] == "not_delivered"
    assert [ln["effect"] for ln in memo["lines"]] == ["cancel"]
    state = order_state(order)
    assert counters(state["lines"][0]) == (D(10), D(4), D(6), D(0), D(6), D(0))
    # fully invoiced, what is left to deliver shipped: completed, reservation released
    assert (state["status"], state["fulfilment_status"]) == ("completed", "shipped")
    assert stock_of("DESK-OAK") == (D(8), D(0))
    ledger_ok()


def test_goods_credited_as_not_delivered_can_no_longer_be_shipped(
    make_order, uow, order_state, refused, ledger_ok
):
    order = make_order("ACME", [("DESK-OAK", "10"), ("LAMP-LED", "1")])
    number = invoice(uow, order, {"DESK-OAK": "10"})["number"]
    credit(uow, number, {"DESK-OAK": "10"}, kind="not_delivered")
    refused(
        RuleViolation,
        f"cannot ship 1 × DESK-OAK on {order}: ordered 10, already shipped 0, "
        "off the order 10, left 0",
        lambda s: fulfilment.create_shipment(
            session=s, order_number=order, lines=[("DESK-OAK", D(1))]
        ),
    )
    ship(uow, order)  # only the lamp is left to ship
    invoice(uow, order)
    state = order_state(order)
    assert (state["status"], state["lines"][0]["qty_shipped"]) == ("completed", D(0))
    ledger_ok()


def test_shipped_goods_cannot_be_credited_as_not_delivered(make_order, uow, refused, ledger_ok):
    order = make_order("ACME", [("DESK-OAK", "10")])
    number = invoice(uow, order)["number"]
    ship(uow, order, {"DESK-OAK": "7"})
    error = refused(
        RuleViolation,
        f"cannot credit 4 × DESK-OAK on {number} as not delivered: {order} line 1 ordered 10, "
        "shipped 7, left to ship 3",
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number=number, lines=[("DESK-OAK", D(4))], kind="not_delivered"
        ),
    )
    assert error.hint.startswith("goods shipped are credited as returned")
    ledger_ok()


def test_a_service_credited_as_not_delivered_is_no_longer_delivered(
    make_order, uow, order_state, ledger_ok
):
    order = make_order("ACME", [("INSTALL", "3")])
    number = invoice(uow, order)["number"]
    assert order_state(order)["status"] == "completed"
    credit(uow, number, {"INSTALL": "1"}, kind="not_delivered")
    state = order_state(order)
    line = state["lines"][0]
    assert (line["qty_invoiced"], line["qty_cancelled"], line["qty_fulfilled"]) == (
        D(3),
        D(1),
        D(2),
    )
    assert state["status"] == "completed"  # 2 hours billed, 2 delivered: nothing left
    ledger_ok()


# Returned ------------------------------------------------------------------------------


def test_goods_credited_as_returned_without_restocking(
    make_order, uow, order_state, stock_of, refused, ledger_ok
):
    order = make_order("ACME", [("DESK-OAK", "3")])
    ship(uow, order, {"DESK-OAK": "2"})
    number = invoice(uow, order)["number"]
    refused(
        RuleViolation,
        "cannot credit as returned 3 × DESK-OAK: only 2 shipped and not yet returned",
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number=number, lines=[("DESK-OAK", D(3))], kind="returned"
        ),
    )
    memo = credit(uow, number, {"DESK-OAK": "1"}, kind="returned")
    assert (memo["kind"], memo["restock"], memo["lines"][0]["effect"]) == (
        "returned",
        False,
        "return",
    )
    assert counters(order_state(order)["lines"][0]) == (D(3), D(2), D(1), D(0), D(0), D(1))
    assert stock_of("DESK-OAK")[0] == D(10)  # 12 − 2 shipped: nothing restocked
    ledger_ok()


def test_restock_means_returned(make_order, uow, order_state, stock_of, ledger_ok):
    order = make_order("ACME", [("DESK-OAK", "2"), ("INSTALL", "1")])
    ship(uow, order)
    number = invoice(uow, order)["number"]
    memo = credit(uow, number, restock=True)
    # a service is never returned: in a memo of goods back it is not to be delivered
    assert (memo["kind"], [ln["effect"] for ln in memo["lines"]]) == ("mixed", ["return", "cancel"])
    desk, install = order_state(order)["lines"]
    assert (desk["qty_returned"], install["qty_cancelled"]) == (D(2), D(1))
    assert stock_of("DESK-OAK")[0] == D(12)
    ledger_ok()


# Money only, and the option combinations ----------------------------------------------


def test_a_credit_by_amount_moves_no_quantity(make_order, uow, order_state, ledger_ok):
    order = make_order("ACME", [("DESK-OAK", "1")])
    number = invoice(uow, order)["number"]
    memo = credit(uow, number, amount=D("50.00"))
    assert (memo["kind"], [ln["effect"] for ln in memo["lines"]]) == ("price", ["none"])
    assert counters(order_state(order)["lines"][0]) == (D(1), D(0), D(0), D(0), D(0), D(0))
    ledger_ok()


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (
            {"lines": [("DESK-OAK", D(1))], "kind": "lost"},
            "credit kind 'lost' must be rebill, not-delivered or returned",
        ),
        (
            {"amount": D(10), "kind": "rebill"},
            "--kind says what credited quantities do: an --amount credits no goods",
        ),
        (
            {"lines": [("DESK-OAK", D(1))], "kind": "rebill", "restock": True},
            "--restock means the goods came back: it goes with --kind returned, not rebill",
        ),
    ],
)
def test_option_combinations_that_make_no_sense_are_refused(make_order, uow, refused, kw, message):
    order = make_order("ACME", [("DESK-OAK", "1")])
    number = invoice(uow, order)["number"]
    refused(
        InvalidInput,
        message,
        lambda s: credit_memos.create_credit_memo(session=s, invoice_number=number, **kw),
    )


def test_check_finds_a_counter_that_disagrees_with_the_credit_memos(make_order, uow, engine):
    from sqlalchemy import text

    from ordercli.books.checks import run_checks

    order = make_order("ACME", [("DESK-OAK", "4")])
    number = invoice(uow, order)["number"]
    credit(uow, number, {"DESK-OAK": "1"}, kind="not_delivered")
    with engine.begin() as connection:
        connection.execute(text("UPDATE order_line SET qty_cancelled = 0"))
    with uow(write=False) as session:
        problems = [p["problem"] for p in run_checks(session=session)["problems"]]
    assert (
        f"{order} line 1: says reopened 0 and cancelled 0, its credit memos hold 0 billed in "
        "error and 1 not to be delivered; ordered 4, shipped 0, closed 0"
    ) in problems
