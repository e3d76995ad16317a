"""Units of measure on products and lines; seller and buyer frozen on issued documents.

Products get a UN/ECE Recommendation 20 ``unit`` (``C62`` one, ``KGM``
kilogram, ``HUR`` hour …); every quote, order, invoice, shipment, credit memo
and return line keeps the unit its product had when the line was written.
Existing products and lines are ``C62``: the ledger never said otherwise.

Invoices, credit memos and shipments point at a ``party_snapshot`` each for
the seller and the buyer: names, addresses and tax ids as the document printed
them (SPEC rule 4). Documents issued before this migration are frozen with the
company profile and customer details as they stand when it runs, the closest
the ledger can come to what it printed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 11:00:00
"""

import hashlib
import json

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

LINE_TABLES = (
    "quote_line",
    "order_line",
    "invoice_line",
    "shipment_line",
    "credit_memo_line",
    "rma_line",
)
DOCUMENT_TABLES = ("invoice", "shipment", "credit_memo")

# A frozen copy of services/parties/snapshots.py as of this revision.
SELLER_FIELDS = ("name", "address", "tax_id", "bank_details", "footer")
BUYER_FIELDS = ("code", "name", "email", "phone", "billing_address", "shipping_address", "tax_id")


def _canonical(role: str, fields: dict) -> tuple[str, str]:
    content = json.dumps({"role": role, **fields}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(content.encode("utf-8")).hexdigest(), content


def upgrade() -> None:
    for table in ("product", *LINE_TABLES):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "unit",
                    sqlmodel.sql.sqltypes.AutoString(length=3),
                    nullable=False,
                    server_default="C62",
                )
            )
    # Nothing falls back on a default afterwards: the services copy the product's unit
    # to each line, so a line written without one is refused instead of guessed.
    for table in ("product", *LINE_TABLES):
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("unit", server_default=None)

    op.create_table(
        "party_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_snapshot")),
        sa.UniqueConstraint("digest", name=op.f("uq_party_snapshot_digest")),
    )
    for table in DOCUMENT_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("seller_id", sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column("buyer_id", sa.Integer(), nullable=True))
    _freeze_existing_documents()
    for table in DOCUMENT_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("seller_id", existing_type=sa.Integer(), nullable=False)
            batch_op.alter_column("buyer_id", existing_type=sa.Integer(), nullable=False)
            for role in ("seller", "buyer"):
                batch_op.create_foreign_key(
                    batch_op.f(f"fk_{table}_{role}_id_party_snapshot"),
                    "party_snapshot",
                    [f"{role}_id"],
                    ["id"],
                )


def _freeze_existing_documents() -> None:
    bind = op.get_bind()
    issued_to = sa.union(
        *(
            sa.select(sa.table(table, sa.column("customer_id", sa.Integer)).c.customer_id)
            for table in DOCUMENT_TABLES
        )
    )
    if bind.execute(sa.select(issued_to.subquery()).limit(1)).first() is None:
        # Nothing issued yet: a new ledger starts with no snapshot (migrate-to wants it empty).
        return
    snapshot = sa.table(
        "party_snapshot",
        sa.column("id", sa.Integer),
        sa.column("digest", sa.String),
        sa.column("content", sa.Text),
    )
    settings = dict(bind.execute(sa.text("SELECT key, value FROM setting")).all())
    seller = {field: settings.get(f"company_{field}") for field in SELLER_FIELDS}
    wanted = {"seller": _canonical("seller", seller)}
    customer = sa.table("customer", sa.column("id", sa.Integer), *map(sa.column, BUYER_FIELDS))
    # Only the customers documents were issued to.
    customers = bind.execute(sa.select(customer).where(customer.c.id.in_(issued_to))).mappings()
    for row in customers:
        wanted[row["id"]] = _canonical("buyer", {field: row[field] for field in BUYER_FIELDS})
    unique = {digest: content for digest, content in wanted.values()}
    if unique:
        op.bulk_insert(snapshot, [{"digest": d, "content": c} for d, c in unique.items()])
    ids = dict(bind.execute(sa.select(snapshot.c.digest, snapshot.c.id)).all())
    seller_id = ids[wanted["seller"][0]]
    # One UPDATE per table, through a map of customer to snapshot.
    bind.execute(
        sa.text(
            "CREATE TEMPORARY TABLE buyer_map (customer_id INTEGER PRIMARY KEY, buyer_id INTEGER)"
        )
    )
    buyer_map = sa.table(
        "buyer_map", sa.column("customer_id", sa.Integer), sa.column("buyer_id", sa.Integer)
    )
    pairs = [
        {"customer_id": key, "buyer_id": ids[digest]}
        for key, (digest, _) in wanted.items()
        if key != "seller"
    ]
    if pairs:
        bind.execute(sa.insert(buyer_map), pairs)
    for table in DOCUMENT_TABLES:
        document = sa.table(
            table,
            sa.column("customer_id", sa.Integer),
            sa.column("seller_id", sa.Integer),
            sa.column("buyer_id", sa.Integer),
        )
        bind.execute(
            document.update().values(
                seller_id=seller_id,
                buyer_id=sa.select(buyer_map.c.buyer_id)
                .where(buyer_map.c.customer_id == document.c.customer_id)
                .scalar_subquery(),
            )
        )
    bind.execute(sa.text("DROP TABLE buyer_map"))


def downgrade() -> None:
    for table in DOCUMENT_TABLES:
        with op.batch_alter_table(table) as batch_op:
            for role in ("seller", "buyer"):
                batch_op.drop_constraint(f"fk_{table}_{role}_id_party_snapshot", type_="foreignkey")
            batch_op.drop_column("buyer_id")
            batch_op.drop_column("seller_id")
    op.drop_table("party_snapshot")
    for table in (*LINE_TABLES, "product"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("unit")
