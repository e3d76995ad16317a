"""Shared by the tests of early-payment discounts and write-offs (rule 20).

Invoices are issued with a terms template written straight into the ledger (``2 %
within 10 days, net 30``), so these tests do not depend on how ``terms add`` reads
its options. One DESK-OAK at 1000.00 (19 % tax) makes an invoice of 1190.00,
whose 2 % discount is 23.80: 20.00 net and 3.80 tax.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import col, select

from ordercli.books.checks import run_checks
from ordercli.books.clock import now
from ordercli.books.journal import trial_balance
from ordercli.models import (
    Event,
    InvoiceAdjustment,
    JournalEntry,
    PaymentTerms,
)
from ordercli.services.parties.customers import get_customer
from ordercli.services.sales import invoicing, ordering
from ordercli.services.settlement import payments
from ordercli.views import sales as sales_views
from ordercli.views.settlement import payment_view

D = Decimal
ISSUED = date(2026, 3, 1)
WINDOW_END = date(2026, 3, 11)  # 2 % within 10 days


def add_terms(session, code: str = "D2N30", pct: int = 20000, days: int = 10) -> int:
    terms = PaymentTerms(code=code, days=30, discount_pct=pct, discount_days=days, created_at=now())
    session.add(terms)
    session.flush()
    assert terms.id is not None
    return terms.id


def give_terms(session, customer: str, terms_id: int | None) -> None:
    row = get_customer(session=session, code=customer)
    row.terms_id = terms_id
    session.add(row)
    session.flush()


def issue(
    session,
    customer: str = "ACME",
    price: str = "1000.00",
    qty: str = "1",
    on: date = ISSUED,
    sku: str = "DESK-OAK",
) -> str:
    """An invoice of ``qty`` × ``sku`` at ``price`` issued on ``on``; its number."""
    order = ordering.new_order(session=session, customer_code=customer, order_date=on)
    ordering.add_order_line(
        session=session, number=order.number, sku=sku, qty=D(qty), price=D(price)
    )
    ordering.confirm_order(session=session, number=order.number, override_credit="test")
    return invoicing.create_invoice(
        session=session, order_number=order.number, issue_date=on
    ).number


def pay(uow, customer: str, amount: str, *invoices: str, on: date, **kw) -> dict:
    specs = payments.parse_invoice_specs(list(invoices), 2) if invoices else None
    with uow() as session:
        payment = payments.record_payment(
            session=session,
            customer_code=customer,
            amount=D(amount),
            invoices=specs,
            received_on=on,
            **kw,
        )
        return payment_view(session, payment)


def invoice_of(uow, number: str) -> dict:
    with uow(write=False) as session:
        return sales_views.invoice_view(
            session, invoicing.get_invoice(session=session, number=number)
        )


def adjustments(uow) -> list[tuple]:
    with uow(write=False) as session:
        return [
            (a.number, a.kind, a.amount, a.net, a.tax, a.reason)
            for a in session.exec(select(InvoiceAdjustment).order_by(col(InvoiceAdjustment.id)))
        ]


def entry(uow, source_kind: str, number: str) -> list[tuple]:
    """The postings of the entry ``(source_kind, number)``: (role, debit, credit)."""
    with uow(write=False) as session:
        rows = session.connection().execute(
            text(
                "SELECT a.role, l.debit, l.credit FROM journal_line l "
                "JOIN journal_entry e ON e.id = l.entry_id JOIN account a ON a.id = l.account_id "
                "WHERE e.source_kind = :kind AND e.source_number = :number ORDER BY l.id"
            ),
            {"kind": source_kind, "number": number},
        )
        return [tuple(row) for row in rows]


def memos(uow, source_kind: str) -> list[str]:
    with uow(write=False) as session:
        return list(
            session.exec(
                select(JournalEntry.memo)
                .where(JournalEntry.source_kind == source_kind)
                .order_by(col(JournalEntry.id))
            )
        )


def events(uow, subject_kind: str) -> list[tuple[str, str, str]]:
    with uow(write=False) as session:
        return [
            (e.action, e.message, e.os_user)
            for e in session.exec(
                select(Event).where(Event.subject_kind == subject_kind).order_by(col(Event.id))
            )
        ]


def assert_clean(uow) -> None:
    """``ordercli check`` finds nothing, the trial balance is zero and the receivable
    account is the sum of the open balances (rule 18)."""
    with uow(write=False) as session:
        report = run_checks(session=session)
        assert report["problems"] == []
        trial = trial_balance(session=session)
        assert trial["total_debit"] == trial["total_credit"]
        receivable = (
            session.connection()
            .execute(
                text(
                    "SELECT COALESCE(SUM(l.debit - l.credit), 0) FROM journal_line l "
                    "JOIN account a ON a.id = l.account_id WHERE a.role = 'receivable'"
                )
            )
            .scalar()
        )
        balances = (
            session.connection()
            .execute(
                text(
                    "SELECT COALESCE(SUM(total - paid - credited - discounted - written_off "
                    "- prepaid), 0) FROM invoice"
                )
            )
            .scalar()
        )
        assert receivable == balances
