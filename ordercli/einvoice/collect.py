"""The ledger's invoices and credit memos as EN 16931 documents (``domain.einvoice``).

Everything comes from what the document froze when it was issued (rule 4): the
seller's and buyer's snapshots, the lines with their VAT categories, the terms
text, the buyer references. Amounts are the ledger's, to the cent: the VAT
breakdown groups the lines by category and rate and sums their rounded taxes,
which is what the ledger posted (rule 10). EN 16931 computes a category's tax
from its taxable amount (BR-CO-17) and allows the one-unit difference that
per-line rounding can make, so the file states what the customer was charged.

Documents are read in sets (a few queries per 500 documents), so exporting a
batch costs the same per document as exporting one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from ordercli.books.settings import currency, minor_digits
from ordercli.domain.einvoice import (
    COMMERCIAL_INVOICE,
    CREDIT_NOTE,
    PREPAYMENT_INVOICE,
    EInvoice,
    Line,
    Party,
    PaymentMeans,
    VatBreakdown,
)
from ordercli.domain.money import from_minor, pct_from_db, qty_from_db
from ordercli.domain.payment_means import payment_means
from ordercli.domain.vat import EXEMPTIONS
from ordercli.einvoice.parties import buyer_party, current_parties, seller_party
from ordercli.models import (
    BillingAgreement,
    CreditMemo,
    CreditMemoLine,
    Invoice,
    InvoiceLine,
    Product,
    SalesOrder,
    Shipment,
)
from ordercli.views.reads import frozen_parties, grouped, lines_by_parent

PRICE_PLACES = Decimal("0.00000001")
# How a credit note is settled (UNTDID 4461): set against invoices or kept as store
# credit is clearing between the parties (97); a refund goes out by whatever means
# the refund records, which the ledger does not hold as an account (1).
CLEARING = "97"
INSTRUMENT_NOT_DEFINED = "1"
TWO = 2


def _price(net: Decimal, qty: Decimal) -> Decimal:
    """The net price of one unit (BT-146): the line's net over its quantity, to eight
    places, so quantity × price gives the net back within a hundredth of a cent."""
    if not qty:
        return net
    return (net / qty).quantize(PRICE_PLACES).normalize()


def _breakdown(lines: Sequence[Line], taxes: Sequence[int], digits: int, reasons) -> tuple:
    groups: dict[tuple[str, Decimal], list[int]] = defaultdict(lambda: [0, 0])
    for line, tax in zip(lines, taxes, strict=True):
        group = groups[(line.category, line.rate)]
        group[0] += _units(line.net, digits)
        group[1] += tax
    rows = []
    for (category, rate), (taxable, tax) in sorted(groups.items()):
        text, code = reasons.get(category, (None, None))
        rows.append(
            VatBreakdown(
                category=category,
                rate=rate,
                taxable=_money(taxable, digits),
                tax=_money(tax, digits),
                exemption=text,
                exemption_code=code,
            )
        )
    return tuple(rows)


def _money(units: int, digits: int) -> Decimal:
    """An amount as the e-invoice states it: the ledger's, with at most the two decimals
    EN 16931 allows where the third of a three-digit currency is zero (BR-DEC rules;
    ``requirements.inexact_amounts`` refuses the rest)."""
    amount = from_minor(units, digits)
    if digits > TWO and amount == round(amount, TWO):
        return amount.quantize(Decimal(1).scaleb(-TWO))
    return amount


def _units(amount: Decimal, digits: int) -> int:
    return int(amount.scaleb(digits))


def _reasons(rows) -> dict[str, tuple[str | None, str | None]]:
    """The exemption reason of each zero category: the first line's of it (a document
    states one reason per category and rate)."""
    reasons: dict[str, tuple[str | None, str | None]] = {}
    for row in rows:
        if row.vat_category != "S" and row.vat_category not in reasons:
            default = EXEMPTIONS.get(row.vat_category, (None, None))
            if row.vat_exemption or row.vat_exemption_code:
                reasons[row.vat_category] = (row.vat_exemption, row.vat_exemption_code)
            else:
                reasons[row.vat_category] = default
    return reasons


def _delivery_dates(session: Session, order_ids) -> dict[int, date]:
    """The latest shipment date of each order (not reversed) — read once per batch."""
    found: dict[int, date] = {}
    for order_id, rows in grouped(
        session,
        lambda chunk: (
            select(Shipment.order_id, func.max(Shipment.ship_date))
            .where(col(Shipment.order_id).in_(chunk), col(Shipment.status) != "reversed")
            .group_by(col(Shipment.order_id))
        ),
        order_ids,
    ).items():
        if rows and rows[0] is not None:
            found[order_id] = rows[0]
    return found


def _service_products(session: Session, lines_of: dict) -> set[int]:
    """The ids of the service products on these lines (read once per batch)."""
    ids = {row.product_id for rows in lines_of.values() for row in rows if row.product_id}
    if not ids:
        return set()
    found = session.scalars(
        select(col(Product.id)).where(col(Product.id).in_(ids), col(Product.service).is_(True))
    )
    return {product_id for product_id in found if product_id is not None}


def _delivered_by_invoicing(invoice: Invoice, rows, services: set[int], lines) -> date | None:
    """The delivery date of an invoice no shipment dates: its issue date when it bills
    services alone (a service is delivered by being invoiced, rule 12), or when it is
    an intra-community supply, which must state one (BR-IC-11); else none."""
    if rows and all(row.product_id in services for row in rows):
        return invoice.issue_date
    if any(line.category == "K" for line in lines):
        return invoice.issue_date
    return None


def _agreements(session: Session, orders: dict[int, SalesOrder]) -> dict[int, BillingAgreement]:
    ids = {o.billing_agreement_id for o in orders.values() if o.billing_agreement_id}
    if not ids:
        return {}
    rows = session.scalars(select(BillingAgreement).where(col(BillingAgreement.id).in_(ids)))
    return {row.id: row for row in rows if row.id is not None}


def _orders(session: Session, ids) -> dict[int, SalesOrder]:
    found: dict[int, SalesOrder] = {}
    for order_id, rows in grouped(
        session,
        lambda chunk: select(col(SalesOrder.id), SalesOrder).where(col(SalesOrder.id).in_(chunk)),
        ids,
    ).items():
        found[order_id] = rows[0]
    return found


def _not_subject(seller: Party, buyer: Party, lines: Sequence[Line]) -> tuple[Party, Party]:
    """A document of lines not subject to VAT states no VAT id of either party
    (EN 16931 BR-O-02): the seller is known by its register id or tax number."""
    if not any(line.category == "O" for line in lines):
        return seller, buyer
    return replace(seller, vat_id=None), replace(buyer, vat_id=None)


def _lines(rows, digits: int, *, credit: bool) -> tuple[list[Line], list[int]]:
    lines, taxes = [], []
    for row in rows:
        qty = qty_from_db(row.qty)
        net = _money(row.net, digits)
        unit = row.unit
        if credit and not qty:
            # A credit by amount moves no goods: one unit of money back on that line.
            qty, unit = Decimal(1), "C62"
        lines.append(
            Line(
                id=str(row.position),
                name=row.description or row.sku,
                sku=row.sku or None,
                qty=qty,
                unit=unit,
                net_price=_price(net, qty),
                net=net,
                category=row.vat_category,
                rate=pct_from_db(row.tax_rate).normalize(),
            )
        )
        taxes.append(row.tax)
    return lines, taxes


def _as_issued(document, parties: dict, seller_now: dict, buyers_now: dict) -> tuple[dict, dict]:
    """The seller's and buyer's fields of an issued document: what it froze, and what it
    never recorded from today's profile (``current_parties``)."""
    seller = {**seller_now, **parties[document.seller_id]}
    buyer = {**buyers_now.get(document.customer_id, {}), **parties[document.buyer_id]}
    return seller, buyer


