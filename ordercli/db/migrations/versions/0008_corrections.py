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
- Journal entries get a ``chain_hash`` (books/integrity.py seals them).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 14:30:00
"""

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
        batch_op.create_check_constraint(
            "invoiced_within",
            "qty_invoiced >= qty_reopened AND qty_invoiced - qty_reopened <= qty - qty_closed",
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
        sa.Column("created_at", sa.DateTime(), nullable=False),
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
        sa.Column("created_at", sa.DateTime(), nullable=False),
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
        batch_op.create_check_constraint(
            "invoiced_within", "qty_invoiced >= 0 AND qty_invoiced <= qty"
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
