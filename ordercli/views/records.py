"""Plain dicts of ledger records, with SPEC's JSON keys.

Values are ``Decimal`` (money already at the currency's minor digits,
quantities normalised), ``date``/``datetime`` or plain types; the CLI renders
them as JSON or tables without doing any arithmetic of its own.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ordercli.books.journal import customer_positions
from ordercli.books.settings import amount_of as _money
from ordercli.books.settings import currency, minor_digits
from ordercli.domain.money import from_minor, pct_from_db, qty_from_db
from ordercli.models import (
    Allocation,
    BillingAgreement,
    CreditMemo,
    Customer,
    Invoice,
    InvoiceLine,
    OrderLine,
    Payment,
    Product,
    Quote,
    Rma,
    SalesOrder,
    Shipment,
    ShipmentLine,
    Warehouse,
)
from ordercli.services.inventory.warehouses import stock_by_warehouse
from ordercli.services.sales import invoicing, ordering, quoting

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from sqlmodel.sql.expression import Select

K = TypeVar("K")  # the ids a grouped query is keyed by


def customer_views(session: Session, customers: list[Customer], as_of=None) -> list[dict]:
    """Views of many customers; their balances come from one grouped journal query."""

    positions = customer_positions(
        session=session, customer_ids=[c.id for c in customers if c.id is not None], as_of=as_of
    )
    digits = minor_digits(session)
    views = []
    for customer in customers:
        assert customer.id is not None  # a stored customer
        receivable, credit = positions.get(customer.id, (0, 0))
        views.append(
            _customer_fields(
                session,
                customer,
                {
                    "balance": from_minor(receivable - credit, digits),
                    "open_invoices": from_minor(receivable, digits),
                    "unapplied_credit": from_minor(credit, digits),
                },
            )
        )
    return views


def customer_view(session: Session, customer: Customer, as_of=None) -> dict:
    return customer_views(session, [customer], as_of)[0]


def _customer_fields(session: Session, customer: Customer, position: dict) -> dict:
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
        "balance": position["balance"],
        "open_invoices": position["open_invoices"],
        "unapplied_credit": position["unapplied_credit"],
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
        "location": product.location,
        "active": product.active,
    }


def _sku_map(session: Session, product_ids) -> dict[int, str]:
    ids = set(product_ids)
    if not ids:
        return {}
    rows = session.exec(select(Product.id, Product.sku).where(col(Product.id).in_(ids)))
    # Product.id is the primary key: never NULL in a row
    return dict(cast("Sequence[tuple[int, str]]", rows.all()))


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
    customer = session.get(Customer, customer_id)
    assert customer is not None  # customer_id is a NOT NULL foreign key to it
    return customer.code


def quote_view(session: Session, quote: Quote, *, with_lines: bool = True) -> dict:
    view: dict[str, object] = {
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
            "qty_replaced": qty_from_db(line.qty_replaced),
            "qty_backordered": qty_from_db(line.qty_backordered),
            "backordered": line.qty_backordered > 0,
            "service": service,
        }
    )
    return view


CHUNK = 500  # ids per IN (...) list, well under every database's parameter limit


def _grouped(
    session: Session, query_for: Callable[[list[K]], Select[Any, Any]], ids: Iterable[K]
) -> dict[K, list[Any]]:
    """Rows of ``query_for(chunk_of_ids)`` grouped by their first column, in query order."""
    grouped: dict[K, list[Any]] = defaultdict(list)
    ids = list(dict.fromkeys(ids))
    for start in range(0, len(ids), CHUNK):
        for row in session.exec(query_for(ids[start : start + CHUNK])):
            grouped[row[0]].append(row[1])
    return grouped


def _lines_of(session: Session, line_model, parent_column, ids: Iterable[K]) -> dict[K, list[Any]]:
    """The lines of many documents, grouped by document id, in line order."""
    return _grouped(
        session,
        lambda chunk: (
            select(parent_column, line_model)
            .where(parent_column.in_(chunk))
            .order_by(parent_column, line_model.position)
        ),
        ids,
    )


def _numbers_by_id(session: Session, model, ids: Iterable[int | None]) -> dict[int | None, str]:
    # Keyed by ``int | None`` because it is looked up by optional foreign keys; None is
    # never a key, so ``.get(None)`` is None.
    rows = _grouped(
        session,
        lambda chunk: select(model.id, model.number).where(model.id.in_(chunk)),
        [i for i in ids if i is not None],
    )
    return {key: values[0] for key, values in rows.items()}


def _customer_codes(session: Session, ids: Iterable[int]) -> dict[int, str]:
    rows = _grouped(
        session,
        lambda chunk: select(Customer.id, Customer.code).where(col(Customer.id).in_(chunk)),
        ids,
    )
    return {key: values[0] for key, values in rows.items()}


def order_views(
    session: Session, orders: list[SalesOrder], *, with_lines: bool = True
) -> list[dict]:
    """Views of many orders with a handful of queries, however many orders there are."""
    ids = [order.id for order in orders]
    lines_of = _lines_of(session, OrderLine, OrderLine.order_id, ids)
    codes = _customer_codes(session, (order.customer_id for order in orders))
    quotes = _numbers_by_id(session, Quote, (order.quote_id for order in orders))
    agreements = _numbers_by_id(
        session, BillingAgreement, (order.billing_agreement_id for order in orders)
    )
    if with_lines:
        product_ids = {ln.product_id for lines in lines_of.values() for ln in lines}
        products = {
            p.id: p
            for rows in _grouped(
                session,
                lambda chunk: select(Product.id, Product).where(col(Product.id).in_(chunk)),
                product_ids,
            ).values()
            for p in rows
        }
        invoices = _grouped(
            session,
            lambda chunk: (
                select(Invoice.order_id, Invoice.number)
                .where(col(Invoice.order_id).in_(chunk))
                .order_by(col(Invoice.id))
            ),
            ids,
        )
        shipments = _grouped(
            session,
            lambda chunk: (
                select(Shipment.order_id, Shipment.number)
                .where(col(Shipment.order_id).in_(chunk))
                .order_by(col(Shipment.id))
            ),
            ids,
        )
        memos = _grouped(
            session,
            lambda chunk: (
                select(CreditMemo.order_id, CreditMemo.number)
                .where(col(CreditMemo.order_id).in_(chunk))
                .order_by(col(CreditMemo.id))
            ),
            ids,
        )
        returns = _grouped(
            session,
            lambda chunk: (
                select(Rma.order_id, Rma.number)
                .where(col(Rma.order_id).in_(chunk))
                .order_by(col(Rma.id))
            ),
            ids,
        )
    documents = []
    for order in orders:
        lines = lines_of.get(order.id, [])
        view: dict[str, object] = {
            "number": order.number,
            "customer": codes[order.customer_id],
            "status": order.status,
            "billing_status": ordering.billing_status(lines).value,
            "fulfilment_status": ordering.fulfilment_status(lines).value,
            "quote": quotes.get(order.quote_id),
            "order_ref": order.order_ref,
            "billing_agreement": agreements.get(order.billing_agreement_id),
            "order_date": order.order_date,
            "hold_reason": order.hold_reason,
            "subtotal": _money(session, order.subtotal),
            "tax": _money(session, order.tax),
            "total": _money(session, order.total),
        }
        if with_lines:
            view["lines"] = [
                order_line_view(
                    session, ln, products[ln.product_id].sku, products[ln.product_id].service
                )
                for ln in lines
            ]
            view["invoices"] = invoices.get(order.id, [])
            view["shipments"] = shipments.get(order.id, [])
            view["credit_memos"] = memos.get(order.id, [])
            view["returns"] = returns.get(order.id, [])
        documents.append(view)
    return documents


def order_view(session: Session, order: SalesOrder, *, with_lines: bool = True) -> dict:
    return order_views(session, [order], with_lines=with_lines)[0]


def invoice_views(
    session: Session, invoices: list[Invoice], *, with_lines: bool = True
) -> list[dict]:
    ids = [invoice.id for invoice in invoices]
    orders = _numbers_by_id(session, SalesOrder, (invoice.order_id for invoice in invoices))
    codes = _customer_codes(session, (invoice.customer_id for invoice in invoices))
    if with_lines:
        lines_of = _lines_of(session, InvoiceLine, InvoiceLine.invoice_id, ids)
        memos = _grouped(
            session,
            lambda chunk: (
                select(CreditMemo.invoice_id, CreditMemo.number)
                .where(col(CreditMemo.invoice_id).in_(chunk))
                .order_by(col(CreditMemo.id))
            ),
            ids,
        )
        payments = _grouped(
            session,
            lambda chunk: (
                select(Allocation.invoice_id, Payment.number)
                .join(Payment, col(Payment.id) == col(Allocation.payment_id))
                .where(col(Allocation.invoice_id).in_(chunk))
                .order_by(col(Allocation.id))
            ),
            ids,
        )
    code = currency(session)
    documents = []
    for invoice in invoices:
        view: dict[str, object] = {
            "number": invoice.number,
            "order": orders[invoice.order_id],
            "customer": codes[invoice.customer_id],
            "status": invoicing.status_of(invoice).value,
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "currency": code,
            "subtotal": _money(session, invoice.subtotal),
            "tax": _money(session, invoice.tax),
            "total": _money(session, invoice.total),
            "paid": _money(session, invoice.paid),
            "credited": _money(session, invoice.credited),
            "balance": _money(session, invoice.total - invoice.paid - invoice.credited),
        }
        if with_lines:
            view["lines"] = [
                {
                    **_priced_line(session, ln, ln.sku),
                    "qty_credited": qty_from_db(ln.qty_credited),
                    "net_credited": _money(session, ln.net_credited),
                    "tax_credited": _money(session, ln.tax_credited),
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
    orders = _numbers_by_id(session, SalesOrder, (s.order_id for s in shipments))
    codes = _customer_codes(session, (s.customer_id for s in shipments))
    if with_lines:
        lines_of = _lines_of(session, ShipmentLine, ShipmentLine.shipment_id, ids)

    places: dict[int | None, str] = dict(
        session.execute(sa_select(col(Warehouse.id), col(Warehouse.code))).all()
    )
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
    }


def shipment_view(session: Session, shipment: Shipment, *, with_lines: bool = True) -> dict:
    return shipment_views(session, [shipment], with_lines=with_lines)[0]


def event_view(event) -> dict:
    return {
        "at": event.at,
        "user": event.os_user,
        "subject": event.subject_number,
        "kind": event.subject_kind,
        "action": event.action,
        "message": event.message,
    }


def stock_move_views(session: Session, moves) -> list[dict]:

    codes: dict[int, str] = dict(
        session.execute(sa_select(col(Warehouse.id), col(Warehouse.code))).all()
    )
    return [
        {
            "at": move.at,
            "kind": move.kind,
            "warehouse": codes[move.warehouse_id],
            "qty": qty_from_db(move.qty),
            "reference": move.reference,
        }
        for move in moves
    ]


def stock_level_views(session: Session, products, warehouse=None) -> list[dict]:
    """Products with on hand per warehouse (one grouped query); with ``warehouse``, the
    on hand shown is that warehouse's."""

    levels = stock_by_warehouse(session, [p.id for p in products])
    views = []
    for product in products:
        view = product_view(session, product)
        held = levels.get(product.id, {})
        view["warehouses"] = {code: qty_from_db(units) for code, units in held.items()}
        if warehouse is not None:
            view["warehouse"] = warehouse.code
            view["on_hand_here"] = qty_from_db(held.get(warehouse.code, 0))
        views.append(view)
    return views
