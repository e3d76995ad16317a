"""An invoice's terms, schedule and settlements other than payment and credit, as
views show them (SPEC rule 20)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from ordercli.books.clock import today
from ordercli.books.settings import amount_of as _money
from ordercli.domain.money import pct_from_db
from ordercli.domain.terms import open_parts
from ordercli.models import Invoice, InvoiceInstalment
from ordercli.services.sales.schedules import due_before
from ordercli.views.reads import lines_by_parent


def schedule_fields(
    session: Session, invoices: list[Invoice], *, with_schedule: bool, on: date | None = None
) -> dict[int, dict]:
    """Per invoice id: ``due`` (what fell due before ``on``, for its status, in minor
    units) and the keys its view shows: kind, terms, discount window, discounted,
    written off, prepaid and, ``with_schedule``, its instalments with what is open."""
    on = on or today()
    ids = [invoice.id for invoice in invoices if invoice.id is not None]
    due = due_before(session, ids, on)
    instalments = (
        lines_by_parent(session, InvoiceInstalment, InvoiceInstalment.invoice_id, ids)
        if with_schedule
        else {}
    )
    fields: dict[int, dict] = {}
    for invoice in invoices:
        assert invoice.id is not None  # a stored invoice
        view: dict = {
            "due": due.get(invoice.id, 0),
            "kind": invoice.kind,
            "terms": invoice.terms_code,
            "terms_text": invoice.terms_text,
            "early_discount_pct": (
                pct_from_db(invoice.discount_pct) if invoice.discount_pct is not None else None
            ),
            "early_discount_until": invoice.discount_until,
            "discounted": _money(session, invoice.discounted),
            "written_off": _money(session, invoice.written_off),
            "prepaid": _money(session, invoice.prepaid),
        }
        if with_schedule:
            rows = instalments.get(invoice.id, [])
            parts = open_parts([row.amount for row in rows], invoice.settled)
            view["schedule"] = [
                {
                    "due_date": row.due_date,
                    "amount": _money(session, row.amount),
                    "open": _money(session, left),
                    "status": "paid" if left == 0 else "overdue" if row.due_date < on else "open",
                }
                for row, left in zip(rows, parts, strict=True)
            ]
        fields[invoice.id] = view
    return fields
