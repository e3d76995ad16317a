"""Invoices settled other than by payment or credit memo (SPEC rules 4, 4a, 18, 20).

An ``InvoiceAdjustment`` is an early-payment discount taken (``ED-00001``), a
payment difference written off or a bad debt written off (both ``WO-00001``).
Posting one is always the same five steps, in one transaction: a number from its
series, the row, the invoice's ``discounted`` or ``written_off`` column, a
balanced journal entry and an event (who: the OS user; why: the reason).

The journal entry credits the receivable of the invoice by the whole amount and
debits the adjustment's own account (``early_discounts``, ``payment_differences``,
``bad_debts``) with the net part and ``sales_tax`` with the tax part:

- a discount and a bad debt lower the sale, so the tax charged on that part is
  corrected. The tax part is the adjustment's share of the tax still on the
  invoice after its credit memos: ``share_units(amount, tax - tax credited,
  total - credited)``, rounded half-up (what remains, so a discount after a
  partial credit takes the rate of what is left, and never more tax than is left);
- a payment difference (a bank fee, a few cents short) is a cost of collecting,
  not a smaller sale: no tax part.

An adjustment that came with a payment counts while its payment does; ``payment
void`` reverses it with an entry of its own (source kind ``…_reversal``, the same
number), and puts the invoice's column back. Moving the payment's money off that
invoice (``unapply``, ``reallocate``) is refused: the discount or write-off was
granted for that money.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import case, literal, null
from sqlmodel import Session, col, func, select

from ordercli.books.chronology import check_dated
from ordercli.books.clock import now
from ordercli.books.events import record_event
from ordercli.books.journal import Posting, post_entry
from ordercli.books.numbering import next_number
from ordercli.books.settings import amount_of as _money
from ordercli.domain.errors import RuleViolation
from ordercli.domain.money import share_units
from ordercli.models import (
    CreditMemo,
    Invoice,
    InvoiceAdjustment,
    JournalEntry,
    Payment,
    PaymentVoid,
)

EARLY_DISCOUNT = "early_discount"
PAYMENT_DIFFERENCE = "payment_difference"
BAD_DEBT = "bad_debt"

# Per kind: (number series and journal source kind, account debited, invoice column).
KINDS = {
    EARLY_DISCOUNT: ("early_discount", "early_discounts", "discounted"),
    PAYMENT_DIFFERENCE: ("write_off", "payment_differences", "written_off"),
    BAD_DEBT: ("write_off", "bad_debts", "written_off"),
}
LABELS = {
    EARLY_DISCOUNT: "early-payment discount",
    PAYMENT_DIFFERENCE: "payment difference written off",
    BAD_DEBT: "bad debt written off",
}
REVERSAL = "_reversal"  # suffix of the source kind of a reversing entry


def tax_part(session: Session, invoice: Invoice, amount: int) -> int:
    """The tax in ``amount`` of what is left of the invoice after its credit memos."""
    tax_credited = session.exec(
        select(func.coalesce(func.sum(CreditMemo.tax), 0)).where(
            CreditMemo.invoice_id == invoice.id
        )
    ).one()
    tax_left = max(0, invoice.tax - int(tax_credited))
    total_left = invoice.total - invoice.credited
    if total_left <= 0:
        return 0
    return max(0, min(amount, tax_left, share_units(amount, tax_left, total_left)))


def _check_series_date(session: Session, kind: str, on: date, what: str) -> None:
    """Rule 4a within the series: a later number never carries an earlier date."""
    series = KINDS[kind][0]
    kinds = [k for k, (s, _, _) in KINDS.items() if s == series]
    latest = session.exec(
        select(col(InvoiceAdjustment.number), col(InvoiceAdjustment.adjusted_on))
        .where(col(InvoiceAdjustment.kind).in_(kinds))
        .order_by(col(InvoiceAdjustment.adjusted_on).desc(), col(InvoiceAdjustment.id).desc())
        .limit(1)
    ).first()
    if latest is not None and on < latest[1]:
        raise RuleViolation(
            f"{what} dated {on} cannot come after {latest[0]}, dated {latest[1]}: "
            "a later number never carries an earlier date"
        )


def post_adjustment(
    *,
    session: Session,
    kind: str,
    invoice: Invoice,
    amount: int,
    on: date,
    reason: str | None,
    payment: Payment | None = None,
    customer_code: str,
) -> InvoiceAdjustment:
    """Settle ``amount`` (minor units) of ``invoice`` (locked by the caller) by ``kind``."""
    series, account, column = KINDS[kind]
    if amount <= 0 or amount > invoice.balance:
        raise AssertionError(f"{kind} of {amount} on {invoice.number} (balance {invoice.balance})")
    label = LABELS[kind]
    number = next_number(session=session, kind=series)
    check_dated(  # rule 4a: never before the invoice, nor after today
        session,
        what=f"{label} {number}",
        on=on,
        sources=[(f"invoice {invoice.number}", invoice.issue_date)],
    )
    _check_series_date(session, kind, on, f"{label} {number}")
    tax = 0 if kind == PAYMENT_DIFFERENCE else tax_part(session, invoice, amount)
    assert invoice.id is not None  # a stored invoice
    row = InvoiceAdjustment(
        number=number,
        kind=kind,
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        payment_id=payment.id if payment else None,
        amount=amount,
        net=amount - tax,
        tax=tax,
        reason=reason,
        adjusted_on=on,
        created_at=now(),
    )
    session.add(row)
    setattr(invoice, column, getattr(invoice, column) + amount)
    session.add(invoice)
    with_payment = f" with payment {payment.number}" if payment else ""
    post_entry(
        session=session,
        entry_date=on,
        source_kind=series,
        source_number=number,
        memo=f"{label} {number} on {invoice.number}{with_payment}"
        + (f": {reason}" if reason else ""),
        postings=[
            Posting(account, debit=amount - tax),
            Posting("sales_tax", debit=tax),
            Posting(
                "receivable",
                credit=amount,
                customer_id=invoice.customer_id,
                invoice_id=invoice.id,
            ),
        ],
    )
    record_event(
        session=session,
        subject_kind=series,
        subject_number=number,
        action=kind,
        order_id=invoice.order_id,
        message=f"{label} {number} of {_money(session, amount)} on {invoice.number} "
        f"({customer_code}){with_payment}"
        + (f", tax corrected {_money(session, tax)}" if tax else "")
        + (f": {reason}" if reason else "")
        + f"; balance {_money(session, invoice.balance)}",
    )
    return row


def of_payment(session: Session, payment: Payment) -> list[InvoiceAdjustment]:
    """The adjustments that came with a payment, in the order they were posted."""
    return list(
        session.exec(
            select(InvoiceAdjustment)
            .where(InvoiceAdjustment.payment_id == payment.id)
            .order_by(col(InvoiceAdjustment.id))
        )
    )


def reverse_for_void(
    session: Session,
    *,
    payment: Payment,
    void_number: str,
    on: date,
    invoices: dict[int, Invoice],
    reason: str,
) -> list[InvoiceAdjustment]:
    """``payment void``: every discount and write-off that came with the payment is
    reversed (an entry mirroring its own, its invoice column back). ``invoices`` are
    the locked invoices of the payment's allocations; any other is locked here."""
    reversed_ = []
    for row in of_payment(session, payment):
        series, account, column = KINDS[row.kind]
        invoice = invoices.get(row.invoice_id) or session.get(
            Invoice, row.invoice_id, with_for_update={"key_share": True}, populate_existing=True
        )
        assert invoice is not None  # invoices are never deleted
        setattr(invoice, column, getattr(invoice, column) - row.amount)
        session.add(invoice)
        label = LABELS[row.kind]
        post_entry(
            session=session,
            entry_date=on,
            source_kind=series + REVERSAL,
            source_number=row.number,
            memo=f"{label} {row.number} on {invoice.number} reversed: payment "
            f"{payment.number} voided by {void_number}",
            postings=[
                Posting(
                    "receivable",
                    debit=row.amount,
                    customer_id=invoice.customer_id,
                    invoice_id=invoice.id,
                ),
                Posting(account, credit=row.net),
                Posting("sales_tax", credit=row.tax),
            ],
        )
        record_event(
            session=session,
            subject_kind=series,
            subject_number=row.number,
            action="reversed",
            order_id=invoice.order_id,
            message=f"{label} {row.number} of {_money(session, row.amount)} on "
            f"{invoice.number} reversed: payment {payment.number} voided by {void_number}: "
            f"{reason}",
        )
        reversed_.append(row)
    return reversed_


