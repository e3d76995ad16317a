"""E-invoices (SPEC rule 21): the tax and party data EN 16931 asks for.

- ``customer``: VAT id, billing address in parts with its ISO 3166 country, the
  buyer reference public buyers require (BT-10) and an electronic address.
- ``product``: the VAT category it is sold under and its exemption reason.
- ``sales_order`` and ``invoice``: the buyer reference and purchase-order number.
- ``invoice_line``: the VAT category decided at issue and its exemption reason.
  Lines of an older ledger become ``S`` when they carry tax and ``Z`` when not.
- ``billing_agreement``: the account a direct-debit mandate debits.
The seller's e-invoice data (VAT id, address parts, bank account…) are company
settings, which need no schema.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 00:04:55
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

CATEGORIES = "vat_category IN ('S', 'Z', 'E', 'AE', 'K', 'G', 'O')"


def _text(name: str, length: int | None = None) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=True)


def upgrade() -> None:
    with op.batch_alter_table("billing_agreement", schema=None) as batch_op:
        batch_op.add_column(_text("iban", 34))

    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.add_column(_text("vat_id", 20))
        batch_op.add_column(_text("street"))
        batch_op.add_column(_text("postcode", 16))
        batch_op.add_column(_text("city"))
        batch_op.add_column(_text("country", 2))
        batch_op.add_column(_text("buyer_reference", 200))
        batch_op.add_column(_text("endpoint", 200))

    for table in ("sales_order", "invoice"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(_text("buyer_reference", 200))
            batch_op.add_column(_text("purchase_order", 200))

    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.add_column(_text("vat_category", 2))
        batch_op.add_column(_text("vat_exemption"))

    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "vat_category",
                sqlmodel.sql.sqltypes.AutoString(length=2),
                nullable=False,
                server_default="S",
            )
        )
        batch_op.add_column(_text("vat_exemption"))
        batch_op.add_column(_text("vat_exemption_code", 40))
        batch_op.create_check_constraint(op.f("ck_invoice_line_vat_category_known"), CATEGORIES)
    op.execute("UPDATE invoice_line SET vat_category = 'Z' WHERE tax_rate = 0")


def downgrade() -> None:
    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_invoice_line_vat_category_known"), type_="check")
        batch_op.drop_column("vat_exemption_code")
        batch_op.drop_column("vat_exemption")
        batch_op.drop_column("vat_category")

    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_column("vat_exemption")
        batch_op.drop_column("vat_category")

    for table in ("invoice", "sales_order"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("purchase_order")
            batch_op.drop_column("buyer_reference")

    with op.batch_alter_table("customer", schema=None) as batch_op:
        for column in ("endpoint", "buyer_reference", "country", "city", "postcode", "street"):
            batch_op.drop_column(column)
        batch_op.drop_column("vat_id")

    with op.batch_alter_table("billing_agreement", schema=None) as batch_op:
        batch_op.drop_column("iban")
