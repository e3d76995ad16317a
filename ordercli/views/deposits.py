"""Deposits (down payments) as order and invoice views show them (SPEC rule 20).

An order lists its deposit invoices with what each asked for, what was paid on it
and what of that later invoices deducted; an invoice lists the deposits deducted
from it (its ``prepaid``) and, for a deposit invoice, what was deducted of it.
A fixed number of queries however many orders or invoices.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from ordercli.books.settings import amount_of as _money
from ordercli.models import Invoice
from ordercli.services.sales.deposit_deductions import deductions, deposits_of


def order_deposits(session: Session, order_ids: Iterable[int | None]) -> dict[int, list[dict]]:
    """Per order id: ``[{invoice, amount, paid, deducted, credited, cancelled}]``, oldest
    first (only orders that have deposits)."""
    found = deposits_of(session, (id_ for id_ in order_ids if id_ is not None))
    return {
        order_id: [
            {
                "invoice": deposit.number,
                "amount": _money(session, deposit.total),
                "paid": _money(session, deposit.paid),
                "deducted": _money(session, deposit.deducted),
                "credited": _money(session, deposit.credited),
                "cancelled": deposit.cancelled,
            }
            for deposit in deposits
        ]
        for order_id, deposits in found.items()
    }


def invoice_deposit_fields(session: Session, invoices: list[Invoice]) -> dict[int | None, dict]:
    """Per invoice id: ``deposits_deducted`` (the deposits it deducted: number of the
    deduction, deposit invoice, amount, net, tax) and, on a deposit invoice,
    ``deducted_on`` (the invoices it was deducted from, with the amounts)."""
    ids = [invoice.id for invoice in invoices if invoice.id is not None]
    deposit_ids = [i.id for i in invoices if i.id is not None and i.kind == "deposit"]
    rows = deductions(session, invoice_ids=ids, deposit_ids=deposit_ids)
    fields: dict[int | None, dict] = {id_: {"deposits_deducted": []} for id_ in ids}
    for id_ in deposit_ids:
        fields[id_]["deducted_on"] = []
    for row in rows:
        if row.invoice_id in fields:
            fields[row.invoice_id]["deposits_deducted"].append(
                {
                    "number": row.number,
                    "deposit_invoice": row.deposit,
                    "date": row.on,
                    "amount": _money(session, row.amount),
                    "net": _money(session, row.net),
                    "tax": _money(session, row.tax),
                }
            )
        if row.deposit_id in fields and "deducted_on" in fields[row.deposit_id]:
            fields[row.deposit_id]["deducted_on"].append(
                {
                    "number": row.number,
                    "invoice": row.invoice,
                    "date": row.on,
                    "amount": _money(session, row.amount),
                }
            )
    return fields
