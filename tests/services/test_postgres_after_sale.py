"""After the sale on PostgreSQL, and payments recorded by several processes at once.

The PostgreSQL tests run only when ``ORDERCLI_TEST_PG_URL`` names a database they may
wipe, and share ``test_postgres.py``'s lock file, so no two PostgreSQL tests of either
file ever overlap under pytest-xdist. The multi-process payment race runs on SQLite
always, and on PostgreSQL too when it is there.
"""

from __future__ import annotations

import os
import tempfile
from decimal import Decimal
from pathlib import Path

import payment_workers
import pytest
import service_workers as workers
from sqlmodel import func, select

from ordercli.books import checks, journal
from ordercli.db.engine import unit_of_work
from ordercli.domain.errors import RuleViolation
from ordercli.models import Allocation, CreditMemo, Invoice, Payment, Refund
from ordercli.services.inventory import catalog
from ordercli.services.parties import customers
from ordercli.services.sales import fulfilment, invoicing, ordering
from ordercli.services.settlement import credit_memos, payments, returns

PG_URL = os.environ.get("ORDERCLI_TEST_PG_URL", "")
LOCK_FILE = Path(tempfile.gettempdir()) / "ordercli-test-postgres.lock"


def needs_postgres(test):
    skip = pytest.mark.skipif(not PG_URL, reason="set ORDERCLI_TEST_PG_URL to run PostgreSQL tests")
    return pytest.mark.postgres(skip(test))


D = Decimal