def _totals(document, lines: Sequence[Line], taxes: Sequence[int], rows, digits: int) -> dict:
    """The VAT breakdown and document totals (BG-22, BG-23): the ledger's figures."""
    return {
        "vat": _breakdown(lines, taxes, digits, _reasons(rows)),
        "line_total": _money(document.subtotal, digits),
        "tax_exclusive": _money(document.subtotal, digits),
        "tax_total": _money(document.tax, digits),
        "tax_inclusive": _money(document.total, digits),
    }


def collect_invoices(session: Session, invoices: Sequence[Invoice]) -> list[EInvoice]:
    """Each of ``invoices`` as an EN 16931 invoice, in the order given."""
    digits, code = minor_digits(session), currency(session)
    parties = frozen_parties(session, invoices)
    seller_now, buyers_now = current_parties(session, invoices)
    lines_of = lines_by_parent(
        session, InvoiceLine, InvoiceLine.invoice_id, [i.id for i in invoices]
    )
    orders = _orders(session, {i.order_id for i in invoices})
    agreements = _agreements(session, orders)
    shipped = _delivery_dates(session, list(orders))
    services = _service_products(session, lines_of)
    documents = []
    for invoice in invoices:
        rows = lines_of.get(invoice.id, [])
        seller_fields, buyer_fields = _as_issued(invoice, parties, seller_now, buyers_now)
        seller, buyer = seller_party(seller_fields), buyer_party(buyer_fields)
        order = orders[invoice.order_id]
        agreement = agreements.get(order.billing_agreement_id or 0)
        lines, taxes = _lines(rows, digits, credit=False)
        seller, buyer = _not_subject(seller, buyer, lines)
        delivered = shipped.get(invoice.order_id)
        if delivered is not None and delivered > invoice.issue_date:
            delivered = None
        total = _money(invoice.total, digits)
        prepaid = _money(invoice.prepaid, digits)
        documents.append(
            EInvoice(
                number=invoice.number,
                type_code=PREPAYMENT_INVOICE if invoice.kind == "deposit" else COMMERCIAL_INVOICE,
                issue_date=invoice.issue_date,
                currency=code,
                minor_digits=digits,
                seller=seller,
                buyer=buyer,
                lines=tuple(lines),
                **_totals(invoice, lines, taxes, rows, digits),
                prepaid=prepaid,
                payable=total - prepaid,
                due_date=invoice.due_date,
                buyer_reference=invoice.buyer_reference or buyer_fields.get("buyer_reference"),
                purchase_order=invoice.purchase_order,
                sales_order=order.number,
                payment_terms=invoice.terms_text or f"Due {invoice.due_date.isoformat()}",
                payment_means=payment_means(seller_fields, agreement, code, invoice.number),
                delivery_date=delivered or _delivered_by_invoicing(invoice, rows, services, lines),
                delivery_address=buyer.address if buyer.address.country else None,
            )
        )
    return documents


