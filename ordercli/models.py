"""The ledger's tables.

Money columns are integer minor units, quantities integer thousandths and
percentages integer ten-thousandths (see ``domain/money.py``); the services
convert to ``Decimal`` at the boundary. Rules the database can hold by itself
are declared here once, as named constraints, so a bug in a service still
cannot over-invoice, over-ship or drive stock negative.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, MetaData, UniqueConstraint
from sqlmodel import Field, SQLModel

# Named constraints survive SQLite's move-and-copy migrations.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


class Setting(SQLModel, table=True):
    __tablename__ = "setting"
    key: str = Field(primary_key=True)
    value: str


class NumberSeries(SQLModel, table=True):
    """One counter per kind of document; see ``services/numbering.py``."""

    __tablename__ = "number_series"
    __table_args__ = (CheckConstraint("next_value >= 1", name="next_positive"),)
    kind: str = Field(primary_key=True)
    prefix: str
    width: int = 5
    next_value: int = 1


class Event(SQLModel, table=True):
    """Append-only log of every state change (SPEC rule 4)."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_order_id_id", "order_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    os_user: str
    subject_kind: str
    subject_number: str
    action: str
    message: str
    order_id: int | None = Field(default=None, foreign_key="sales_order.id")
    quote_id: int | None = Field(default=None, foreign_key="quote.id", index=True)


class Customer(SQLModel, table=True):
    __tablename__ = "customer"
    __table_args__ = (
        CheckConstraint("terms_days >= 0", name="terms_not_negative"),
        CheckConstraint("credit_limit IS NULL OR credit_limit >= 0", name="limit_not_negative"),
    )
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    name: str = Field(index=True)
    email: str | None = None
    phone: str | None = None
    billing_address: str | None = None
    shipping_address: str | None = None
    tax_id: str | None = None
    terms_days: int = 30
    credit_limit: int | None = Field(default=None, sa_type=BigInteger)
    active: bool = True
    created_at: datetime


class Product(SQLModel, table=True):
    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("unit_price >= 0", name="price_not_negative"),
        CheckConstraint("tax_rate >= 0", name="tax_not_negative"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    )
    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(unique=True)
    name: str
    unit_price: int = Field(sa_type=BigInteger)
    tax_rate: int = Field(default=0, sa_type=BigInteger)
    service: bool = False
    on_hand: int = Field(default=0, sa_type=BigInteger)
    reserved: int = Field(default=0, sa_type=BigInteger)
    active: bool = True
    created_at: datetime


