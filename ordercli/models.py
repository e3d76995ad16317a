"""The ledger's tables.

Money columns are integer minor units, quantities integer thousandths and
percentages integer ten-thousandths (see ``domain/money.py``); the services
convert to ``Decimal`` at the boundary. Rules the database can hold by itself
are declared here once, as named constraints, so a bug in a service still
cannot over-invoice, over-ship or drive stock negative.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, MetaData, Text, UniqueConstraint
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
    """One counter per kind of document; see ``books/numbering.py``."""

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


class PartySnapshot(SQLModel, table=True):
    """A seller's or buyer's name, addresses and tax id as an issued document printed them.

    ``content`` is canonical JSON; identical snapshots are stored once (``digest`` is
    its SHA-256), so a thousand invoices to one customer share one row."""

    __tablename__ = "party_snapshot"
    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(unique=True, max_length=64)
    content: str = Field(sa_type=Text)


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
    # The price list the customer buys from (SPEC rule 19); None: the products' prices.
    price_list_id: int | None = Field(default=None, foreign_key="price_list.id", index=True)
    # Default payment terms (rule 20); None: one instalment ``terms_days`` after issue.
    terms_id: int | None = Field(default=None, foreign_key="payment_terms.id", index=True)
    # Set while the customer is on credit hold (a final dunning notice, or by hand):
    # confirming their orders then needs ``--override-credit``.
    credit_hold: str | None = None
    # What an e-invoice needs of the buyer (rule 21): the VAT id (with its country
    # prefix), the billing address in parts with its ISO 3166 country, the reference
    # a public buyer requires on every invoice (BT-10, the Leitweg-ID in Germany) and
    # the electronic address invoices go to ("SCHEME:ID", EAS codes; else the email).
    vat_id: str | None = Field(default=None, max_length=20)
    street: str | None = None
    postcode: str | None = Field(default=None, max_length=16)
    city: str | None = None
    country: str | None = Field(default=None, max_length=2)
    buyer_reference: str | None = Field(default=None, max_length=200)
    endpoint: str | None = Field(default=None, max_length=200)


class PaymentTerms(SQLModel, table=True):
    """A payment terms template (SPEC ``terms``, rule 20): net days, an optional
    split into instalments and an optional early-payment discount."""

    __tablename__ = "payment_terms"
    __table_args__ = (
        CheckConstraint("days >= 0", name="days_not_negative"),
        CheckConstraint(
            "(discount_pct IS NULL) = (discount_days IS NULL)", name="discount_has_window"
        ),
        CheckConstraint(
            "discount_pct IS NULL OR (discount_pct > 0 AND discount_pct < 1000000)",
            name="discount_within",
        ),
        CheckConstraint(
            "discount_days IS NULL OR (discount_days >= 0 AND discount_days <= days)",
            name="discount_window_within",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=40)
    description: str | None = None
    # Days from the issue date to the (last) due date.
    days: int
    # Early-payment discount: this percentage if paid within ``discount_days``.
    discount_pct: int | None = Field(default=None, sa_type=BigInteger)
    discount_days: int | None = None
    active: bool = True
    created_at: datetime


class PaymentTermsSplit(SQLModel, table=True):
    """One instalment of a template: ``pct`` of the total due ``days`` after issue."""

    __tablename__ = "payment_terms_split"
    __table_args__ = (
        CheckConstraint("pct > 0 AND pct <= 1000000", name="pct_within"),
        CheckConstraint("days >= 0", name="days_not_negative"),
        UniqueConstraint("terms_id", "position", name="uq_payment_terms_split_position"),
    )
    id: int | None = Field(default=None, primary_key=True)
    terms_id: int = Field(foreign_key="payment_terms.id", index=True)
    position: int
    pct: int = Field(sa_type=BigInteger)
    days: int


class PriceList(SQLModel, table=True):
    """A named list of prices (``RETAIL``, ``TRADE``, ``ACME-CONTRACT``) that customers buy from.

    A gross list holds prices including tax (rule 19): documents priced from it
    take tax out of the price instead of adding it."""

    __tablename__ = "price_list"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    gross: bool = False
    created_at: datetime


class PriceListPrice(SQLModel, table=True):
    """One price of a product on a list: from a quantity on (a break), within dates.

    Two prices of the same product, list and quantity never hold on the same day
    (the services refuse an overlap; ``check`` proves it)."""

    __tablename__ = "price_list_price"
    __table_args__ = (
        CheckConstraint("unit_price > 0", name="price_positive"),
        CheckConstraint("min_qty >= 1000", name="min_qty_at_least_one"),
        CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from",
            name="dates_in_order",
        ),
        Index("ix_price_list_price_list_product", "price_list_id", "product_id", "min_qty"),
    )
    id: int | None = Field(default=None, primary_key=True)
    price_list_id: int = Field(foreign_key="price_list.id")
    product_id: int = Field(foreign_key="product.id", index=True)
    # Thousandths, like every quantity: 1000 is "from 1 on".
    min_qty: int = Field(default=1000, sa_type=BigInteger)
    unit_price: int = Field(sa_type=BigInteger)
    # Inclusive; None is open-ended.
    valid_from: date | None = None
    valid_to: date | None = None
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
    # UN/ECE Recommendation 20 code of what one unit is (C62 one, KGM kilogram, HUR hour).
    unit: str = Field(default="C62", max_length=3)
    # EN 16931 VAT category the product is sold under (S, Z, E or O; None: S when it
    # carries tax, else as the buyer's country decides) and, for E and O, why no VAT
    # is charged (words, or a VATEX code).
    vat_category: str | None = Field(default=None, max_length=2)
    vat_exemption: str | None = None
    on_hand: int = Field(default=0, sa_type=BigInteger)
    reserved: int = Field(default=0, sa_type=BigInteger)
    active: bool = True
    # Where it is kept (aisle, shelf, bin): pick lists are sorted by it.
    location: str | None = None
    created_at: datetime


class Warehouse(SQLModel, table=True):
    """A place that holds stock; the default one (``MAIN``) always exists."""

    __tablename__ = "warehouse"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    name: str
    active: bool = True
    created_at: datetime


class StockMove(SQLModel, table=True):
    """Every change of on-hand stock, signed, with what caused it and where.

    On hand, per warehouse and in total, is the sum of these moves."""

    __tablename__ = "stock_move"
    __table_args__ = (
        Index("ix_stock_move_product_id_id", "product_id", "id"),
        Index("ix_stock_move_product_id_warehouse_id", "product_id", "warehouse_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id")
    warehouse_id: int = Field(foreign_key="warehouse.id")
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
    # 1 for a new quote; a revision is a new row numbered after the first one
    # (``Q-00012-R2``) that names the revision it replaces, which stays readable.
    revision: int = 1
    revision_of_id: int | None = Field(default=None, foreign_key="quote.id", unique=True)
    # The quote this one was copied from (``quote copy``), if any.
    copied_from_id: int | None = Field(default=None, foreign_key="quote.id", index=True)
    # Prices include tax (rule 19): the lines' prices are gross and tax is taken out.
    prices_include_tax: bool = False
    # A discount on the whole document, at most one of the two; spread over its lines
    # (``domain.money.spread_discount``), each line keeping its share in ``doc_discount``.
    discount_pct: int | None = Field(default=None, sa_type=BigInteger)
    discount_amount: int | None = Field(default=None, sa_type=BigInteger)


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
    # The product's unit when the line was written; a later change of the product
    # never changes a document (UN/ECE Rec. 20 code).
    unit: str = Field(max_length=3)
    qty: int = Field(sa_type=BigInteger)
    unit_price: int = Field(sa_type=BigInteger)
    discount: int = Field(default=0, sa_type=BigInteger)
    tax_rate: int = Field(default=0, sa_type=BigInteger)
    net: int = Field(sa_type=BigInteger)
    tax: int = Field(sa_type=BigInteger)
    # Where the price came from (rule 19): ``manual`` (typed), ``list`` or ``break`` (a
    # price list, named by ``price_list_id``) or ``product``; None on lines written
    # before ordercli recorded it.
    price_source: str | None = Field(default=None, max_length=8)
    price_list_id: int | None = Field(default=None, foreign_key="price_list.id")
    # This line's share of the document discount, in minor units, taken off its net
    # (or off its gross amount when prices include tax).
    doc_discount: int = Field(default=0, sa_type=BigInteger)


class QuoteNote(SQLModel, table=True):
    """The negotiation thread of a quote: who said what, when."""

    __tablename__ = "quote_note"
    id: int | None = Field(default=None, primary_key=True)
    quote_id: int = Field(foreign_key="quote.id", index=True)
    at: datetime
    author: str
    os_user: str
    text: str
    # Notes are internal unless marked for the customer; only these are printed.
    customer_visible: bool = False


class SalesOrder(SQLModel, table=True):
    __tablename__ = "sales_order"
    __table_args__ = (Index("ix_sales_order_order_ref", "order_ref", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    quote_id: int | None = Field(default=None, foreign_key="quote.id", unique=True)
    # The reference an imported order came with (a web shop's order number);
    # the idempotency key of `import orders`. None for orders entered by hand.
    order_ref: str | None = None
    billing_agreement_id: int | None = Field(
        default=None, foreign_key="billing_agreement.id", index=True
    )
    status: str = Field(index=True)
    hold_reason: str | None = None
    status_before_hold: str | None = None
    # Set while the rest of the order is short-closed (``order close --reason``).
    close_reason: str | None = None
    # Prices include tax (rule 19): the lines' prices are gross and tax is taken out.
    prices_include_tax: bool = False
    # A discount on the whole document, at most one of the two; spread over its lines
    # (``domain.money.spread_discount``), each line keeping its share in ``doc_discount``.
    discount_pct: int | None = Field(default=None, sa_type=BigInteger)
    discount_amount: int | None = Field(default=None, sa_type=BigInteger)
    # Payment terms for this order's invoices instead of the customer's (rule 20).
    terms_id: int | None = Field(default=None, foreign_key="payment_terms.id")
    # The buyer's references its invoices quote (rule 21): the buyer reference (BT-10;
    # None: the customer's) and the buyer's purchase-order number (BT-13).
    buyer_reference: str | None = Field(default=None, max_length=200)
    purchase_order: str | None = Field(default=None, max_length=200)
    order_date: date = Field(index=True)
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
        # qty_invoiced is what stands invoiced: billed in error and credited (qty_reopened)
        # it is taken off again and can be invoiced again; a short-closed quantity
        # (qty_closed) will not be.
        CheckConstraint(
            "qty_invoiced >= 0 AND qty_invoiced <= qty - qty_closed",
            name="invoiced_within",
        ),
        # Credited as not to be delivered (qty_cancelled) or short-closed: never shipped.
        CheckConstraint(
            "qty_shipped >= 0 AND qty_shipped + qty_cancelled + qty_closed <= qty",
            name="shipped_within",
        ),
        # Every credited quantity was invoiced once: what stands invoiced, or was reopened.
        CheckConstraint(
            "qty_credited >= 0 AND qty_credited <= qty_invoiced + qty_reopened",
            name="credited_within",
        ),
        CheckConstraint(
            "qty_reopened >= 0 AND qty_cancelled >= 0 AND qty_closed >= 0 "
            "AND qty_reopened + qty_cancelled <= qty_credited",
            name="credit_effects_within",
        ),
        CheckConstraint(
            "qty_returned >= 0 AND qty_returned <= qty_shipped + qty_replaced",
            name="returned_within",
        ),
        CheckConstraint(
            "qty_replaced >= 0 AND qty_replaced <= qty_returned", name="replaced_within"
        ),
        CheckConstraint("qty_backordered >= 0", name="backordered_not_negative"),
    )
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    position: int
    product_id: int = Field(foreign_key="product.id", index=True)
    description: str
    # The product's unit when the line was written; a later change of the product
    # never changes a document (UN/ECE Rec. 20 code).
    unit: str = Field(max_length=3)
    qty: int = Field(sa_type=BigInteger)
    unit_price: int = Field(sa_type=BigInteger)
    discount: int = Field(default=0, sa_type=BigInteger)
    tax_rate: int = Field(default=0, sa_type=BigInteger)
    net: int = Field(sa_type=BigInteger)
    tax: int = Field(sa_type=BigInteger)
    qty_invoiced: int = Field(default=0, sa_type=BigInteger)
    qty_shipped: int = Field(default=0, sa_type=BigInteger)
    qty_credited: int = Field(default=0, sa_type=BigInteger)
    # Of qty_credited: billed in error, open to invoice again (rule 14 a) ...
    qty_reopened: int = Field(default=0, sa_type=BigInteger)
    # ... and not to be delivered, off the order for good (rule 14 b).
    qty_cancelled: int = Field(default=0, sa_type=BigInteger)
    # Short-closed: neither shipped nor invoiced, and never will be unless reopened.
    qty_closed: int = Field(default=0, sa_type=BigInteger)
    qty_returned: int = Field(default=0, sa_type=BigInteger)
    qty_backordered: int = Field(default=0, sa_type=BigInteger)
    # Goods sent again to resolve a return; they never count as shipped twice.
    qty_replaced: int = Field(default=0, sa_type=BigInteger)
    net_invoiced: int = Field(default=0, sa_type=BigInteger)
    tax_invoiced: int = Field(default=0, sa_type=BigInteger)
    last_state_change: datetime
    # Where the price came from (rule 19): ``manual`` (typed), ``list`` or ``break`` (a
    # price list, named by ``price_list_id``) or ``product``; None on lines written
    # before ordercli recorded it.
    price_source: str | None = Field(default=None, max_length=8)
    price_list_id: int | None = Field(default=None, foreign_key="price_list.id")
    # This line's share of the document discount, in minor units, taken off its net
    # (or off its gross amount when prices include tax).
    doc_discount: int = Field(default=0, sa_type=BigInteger)


class Invoice(SQLModel, table=True):
    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint(
            "paid >= 0 AND credited >= 0 AND discounted >= 0 AND written_off >= 0 AND prepaid >= 0",
            name="settled_not_negative",
        ),
        CheckConstraint(
            "paid + credited + discounted + written_off + prepaid <= total",
            name="settled_within_total",
        ),
        CheckConstraint("kind IN ('standard', 'deposit', 'charge')", name="kind_known"),
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
    # Seller and buyer as they were when the document was issued (rule 4).
    seller_id: int = Field(foreign_key="party_snapshot.id")
    buyer_id: int = Field(foreign_key="party_snapshot.id")
    # SHA-256 chaining this document to the previous one of its kind (books/integrity.py).
    chain_hash: str | None = Field(default=None, max_length=64)
    # Its order's prices include tax (rule 19): unit prices are gross.
    prices_include_tax: bool = False
    # ``standard`` (goods and services of its order), ``deposit`` (a down payment
    # before delivery, posted to customer advances) or ``charge`` (dunning fees and
    # interest). Deposit and charge lines have no order line.
    kind: str = Field(default="standard", max_length=8)
    # Settled other than by payment or credit (rule 20): early-payment discounts
    # taken, amounts written off, and paid deposits deducted (``prepaid``).
    # Balance = total - paid - credited - discounted - written_off - prepaid.
    discounted: int = Field(default=0, sa_type=BigInteger)
    written_off: int = Field(default=0, sa_type=BigInteger)
    prepaid: int = Field(default=0, sa_type=BigInteger)
    # The payment terms as issued (rule 4): their code and text, and the early-payment
    # discount's rate and last day; the schedule is in ``invoice_instalment``.
    terms_code: str | None = Field(default=None, max_length=40)
    terms_text: str | None = None
    discount_pct: int | None = Field(default=None, sa_type=BigInteger)
    discount_until: date | None = None
    # The buyer's references as issued (rule 21): BT-10 and the purchase order (BT-13).
    buyer_reference: str | None = Field(default=None, max_length=200)
    purchase_order: str | None = Field(default=None, max_length=200)

    @property
    def settled(self) -> int:
        """What no longer has to be paid: paid, credited, discounted, written off, prepaid."""
        return self.paid + self.credited + self.discounted + self.written_off + self.prepaid

    @property
    def balance(self) -> int:
        return self.total - self.settled


class InvoiceInstalment(SQLModel, table=True):
    """One due amount of an invoice's schedule (rule 20); the amounts sum to its total.

    Settlements (payments, credits, discounts, write-offs, deposits) cover the
    instalments in due order, so what is open of each is derived, never stored."""

    __tablename__ = "invoice_instalment"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        UniqueConstraint("invoice_id", "position", name="uq_invoice_instalment_position"),
        Index("ix_invoice_instalment_due_date_invoice_id", "due_date", "invoice_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    position: int
    due_date: date
    amount: int = Field(sa_type=BigInteger)


class InvoiceAdjustment(SQLModel, table=True):
    """An invoice settled other than by payment or credit memo (rule 20): an
    early-payment discount, a payment difference or bad debt written off, or a paid
    deposit deducted. ``net`` and ``tax`` are the parts of ``amount`` that leave
    the discount, write-off or advances account and sales tax."""

    __tablename__ = "invoice_adjustment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("net >= 0 AND tax >= 0 AND net + tax = amount", name="parts_add_up"),
        CheckConstraint(
            "kind IN ('early_discount', 'payment_difference', 'bad_debt', 'deposit')",
            name="kind_known",
        ),
        Index("ix_invoice_adjustment_customer_id_id", "customer_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    kind: str = Field(max_length=20)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    customer_id: int = Field(foreign_key="customer.id")
    # The payment it came with (a discount taken, a difference written off).
    payment_id: int | None = Field(default=None, foreign_key="payment.id", index=True)
    # The deposit invoice whose paid amount was deducted.
    deposit_invoice_id: int | None = Field(default=None, foreign_key="invoice.id", index=True)
    amount: int = Field(sa_type=BigInteger)
    net: int = Field(sa_type=BigInteger)
    tax: int = Field(sa_type=BigInteger)
    reason: str | None = None
    adjusted_on: date = Field(index=True)
    created_at: datetime


class InvoiceLine(SQLModel, table=True):
    """One invoiced portion of an order line, with how much of it has been credited.

    The CHECKs hold rule 14 in the database: credits never exceed the line.
    """

    __tablename__ = "invoice_line"
    __table_args__ = (
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("qty_credited >= 0 AND qty_credited <= qty", name="credited_qty_within"),
        CheckConstraint("net_credited >= 0 AND net_credited <= net", name="credited_net_within"),
        CheckConstraint("tax_credited >= 0 AND tax_credited <= tax", name="credited_tax_within"),
        CheckConstraint(
            "vat_category IN ('S', 'Z', 'E', 'AE', 'K', 'G', 'O')", name="vat_category_known"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    # None on deposit and charge invoices: their lines are no order line's portion.
    order_line_id: int | None = Field(default=None, foreign_key="order_line.id", index=True)
    position: int
    product_id: int | None = Field(default=None, foreign_key="product.id")
    sku: str
    description: str
    # The product's unit when the line was written; a later change of the product
    # never changes a document (UN/ECE Rec. 20 code).
    unit: str = Field(max_length=3)
    qty: int = Field(sa_type=BigInteger)
    unit_price: int = Field(sa_type=BigInteger)
    discount: int = Field(sa_type=BigInteger)
    tax_rate: int = Field(sa_type=BigInteger)
    net: int = Field(sa_type=BigInteger)
    tax: int = Field(sa_type=BigInteger)
    qty_credited: int = Field(default=0, sa_type=BigInteger)
    net_credited: int = Field(default=0, sa_type=BigInteger)
    tax_credited: int = Field(default=0, sa_type=BigInteger)
    # This portion's share of the order's document discount (minor units), already
    # taken off ``net`` (or off the gross amount when prices include tax).
    doc_discount: int = Field(default=0, sa_type=BigInteger)
    # EN 16931 VAT category (``domain.vat``) decided when the invoice was issued, and
    # why no VAT is charged for a zero category (words and VATEX code).
    vat_category: str = Field(default="S", max_length=2)
    vat_exemption: str | None = None
    vat_exemption_code: str | None = Field(default=None, max_length=40)


class Shipment(SQLModel, table=True):
    __tablename__ = "shipment"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    status: str
    carrier: str | None = None
    tracking: str | None = None
    # Set on a replacement shipment that resolves a return.
    return_id: int | None = Field(default=None, foreign_key="rma.id", index=True)
    # Where the goods left from (None only for a shipment of services alone).
    warehouse_id: int | None = Field(default=None, foreign_key="warehouse.id", index=True)
    ship_date: date = Field(index=True)
    delivered_at: datetime | None = None
    created_at: datetime
    # Seller and buyer as they were when the document was issued (rule 4).
    seller_id: int = Field(foreign_key="party_snapshot.id")
    buyer_id: int = Field(foreign_key="party_snapshot.id")
    # SHA-256 chaining this document to the previous one of its kind (books/integrity.py).
    chain_hash: str | None = Field(default=None, max_length=64)


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
    # The product's unit when the line was written; a later change of the product
    # never changes a document (UN/ECE Rec. 20 code).
    unit: str = Field(max_length=3)
    qty: int = Field(sa_type=BigInteger)


class ShipmentReversal(SQLModel, table=True):
    """A shipment recorded in error, taken back whole (SPEC rule 12): its own numbered
    document; the shipment itself is never edited beyond its status."""

    __tablename__ = "shipment_reversal"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    shipment_id: int = Field(foreign_key="shipment.id", unique=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    reversal_date: date = Field(index=True)
    reason: str
    created_at: datetime
    # SHA-256 chaining this document to the previous one of its kind (books/integrity.py).
    chain_hash: str | None = Field(default=None, max_length=64)


class BillingAgreement(SQLModel, table=True):
    """A customer's standing payment arrangement (SPEC rule 17)."""

    __tablename__ = "billing_agreement"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    method: str
    reference: str
    status: str
    created_at: datetime
    cancelled_at: datetime | None = None
    # A direct-debit mandate's account to debit (the customer's IBAN, BT-91).
    iban: str | None = Field(default=None, max_length=34)


