"""Corrections: reversal documents, what a credit does, short-close, quote revisions.

- ``payment_void`` and ``shipment_reversal``: numbered reversal documents
  (series ``PV-`` and ``SR-``); an allocation taken off an invoice again keeps
  its row and says when and by what (``released_on``, ``released_by``).
- Each credit memo line says what its quantity does to the order line
  (``effect``: ``rebill``, ``cancel``, ``return`` or ``none``), and order lines
  count the quantities reopened for billing, cancelled and short-closed. Lines of
  memos issued before this revision are classified by what they did then: a memo
  of a return or with ``--restock`` took goods back (``return``); any other
  credited quantity left the order (``cancel``: a service, or goods never
  shipped) while the order line had that much not shipped, and the rest moved
  no quantity (``none``: the customer kept the goods), as the ledger treated them.
- ``invoice cancel`` memos are marked (``cancels_invoice``); orders remember why
  they were short-closed; quotes have revisions and copies, and quote notes are
  internal unless marked for the customer.
- Journal entries get a ``chain_hash`` (books/journal_seal.py seals them), and the
  entries already in the ledger are sealed here with a frozen copy of format 1.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 14:30:00
"""

import hashlib
import json
from datetime import date
from itertools import groupby
from operator import itemgetter

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NEW_COUNTERS = ("qty_reopened", "qty_cancelled", "qty_closed")