@needs_postgres
def test_payment_credit_memo_and_return_on_postgres(pg_engine, ledger_ok, monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-10")
    engine = pg_engine
    with unit_of_work(engine) as session:
        customers.add_customer(session=session, name="Acme", code="ACME", terms_days=14)
        catalog.add_product(
            session=session, sku="DESK", name="Desk", price=D("348.35"), tax_rate=D(22), stock=D(20)
        )
        catalog.add_product(
            session=session,
            sku="INSTALL",
            name="Install",
            price=D(65),
            tax_rate=D(19),
            service=True,
        )
        order = ordering.new_order(session=session, customer_code="ACME")
        ordering.add_order_line(session=session, number=order.number, sku="DESK", qty=D(4))
        ordering.add_order_line(session=session, number=order.number, sku="INSTALL", qty=D(2))
        ordering.confirm_order(session=session, number=order.number)
        fulfilment.create_shipment(session=session, order_number=order.number)
        invoice = invoicing.create_invoice(session=session, order_number=order.number)
        assert (invoice.number, invoice.total) == ("INV-00001", 185465)
    ledger_ok(engine)
    with unit_of_work(engine) as session:
        payment = payments.record_payment(session=session, customer_code="ACME", amount=D(2000))
        assert (payment.number, payment.unapplied) == ("PAY-00001", 14535)
    ledger_ok(engine)
    with unit_of_work(engine) as session:
        memo = credit_memos.create_credit_memo(
            session=session,
            invoice_number="INV-00001",
            lines=[("DESK", D(1))],
            settlement="refund",
            restock=True,
        )
        assert (memo.number, memo.total, memo.applied, memo.released) == (
            "CM-00001",
            42499,
            0,
            42499,
        )
    # A refusal on PostgreSQL rolls back too.
    with pytest.raises(RuleViolation) as info, unit_of_work(engine) as session:
        credit_memos.create_credit_memo(
            session=session, invoice_number="INV-00001", lines=[("DESK", D(4))]
        )
    assert str(info.value) == (
        "cannot credit 4 × DESK on INV-00001: invoiced 4, already credited 1, left 3"
    )
    ledger_ok(engine)
    with unit_of_work(engine) as session:
        for number in ("RMA-00001", "RMA-00002"):
            rma = returns.request_return(
                session=session, order_number="SO-00001", lines=[("DESK", D(1))], reason="dent"
            )
            assert rma.number == number
            returns.authorize_return(session=session, number=number)
        returns.receive_return(session=session, number="RMA-00001", restock=True)
        returns.receive_return(session=session, number="RMA-00002")
        _, memos, _ = returns.resolve_return(session=session, number="RMA-00001", credit_memo=True)
        assert [(m.number, m.total, m.credit_left) for m in memos] == [("CM-00002", 42499, 42499)]
        _, _, shipment = returns.resolve_return(session=session, number="RMA-00002", replace=True)
        assert shipment.number == "SH-00002"
    ledger_ok(engine)
    with unit_of_work(engine) as session:
        refund = payments.refund_customer(session=session, customer_code="ACME")
        assert (refund.number, refund.amount) == ("RF-00002", 14535 + 42499)
    balances = ledger_ok(engine)
    assert balances == {
        "cash": D("1004.67"),
        "receivable": D(0),
        "sales_tax": D("-177.97"),
        "customer_credit": D(0),
        "revenue": D("-1523.40"),
        "refunds": D("696.70"),
        "rebates": D(0),
        "customer_advances": D(0),
        "early_discounts": D(0),
        "payment_differences": D(0),
        "bad_debts": D(0),
        "dunning_fees": D(0),
    }
    with unit_of_work(engine, write=False) as session:
        desk = catalog.get_product(session=session, sku="DESK")
        line = ordering.order_lines(
            session=session, order=ordering.get_order(session=session, number="SO-00001")
        )[0]
        refunds = session.exec(select(Refund.number, Refund.amount).order_by(Refund.id)).all()
        report = checks.run_checks(session=session)
        trial = journal.trial_balance(session=session)
    # 20 − 4 shipped + 1 restocked by CM-00001 + 1 by RMA-00001 − 1 replacement.
    assert (desk.on_hand, desk.reserved) == (17000, 0)
    assert (line.qty_shipped, line.qty_credited, line.qty_returned, line.qty_replaced) == (
        4000,
        2000,
        3000,
        1000,
    )
    assert refunds == [("RF-00001", 42499), ("RF-00002", 57034)]
    assert report == {"ok": True, "checks": report["checks"], "problems": []}
    assert trial["total_debit"] == trial["total_credit"] and trial["balance"] == 0


# Several processes paying one customer's invoices at once ------------------------------

PROCESSES, PER_PROCESS, INVOICES = 3, 8, 10


def race(url: str, engine, ledger_ok) -> None:
    """``PROCESSES`` workers record ``PER_PROCESS`` payments of 45.00 each against RACE's
    ten invoices of 100.00, oldest first: 1080.00 for 1000.00 owed."""
    numbers = payment_workers.prepare_invoices(url, INVOICES)
    assert numbers == [f"INV-{n:05d}" for n in range(1, INVOICES + 1)]
    jobs = [(url, "RACE", ["45.00"] * PER_PROCESS) for _ in range(PROCESSES)]
    reports = workers.spawn_all(payment_workers.record_payments, jobs)
    recorded = sorted(
        (number, allocations, unapplied)
        for _, done, _ in reports
        for number, allocations, unapplied in done
    )
    total = PROCESSES * PER_PROCESS
    # Numbered without gaps or duplicates, each process's own numbers rising.
    assert [number for number, _, _ in recorded] == [f"PAY-{n:05d}" for n in range(1, total + 1)]
    for _, done, _ in reports:
        mine = [number for number, _, _ in done]
        assert mine == sorted(mine) and len(mine) == PER_PROCESS
    # In commit order the payments fill the invoices one after the other, oldest first,
    # and each takes all it can: 45.00 until the invoices are paid, then credit.
    filled = []
    for number, allocations, unapplied in recorded:
        owed = INVOICES * 10000 - sum(amount for _, amount in filled)
        assert sum(amount for _, amount in allocations) == min(4500, owed), number
        assert unapplied == 4500 - min(4500, owed), number
        filled.extend(allocations)
    assert [invoice for invoice, _ in filled] == sorted(invoice for invoice, _ in filled)
    per_invoice: dict[str, int] = {}
    for invoice, amount in filled:
        per_invoice[invoice] = per_invoice.get(invoice, 0) + amount
    assert per_invoice == dict.fromkeys(numbers, 10000)
    with unit_of_work(engine, write=False) as session:
        paid = dict(session.exec(select(Invoice.number, Invoice.paid)).all())
        allocated = session.exec(
            select(Allocation.invoice_id, func.sum(Allocation.amount)).group_by(
                Allocation.invoice_id
            )
        ).all()
        totals = dict(session.exec(select(Invoice.id, Invoice.total)).all())
        unapplied = session.exec(select(func.sum(Payment.unapplied))).one()
        memos = session.exec(select(func.count()).select_from(CreditMemo)).one()
    assert paid == dict.fromkeys(numbers, 10000)
    assert all(amount <= totals[invoice_id] for invoice_id, amount in allocated)
    assert (unapplied, memos) == (total * 4500 - INVOICES * 10000, 0)
    balances = ledger_ok(engine)
    assert balances["cash"] == D("1080.00") and balances["customer_credit"] == D("-80.00")


def test_processes_paying_at_once_never_over_allocate(engine, ledger_ok):
    race(engine.url.render_as_string(hide_password=False), engine, ledger_ok)


@needs_postgres
def test_processes_paying_at_once_on_postgres_never_over_allocate(pg_engine, ledger_ok):
    race(PG_URL, pg_engine, ledger_ok)