def check_money_stays(
    session: Session, payment: Payment, invoice_ids: Iterable[int | None], doing: str
) -> None:
    """Refuse to move a payment's money off an invoice it took a discount or wrote a
    difference off on: that was granted for this money. A void reverses both."""
    wanted = {invoice_id for invoice_id in invoice_ids if invoice_id is not None}
    rows = [row for row in of_payment(session, payment) if row.invoice_id in wanted]
    if not rows:
        return
    row = rows[0]
    invoice = session.get(Invoice, row.invoice_id)
    assert invoice is not None  # invoices are never deleted
    raise RuleViolation(
        f"cannot {doing} payment {payment.number} off {invoice.number}: it came with "
        f"{LABELS[row.kind]} {row.number} of {_money(session, row.amount)} there",
        hint=f"`ordercli payment void {payment.number} --reason …` takes the payment back "
        "whole and reverses it too",
    )


def transaction_parts(movement) -> dict:
    """The discounts, write-offs and their reversals as ``payment transactions`` rows;
    ``movement`` builds one kind's labelled columns (``payments._movement``)."""
    payment_number = (
        select(Payment.number).where(Payment.id == InvoiceAdjustment.payment_id).scalar_subquery()
    )
    kind_text = case(
        (col(InvoiceAdjustment.kind) == EARLY_DISCOUNT, literal(LABELS[EARLY_DISCOUNT])),
        (col(InvoiceAdjustment.kind) == PAYMENT_DIFFERENCE, literal("payment difference")),
        else_=literal("bad debt"),
    )

    def of(kind: str, kinds: tuple[str, ...]):
        return movement(
            kind,
            InvoiceAdjustment.adjusted_on,
            InvoiceAdjustment.created_at,
            InvoiceAdjustment.number,
            InvoiceAdjustment.customer_id,
            InvoiceAdjustment.amount,
            kind_text,
            InvoiceAdjustment.reason,
            InvoiceAdjustment.invoice_id,
            payment_number,
        ).where(col(InvoiceAdjustment.kind).in_(kinds))

    reversed_by = (
        select(PaymentVoid.number)
        .where(PaymentVoid.payment_id == InvoiceAdjustment.payment_id)
        .scalar_subquery()
    )
    return {
        "early_discount": of("early_discount", (EARLY_DISCOUNT,)),
        "write_off": of("write_off", (PAYMENT_DIFFERENCE, BAD_DEBT)),
        "adjustment_reversed": movement(
            "adjustment_reversed",
            JournalEntry.entry_date,
            JournalEntry.created_at,
            InvoiceAdjustment.number,
            InvoiceAdjustment.customer_id,
            -InvoiceAdjustment.amount,
            kind_text,
            null(),
            InvoiceAdjustment.invoice_id,
            reversed_by,
        ).where(
            JournalEntry.source_number == InvoiceAdjustment.number,
            col(JournalEntry.source_kind).in_(
                sorted({series + REVERSAL for series, _, _ in KINDS.values()})
            ),
        ),
    }