def collect_credit_memos(session: Session, memos: Sequence[CreditMemo]) -> list[EInvoice]:
    """Each of ``memos`` as an EN 16931 credit note citing its invoice, in the order given."""
    digits, code = minor_digits(session), currency(session)
    parties = frozen_parties(session, memos)
    seller_now, buyers_now = current_parties(session, memos)
    lines_of = lines_by_parent(
        session, CreditMemoLine, CreditMemoLine.credit_memo_id, [m.id for m in memos]
    )
    invoice_ids = {m.invoice_id for m in memos}
    invoices = {
        row.id: row
        for row in session.scalars(select(Invoice).where(col(Invoice.id).in_(invoice_ids)))
    }
    categories = _invoice_line_categories(session, lines_of)
    orders = _orders(session, {m.order_id for m in memos})
    shipped = _delivery_dates(session, list(orders))
    documents = []
    for memo in memos:
        invoice = invoices[memo.invoice_id]
        rows = [categories[row.invoice_line_id].with_row(row) for row in lines_of.get(memo.id, [])]
        seller_fields, buyer_fields = _as_issued(memo, parties, seller_now, buyers_now)
        seller, buyer = seller_party(seller_fields), buyer_party(buyer_fields)
        lines, taxes = _lines(rows, digits, credit=True)
        seller, buyer = _not_subject(seller, buyer, lines)
        total = _money(memo.total, digits)
        documents.append(
            EInvoice(
                number=memo.number,
                type_code=CREDIT_NOTE,
                issue_date=memo.issue_date,
                currency=code,
                minor_digits=digits,
                seller=seller,
                buyer=buyer,
                lines=tuple(lines),
                **_totals(memo, lines, taxes, rows, digits),
                prepaid=Decimal(0),
                payable=total,
                buyer_reference=invoice.buyer_reference or buyer_fields.get("buyer_reference"),
                purchase_order=invoice.purchase_order,
                sales_order=orders[memo.order_id].number,
                preceding_invoice=invoice.number,
                preceding_issue_date=invoice.issue_date,
                payment_terms=_settlement_text(memo, invoice.number, digits),
                notes=(memo.reason,) if memo.reason else (),
                payment_means=PaymentMeans(
                    code=INSTRUMENT_NOT_DEFINED if memo.settlement == "refund" else CLEARING,
                    remittance=memo.number,
                ),
                delivery_address=buyer.address if buyer.address.country else None,
                delivery_date=_credited_delivery(invoice, shipped.get(memo.order_id), lines),
            )
        )
    return documents


