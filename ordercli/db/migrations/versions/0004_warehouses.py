"""Warehouses: stock is held, received, moved and shipped per warehouse.

Adds the ``warehouse`` table with the default warehouse ``MAIN``; every stock
move names its warehouse (existing moves belong to ``MAIN``) and every
shipment the warehouse it left from. Products get an optional bin
``location`` for pick lists.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 05:00:00
"""

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "warehouse",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouse")),
        sa.UniqueConstraint("code", name=op.f("uq_warehouse_code")),
    )
    warehouse = sa.table(
        "warehouse",
        sa.column("id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("active", sa.Boolean),
        sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime),
    )
    # No explicit id, so PostgreSQL's sequence stays in step with the table.
    op.bulk_insert(
        warehouse,
        [
            {
                "code": "MAIN",
                "name": "Main warehouse",
                "active": True,
                "created_at": datetime.now(UTC),
            }
        ],
    )
    main_id = (
        op.get_bind().execute(sa.select(warehouse.c.id).where(warehouse.c.code == "MAIN")).scalar()
    )
    setting = sa.table("setting", sa.column("key", sa.String), sa.column("value", sa.String))
    op.bulk_insert(setting, [{"key": "default_warehouse_id", "value": str(main_id)}])

    with op.batch_alter_table("stock_move") as batch_op:
        batch_op.add_column(
            sa.Column("warehouse_id", sa.Integer(), nullable=False, server_default=str(main_id))
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_stock_move_warehouse_id_warehouse"),
            "warehouse",
            ["warehouse_id"],
            ["id"],
        )
        batch_op.create_index(
            "ix_stock_move_product_id_warehouse_id", ["product_id", "warehouse_id"], unique=False
        )
    with op.batch_alter_table("stock_move") as batch_op:
        batch_op.alter_column("warehouse_id", server_default=None)

    with op.batch_alter_table("shipment") as batch_op:
        batch_op.add_column(sa.Column("warehouse_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_shipment_warehouse_id_warehouse"), "warehouse", ["warehouse_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_shipment_warehouse_id"), ["warehouse_id"])
    shipment = sa.table("shipment", sa.column("warehouse_id", sa.Integer))
    op.execute(shipment.update().values(warehouse_id=main_id))

    with op.batch_alter_table("product") as batch_op:
        batch_op.add_column(
            sa.Column("location", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("product") as batch_op:
        batch_op.drop_column("location")
    with op.batch_alter_table("shipment") as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_warehouse_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_shipment_warehouse_id_warehouse"), type_="foreignkey"
        )
        batch_op.drop_column("warehouse_id")
    with op.batch_alter_table("stock_move") as batch_op:
        batch_op.drop_index("ix_stock_move_product_id_warehouse_id")
        batch_op.drop_constraint(
            batch_op.f("fk_stock_move_warehouse_id_warehouse"), type_="foreignkey"
        )
        batch_op.drop_column("warehouse_id")
    op.execute("DELETE FROM setting WHERE key = 'default_warehouse_id'")
    op.drop_table("warehouse")
