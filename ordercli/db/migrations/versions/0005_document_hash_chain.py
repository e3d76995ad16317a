"""Tamper evidence: every issued document stores a hash chained to the one before it.

Adds ``chain_hash`` to invoices, shipments, payments, credit memos and refunds
and seals the documents already in the ledger, kind by kind in id order (the
order they were issued in), so ``ordercli check`` finds an upgraded ledger's
chains intact and catches any later edit made behind ordercli's back.

The hashing here is a frozen copy of format 1 of ``books/integrity.py``: the
application's may move on to a later format, this revision must always seal a
ledger of schema 0004 the same way.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 08:00:00
"""

import hashlib
import json
from datetime import date

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("invoice", "shipment", "payment", "credit_memo", "refund")
ZERO = "0" * 64
BATCH = 5_000

# Format 1, frozen: per kind its header fields, line fields, date fields, flag fields,
# the query streaming the documents in id order (``id, chain_hash, *header``), the
# query streaming their lines in document order (``document id, *lines``) and the update.
KINDS = (
    (
        "invoice",
        ("number", "issue_date", "due_date", "subtotal", "tax", "total", "order", "customer"),
        (
            "position",
            "order_line_id",
            "sku",
            "description",
            "qty",
            "unit_price",
            "discount",
            "tax_rate",
            "net",
            "tax",
        ),
        {"due_date", "issue_date"},
        set(),
        "SELECT v.id, v.chain_hash, v.number, v.issue_date, v.due_date, v.subtotal, v.tax, "
        "v.total, o.number, c.code FROM invoice v LEFT JOIN sales_order o ON o.id = "
        "v.order_id LEFT JOIN customer c ON c.id = v.customer_id ORDER BY v.id",
        "SELECT invoice_id, position, order_line_id, sku, description, qty, unit_price, "
        "discount, tax_rate, net, tax FROM invoice_line ORDER BY invoice_id",
        "UPDATE invoice SET chain_hash = :h WHERE id = :id",
    ),
    (
        "shipment",
        ("number", "carrier", "tracking", "ship_date", "order", "customer", "warehouse", "return"),
        ("position", "order_line_id", "sku", "description", "qty"),
        {"ship_date"},
        set(),
        "SELECT s.id, s.chain_hash, s.number, s.carrier, s.tracking, s.ship_date, o.number, "
        "c.code, w.code, r.number FROM shipment s LEFT JOIN sales_order o ON o.id = "
        "s.order_id LEFT JOIN customer c ON c.id = s.customer_id LEFT JOIN warehouse w ON "
        "w.id = s.warehouse_id LEFT JOIN rma r ON r.id = s.return_id ORDER BY s.id",
        "SELECT shipment_id, position, order_line_id, sku, description, qty FROM "
        "shipment_line ORDER BY shipment_id",
        "UPDATE shipment SET chain_hash = :h WHERE id = :id",
    ),
    (
        "payment",
        ("number", "amount", "method", "reference", "received_on", "customer"),
        ("invoice", "amount"),
        {"received_on"},
        set(),
        "SELECT p.id, p.chain_hash, p.number, p.amount, p.method, p.reference, p.received_on, "
        "c.code FROM payment p LEFT JOIN customer c ON c.id = p.customer_id ORDER BY p.id",
        "SELECT a.payment_id, v.number, a.amount FROM allocation a LEFT JOIN invoice v ON "
        "v.id = a.invoice_id WHERE a.payment_id IS NOT NULL AND a.at_receipt = :yes AND "
        "a.invoice_id IS NOT NULL ORDER BY a.payment_id",
        "UPDATE payment SET chain_hash = :h WHERE id = :id",
    ),
    (
        "credit_memo",
        (
            "number",
            "issue_date",
            "subtotal",
            "tax",
            "total",
            "settlement",
            "restock",
            "reason",
            "invoice",
            "order",
            "customer",
            "return",
        ),
        (
            "position",
            "invoice_line_id",
            "order_line_id",
            "sku",
            "description",
            "qty",
            "unit_price",
            "tax_rate",
            "net",
            "tax",
        ),
        {"issue_date"},
        {"restock"},
        "SELECT m.id, m.chain_hash, m.number, m.issue_date, m.subtotal, m.tax, m.total, "
        "m.settlement, m.restock, m.reason, v.number, o.number, c.code, r.number FROM "
        "credit_memo m LEFT JOIN invoice v ON v.id = m.invoice_id LEFT JOIN sales_order o ON "
        "o.id = m.order_id LEFT JOIN customer c ON c.id = m.customer_id LEFT JOIN rma r ON "
        "r.id = m.return_id ORDER BY m.id",
        "SELECT credit_memo_id, position, invoice_line_id, order_line_id, sku, description, "
        "qty, unit_price, tax_rate, net, tax FROM credit_memo_line ORDER BY credit_memo_id",
        "UPDATE credit_memo SET chain_hash = :h WHERE id = :id",
    ),
    (
        "refund",
        ("number", "amount", "method", "reference", "refunded_on", "customer", "credit_memo"),
        (),
        {"refunded_on"},
        set(),
        "SELECT f.id, f.chain_hash, f.number, f.amount, f.method, f.reference, f.refunded_on, "
        "c.code, m.number FROM refund f LEFT JOIN customer c ON c.id = f.customer_id LEFT "
        "JOIN credit_memo m ON m.id = f.credit_memo_id ORDER BY f.id",
        None,
        "UPDATE refund SET chain_hash = :h WHERE id = :id",
    ),
)


def _content(kind, header_fields, line_fields, dates, flags, header, lines) -> bytes:
    values = dict(zip(header_fields, header, strict=True))
    for name in dates:
        if isinstance(values[name], date):
            values[name] = values[name].isoformat()
    for name in flags:
        if values[name] is not None:
            values[name] = bool(values[name])
    values["v"] = 1
    values["kind"] = kind
    if line_fields:
        try:
            values["lines"] = sorted(lines)
        except TypeError:
            values["lines"] = sorted(
                lines, key=lambda line: [(True, 0) if v is None else (False, v) for v in line]
            )
    return json.dumps(values, sort_keys=True, separators=(",", ":")).encode("ascii")


def _seal(connection, spec) -> None:
    kind, header_fields, line_fields, dates, flags, header_sql, lines_sql, update = spec
    width = len(header_fields)
    headers = connection.execute(sa.text(header_sql)).all()
    pending = iter(connection.execute(sa.text(lines_sql), {"yes": True}) if lines_sql else ())
    line = next(pending, None)
    previous = ZERO
    hashes = []
    for row in headers:
        mine = []
        while line is not None and line[0] <= row[0]:
            if line[0] == row[0]:
                mine.append(tuple(line[1:]))
            line = next(pending, None)
        content = _content(
            kind, header_fields, line_fields, dates, flags, tuple(row[2 : 2 + width]), mine
        )
        previous = hashlib.sha256(previous.encode("ascii") + content).hexdigest()
        hashes.append({"h": previous, "id": row[0]})
    for start in range(0, len(hashes), BATCH):
        connection.execute(sa.text(update), hashes[start : start + BATCH])


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("chain_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        )
    connection = op.get_bind()
    for spec in KINDS:
        _seal(connection, spec)


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("chain_hash")