def upgrade() -> None:
    _reversal_tables()
    with op.batch_alter_table("allocation") as batch_op:
        batch_op.add_column(sa.Column("released_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("released_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
    with op.batch_alter_table("quote") as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("revision_of_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("copied_from_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_quote_revision_of_id"), ["revision_of_id"])
        batch_op.create_index(batch_op.f("ix_quote_copied_from_id"), ["copied_from_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_quote_revision_of_id_quote"), "quote", ["revision_of_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_quote_copied_from_id_quote"), "quote", ["copied_from_id"], ["id"]
        )
    with op.batch_alter_table("quote_note") as batch_op:
        batch_op.add_column(
            sa.Column("customer_visible", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("sales_order") as batch_op:
        batch_op.add_column(
            sa.Column("close_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
    with op.batch_alter_table("credit_memo") as batch_op:
        batch_op.add_column(
            sa.Column("cancels_invoice", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("credit_memo_line") as batch_op:
        batch_op.add_column(
            sa.Column(
                "effect",
                sqlmodel.sql.sqltypes.AutoString(length=8),
                nullable=False,
                server_default="none",
            )
        )
    with op.batch_alter_table("journal_entry") as batch_op:
        batch_op.add_column(
            sa.Column("chain_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    with op.batch_alter_table("order_line") as batch_op:
        for name in NEW_COUNTERS:
            batch_op.add_column(
                sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")
            )
    _classify_credits()
    with op.batch_alter_table("order_line") as batch_op:
        for name in NEW_COUNTERS:
            batch_op.alter_column(name, existing_type=sa.BigInteger(), server_default=None)
        batch_op.drop_constraint(op.f("ck_order_line_invoiced_within"), type_="check")
        batch_op.drop_constraint(op.f("ck_order_line_shipped_within"), type_="check")
        batch_op.drop_constraint(op.f("ck_order_line_credited_within"), type_="check")
        # qty_invoiced is what stands invoiced: a rebill credit takes it off again.
        batch_op.create_check_constraint(
            "invoiced_within", "qty_invoiced >= 0 AND qty_invoiced <= qty - qty_closed"
        )
        batch_op.create_check_constraint(
            "credited_within", "qty_credited >= 0 AND qty_credited <= qty_invoiced + qty_reopened"
        )
        batch_op.create_check_constraint(
            "shipped_within", "qty_shipped >= 0 AND qty_shipped + qty_cancelled + qty_closed <= qty"
        )
        batch_op.create_check_constraint(
            "credit_effects_within",
            "qty_reopened >= 0 AND qty_cancelled >= 0 AND qty_closed >= 0 "
            "AND qty_reopened + qty_cancelled <= qty_credited",
        )
    with op.batch_alter_table("credit_memo_line") as batch_op:
        batch_op.alter_column(
            "effect", existing_type=sqlmodel.sql.sqltypes.AutoString(length=8), server_default=None
        )
    for name in ("quote", "quote_note", "credit_memo"):
        column = {"quote": "revision", "quote_note": "customer_visible"}.get(
            name, "cancels_invoice"
        )
        with op.batch_alter_table(name) as batch_op:
            batch_op.alter_column(column, server_default=None)
    _seal_journal()


# Journal seals, format 1, frozen (books/journal_seal.py may move on to a later format;
# this revision must always seal a ledger of schema 0007 the same way): per source
# document (kind and number) its entries in id order, the first chained to ZERO, each
# hash the SHA-256 of the previous one followed by canonical JSON of the entry.
ZERO = "0" * 64
BATCH = 5_000
JOURNAL_SQL = (
    "SELECT e.id, e.chain_hash, e.entry_date, e.source_kind, e.source_number, e.memo, "
    "l.id, a.role, l.debit, l.credit, l.customer_id, l.invoice_id FROM journal_entry e "
    "LEFT JOIN journal_line l ON l.entry_id = e.id "
    "LEFT JOIN account a ON a.id = l.account_id "
    "ORDER BY e.source_kind, e.source_number, e.id"
)


def _json_encoder():
    """``json.dumps(value, sort_keys=True, separators=(",", ":"))``, with the C encoder
    built once instead of per call (the same bytes)."""
    from json.encoder import c_make_encoder, encode_basestring_ascii

    if c_make_encoder is None:
        return lambda value: json.dumps(value, sort_keys=True, separators=(",", ":"))

    def refuse(value):
        raise TypeError(f"{type(value).__name__} {value!r} has no canonical form")

    encode = c_make_encoder(
        None, refuse, encode_basestring_ascii, None, ":", ",", True, False, True
    )
    return lambda value: "".join(encode(value, 0))


_encode = _json_encoder()


def _journal_content(entry_date, source_kind, source_number, memo, lines) -> bytes:
    if isinstance(entry_date, date):
        entry_date = entry_date.isoformat()[:10]
    try:
        ordered = sorted(lines)
    except TypeError:
        ordered = sorted(
            lines, key=lambda line: [(True, 0) if v is None else (False, v) for v in line]
        )
    values = {
        "v": 1,
        "kind": "journal_entry",
        "entry_date": entry_date,
        "source_kind": source_kind,
        "source_number": source_number,
        "memo": memo,
        "lines": ordered,
    }
    return _encode(values).encode("ascii")


def _journal_seals(rows):
    """``(chain_hash, id)`` of every entry, from the rows of ``JOURNAL_SQL`` (one per
    line, an entry's rows together, its sources' entries in id order)."""
    source = None
    previous = ZERO
    sha256 = hashlib.sha256
    for entry_id, group in groupby(rows, key=itemgetter(0)):
        first = next(group)
        lines = [tuple(row[7:]) for row in (first, *group) if row[6] is not None]
        _, _, entry_date, kind, number, memo = first[:6]
        if (kind, number) != source:
            source, previous = (kind, number), ZERO
        content = _journal_content(entry_date, kind, number, memo, lines)
        previous = sha256(previous.encode("ascii") + content).hexdigest()
        yield previous, entry_id


def _seal_journal() -> None:
    """Seal every journal entry already in the ledger: one streamed pass (rows fetched
    a batch at a time), the hashes written a batch at a time while it runs."""
    connection = op.get_bind()
    # On this statement only: Connection.execution_options() would change the migration's
    # connection for good, and Alembic's own UPDATE of its version would become a cursor.
    rows = connection.execute(sa.text(JOURNAL_SQL), execution_options={"yield_per": BATCH})
    # The driver's own executemany: a parameter set built per row by SQLAlchemy would
    # cost more than the UPDATE itself.
    update = (
        "UPDATE journal_entry SET chain_hash = ? WHERE id = ?"
        if connection.dialect.paramstyle == "qmark"
        else "UPDATE journal_entry SET chain_hash = %s WHERE id = %s"
    )
    batch = []
    for sealed in _journal_seals(row for part in rows.partitions() for row in part):
        batch.append(sealed)
        if len(batch) == BATCH:
            connection.exec_driver_sql(update, batch)
            batch = []
    if batch:
        connection.exec_driver_sql(update, batch)


def _reversal_tables() -> None:
    op.create_table(
        "payment_void",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("void_date", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("chain_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_void_amount_positive")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_payment_void_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payment.id"], name=op.f("fk_payment_void_payment_id_payment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_void")),
        sa.UniqueConstraint("number", name=op.f("uq_payment_void_number")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_payment_void_payment_id")),
    )
    with op.batch_alter_table("payment_void") as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_void_customer_id"), ["customer_id"])
        batch_op.create_index(batch_op.f("ix_payment_void_void_date"), ["void_date"])
    op.create_table(
        "shipment_reversal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("reversal_date", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("chain_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_shipment_reversal_customer_id_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sales_order.id"], name=op.f("fk_shipment_reversal_order_id_sales_order")
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipment.id"], name=op.f("fk_shipment_reversal_shipment_id_shipment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_reversal")),
        sa.UniqueConstraint("number", name=op.f("uq_shipment_reversal_number")),
        sa.UniqueConstraint("shipment_id", name=op.f("uq_shipment_reversal_shipment_id")),
    )
    with op.batch_alter_table("shipment_reversal") as batch_op:
        batch_op.create_index(batch_op.f("ix_shipment_reversal_customer_id"), ["customer_id"])
        batch_op.create_index(batch_op.f("ix_shipment_reversal_order_id"), ["order_id"])
        batch_op.create_index(batch_op.f("ix_shipment_reversal_reversal_date"), ["reversal_date"])
    series = sa.table(
        "number_series",
        sa.column("kind", sa.String),
        sa.column("prefix", sa.String),
        sa.column("width", sa.Integer),
        sa.column("next_value", sa.Integer),
    )
    op.bulk_insert(
        series,
        [
            {"kind": "payment_void", "prefix": "PV-", "width": 5, "next_value": 1},
            {"kind": "shipment_reversal", "prefix": "SR-", "width": 5, "next_value": 1},
        ],
    )


def _classify_credits() -> None:
    """Give every existing credit memo line the effect it had, and the order lines
    their counters (see the module notes)."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT cl.id, cl.order_line_id, cl.qty, m.restock, m.return_id, p.service, "
            "ol.qty, ol.qty_shipped FROM credit_memo_line cl "
            "JOIN credit_memo m ON m.id = cl.credit_memo_id "
            "JOIN order_line ol ON ol.id = cl.order_line_id "
            "JOIN product p ON p.id = ol.product_id ORDER BY cl.id"
        )
    ).all()
    room: dict[int, int] = {}
    cancelled: dict[int, int] = {}
    effects: dict[str, list[int]] = {"return": [], "cancel": [], "none": []}
    for line_id, order_line_id, qty, restock, return_id, service, ordered, shipped in rows:
        left = room.get(order_line_id, ordered - shipped)
        if qty == 0:
            effect = "none"
        elif (restock or return_id is not None) and not service:
            effect = "return"
        elif qty <= left:
            effect = "cancel"
            room[order_line_id] = left - qty
            cancelled[order_line_id] = cancelled.get(order_line_id, 0) + qty
        else:
            effect = "none"
        effects[effect].append(line_id)
    line = sa.table("credit_memo_line", sa.column("id", sa.Integer), sa.column("effect", sa.String))
    for effect, ids in effects.items():
        for start in range(0, len(ids), 500):
            bind.execute(
                line.update().where(line.c.id.in_(ids[start : start + 500])).values(effect=effect)
            )
    order_line = sa.table(
        "order_line", sa.column("id", sa.Integer), sa.column("qty_cancelled", sa.BigInteger)
    )
    for order_line_id, qty in cancelled.items():
        bind.execute(
            order_line.update().where(order_line.c.id == order_line_id).values(qty_cancelled=qty)
        )


def downgrade() -> None:
    with op.batch_alter_table("order_line") as batch_op:
        batch_op.drop_constraint(op.f("ck_order_line_credit_effects_within"), type_="check")
        batch_op.drop_constraint(op.f("ck_order_line_shipped_within"), type_="check")
        batch_op.drop_constraint(op.f("ck_order_line_invoiced_within"), type_="check")
        batch_op.drop_constraint(op.f("ck_order_line_credited_within"), type_="check")
        batch_op.create_check_constraint(
            "invoiced_within", "qty_invoiced >= 0 AND qty_invoiced <= qty"
        )
        batch_op.create_check_constraint(
            "credited_within", "qty_credited >= 0 AND qty_credited <= qty_invoiced"
        )
        batch_op.create_check_constraint(
            "shipped_within", "qty_shipped >= 0 AND qty_shipped <= qty"
        )
        for name in reversed(NEW_COUNTERS):
            batch_op.drop_column(name)
    with op.batch_alter_table("journal_entry") as batch_op:
        batch_op.drop_column("chain_hash")
    with op.batch_alter_table("credit_memo_line") as batch_op:
        batch_op.drop_column("effect")
    with op.batch_alter_table("credit_memo") as batch_op:
        batch_op.drop_column("cancels_invoice")
    with op.batch_alter_table("sales_order") as batch_op:
        batch_op.drop_column("close_reason")
    with op.batch_alter_table("quote_note") as batch_op:
        batch_op.drop_column("customer_visible")
    with op.batch_alter_table("quote") as batch_op:
        batch_op.drop_constraint("fk_quote_copied_from_id_quote", type_="foreignkey")
        batch_op.drop_constraint("fk_quote_revision_of_id_quote", type_="foreignkey")
        batch_op.drop_index("ix_quote_copied_from_id")
        batch_op.drop_constraint("uq_quote_revision_of_id", type_="unique")
        batch_op.drop_column("copied_from_id")
        batch_op.drop_column("revision_of_id")
        batch_op.drop_column("revision")
    with op.batch_alter_table("allocation") as batch_op:
        batch_op.drop_column("released_by")
        batch_op.drop_column("released_on")
    op.execute("DELETE FROM number_series WHERE kind IN ('payment_void', 'shipment_reversal')")
    op.drop_table("shipment_reversal")
    op.drop_table("payment_void")
