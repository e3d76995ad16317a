"""Money is dated: it cannot move on a day that has not come, a credit memo is
split by the invoice as it stands, and goods on a received return are credited
by resolving that return (each refusal leaves the ledger unchanged)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.reports import receivables
from ordercli.services.settlement import credit_memos, payments, returns

D = Decimal


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-10")


@pytest.fixture
def paid_invoice(invoiced, uow):
    """INV-00001 (one lamp, 59.44) issued 01-10 and paid on 02-20."""
    invoiced("ACME", [("LAMP-LED", "1")], ship=True, issue_date=date(2026, 1, 10))
    with uow() as session:
        payments.record_payment(
            session=session,
            customer_code="ACME",
            amount=D("59.44"),
            invoices=[("INV-00001", None)],
            received_on=date(2026, 2, 20),
        )


def test_money_cannot_move_on_a_day_still_to_come(paid_invoice, refused):
    refused(
        InvalidInput,
        "payment date 2026-03-11 is in the future (today is 2026-03-10)",
        lambda s: payments.record_payment(
            session=s, customer_code="ACME", amount=D(5), received_on=date(2026, 3, 11)
        ),
    )
    refused(
        InvalidInput,
        "credit memo date 2026-04-01 is in the future (today is 2026-03-10)",
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number="INV-00001", issue_date=date(2026, 4, 1)
        ),
    )


def test_a_credit_memo_cannot_come_before_the_payment_it_gives_back(
    paid_invoice, refused, uow, ledger_ok
):
    refused(
        RuleViolation,
        "a credit memo dated 2026-02-01 cannot come before INV-00001's last payment or "
        "credit on 2026-02-20",
        lambda s: credit_memos.create_credit_memo(
            session=s,
            invoice_number="INV-00001",
            amount=D(10),
            settlement="refund",
            issue_date=date(2026, 2, 1),
        ),
    )
    with uow() as session:
        credit_memos.create_credit_memo(
            session=session,
            invoice_number="INV-00001",
            amount=D(10),
            settlement="refund",
            issue_date=date(2026, 2, 25),
        )
    with uow(write=False) as session:
        aging = receivables.aging(session=session, as_of=date(2026, 2, 21))
    assert aging["customers"] == []  # paid in full on 02-20, nothing refunded yet
    ledger_ok()


def test_goods_on_a_received_return_are_credited_by_resolving_it(invoiced, uow, refused, ledger_ok):
    invoiced("ACME", [("LAMP-LED", "3")], ship=True)
    with uow() as session:
        rma = returns.request_return(
            session=session, order_number="SO-00001", lines=[("LAMP-LED", D(2))], reason="dented"
        )
        returns.authorize_return(session=session, number=rma.number)
        returns.receive_return(session=session, number=rma.number, restock=True)
    refused(
        RuleViolation,
        "2 of that on INV-00001 came back on return RMA-00001, which is received and not yet "
        "resolved",
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number="INV-00001", lines=[("LAMP-LED", D(2))]
        ),
    )
    with uow() as session:
        # The third lamp, which did not come back, can still be credited by hand.
        credit_memos.create_credit_memo(
            session=session, invoice_number="INV-00001", lines=[("LAMP-LED", D(1))]
        )
        _, memos, _ = returns.resolve_return(session=session, number="RMA-00001", credit_memo=True)
        assert [m.total for m in memos] == [11888]  # 2 × 49.95 + 19 % tax
    ledger_ok()


def test_a_replacement_is_not_shipped_when_stock_is_short(invoiced, uow, refused):
    invoiced("ACME", [("LAMP-LED", "2")], ship=True)
    with uow() as session:
        rma = returns.request_return(
            session=session, order_number="SO-00001", lines=[("LAMP-LED", D(2))], reason="x"
        )
        returns.authorize_return(session=session, number=rma.number)
        returns.receive_return(session=session, number=rma.number, restock=False)
        from ordercli.services.inventory.stock import adjust_stock

        adjust_stock(session=session, sku="LAMP-LED", qty=D(-97), reason="count")
    refused(
        RuleViolation,
        "cannot replace 2 × LAMP-LED: only 1 available (on hand and not reserved)",
        lambda s: returns.resolve_return(session=s, number="RMA-00001", replace=True),
    )
