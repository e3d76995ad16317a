"""Imports: an order remembers the reference it was imported under.

``sales_order.order_ref`` is the idempotency key of ``import orders``: a web
shop's or point of sale's own order number, unique across the ledger, so the
same file imported twice creates nothing twice. Orders entered by hand have
none. Exports filter orders by date, hence the index on ``order_date``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 04:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sales_order", sa.Column("order_ref", sa.String(), nullable=True))
    op.create_index("ix_sales_order_order_ref", "sales_order", ["order_ref"], unique=True)
    op.create_index("ix_sales_order_order_date", "sales_order", ["order_date"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sales_order_order_date", table_name="sales_order")
    op.drop_index("ix_sales_order_order_ref", table_name="sales_order")
    with op.batch_alter_table("sales_order") as batch_op:
        batch_op.drop_column("order_ref")
