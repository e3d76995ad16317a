"""One set-based SELECT per kind of export.

Each query joins everything a row needs (customer codes, document numbers,
SKUs), so the rows stream from one cursor without a query per row. A
table's ``query`` keeps the database's integers (minor units, thousandths)
and dates for the writers that want numbers (XLSX, hledger, beancount); its
``text_query`` has the database write every cell as finished text
(``values.sql_cell``) for CSV and JSON Lines. The invoice status is the same
rule as ``domain.states.invoice_status`` (SPEC rule 11), written as a SQL
CASE on the day the export runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import String, case, cast, func, literal, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select
from sqlmodel import col

from ordercli.db.queries import invoice_balance, invoice_overdue, invoice_settled
from ordercli.domain.states import InvoiceStatus, OrderStatus
from ordercli.io.exports.values import Column, ColumnType, sql_cell
from ordercli.models import (
    Account,
    CreditMemo,
    Customer,
    Invoice,
    InvoiceInstalment,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    OrderLine,
    PartySnapshot,
    Payment,
    PaymentVoid,
    Product,
    RebateSettlement,
    SalesOrder,
)
from ordercli.services.parties.snapshots import snapshot_field

TEXT, MONEY, QTY, PCT, DATE, INT, BOOL = (
    ColumnType.TEXT,
    ColumnType.MONEY,
    ColumnType.QTY,
    ColumnType.PCT,
    ColumnType.DATE,
    ColumnType.INT,
    ColumnType.BOOL,
)

# Orders in these states were confirmed; `import orders` confirms them again.
CONFIRMED_STATES = (OrderStatus.CONFIRMED, OrderStatus.ON_HOLD, OrderStatus.COMPLETED)


@dataclass(frozen=True)
class Table:
    """What one export writes: its columns, in order, and the query giving them."""

    columns: list[Column]
    query: Select

    def text_query(self, *, minor_digits: int, neutralise: bool) -> Select:
        """The same rows with every cell as the text CSV (``neutralise``) or JSON Lines
        writes: same joins, filters and order, other column expressions."""
        return self.query.with_only_columns(
            *(
                sql_cell(column.type, expr, minor_digits=minor_digits, neutralise=neutralise).label(
                    column.name
                )
                for column, expr in zip(self.columns, _expressions(self.query), strict=True)
            )
        )


# The expressions are SQL column expressions; mypy sees a model's columns as the plain
# values they hold (``Invoice.number: str``), hence ``Any``.
def _table(spec: list[tuple[str, ColumnType, Any]], build) -> tuple[list[Column], Select]:
    columns = [Column(name, column_type) for name, column_type, _ in spec]
    return columns, build(select(*(expr.label(name) for name, _, expr in spec)))


def _expressions(query: Select) -> list:
    """The column expressions of a query built by ``_table``, without their labels."""
    return [label.element for label in query.selected_columns]


def _window(query: Select, column, date_from: date | None, date_to: date | None) -> Select:
    if date_from is not None:
        query = query.where(column >= date_from)
    if date_to is not None:
        query = query.where(column <= date_to)
    return query


def next_due_date():
    """SQL of the invoice's earliest instalment with something open (rule 20):
    settlements cover instalments in due order, so the first one whose amounts due
    through it exceed what the invoice has settled; NULL once nothing is open."""
    earlier = aliased(InvoiceInstalment)
    through = (
        select(func.sum(earlier.amount))
        .where(
            earlier.invoice_id == InvoiceInstalment.invoice_id,
            earlier.position <= InvoiceInstalment.position,
        )
        .scalar_subquery()
    )
    return (
        select(func.min(InvoiceInstalment.due_date))
        .where(
            col(InvoiceInstalment.invoice_id) == col(Invoice.id),
            col(InvoiceInstalment.amount) > 0,
            through > invoice_settled(),
        )
        .scalar_subquery()
    )


def invoices(*, today: date, currency: str, date_from=None, date_to=None, **_) -> Table:
    balance = invoice_balance()
    cancelled = (
        select(col(CreditMemo.id))
        .where(col(CreditMemo.invoice_id) == col(Invoice.id), col(CreditMemo.cancels_invoice))
        .exists()
    )
    status = case(
        (cancelled, InvoiceStatus.CANCELLED.value),
        (balance <= 0, InvoiceStatus.PAID.value),
        (invoice_overdue(today), InvoiceStatus.OVERDUE.value),
        (col(Invoice.paid) > 0, InvoiceStatus.PARTIALLY_PAID.value),
        else_=InvoiceStatus.OPEN.value,
    )
    columns, query = _table(
        [
            ("number", TEXT, Invoice.number),
            ("order", TEXT, SalesOrder.number),
            ("customer", TEXT, Customer.code),
            ("customer_name", TEXT, snapshot_field(PartySnapshot.content, "name")),
            ("issue_date", DATE, Invoice.issue_date),
            ("due_date", DATE, Invoice.due_date),
            ("status", TEXT, status),
            ("currency", TEXT, cast(literal(currency), String)),
            ("subtotal", MONEY, Invoice.subtotal),
            ("tax", MONEY, Invoice.tax),
            ("total", MONEY, Invoice.total),
            ("paid", MONEY, Invoice.paid),
            ("credited", MONEY, Invoice.credited),
            ("balance", MONEY, balance),
            # Rule 20, appended so that the columns before keep their places.
            ("terms", TEXT, Invoice.terms_code),
            ("discounted", MONEY, Invoice.discounted),
            ("written_off", MONEY, Invoice.written_off),
            ("prepaid", MONEY, Invoice.prepaid),
            ("next_due_date", DATE, next_due_date()),
        ],
        lambda q: (
            q.select_from(Invoice)
            .join(SalesOrder, SalesOrder.id == Invoice.order_id)
            .join(Customer, Customer.id == Invoice.customer_id)
            # The customer as the invoice was issued to them (rule 4).
            .join(PartySnapshot, PartySnapshot.id == Invoice.buyer_id)
        ),
    )
    query = _window(query, Invoice.issue_date, date_from, date_to).order_by(col(Invoice.id))
    return Table(columns, query)


def invoice_lines(*, date_from=None, date_to=None, **_) -> Table:
    columns, query = _table(
        [
            ("invoice", TEXT, Invoice.number),
            ("issue_date", DATE, Invoice.issue_date),
            ("customer", TEXT, Customer.code),
            ("position", INT, InvoiceLine.position),
            ("sku", TEXT, InvoiceLine.sku),
            ("description", TEXT, InvoiceLine.description),
            ("qty", QTY, InvoiceLine.qty),
            ("unit", TEXT, InvoiceLine.unit),
            ("unit_price", MONEY, InvoiceLine.unit_price),
            ("discount_pct", PCT, InvoiceLine.discount),
            ("tax_rate", PCT, InvoiceLine.tax_rate),
            ("net", MONEY, InvoiceLine.net),
            ("tax", MONEY, InvoiceLine.tax),
            ("total", MONEY, InvoiceLine.net + InvoiceLine.tax),
            ("qty_credited", QTY, InvoiceLine.qty_credited),
            ("net_credited", MONEY, InvoiceLine.net_credited),
            ("tax_credited", MONEY, InvoiceLine.tax_credited),
        ],
        lambda q: (
            q.select_from(InvoiceLine)
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .join(Customer, Customer.id == Invoice.customer_id)
        ),
    )
    query = _window(query, Invoice.issue_date, date_from, date_to)
    return Table(columns, query.order_by(col(Invoice.id), col(InvoiceLine.position)))


def payments(*, currency: str, date_from=None, date_to=None, **_) -> Table:
    columns, query = _table(
        [
            ("number", TEXT, Payment.number),
            ("customer", TEXT, Customer.code),
            ("customer_name", TEXT, Customer.name),
            ("received_on", DATE, Payment.received_on),
            ("method", TEXT, Payment.method),
            ("reference", TEXT, Payment.reference),
            ("amount", MONEY, Payment.amount),
            # A voided payment applies nothing: its amount left the books again.
            (
                "applied",
                MONEY,
                Payment.amount
                - Payment.unapplied
                - func.coalesce(
                    select(col(PaymentVoid.amount))
                    .where(col(PaymentVoid.payment_id) == Payment.id)
                    .scalar_subquery(),
                    0,
                ),
            ),
            ("unapplied", MONEY, Payment.unapplied),
            ("currency", TEXT, cast(literal(currency), String)),
        ],
        lambda q: q.select_from(Payment).join(Customer, Customer.id == Payment.customer_id),
    )
    query = _window(query, Payment.received_on, date_from, date_to).order_by(col(Payment.id))
    return Table(columns, query)


def credit_memos(*, date_from=None, date_to=None, **_) -> Table:
    columns, query = _table(
        [
            ("number", TEXT, CreditMemo.number),
            ("invoice", TEXT, Invoice.number),
            ("order", TEXT, SalesOrder.number),
            ("customer", TEXT, Customer.code),
            ("issue_date", DATE, CreditMemo.issue_date),
            ("settlement", TEXT, CreditMemo.settlement),
            ("restock", BOOL, CreditMemo.restock),
            ("reason", TEXT, CreditMemo.reason),
            ("subtotal", MONEY, CreditMemo.subtotal),
            ("tax", MONEY, CreditMemo.tax),
            ("total", MONEY, CreditMemo.total),
            # A volume rebate's memos name their settlement (rule 20): the accountant's
            # rebates, apart from returns and corrections.
            ("rebate_settlement", TEXT, RebateSettlement.number),
        ],
        lambda q: (
            q.select_from(CreditMemo)
            .join(Invoice, Invoice.id == CreditMemo.invoice_id)
            .join(SalesOrder, SalesOrder.id == CreditMemo.order_id)
            .join(Customer, Customer.id == CreditMemo.customer_id)
            .outerjoin(RebateSettlement, RebateSettlement.id == CreditMemo.rebate_settlement_id)
        ),
    )
    query = _window(query, CreditMemo.issue_date, date_from, date_to).order_by(col(CreditMemo.id))
    return Table(columns, query)


def orders(*, date_from=None, date_to=None, **_) -> Table:
    """One row per order line, in the columns `import orders` reads first."""
    columns, query = _table(
        [
            ("order_ref", TEXT, func.coalesce(SalesOrder.order_ref, SalesOrder.number)),
            ("customer_code", TEXT, Customer.code),
            ("order_date", DATE, SalesOrder.order_date),
            ("sku", TEXT, Product.sku),
            ("qty", QTY, OrderLine.qty),
            ("unit_price", MONEY, OrderLine.unit_price),
            ("discount_pct", PCT, OrderLine.discount),
            ("tax_rate", PCT, OrderLine.tax_rate),
            ("confirm", BOOL, col(SalesOrder.status).in_([s.value for s in CONFIRMED_STATES])),
            # An import column too: a gross order comes back gross (rule 19).
            ("prices_include_tax", BOOL, SalesOrder.prices_include_tax),
            ("number", TEXT, SalesOrder.number),
            ("status", TEXT, SalesOrder.status),
            ("position", INT, OrderLine.position),
            ("description", TEXT, OrderLine.description),
            ("unit", TEXT, OrderLine.unit),
            ("net", MONEY, OrderLine.net),
            ("tax", MONEY, OrderLine.tax),
            ("total", MONEY, OrderLine.net + OrderLine.tax),
            ("price_source", TEXT, OrderLine.price_source),
            ("doc_discount", MONEY, OrderLine.doc_discount),
        ],
        lambda q: (
            q.select_from(OrderLine)
            .join(SalesOrder, SalesOrder.id == OrderLine.order_id)
            .join(Customer, Customer.id == SalesOrder.customer_id)
            .join(Product, Product.id == OrderLine.product_id)
        ),
    )
    query = _window(query, SalesOrder.order_date, date_from, date_to)
    return Table(columns, query.order_by(col(SalesOrder.id), col(OrderLine.position)))


def journal(*, date_from=None, date_to=None, **_) -> Table:
    """Every journal line with its entry, in date order (entries of a day in posting order)."""
    columns, query = _table(
        [
            ("entry", INT, JournalEntry.id),
            ("date", DATE, JournalEntry.entry_date),
            ("source_kind", TEXT, JournalEntry.source_kind),
            ("source_number", TEXT, JournalEntry.source_number),
            ("memo", TEXT, JournalEntry.memo),
            ("account_code", TEXT, Account.code),
            ("account_name", TEXT, Account.name),
            ("debit", MONEY, JournalLine.debit),
            ("credit", MONEY, JournalLine.credit),
            ("customer", TEXT, Customer.code),
            ("invoice", TEXT, Invoice.number),
        ],
        lambda q: (
            q.select_from(JournalLine)
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .join(Account, Account.id == JournalLine.account_id)
            .outerjoin(Customer, Customer.id == JournalLine.customer_id)
            .outerjoin(Invoice, Invoice.id == JournalLine.invoice_id)
        ),
    )
    query = _window(query, JournalEntry.entry_date, date_from, date_to)
    return Table(
        columns,
        query.order_by(col(JournalEntry.entry_date), col(JournalEntry.id), col(JournalLine.id)),
    )


def journal_window(date_from=None, date_to=None) -> Select:
    """The first entry date of the window (the ledger formats open their accounts on it)."""
    return _window(
        select(func.min(JournalEntry.entry_date)), JournalEntry.entry_date, date_from, date_to
    )


def balances_before(day: date) -> Select:
    """Each account's balance (debit − credit) from all entries before ``day``."""
    return (
        select(col(Account.code), func.sum(JournalLine.debit - JournalLine.credit))
        .select_from(JournalLine)
        .join(JournalEntry, col(JournalEntry.id) == col(JournalLine.entry_id))
        .join(Account, col(Account.id) == col(JournalLine.account_id))
        .where(col(JournalEntry.entry_date) < day)
        .group_by(Account.code)
        .order_by(Account.code)
    )


def accounts() -> Select:
    """The chart of accounts (a handful of rows)."""
    return select(
        col(Account.code), col(Account.name), col(Account.kind), col(Account.role)
    ).order_by(Account.code)


TABLES = {
    "invoices": invoices,
    "invoice-lines": invoice_lines,
    "payments": payments,
    "credit-memos": credit_memos,
    "orders": orders,
    "journal": journal,
}
