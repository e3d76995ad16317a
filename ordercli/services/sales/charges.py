"""Charge invoices: dunning fees and interest as their own invoices (SPEC rule 20).

A charge invoice is an invoice like any other (``Invoice.kind = 'charge'``): it
takes the next number of the invoice series and is sealed into the invoice hash
chain (``books/integrity.py``), keeps both parties as issued
(``services/parties/snapshots.py``), has a schedule from its customer's terms,
posts receivable against the dunning fees account and records an ``issued``
event in its order's timeline. Its lines are no order line's portion
(``order_line_id`` and ``product_id`` are NULL): one line per charge, quantity
1, no tax (fees and default interest are damages, not a supply). It belongs to
the order of the oldest overdue invoice it charges for, which is where a
customer's history shows it; the order's own invoiced quantities do not change.

``issue_charges`` issues them through ``issuing.issue_unlinked_batch``, as deposits are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from ordercli.domain.money import QTY_SCALE
from ordercli.models import SalesOrder
from ordercli.services.sales.issuing import issue_unlinked_batch

FEE_SKU = "DUNNING-FEE"
INTEREST_SKU = "INTEREST"
UNIT = "C62"  # a piece: one fee, one interest charge


@dataclass(frozen=True)
class ChargeLine:
    sku: str
    description: str
    amount: int  # minor units, above zero


@dataclass
class Charge:
    """One charge invoice to issue."""

    customer_id: int
    customer_code: str
    order_id: int
    order_number: str
    order_date: date
    terms_days: int
    lines: list[ChargeLine]
    reason: str  # what it charges for, in its event: "dunning notice DN-00001"


@dataclass(frozen=True)
class Issued:
    invoice_id: int
    number: str
    total: int
    due_date: date


def _line_rows(charge: Charge) -> list[dict]:
    return [
        {
            "position": position,
            "order_line_id": None,
            "product_id": None,
            "sku": line.sku,
            "description": line.description,
            "unit": UNIT,
            "qty": QTY_SCALE,
            "unit_price": line.amount,
            "discount": 0,
            "tax_rate": 0,
            "net": line.amount,
            "tax": 0,
            "doc_discount": 0,
        }
        for position, line in enumerate(charge.lines, start=1)
    ]


def issue_charges(*, session: Session, charges: list[Charge], on: date) -> list[Issued]:
    """Issue a charge invoice dated ``on`` for each of ``charges`` (in that order), in
    one ``issuing.issue_unlinked_batch``, the way every invoice without order lines is
    numbered, sealed, scheduled and posted."""
    charges = [charge for charge in charges if charge.lines]
    if any(line.amount <= 0 for charge in charges for line in charge.lines):
        raise ValueError("a charge line is above zero")
    if not charges:
        return []
    invoices = issue_unlinked_batch(
        session=session,
        documents=[
            (session.get_one(SalesOrder, charge.order_id), _line_rows(charge)) for charge in charges
        ],
        kind="charge",
        credit_role="dunning_fees",
        issue_date=on,
    )
    issued = []
    for invoice in invoices:
        assert invoice.id is not None  # just written
        issued.append(Issued(invoice.id, invoice.number, invoice.total, invoice.due_date))
    return issued
