"""``invoice cancel`` (SPEC rules 4, 11, 14): a credit memo of a whole invoice, every
quantity billed in error, so the order can be invoiced again for the same quantities
and amounts; the invoice is ``cancelled`` and never owed again."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.services.sales import fulfilment, invoicing
from ordercli.services.settlement import credit_memos, payments
from ordercli.views import sales as views
from ordercli.views.settlement import credit_memo_view

D = Decimal


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-10")


def cancel(uow, number: str, **kw) -> dict:
    with uow() as session:
        memo = credit_memos.cancel_invoice(session=session, invoice_number=number, **kw)
        return credit_memo_view(session, memo)


def invoice_of(uow, number: str) -> dict:
    with uow(write=False) as session:
        return views.invoice_view(session, invoicing.get_invoice(session=session, number=number))


def amounts(view: dict) -> list[tuple]:
    return [(ln["sku"], ln["qty"], ln["net"], ln["tax"]) for ln in view["lines"]]


@pytest.fixture
def mixed(make_order, uow):
    """SO-00001 to ACME: 3 oak desks at 12.5 % off, 2.5 h of installation, 7 lamps,
    invoiced whole as INV-00001."""
    order = make_order(
        "ACME", [("DESK-OAK", "3", None, "12.5"), ("INSTALL", "2.5"), ("LAMP-LED", "7")]
    )
    with uow() as session:
        return order, invoicing.create_invoice(session=session, order_number=order).number


def test_cancel_then_invoice_again_gives_the_same_invoice(mixed, uow, order_state, ledger_ok):
    order, number = mixed
    before = invoice_of(uow, number)
    memo = cancel(uow, number, reason="sent to the wrong address")
    assert (memo["kind"], memo["cancels_invoice"], memo["total"]) == (
        "rebill",
        True,
        before["total"],
    )
    assert amounts(memo) == amounts(before)
    cancelled = invoice_of(uow, number)
    assert (cancelled["status"], cancelled["cancelled_by"], cancelled["balance"]) == (
        "cancelled",
        memo["number"],
        D("0.00"),
    )
    state = order_state(order)
    assert state["billing_status"] == "not_invoiced"
    assert [ln["qty_reopened"] for ln in state["lines"]] == [D(3), D("2.5"), D(7)]
    with uow() as session:
        again = views.invoice_view(
            session, invoicing.create_invoice(session=session, order_number=order)
        )
    assert amounts(again) == amounts(before)
    assert (again["subtotal"], again["tax"], again["total"]) == (
        before["subtotal"],
        before["tax"],
        before["total"],
    )
    assert (again["status"], again["cancelled_by"]) == ("open", None)
    ledger_ok()


def test_what_was_paid_becomes_store_credit_or_is_refunded(mixed, uow, ledger_ok):
    _, number = mixed
    with uow() as session:
        payments.record_payment(
            session=session, customer_code="ACME", amount=D("100.00"), invoices=[(number, None)]
        )
    memo = cancel(uow, number, reason="duplicate", settlement="refund")
    assert (memo["settlement"], memo["released"], memo["refunded"], len(memo["refunds"])) == (
        "refund",
        D("100.00"),
        D("100.00"),
        1,
    )
    view = invoice_of(uow, number)
    assert (view["status"], view["paid"], view["balance"]) == ("cancelled", D("0.00"), D("0.00"))
    ledger_ok()


def test_a_shipped_and_completed_order_is_confirmed_again(make_order, uow, order_state, ledger_ok):
    order = make_order("ACME", [("DESK-OAK", "2")])
    with uow() as session:
        fulfilment.create_shipment(session=session, order_number=order)
        number = invoicing.create_invoice(session=session, order_number=order).number
    assert order_state(order)["status"] == "completed"
    cancel(uow, number, reason="wrong price list")
    assert order_state(order)["status"] == "confirmed"
    with uow() as session:
        invoicing.create_invoice(session=session, order_number=order)
    assert order_state(order)["status"] == "completed"
    ledger_ok()


def test_a_cancelled_invoice_is_never_unpaid_nor_overdue(mixed, uow, monkeypatch):
    _, number = mixed
    cancel(uow, number, reason="duplicate")
    monkeypatch.setenv("ORDERCLI_TODAY", "2027-03-10")  # long past its due date
    with uow(write=False) as session:

        def listed(**kw) -> list[str]:
            return [i.number for i in invoicing.list_invoices(session=session, **kw)]

        assert listed(unpaid=True) == []
        assert listed(overdue=True) == []
        assert listed(status="overdue") == []
        assert listed(status="paid") == []
        assert listed(status="cancelled") == [number]


def test_refusals_change_nothing(mixed, uow, refused, ledger_ok):
    _, number = mixed
    refused(
        InvalidInput,
        "reason must not be empty",
        lambda s: credit_memos.cancel_invoice(session=s, invoice_number=number, reason="  "),
    )
    with uow() as session:
        credit_memos.create_credit_memo(
            session=session, invoice_number=number, lines=[("LAMP-LED", D(1))]
        )
    error = refused(
        RuleViolation,
        f"cannot cancel {number}: it is already credited by CM-00001",
        lambda s: credit_memos.cancel_invoice(session=s, invoice_number=number, reason="oops"),
    )
    assert error.hint == f"`ordercli credit-memo create {number}` credits what is left"
    ledger_ok()


def test_a_cancelled_invoice_is_not_cancelled_again(mixed, uow, refused, ledger_ok):
    _, number = mixed
    with uow() as session:
        credit_memos.cancel_invoice(session=session, invoice_number=number, reason="oops")
    error = refused(
        RuleViolation,
        f"cannot cancel {number}: it is already fully credited by CM-00001",
        lambda s: credit_memos.cancel_invoice(session=s, invoice_number=number, reason="again"),
    )
    assert error.hint is None  # nothing is left to credit
    ledger_ok()