class Payment(SQLModel, table=True):
    """Money received from a customer; what no invoice took yet is ``unapplied``."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("unapplied >= 0 AND unapplied <= amount", name="unapplied_within"),
        Index("ix_payment_customer_id_id", "customer_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    customer_id: int = Field(foreign_key="customer.id")
    amount: int = Field(sa_type=BigInteger)
    method: str
    reference: str | None = None
    received_on: date = Field(index=True)
    unapplied: int = Field(sa_type=BigInteger)
    created_at: datetime
    # SHA-256 chaining this document to the previous one of its kind (books/integrity.py).
    chain_hash: str | None = Field(default=None, max_length=64)


class PaymentVoid(SQLModel, table=True):
    """A payment recorded in error, reversed whole (SPEC rule 13): its allocations go
    back to the invoices and its unapplied credit is taken back."""

    __tablename__ = "payment_void"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    payment_id: int = Field(foreign_key="payment.id", unique=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    # The payment's amount, all of which leaves the books again.
    amount: int = Field(sa_type=BigInteger)
    void_date: date = Field(index=True)
    reason: str
    created_at: datetime
    # SHA-256 chaining this document to the previous one of its kind (books/integrity.py).
    chain_hash: str | None = Field(default=None, max_length=64)


class CreditMemo(SQLModel, table=True):
    """A correction of an invoice (SPEC rule 14).

    Its total first reduces the invoice's open balance (``applied``); what the
    customer had already paid beyond that is ``released`` back to them, as a
    refund or as store credit, of which ``credit_left`` is still unused.
    """

    __tablename__ = "credit_memo"
    __table_args__ = (
        CheckConstraint("total = subtotal + tax", name="total_adds_up"),
        CheckConstraint(
            "applied >= 0 AND released >= 0 AND applied + released = total", name="settled"
        ),
        CheckConstraint("credit_left >= 0 AND credit_left <= released", name="credit_within"),
        Index("ix_credit_memo_customer_id_id", "customer_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    customer_id: int = Field(foreign_key="customer.id")
    return_id: int | None = Field(default=None, foreign_key="rma.id", index=True)
    issue_date: date = Field(index=True)
    subtotal: int = Field(sa_type=BigInteger)
    tax: int = Field(sa_type=BigInteger)
    total: int = Field(sa_type=BigInteger)
    settlement: str
    applied: int = Field(sa_type=BigInteger)
    released: int = Field(sa_type=BigInteger)
    credit_left: int = Field(sa_type=BigInteger)
    restock: bool = False
    reason: str | None = None
    # Issued by ``invoice cancel``: the whole invoice, billed in error.
    cancels_invoice: bool = False
    # Issued by ``rebate settle``: a price-only credit of a volume rebate.
    rebate_settlement_id: int | None = Field(
        default=None, foreign_key="rebate_settlement.id", index=True
    )
    created_at: datetime
    # Seller and buyer as they were when the document was issued (rule 4).
    seller_id: int = Field(foreign_key="party_snapshot.id")
    buyer_id: int = Field(foreign_key="party_snapshot.id")
    # SHA-256 chaining this document to the previous one of its kind (books/integrity.py).
    chain_hash: str | None = Field(default=None, max_length=64)


class CreditMemoLine(SQLModel, table=True):
    __tablename__ = "credit_memo_line"
    __table_args__ = (CheckConstraint("qty >= 0 AND net >= 0 AND tax >= 0", name="not_negative"),)
    id: int | None = Field(default=None, primary_key=True)
    credit_memo_id: int = Field(foreign_key="credit_memo.id", index=True)
    invoice_line_id: int = Field(foreign_key="invoice_line.id", index=True)
    # None when the invoice line has none (a deposit or charge invoice).
    order_line_id: int | None = Field(default=None, foreign_key="order_line.id", index=True)
    position: int
    sku: str
    description: str
    # The product's unit when the line was written; a later change of the product
    # never changes a document (UN/ECE Rec. 20 code).
    unit: str = Field(max_length=3)
    # Zero for a credit by amount: money given back, no goods.
    qty: int = Field(sa_type=BigInteger)
    # What the credited quantity does to the order line (rule 14): ``rebill`` (billed
    # in error, open to invoice again), ``cancel`` (not to be delivered), ``return``
    # (goods came back) or ``none`` (money only: a credit by amount).
    effect: str = Field(max_length=8)
    unit_price: int = Field(sa_type=BigInteger)
    tax_rate: int = Field(sa_type=BigInteger)
    net: int = Field(sa_type=BigInteger)
    tax: int = Field(sa_type=BigInteger)


class RebateAgreement(SQLModel, table=True):
    """A customer's volume rebate: per period, the rate of the highest tier its net
    sales reach, on all of them (SPEC ``rebate``)."""

    __tablename__ = "rebate_agreement"
    __table_args__ = (
        CheckConstraint("period IN ('month', 'quarter', 'year')", name="period_known"),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    period: str = Field(max_length=7)
    # First day it counts sales from; periods before it are never settled under it.
    valid_from: date
    # Set when ended (``rebate end``): periods starting after it are not settled.
    valid_to: date | None = None
    created_at: datetime


class RebateTier(SQLModel, table=True):
    __tablename__ = "rebate_tier"
    __table_args__ = (
        CheckConstraint("threshold >= 0", name="threshold_not_negative"),
        CheckConstraint("rate > 0 AND rate <= 1000000", name="rate_within"),
        UniqueConstraint("agreement_id", "threshold", name="uq_rebate_tier_threshold"),
    )
    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="rebate_agreement.id")
    # Net sales (minor units) above which the rate holds.
    threshold: int = Field(sa_type=BigInteger)
    rate: int = Field(sa_type=BigInteger)


class RebateSettlement(SQLModel, table=True):
    """One customer's rebate for one period, settled once (the unique key holds that
    even for two processes at once); its credit memos name it."""

    __tablename__ = "rebate_settlement"
    __table_args__ = (
        UniqueConstraint("agreement_id", "period", name="uq_rebate_settlement_period"),
        CheckConstraint("net_sales >= 0 AND amount >= 0", name="not_negative"),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    agreement_id: int = Field(foreign_key="rebate_agreement.id")
    customer_id: int = Field(foreign_key="customer.id", index=True)
    # ``2026-Q4``, ``2026-11`` or ``2026``.
    period: str = Field(max_length=7)
    period_start: date
    period_end: date
    net_sales: int = Field(sa_type=BigInteger)
    # The tier's rate reached (0 when none was) and the rebate credited, net of tax.
    rate: int = Field(default=0, sa_type=BigInteger)
    amount: int = Field(sa_type=BigInteger)
    settle_date: date = Field(index=True)
    created_at: datetime


class Refund(SQLModel, table=True):
    """Money paid back to a customer out of their credit."""

    __tablename__ = "refund"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    credit_memo_id: int | None = Field(default=None, foreign_key="credit_memo.id", index=True)
    amount: int = Field(sa_type=BigInteger)
    method: str
    reference: str | None = None
    refunded_on: date = Field(index=True)
    created_at: datetime
    # SHA-256 chaining this document to the previous one of its kind (books/integrity.py).
    chain_hash: str | None = Field(default=None, max_length=64)


class Allocation(SQLModel, table=True):
    """Money taken from a source (a payment, or a credit memo's store credit) and
    put to a use (an invoice, or a refund). Payments' and memos' remaining credit
    is always their amount minus their allocations."""

    __tablename__ = "allocation"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("(payment_id IS NULL) <> (credit_memo_id IS NULL)", name="one_source"),
        CheckConstraint("(invoice_id IS NULL) <> (refund_id IS NULL)", name="one_use"),
    )
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    payment_id: int | None = Field(default=None, foreign_key="payment.id", index=True)
    credit_memo_id: int | None = Field(default=None, foreign_key="credit_memo.id", index=True)
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", index=True)
    refund_id: int | None = Field(default=None, foreign_key="refund.id", index=True)
    amount: int = Field(sa_type=BigInteger)
    applied_on: date
    # True for what a payment paid when it was recorded; False for credit used later.
    at_receipt: bool = False
    created_at: datetime
    # Set when the money was taken off the invoice again (``payment unapply``,
    # ``reallocate`` or ``void``): the row stays, as issued documents do, and
    # counts no more from that day on. ``released_by`` names the void or payment.
    released_on: date | None = None
    released_by: str | None = None


class Rma(SQLModel, table=True):
    """A return merchandise authorization (SPEC rule 15)."""

    __tablename__ = "rma"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    status: str = Field(index=True)
    reason: str
    restock: bool | None = None
    resolution: str | None = None
    requested_on: date
    created_at: datetime
    updated_at: datetime


class RmaLine(SQLModel, table=True):
    __tablename__ = "rma_line"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)
    id: int | None = Field(default=None, primary_key=True)
    rma_id: int = Field(foreign_key="rma.id", index=True)
    order_line_id: int = Field(foreign_key="order_line.id", index=True)
    position: int
    product_id: int = Field(foreign_key="product.id")
    sku: str
    description: str
    # The product's unit when the line was written; a later change of the product
    # never changes a document (UN/ECE Rec. 20 code).
    unit: str = Field(max_length=3)
    qty: int = Field(sa_type=BigInteger)


class DunningLevel(SQLModel, table=True):
    """A step of collections (SPEC ``collections levels``): a notice when an
    instalment is ``days_overdue`` past due, with an optional fee and yearly
    interest charged on their own invoice, and optionally a credit hold."""

    __tablename__ = "dunning_level"
    __table_args__ = (
        CheckConstraint("level >= 1", name="level_positive"),
        CheckConstraint("days_overdue >= 1", name="days_positive"),
        CheckConstraint("fee >= 0", name="fee_not_negative"),
        CheckConstraint("interest_pct >= 0 AND interest_pct <= 1000000", name="interest_within"),
    )
    id: int | None = Field(default=None, primary_key=True)
    level: int = Field(unique=True)
    name: str
    days_overdue: int
    fee: int = Field(default=0, sa_type=BigInteger)
    interest_pct: int = Field(default=0, sa_type=BigInteger)
    credit_hold: bool = False
    # The letter's template (``templates/``); None: the built-in one.
    template: str | None = None
    created_at: datetime


class DunningNotice(SQLModel, table=True):
    """What one customer was sent at one level on one day (``collections run --send``)."""

    __tablename__ = "dunning_notice"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    level: int
    notice_date: date = Field(index=True)
    # What was overdue on the notice, and the fee and interest charged with it.
    overdue: int = Field(sa_type=BigInteger)
    fee: int = Field(default=0, sa_type=BigInteger)
    interest: int = Field(default=0, sa_type=BigInteger)
    charge_invoice_id: int | None = Field(default=None, foreign_key="invoice.id")
    sent_to: str | None = None
    sent_at: datetime | None = None
    created_at: datetime


class DunningNoticeItem(SQLModel, table=True):
    """An overdue instalment on a notice; each level reaches an instalment once."""

    __tablename__ = "dunning_notice_item"
    __table_args__ = (
        UniqueConstraint("instalment_id", "level", name="uq_dunning_notice_item_level"),
    )
    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="dunning_notice.id", index=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    instalment_id: int = Field(foreign_key="invoice_instalment.id")
    level: int
    open_amount: int = Field(sa_type=BigInteger)
    due_date: date
    days_overdue: int


class Account(SQLModel, table=True):
    """The chart of accounts: one account per role the ledger posts to (rule 18)."""

    __tablename__ = "account"
    id: int | None = Field(default=None, primary_key=True)
    role: str = Field(unique=True)
    code: str = Field(unique=True)
    name: str
    kind: str


class JournalEntry(SQLModel, table=True):
    """A balanced double-entry posting, written with the document that causes it."""

    __tablename__ = "journal_entry"
    __table_args__ = (Index("ix_journal_entry_source", "source_kind", "source_number"),)
    id: int | None = Field(default=None, primary_key=True)
    entry_date: date = Field(index=True)
    source_kind: str
    source_number: str
    memo: str
    created_at: datetime
    # SHA-256 sealing the entry and its lines to the entry before it of the same
    # source document, the first one to 64 zeros (books/journal_seal.py).
    chain_hash: str | None = Field(default=None, max_length=64)


class JournalLine(SQLModel, table=True):
    __tablename__ = "journal_line"
    __table_args__ = (
        CheckConstraint(
            "debit >= 0 AND credit >= 0 AND (debit = 0 OR credit = 0)", name="one_side"
        ),
        Index("ix_journal_line_account_id_entry_id", "account_id", "entry_id"),
        # Customer balances are sums over these columns: answered from the index alone.
        Index(
            "ix_journal_line_customer_position",
            "customer_id",
            "account_id",
            "debit",
            "credit",
            "entry_id",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="journal_entry.id", index=True)
    account_id: int = Field(foreign_key="account.id")
    debit: int = Field(default=0, sa_type=BigInteger)
    credit: int = Field(default=0, sa_type=BigInteger)
    # Receivable lines name their invoice and customer lines their customer, so
    # balances "as of" a date are sums over dated entries.
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", index=True)
