"""Plain dicts of ledger records, with SPEC's JSON keys.

Values are ``Decimal`` (money already at the currency's minor digits,
quantities normalised), ``date``/``datetime`` or plain types; the CLI renders
them as JSON or tables without doing any arithmetic of its own.
"""

from __future__ import annotations

from sqlmodel import Session, select

from ordercli.domain.money import from_minor, pct_from_db, qty_from_db
from ordercli.models import (
    Customer,
    Invoice,
    OrderLine,
    Product,
    Quote,
    SalesOrder,
    Shipment,
)
from ordercli.services import fulfilment, invoicing, ordering, quoting
from ordercli.services.customers import customer_balance
from ordercli.services.settings import currency, minor_digits


def _money(session: Session, units: int):
    return from_minor(units, minor_digits(session))


def customer_view(session: Session, customer: Customer, as_of=None) -> dict:
    limit = customer.credit_limit
    return {
        "code": customer.code,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "billing_address": customer.billing_address,
        "shipping_address": customer.shipping_address,
        "tax_id": customer.tax_id,
        "terms_days": customer.terms_days,
        "credit_limit": None if limit is None else _money(session, limit),
        "balance": customer_balance(session=session, customer_id=customer.id, as_of=as_of),
        "active": customer.active,
    }


def customer_detail(session: Session, customer: Customer, as_of=None) -> dict:
    view = customer_view(session, customer, as_of)
    if as_of is not None:
        view["as_of"] = as_of
    view["exposure"] = ordering.credit_exposure(session=session, customer=customer)
    view["currency"] = currency(session)
    return view


def product_view(session: Session, product: Product) -> dict:
    return {
        "sku": product.sku,
        "name": product.name,
        "unit_price": _money(session, product.unit_price),
        "tax_rate": pct_from_db(product.tax_rate),
        "service": product.service,
        "on_hand": qty_from_db(product.on_hand),
        "reserved": qty_from_db(product.reserved),
        "available": qty_from_db(product.on_hand - product.reserved),
        "active": product.active,
    }


def _sku_map(session: Session, product_ids) -> dict[int, str]:
    ids = set(product_ids)
    if not ids:
        return {}
    rows = session.exec(select(Product.id, Product.sku).where(Product.id.in_(ids)))
    return dict(rows.all())


def _priced_line(session: Session, line, sku: str) -> dict:
    return {
        "line": line.position,
        "sku": sku,
        "description": line.description,
        "qty": qty_from_db(line.qty),
        "unit_price": _money(session, line.unit_price),
        "discount_pct": pct_from_db(line.discount),
        "tax_rate": pct_from_db(line.tax_rate),
        "net": _money(session, line.net),
        "tax": _money(session, line.tax),
        "total": _money(session, line.net + line.tax),
    }


def _customer_code(session: Session, customer_id: int) -> str:
    return session.get(Customer, customer_id).code


def quote_view(session: Session, quote: Quote, *, with_lines: bool = True) -> dict:
    view = {
        "number": quote.number,
        "customer": _customer_code(session, quote.customer_id),
        "status": quoting.quote_status(quote).value,
        "issue_date": quote.issue_date,
        "valid_until": quote.valid_until,
        "subtotal": _money(session, quote.subtotal),
        "tax": _money(session, quote.tax),
        "total": _money(session, quote.total),
    }
    order = session.exec(select(SalesOrder.number).where(SalesOrder.quote_id == quote.id)).first()
    view["order"] = order
    if with_lines:
        lines = quoting.quote_lines(session=session, quote=quote)
        skus = _sku_map(session, (ln.product_id for ln in lines))
        view["lines"] = [_priced_line(session, ln, skus[ln.product_id]) for ln in lines]
        view["notes"] = [
            {"at": note.at, "author": note.author, "user": note.os_user, "text": note.text}
            for note in quoting.quote_notes(session=session, quote=quote)
        ]
    return view


