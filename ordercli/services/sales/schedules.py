"""Invoices' schedules of due amounts and dates (SPEC rule 20).

Every invoice has at least one instalment; their amounts sum to its total
(``ordercli check`` proves it). What is open of each instalment is derived from
what the invoice has settled, covering instalments in due order
(``domain.terms.open_parts``), so a payment, credit, discount or write-off never
has to say which instalment it pays.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlmodel import Session, col, func, select

from ordercli.db.bulk import bulk_insert
from ordercli.db.lookup import chunks
from ordercli.domain.terms import Instalment, open_parts
from ordercli.models import Invoice, InvoiceInstalment


def write_schedules(session: Session, schedules: Iterable[tuple[int, list[Instalment]]]) -> None:
    """Insert the instalments of new invoices: ``(invoice id, schedule)`` pairs."""
    rows = [(invoice_id, item) for invoice_id, items in schedules for item in items]
    if not rows:
        return
    bulk_insert(
        session,
        InvoiceInstalment.__table__,  # type: ignore[attr-defined]  # set by the mapping
        {
            "invoice_id": [invoice_id for invoice_id, _ in rows],
            "position": [item.position for _, item in rows],
            "due_date": [item.due_date for _, item in rows],
            "amount": [item.amount for _, item in rows],
        },
    )


def due_before(session: Session, invoice_ids: Iterable[int], on: date) -> dict[int, int]:
    """Per invoice, what its schedule made due before ``on`` (absent: nothing)."""
    wanted = sorted(set(invoice_ids))
    found: dict[int, int] = {}
    for chunk in chunks(wanted):
        found.update(
            session.exec(
                select(InvoiceInstalment.invoice_id, func.sum(InvoiceInstalment.amount))
                .where(
                    col(InvoiceInstalment.invoice_id).in_(chunk),
                    col(InvoiceInstalment.due_date) < on,
                )
                .group_by(col(InvoiceInstalment.invoice_id))
            ).all()
        )
    return found


def open_instalments(session: Session, invoices: list[Invoice]) -> list[tuple[Invoice, int]]:
    """What is open of the invoices' instalments, oldest due first (rule 13): pairs of
    invoice and open amount, an invoice once per open instalment. Ties go to the
    earlier invoice."""
    by_id = {invoice.id: invoice for invoice in invoices}
    rows: list[InvoiceInstalment] = []
    for chunk in chunks(sorted(i for i in by_id if i is not None)):
        rows += session.exec(
            select(InvoiceInstalment)
            .where(col(InvoiceInstalment.invoice_id).in_(chunk))
            .order_by(col(InvoiceInstalment.invoice_id), col(InvoiceInstalment.position))
        ).all()
    amounts: dict[int, list[InvoiceInstalment]] = {}
    for row in rows:
        amounts.setdefault(row.invoice_id, []).append(row)
    found = []
    for invoice_id, items in amounts.items():
        invoice = by_id[invoice_id]
        parts = open_parts([item.amount for item in items], invoice.settled)
        for item, left in zip(items, parts, strict=True):
            if left > 0:
                found.append((item.due_date, invoice.issue_date, invoice_id, item.position, left))
    found.sort()
    return [(by_id[invoice_id], left) for _, _, invoice_id, _, left in found]