class StockMove(SQLModel, table=True):
    """Every change of on-hand stock, signed, with what caused it."""

    __tablename__ = "stock_move"
    __table_args__ = (Index("ix_stock_move_product_id_id", "product_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id")
    at: datetime
    qty: int = Field(sa_type=BigInteger)
    kind: str
    reference: str | None = None


class Quote(SQLModel, table=True):
    __tablename__ = "quote"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    status: str = Field(index=True)
    issue_date: date
    valid_until: date
    subtotal: int = Field(default=0, sa_type=BigInteger)
    tax: int = Field(default=0, sa_type=BigInteger)
    total: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime


class QuoteLine(SQLModel, table=True):
    __tablename__ = "quote_line"
    __table_args__ = (
        UniqueConstraint("quote_id", "position", name="uq_quote_line_position"),
        CheckConstraint("qty > 0", name="qty_positive"),
    )
    id: int | None = Field(default=None, primary_key=True)
    quote_id: int = Field(foreign_key="quote.id")
    position: int
    product_id: int = Field(foreign_key="product.id")
    description: str
    qty: int = Field(sa_type=BigInteger)
    unit_price: int = Field(sa_type=BigInteger)
    discount: int = Field(default=0, sa_type=BigInteger)
    tax_rate: int = Field(default=0, sa_type=BigInteger)
    net: int = Field(sa_type=BigInteger)
    tax: int = Field(sa_type=BigInteger)


class QuoteNote(SQLModel, table=True):
    """The negotiation thread of a quote: who said what, when."""

    __tablename__ = "quote_note"
    id: int | None = Field(default=None, primary_key=True)
    quote_id: int = Field(foreign_key="quote.id", index=True)
    at: datetime
    author: str
    os_user: str
    text: str


class SalesOrder(SQLModel, table=True):
    __tablename__ = "sales_order"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    quote_id: int | None = Field(default=None, foreign_key="quote.id", unique=True)
    status: str = Field(index=True)
    hold_reason: str | None = None
    status_before_hold: str | None = None
    order_date: date
    confirmed_at: datetime | None = None
    subtotal: int = Field(default=0, sa_type=BigInteger)
    tax: int = Field(default=0, sa_type=BigInteger)
    total: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime


class OrderLine(SQLModel, table=True):
    """One line of a sales order, with how much of it has been done.

    The ``qty_*`` counters are kept in step by the services, and the CHECK
    constraints make over-invoicing and over-shipping impossible even for a
    buggy caller (SPEC rule 9).
    """

    __tablename__ = "order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "position", name="uq_order_line_position"),
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("qty_invoiced >= 0 AND qty_invoiced <= qty", name="invoiced_within"),
        CheckConstraint("qty_shipped >= 0 AND qty_shipped <= qty", name="shipped_within"),
        CheckConstraint(
            "qty_credited >= 0 AND qty_credited <= qty_invoiced", name="credited_within"
        ),
        CheckConstraint(
            "qty_returned >= 0 AND qty_returned <= qty_shipped", name="returned_within"
        ),
        CheckConstraint("qty_backordered >= 0", name="backordered_not_negative"),
    )
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    position: int
    product_id: int = Field(foreign_key="product.id", index=True)
    description: str
    qty: int = Field(sa_type=BigInteger)
    unit_price: int = Field(sa_type=BigInteger)
    discount: int = Field(default=0, sa_type=BigInteger)
    tax_rate: int = Field(default=0, sa_type=BigInteger)
    net: int = Field(sa_type=BigInteger)
    tax: int = Field(sa_type=BigInteger)
    qty_invoiced: int = Field(default=0, sa_type=BigInteger)
    qty_shipped: int = Field(default=0, sa_type=BigInteger)
    qty_credited: int = Field(default=0, sa_type=BigInteger)
    qty_returned: int = Field(default=0, sa_type=BigInteger)
    qty_backordered: int = Field(default=0, sa_type=BigInteger)
    net_invoiced: int = Field(default=0, sa_type=BigInteger)
    tax_invoiced: int = Field(default=0, sa_type=BigInteger)
    last_state_change: datetime


class Invoice(SQLModel, table=True):
    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint("paid >= 0 AND credited >= 0", name="settled_not_negative"),
        Index("ix_invoice_customer_id_issue_date", "customer_id", "issue_date"),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    customer_id: int = Field(foreign_key="customer.id")
    issue_date: date = Field(index=True)
    due_date: date
    subtotal: int = Field(sa_type=BigInteger)
    tax: int = Field(sa_type=BigInteger)
    total: int = Field(sa_type=BigInteger)
    paid: int = Field(default=0, sa_type=BigInteger)
    credited: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime


class InvoiceLine(SQLModel, table=True):
    __tablename__ = "invoice_line"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    order_line_id: int = Field(foreign_key="order_line.id", index=True)
    position: int
    product_id: int = Field(foreign_key="product.id")
    sku: str
    description: str
    qty: int = Field(sa_type=BigInteger)
    unit_price: int = Field(sa_type=BigInteger)
    discount: int = Field(sa_type=BigInteger)
    tax_rate: int = Field(sa_type=BigInteger)
    net: int = Field(sa_type=BigInteger)
    tax: int = Field(sa_type=BigInteger)


class Shipment(SQLModel, table=True):
    __tablename__ = "shipment"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    status: str
    carrier: str | None = None
    tracking: str | None = None
    ship_date: date = Field(index=True)
    delivered_at: datetime | None = None
    created_at: datetime


class ShipmentLine(SQLModel, table=True):
    __tablename__ = "shipment_line"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)
    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True)
    order_line_id: int = Field(foreign_key="order_line.id", index=True)
    position: int
    product_id: int = Field(foreign_key="product.id")
    sku: str
    description: str
    qty: int = Field(sa_type=BigInteger)