def order_line_view(session: Session, line: OrderLine, sku: str, service: bool) -> dict:
    view = _priced_line(session, line, sku)
    view.update(
        {
            "qty_invoiced": qty_from_db(line.qty_invoiced),
            "qty_shipped": qty_from_db(line.qty_shipped),
            "qty_credited": qty_from_db(line.qty_credited),
            "qty_returned": qty_from_db(line.qty_returned),
            "qty_backordered": qty_from_db(line.qty_backordered),
            "backordered": line.qty_backordered > 0,
            "service": service,
        }
    )
    return view


def order_view(session: Session, order: SalesOrder, *, with_lines: bool = True) -> dict:
    lines = ordering.order_lines(session=session, order=order)
    quote_number = None
    if order.quote_id is not None:
        quote_number = session.get(Quote, order.quote_id).number
    view = {
        "number": order.number,
        "customer": _customer_code(session, order.customer_id),
        "status": order.status,
        "billing_status": ordering.billing_status(lines).value,
        "fulfilment_status": ordering.fulfilment_status(lines).value,
        "quote": quote_number,
        "order_date": order.order_date,
        "hold_reason": order.hold_reason,
        "subtotal": _money(session, order.subtotal),
        "tax": _money(session, order.tax),
        "total": _money(session, order.total),
    }
    if with_lines:
        products = {
            p.id: p
            for p in session.exec(
                select(Product).where(Product.id.in_({ln.product_id for ln in lines}))
            )
        }
        view["lines"] = [
            order_line_view(
                session, ln, products[ln.product_id].sku, products[ln.product_id].service
            )
            for ln in lines
        ]
        view["invoices"] = [
            i.number for i in invoicing.invoices_of_order(session=session, order=order)
        ]
        view["shipments"] = [
            s.number for s in fulfilment.shipments_of_order(session=session, order=order)
        ]
    return view


def invoice_view(session: Session, invoice: Invoice, *, with_lines: bool = True) -> dict:
    view = {
        "number": invoice.number,
        "order": session.get(SalesOrder, invoice.order_id).number,
        "customer": _customer_code(session, invoice.customer_id),
        "status": invoicing.status_of(invoice).value,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "currency": currency(session),
        "subtotal": _money(session, invoice.subtotal),
        "tax": _money(session, invoice.tax),
        "total": _money(session, invoice.total),
        "paid": _money(session, invoice.paid),
        "credited": _money(session, invoice.credited),
        "balance": _money(session, invoice.total - invoice.paid - invoice.credited),
    }
    if with_lines:
        view["lines"] = [
            _priced_line(session, ln, ln.sku)
            for ln in invoicing.invoice_lines(session=session, invoice=invoice)
        ]
    return view


def shipment_view(session: Session, shipment: Shipment, *, with_lines: bool = True) -> dict:
    view = {
        "number": shipment.number,
        "order": session.get(SalesOrder, shipment.order_id).number,
        "customer": _customer_code(session, shipment.customer_id),
        "status": shipment.status,
        "carrier": shipment.carrier,
        "tracking": shipment.tracking,
        "ship_date": shipment.ship_date,
        "delivered_at": shipment.delivered_at,
    }
    if with_lines:
        view["lines"] = [
            {
                "line": ln.position,
                "sku": ln.sku,
                "description": ln.description,
                "qty": qty_from_db(ln.qty),
            }
            for ln in fulfilment.shipment_lines(session=session, shipment=shipment)
        ]
    return view


def event_view(event) -> dict:
    return {
        "at": event.at,
        "user": event.os_user,
        "subject": event.subject_number,
        "kind": event.subject_kind,
        "action": event.action,
        "message": event.message,
    }


def stock_move_view(move) -> dict:
    return {
        "at": move.at,
        "kind": move.kind,
        "qty": qty_from_db(move.qty),
        "reference": move.reference,
    }
