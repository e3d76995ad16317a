"""`report sales`: revenue net of credit memos, by month, customer or product.

Revenue is what invoices charged (net and tax of their lines) minus what
credit memos gave back (net and tax of their lines), each counted on its own
document's date: a March credit on a January invoice lowers March, not January,
exactly as the journal posts it (an invoice credits *revenue*, a credit memo
debits *refunds* on its issue date). So the report's total net for a period is
revenue credits minus refunds debits of that period, and ``--as-of`` needs no
history at all: issued documents are never edited, so the ledger as it stood at
the end of a day is the documents dated on or before it.

One query: the invoice lines and the credit memo lines (negated) as one
UNION ALL, grouped by the key. A credit memo line names the invoice line it
credits, so a credit by amount (quantity 0, money only) still lands on the
product it was spread over.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import extract, literal, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from ordercli.books.settings import currency, minor_digits
from ordercli.db.queries import check_date_range
from ordercli.domain.errors import InvalidInput
from ordercli.domain.money import from_minor
from ordercli.models import CreditMemo, CreditMemoLine, Customer, Invoice, InvoiceLine, Product

GROUPINGS = ("month", "customer", "product")


def _document_lines(grouping: str, date_from: date | None, date_to: date | None):
    """Invoice lines and negated credit memo lines as (key, invoiced net/tax, credited net/tax)."""

    def key_of(day_column, customer_column, product_column):
        if grouping == "month":
            # YYYYMM as a number: the same SQL on SQLite and PostgreSQL.
            return extract("year", day_column) * 100 + extract("month", day_column)
        return customer_column if grouping == "customer" else product_column

    zero = literal(0)
    # SQLAlchemy's select (the same SQL): SQLModel's select() is typed for four columns at most.
    invoiced = (
        sa_select(
            key_of(Invoice.issue_date, Invoice.customer_id, InvoiceLine.product_id).label("key"),
            col(InvoiceLine.net).label("invoiced_net"),
            col(InvoiceLine.tax).label("invoiced_tax"),
            zero.label("credited_net"),
            zero.label("credited_tax"),
        )
        .select_from(InvoiceLine)
        .join(Invoice, col(Invoice.id) == InvoiceLine.invoice_id)
        # A deposit is no sale (it posts to customer advances): rule 20.
        .where(col(Invoice.kind) != "deposit")
    )
    credited = (
        sa_select(
            key_of(CreditMemo.issue_date, CreditMemo.customer_id, InvoiceLine.product_id).label(
                "key"
            ),
            zero.label("invoiced_net"),
            zero.label("invoiced_tax"),
            col(CreditMemoLine.net).label("credited_net"),
            col(CreditMemoLine.tax).label("credited_tax"),
        )
        .select_from(CreditMemoLine)
        .join(CreditMemo, col(CreditMemo.id) == CreditMemoLine.credit_memo_id)
        .where(
            ~sa_select(col(Invoice.id))
            .where(col(Invoice.id) == CreditMemo.invoice_id, col(Invoice.kind) == "deposit")
            .exists()
        )
    )
    if grouping == "product":
        # A credit memo line reaches its product through the invoice line it credits.
        credited = credited.join(InvoiceLine, col(InvoiceLine.id) == CreditMemoLine.invoice_line_id)
    if date_from is not None:
        invoiced = invoiced.where(col(Invoice.issue_date) >= date_from)
        credited = credited.where(col(CreditMemo.issue_date) >= date_from)
    if date_to is not None:
        invoiced = invoiced.where(col(Invoice.issue_date) <= date_to)
        credited = credited.where(col(CreditMemo.issue_date) <= date_to)
    return union_all(invoiced, credited).subquery("document_lines")


def _grouped_query(grouping: str, date_from: date | None, date_to: date | None):
    lines = _document_lines(grouping, date_from, date_to)
    sums = (
        func.sum(lines.c.invoiced_net),
        func.sum(lines.c.invoiced_tax),
        func.sum(lines.c.credited_net),
        func.sum(lines.c.credited_tax),
    )
    if grouping == "month":
        return sa_select(lines.c.key, literal(None), *sums).group_by(lines.c.key)
    # Sum by id first, then name the few groups: grouping a million lines by code
    # and name too costs a third more.
    totals = (
        select(
            lines.c.key,
            *(total.label(f"s{i}") for i, total in enumerate(sums)),
        )
        .group_by(lines.c.key)
        .subquery("sales_totals")
    )
    model = Customer if grouping == "customer" else Product
    code = col(Customer.code) if grouping == "customer" else col(Product.sku)
    return sa_select(
        code, col(model.name), totals.c.s0, totals.c.s1, totals.c.s2, totals.c.s3
    ).join(model, col(model.id) == totals.c.key)


def _month_key(yyyymm) -> str:
    value = int(yyyymm)
    return f"{value // 100:04d}-{value % 100:02d}"


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def sales_report(
    *,
    session: Session,
    by: str = "month",
    date_from: date | None = None,
    date_to: date | None = None,
    as_of: date | None = None,
) -> dict:
    """Revenue net of credit memos per month, customer or product.

    ``date_from``/``date_to`` select documents by their own date; ``as_of``
    keeps only documents dated on or before it (with ``date_to``, the earlier
    of the two bounds applies). Rows by month run in calendar order, with the
    months between that have no documents shown as zero, so a chart has no
    gaps; rows by customer or product run from the largest net down.
    """
    grouping = (by or "").strip().lower()
    if grouping not in GROUPINGS:
        raise InvalidInput(f"cannot group sales by {by!r} (one of {', '.join(GROUPINGS)})")
    check_date_range(date_from, date_to)
    if date_from and as_of and date_from > as_of:
        raise InvalidInput(f"--from {date_from} is after --as-of {as_of}")
    upper = min((d for d in (date_to, as_of) if d is not None), default=None)
    digits = minor_digits(session)

    def amounts(invoiced_net, invoiced_tax, credited_net, credited_tax) -> dict:
        net = invoiced_net - credited_net
        tax = invoiced_tax - credited_tax
        return {
            "net": from_minor(net, digits),
            "tax": from_minor(tax, digits),
            "total": from_minor(net + tax, digits),
            "invoiced": from_minor(invoiced_net, digits),
            "credited": from_minor(credited_net, digits),
        }

    found = []
    sums = [0, 0, 0, 0]
    for key, name, *figures in session.exec(_grouped_query(grouping, date_from, upper)).all():
        figures = [int(f or 0) for f in figures]
        sums = [a + b for a, b in zip(sums, figures, strict=True)]
        row = {"key": _month_key(key) if grouping == "month" else key}
        if grouping != "month":
            row["name"] = name
        found.append((row, amounts(*figures), figures[0] - figures[2]))
    if grouping == "month":
        by_key = {row["key"]: (row, figures) for row, figures, _ in found}
        keys = sorted(by_key)
        rows = [
            {**row, **figures}
            for row, figures in (
                by_key.get(month, ({"key": month}, amounts(0, 0, 0, 0)))
                for month in (_months_between(keys[0], keys[-1]) if keys else [])
            )
        ]
    else:
        found.sort(key=lambda item: (-item[2], item[0]["key"]))
        rows = [{**row, **figures} for row, figures, _ in found]
    return {
        "by": grouping,
        "from": date_from,
        "to": date_to,
        "as_of": as_of,
        "currency": currency(session),
        "rows": rows,
        "totals": amounts(*sums),
    }
