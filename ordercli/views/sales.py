"""Quotes, orders, invoices and shipments as ``--json`` shows them (SPEC "JSON shapes").

Values are ``Decimal`` (money already at the currency's minor digits,
quantities normalised), ``date``/``datetime`` or plain types; the CLI renders
them as JSON or tables without doing any arithmetic of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ordercli.books.settings import amount_of as _money
from ordercli.books.settings import currency
from ordercli.domain.money import pct_from_db, qty_from_db
from ordercli.domain.states import ShipmentStatus, fulfilled_qty
from ordercli.models import (
    Allocation,
    BillingAgreement,
    CreditMemo,
    Invoice,
    InvoiceLine,
    OrderLine,
    Payment,
    Product,
    Quote,
    QuoteLine,
    Rma,
    SalesOrder,
    Shipment,
    ShipmentLine,
    ShipmentReversal,
    Warehouse,
)
from ordercli.services.inventory.catalog import service_ids
from ordercli.services.sales import invoicing, ordering, quoting

if TYPE_CHECKING:
    pass
from ordercli.views.deposits import invoice_deposit_fields, order_deposits
from ordercli.views.pricing import before_discount, discount_fields, price_list_names, sourced
from ordercli.views.reads import (
    customer_code,
    customer_codes,
    frozen_parties,
    grouped,
    lines_by_parent,
    numbers_by_id,
    sku_map,
)
from ordercli.views.schedules import schedule_fields
from ordercli.views.terms import terms_names


def _priced_line(session: Session, line, sku: str, *, gross: bool = False) -> dict:
    view = {
        "line": line.position,
        "sku": sku,
        "description": line.description,
        "qty": qty_from_db(line.qty),
        "unit": line.unit,
        "unit_price": _money(session, line.unit_price),
        "discount_pct": pct_from_db(line.discount),
        "tax_rate": pct_from_db(line.tax_rate),
        "net": _money(session, line.net),
        "tax": _money(session, line.tax),
        "total": _money(session, line.net + line.tax),
        # Its share of the document discount, already off its net (or gross) amount.
        "doc_discount": _money(session, line.doc_discount),
    }
    if gross:
        # Rule 19: the amount the customer reads on a document whose prices include tax.
        view["gross"] = _money(session, line.net + line.tax)
    return view


def quote_view(session: Session, quote: Quote, *, with_lines: bool = True) -> dict:
    view: dict[str, object] = {
        "number": quote.number,
        "customer": customer_code(session, quote.customer_id),
        "status": quoting.quote_status(quote).value,
        "issue_date": quote.issue_date,
        "valid_until": quote.valid_until,
        "subtotal": _money(session, quote.subtotal),
        "tax": _money(session, quote.tax),
        "total": _money(session, quote.total),
    }
    order = session.exec(select(SalesOrder.number).where(SalesOrder.quote_id == quote.id)).first()
    view["order"] = order
    # Revisions and copies by number: what it replaces, what replaced it, where it came from.
    earlier = quoting.previous_revision(session=session, quote=quote)
    later = quoting.next_revision(session=session, quote=quote)
    copied = None if quote.copied_from_id is None else session.get(Quote, quote.copied_from_id)
    view.update(
        revision=quote.revision,
        revision_of=earlier.number if earlier else None,
        revised_by=later.number if later else None,
        copied_from=copied.number if copied else None,
    )
    gross = quote.prices_include_tax
    if with_lines:
        lines = quoting.quote_lines(session=session, quote=quote)
        before = sum(before_discount(ln, gross) for ln in lines)
        discount = sum(ln.doc_discount for ln in lines)
    else:
        # A list without lines still says what the discount came to, in one query.
        before, discount = session.exec(
            select(
                func.coalesce(
                    func.sum(
                        col(QuoteLine.net)
                        + col(QuoteLine.doc_discount)
                        + (col(QuoteLine.tax) if gross else 0)
                    ),
                    0,
                ),
                func.coalesce(func.sum(col(QuoteLine.doc_discount)), 0),
            ).where(QuoteLine.quote_id == quote.id)
        ).one()
    view.update(discount_fields(session, quote, int(before), int(discount)))
    if with_lines:
        skus = sku_map(session, (ln.product_id for ln in lines))
        names = price_list_names(session, lines)
        view["lines"] = [
            sourced(_priced_line(session, ln, skus[ln.product_id], gross=gross), ln, names)
            for ln in lines
        ]
        chain = quoting.revision_chain(session=session, quote=quote)
        view["revisions"] = [q.number for q in chain]
        so_far = [q.id for q in chain].index(quote.id) + 1
        # The thread so far: notes stay on the revision they were written on, and a
        # revision shows those of the ones before it too, each with its quote's number.
        view["notes"] = [
            {
                "at": note.at,
                "author": note.author,
                "user": note.os_user,
                "text": note.text,
                "customer_visible": note.customer_visible,
                "quote": q.number,
            }
            for q in chain[:so_far]
            for note in quoting.quote_notes(session=session, quote=q)
        ]
    return view


def order_line_view(
    session: Session,
    line: OrderLine,
    sku: str,
    service: bool,
    *,
    gross: bool = False,
    list_names: dict[int | None, str] | None = None,
) -> dict:
    view = sourced(_priced_line(session, line, sku, gross=gross), line, list_names or {})
    view.update(
        {
            "qty_invoiced": qty_from_db(line.qty_invoiced),
            "qty_shipped": qty_from_db(line.qty_shipped),
            # Goods reach the customer by shipping, a service by invoicing it (rule 12).
            "qty_fulfilled": qty_from_db(fulfilled_qty(line, service=service)),
            "qty_credited": qty_from_db(line.qty_credited),
            # Of what was credited (rule 14): billed in error, open to invoice again, and
            # not to be delivered, off the order for good.
            "qty_reopened": qty_from_db(line.qty_reopened),
            "qty_cancelled": qty_from_db(line.qty_cancelled),
            # Short-closed (``order close``): will be neither shipped nor invoiced.
            "qty_closed": qty_from_db(line.qty_closed),
            "qty_returned": qty_from_db(line.qty_returned),
            "qty_replaced": qty_from_db(line.qty_replaced),
            "qty_backordered": qty_from_db(line.qty_backordered),
            "backordered": line.qty_backordered > 0,
            "service": service,
        }
    )
    return view


def order_views(
    session: Session, orders: list[SalesOrder], *, with_lines: bool = True
) -> list[dict]:
    """Views of many orders with a handful of queries, however many orders there are."""
    ids = [order.id for order in orders]
    lines_of = lines_by_parent(session, OrderLine, OrderLine.order_id, ids)
    codes = customer_codes(session, (order.customer_id for order in orders))
    quotes = numbers_by_id(session, Quote, (order.quote_id for order in orders))
    agreements = numbers_by_id(
        session, BillingAgreement, (order.billing_agreement_id for order in orders)
    )
    # The order's own payment terms (rule 20), instead of the customer's.
    templates = terms_names(session, (order.terms_id for order in orders))
    services = service_ids(session, (ln.product_id for lines in lines_of.values() for ln in lines))
    if with_lines:
        list_names = price_list_names(session, (ln for lines in lines_of.values() for ln in lines))
        product_ids = {ln.product_id for lines in lines_of.values() for ln in lines}
        products = {
            p.id: p
            for rows in grouped(
                session,
                lambda chunk: select(Product.id, Product).where(col(Product.id).in_(chunk)),
                product_ids,
            ).values()
            for p in rows
        }
        invoices = grouped(
            session,
            lambda chunk: (
                select(Invoice.order_id, Invoice.number)
                .where(col(Invoice.order_id).in_(chunk))
                .order_by(col(Invoice.id))
            ),
            ids,
        )
        shipments = grouped(
            session,
            lambda chunk: (
                select(Shipment.order_id, Shipment.number)
                .where(col(Shipment.order_id).in_(chunk))
                .order_by(col(Shipment.id))
            ),
            ids,
        )
        memos = grouped(
            session,
            lambda chunk: (
                select(CreditMemo.order_id, CreditMemo.number)
                .where(col(CreditMemo.order_id).in_(chunk))
                .order_by(col(CreditMemo.id))
            ),
            ids,
        )
        returns = grouped(
            session,
            lambda chunk: (
                select(Rma.order_id, Rma.number)
                .where(col(Rma.order_id).in_(chunk))
                .order_by(col(Rma.id))
            ),
            ids,
        )
        deposits = order_deposits(session, ids)  # views/deposits.py (rule 20)
    documents = []
    for order in orders:
        lines = lines_of.get(order.id, [])
        view: dict[str, object] = {
            "number": order.number,
            "customer": codes[order.customer_id],
            "status": order.status,
            "billing_status": ordering.billing_status(lines).value,
            "fulfilment_status": ordering.fulfilment_status(lines, services).value,
            "quote": quotes.get(order.quote_id),
            "order_ref": order.order_ref,
            "billing_agreement": agreements.get(order.billing_agreement_id),
            "terms": templates.get(order.terms_id or 0, (None, None))[0],
            "terms_text": templates.get(order.terms_id or 0, (None, None))[1],
            # The buyer's references its invoices quote (rule 21); null: none of its own.
            "buyer_reference": order.buyer_reference,
            "purchase_order": order.purchase_order,
            "order_date": order.order_date,
            "hold_reason": order.hold_reason,
            # Why the rest was short-closed (``order close``); null unless it was.
            "close_reason": order.close_reason,
            "subtotal": _money(session, order.subtotal),
            "tax": _money(session, order.tax),
            "total": _money(session, order.total),
        }
        gross = order.prices_include_tax
        view.update(
            discount_fields(
                session,
                order,
                sum(before_discount(ln, gross) for ln in lines),
                sum(ln.doc_discount for ln in lines),
            )
        )
        if with_lines:
            view["lines"] = [
                order_line_view(
                    session,
                    ln,
                    products[ln.product_id].sku,
                    products[ln.product_id].service,
                    gross=gross,
                    list_names=list_names,
                )
                for ln in lines
            ]
            view["invoices"] = invoices.get(order.id, [])
            view["shipments"] = shipments.get(order.id, [])
            view["credit_memos"] = memos.get(order.id, [])
            view["returns"] = returns.get(order.id, [])
            view["deposits"] = deposits.get(order.id, []) if order.id is not None else []
        documents.append(view)
    return documents


def order_view(session: Session, order: SalesOrder, *, with_lines: bool = True) -> dict:
    return order_views(session, [order], with_lines=with_lines)[0]


def invoice_views(
    session: Session, invoices: list[Invoice], *, with_lines: bool = True
) -> list[dict]:
    ids = [invoice.id for invoice in invoices]
    orders = numbers_by_id(session, SalesOrder, (invoice.order_id for invoice in invoices))
    codes = customer_codes(session, (invoice.customer_id for invoice in invoices))
    parties = frozen_parties(session, invoices)
    # Taken back whole by ``invoice cancel``: the cancelling memo's number.
    cancelled_by = {
        invoice_id: numbers[0]
        for invoice_id, numbers in grouped(
            session,
            lambda chunk: select(CreditMemo.invoice_id, CreditMemo.number).where(
                col(CreditMemo.invoice_id).in_(chunk), col(CreditMemo.cancels_invoice)
            ),
            ids,
        ).items()
    }
    # The document discount the lines took (rule 19), whether or not they are shown.
    discounts = {
        invoice_id: amounts[0]
        for invoice_id, amounts in grouped(
            session,
            lambda chunk: (
                select(InvoiceLine.invoice_id, func.sum(col(InvoiceLine.doc_discount)))
                .where(col(InvoiceLine.invoice_id).in_(chunk))
                .group_by(col(InvoiceLine.invoice_id))
            ),
            ids,
        ).items()
    }
    if with_lines:
        lines_of = lines_by_parent(session, InvoiceLine, InvoiceLine.invoice_id, ids)
        memos = grouped(
            session,
            lambda chunk: (
                select(CreditMemo.invoice_id, CreditMemo.number)
                .where(col(CreditMemo.invoice_id).in_(chunk))
                .order_by(col(CreditMemo.id))
            ),
            ids,
        )
        payments = grouped(
            session,
            lambda chunk: (
                select(Allocation.invoice_id, Payment.number)
                .join(Payment, col(Payment.id) == col(Allocation.payment_id))
                # The payments that pay it now, not those taken off it again.
                .where(col(Allocation.invoice_id).in_(chunk), col(Allocation.released_on).is_(None))
                .order_by(col(Allocation.id))
            ),
            ids,
        )
    code = currency(session)
    terms = schedule_fields(session, invoices, with_schedule=with_lines)
    deposit_fields = invoice_deposit_fields(session, invoices)  # views/deposits.py (rule 20)
    documents = []
    for invoice in invoices:
        assert invoice.id is not None  # a stored invoice
        settlement = terms[invoice.id]
        status = invoicing.status_of(
            invoice, cancelled=invoice.id in cancelled_by, due=settlement.pop("due")
        )
        view: dict[str, object] = {
            "number": invoice.number,
            "order": orders[invoice.order_id],
            "customer": codes[invoice.customer_id],
            "status": status.value,
            "cancelled_by": cancelled_by.get(invoice.id),
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "currency": code,
            "subtotal": _money(session, invoice.subtotal),
            "tax": _money(session, invoice.tax),
            "total": _money(session, invoice.total),
            "paid": _money(session, invoice.paid),
            "credited": _money(session, invoice.credited),
            "balance": _money(session, invoice.balance),
            "seller": dict(parties[invoice.seller_id]),
            "buyer": dict(parties[invoice.buyer_id]),
            "prices_include_tax": invoice.prices_include_tax,
            "discount": _money(session, int(discounts.get(invoice.id) or 0)),
            "buyer_reference": invoice.buyer_reference,
            "purchase_order": invoice.purchase_order,
            **settlement,
            **deposit_fields[invoice.id],
        }
        if with_lines:
            view["lines"] = [
                {
                    **_priced_line(session, ln, ln.sku, gross=invoice.prices_include_tax),
                    "qty_credited": qty_from_db(ln.qty_credited),
                    "net_credited": _money(session, ln.net_credited),
                    "tax_credited": _money(session, ln.tax_credited),
                    "vat_category": ln.vat_category,
                    "vat_exemption": ln.vat_exemption_code or ln.vat_exemption,
                }
                for ln in lines_of.get(invoice.id, [])
            ]
            view["payments"] = list(dict.fromkeys(payments.get(invoice.id, [])))
            view["credit_memos"] = memos.get(invoice.id, [])
        documents.append(view)
    return documents


def invoice_view(session: Session, invoice: Invoice, *, with_lines: bool = True) -> dict:
    return invoice_views(session, [invoice], with_lines=with_lines)[0]


def shipment_views(
    session: Session, shipments: list[Shipment], *, with_lines: bool = True
) -> list[dict]:
    ids = [shipment.id for shipment in shipments]
    orders = numbers_by_id(session, SalesOrder, (s.order_id for s in shipments))
    codes = customer_codes(session, (s.customer_id for s in shipments))
    parties = frozen_parties(session, shipments)
    if with_lines:
        lines_of = lines_by_parent(session, ShipmentLine, ShipmentLine.shipment_id, ids)

    places: dict[int | None, str] = dict(
        session.execute(sa_select(col(Warehouse.id), col(Warehouse.code))).all()
    )
    # Rule 12: a shipment recorded in error names the reversal that took it back.
    reversals = {
        r.shipment_id: {"number": r.number, "date": r.reversal_date, "reason": r.reason}
        for rows in grouped(
            session,
            lambda chunk: select(ShipmentReversal.shipment_id, ShipmentReversal).where(
                col(ShipmentReversal.shipment_id).in_(chunk)
            ),
            [s.id for s in shipments if s.status == ShipmentStatus.REVERSED],
        ).values()
        for r in rows
    }
    documents = []
    for shipment in shipments:
        view: dict[str, object] = {
            "number": shipment.number,
            "order": orders[shipment.order_id],
            "customer": codes[shipment.customer_id],
            "status": shipment.status,
            "warehouse": places.get(shipment.warehouse_id),
            "carrier": shipment.carrier,
            "tracking": shipment.tracking,
            "ship_date": shipment.ship_date,
            "delivered_at": shipment.delivered_at,
            "reversed_by": reversals.get(shipment.id),
            "seller": dict(parties[shipment.seller_id]),
            "buyer": dict(parties[shipment.buyer_id]),
        }
        if with_lines:
            view["lines"] = [goods_line_view(ln) for ln in lines_of.get(shipment.id, [])]
        documents.append(view)
    return documents


def goods_line_view(line) -> dict:
    """A line of goods without prices: of a shipment or a return."""
    return {
        "line": line.position,
        "sku": line.sku,
        "description": line.description,
        "qty": qty_from_db(line.qty),
        "unit": line.unit,
    }


def shipment_view(session: Session, shipment: Shipment, *, with_lines: bool = True) -> dict:
    return shipment_views(session, [shipment], with_lines=with_lines)[0]
