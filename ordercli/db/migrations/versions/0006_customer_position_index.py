"""A covering index for customer balances.

A customer's balance and unused credit are sums over their journal lines
(receivable and customer-credit accounts). With only ``customer_id`` indexed,
every one of those lines was fetched from the table, so ``customer list`` and
``customer show`` slowed down as a shop's history grew. The index now holds
everything the sums read (account, debit, credit, and the entry for
``--as-of``), so they are answered from the index alone; it replaces the
plain ``customer_id`` index, which is its prefix.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 11:00:00
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = ["customer_id", "account_id", "debit", "credit", "entry_id"]


def upgrade() -> None:
    op.create_index("ix_journal_line_customer_position", "journal_line", COLUMNS)
    op.drop_index("ix_journal_line_customer_id", table_name="journal_line")


def downgrade() -> None:
    op.create_index("ix_journal_line_customer_id", "journal_line", ["customer_id"])
    op.drop_index("ix_journal_line_customer_position", table_name="journal_line")