def _credited_delivery(invoice: Invoice, shipped: date | None, lines) -> date | None:
    """The delivery a credit note corrects: its invoice's goods' latest shipment by the
    invoice date, else the invoice date for an intra-community supply (BR-IC-11)."""
    if shipped is not None and shipped <= invoice.issue_date:
        return shipped
    return invoice.issue_date if any(line.category == "K" for line in lines) else None


def _settlement_text(memo: CreditMemo, invoice: str, digits: int) -> str:
    """How the credit is settled (BT-20): set against the invoice, refunded or kept."""
    parts = []
    if memo.applied:
        parts.append(f"{_money(memo.applied, digits)} set against {invoice}")
    if memo.released:
        released = _money(memo.released, digits)
        parts.append(
            f"{released} refunded to you"
            if memo.settlement == "refund"
            else f"{released} kept as credit on your account"
        )
    return "; ".join(parts) or f"Credit on {invoice}"


class _Category:
    """An invoice line's VAT category, lent to the credit memo lines that credit it."""

    def __init__(self, category: str, exemption: str | None, code: str | None) -> None:
        self.vat_category, self.vat_exemption, self.vat_exemption_code = category, exemption, code

    def with_row(self, row: CreditMemoLine) -> _CreditRow:
        return _CreditRow(row, self)


class _CreditRow:
    def __init__(self, row: CreditMemoLine, category: _Category) -> None:
        self.position, self.sku, self.description = row.position, row.sku, row.description
        self.qty, self.unit, self.net, self.tax = row.qty, row.unit, row.net, row.tax
        self.tax_rate = row.tax_rate
        self.vat_category = category.vat_category
        self.vat_exemption = category.vat_exemption
        self.vat_exemption_code = category.vat_exemption_code


def _invoice_line_categories(session: Session, lines_of: dict) -> dict[int, _Category]:
    ids = {row.invoice_line_id for rows in lines_of.values() for row in rows}
    return {
        line_id: _Category(rows[0].vat_category, rows[0].vat_exemption, rows[0].vat_exemption_code)
        for line_id, rows in grouped(
            session,
            lambda chunk: select(col(InvoiceLine.id), InvoiceLine).where(
                col(InvoiceLine.id).in_(chunk)
            ),
            ids,
        ).items()
    }
