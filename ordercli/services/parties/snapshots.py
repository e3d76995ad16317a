"""Seller and buyer frozen on each issued document (SPEC rule 4).

An invoice, credit memo or shipment prints the names, addresses and tax ids of
both parties as they were when it was issued, so a reprint after the customer
moves, or after the company changes its bank, shows what the customer received.
Each document points at two ``party_snapshot`` rows; a snapshot is canonical
JSON stored once per distinct content, so issuing in bulk adds a row only per
customer whose details are new.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from sqlalchemy import String, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col

from ordercli.books import settings
from ordercli.db.lookup import chunks
from ordercli.models import Customer, PartySnapshot

# What a document prints of each party (migration 0007 backfills with the same fields).
SELLER_FIELDS = ("name", "address", "tax_id", "bank_details", "footer")
BUYER_FIELDS = ("code", "name", "email", "phone", "billing_address", "shipping_address", "tax_id")
SELLER_KEYS = {field: f"company_{field}" for field in SELLER_FIELDS}
# What an e-invoice needs besides (rule 21), frozen too, each only when set: a ledger
# without them keeps the snapshots (and digests) it always had.
SELLER_EINVOICE_KEYS = {
    **{
        field: f"company_{field}"
        for field in (
            *("vat_id", "registration_id", "street", "postcode", "city", "country"),
            *("contact", "phone", "iban", "bic", "creditor_id", "endpoint"),
        )
    },
}
BUYER_EINVOICE_FIELDS = (
    *("vat_id", "street", "postcode", "city", "country", "buyer_reference", "endpoint"),
)


def canonical(role: str, fields: dict) -> tuple[str, str]:
    """(digest, content) of one party's snapshot."""
    content = json.dumps({"role": role, **fields}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(content.encode("utf-8")).hexdigest(), content


def seller_fields(session: Session) -> dict:
    fields = {
        field: settings.get_setting(session=session, key=key) for field, key in SELLER_KEYS.items()
    }
    for field, key in SELLER_EINVOICE_KEYS.items():
        value = settings.get_setting(session=session, key=key)
        if value is not None:
            fields[field] = value
    return fields


def buyer_fields(customer: Customer) -> dict:
    fields = {field: getattr(customer, field) for field in BUYER_FIELDS}
    for field in BUYER_EINVOICE_FIELDS:
        value = getattr(customer, field)
        if value is not None:
            fields[field] = value
    return fields


def _dialect_insert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def _store(session: Session, snapshots: dict[str, str]) -> dict[str, int]:
    """The id of each snapshot by digest, inserting the ones not stored yet."""
    ids: dict[str, int] = {}
    digests = list(snapshots)
    for chunk in chunks(digests):
        for row in session.execute(
            select(col(PartySnapshot.id), col(PartySnapshot.digest)).where(
                col(PartySnapshot.digest).in_(chunk)
            )
        ):
            ids[row.digest] = row.id
    missing = [d for d in digests if d not in ids]
    if missing:
        # Another writer may store the same snapshot at the same moment (PostgreSQL).
        statement = _dialect_insert(session)(PartySnapshot).on_conflict_do_nothing(
            index_elements=["digest"]
        )
        session.execute(statement, [{"digest": d, "content": snapshots[d]} for d in missing])
        for chunk in chunks(missing):
            for row in session.execute(
                select(col(PartySnapshot.id), col(PartySnapshot.digest)).where(
                    col(PartySnapshot.digest).in_(chunk)
                )
            ):
                ids[row.digest] = row.id
    return ids


def freeze_parties(session: Session, customer_ids: Iterable[int]) -> tuple[int, dict[int, int]]:
    """The seller's snapshot id and each customer's (by customer id), stored as needed."""
    seller_digest, seller_content = canonical("seller", seller_fields(session))
    wanted = {seller_digest: seller_content}
    # Stored in the order the customers come (the order of the documents), so a batch
    # writes the same rows as issuing its documents one by one.
    order = list(dict.fromkeys(customer_ids))
    customers: dict[int, Customer] = {}
    for chunk in chunks(order):
        for customer in session.scalars(select(Customer).where(col(Customer.id).in_(chunk))):
            assert customer.id is not None  # a stored row
            customers[customer.id] = customer
    by_customer: dict[int, str] = {}
    for customer_id in order:
        digest, content = canonical("buyer", buyer_fields(customers[customer_id]))
        wanted.setdefault(digest, content)
        by_customer[customer_id] = digest
    ids = _store(session, wanted)
    return ids[seller_digest], {cid: ids[d] for cid, d in by_customer.items()}


def freeze_parties_of(session: Session, customer_id: int) -> tuple[int, int]:
    """(seller id, buyer id) of a document issued now to one customer."""
    seller_id, buyers = freeze_parties(session, [customer_id])
    return seller_id, buyers[customer_id]


def snapshot_fields(session: Session, ids: Iterable[int]) -> dict[int, dict]:
    """The fields of each snapshot by id (without its role), a query per 500 ids."""
    found = {}
    for chunk in chunks(sorted(set(ids))):
        for row in session.execute(
            select(col(PartySnapshot.id), col(PartySnapshot.content)).where(
                col(PartySnapshot.id).in_(chunk)
            )
        ):
            fields = json.loads(row.content)
            fields.pop("role", None)
            found[row.id] = fields
    return found


class snapshot_field(FunctionElement):  # noqa: N801 - named like the SQL functions it stands for
    """One field of a snapshot's ``content`` as text in SQL, for set-based reads (exports):
    ``snapshot_field(PartySnapshot.content, "name")``."""

    type = String()
    inherit_cache = True

    def __init__(self, content, field: str) -> None:
        if field not in SELLER_FIELDS and field not in BUYER_FIELDS:
            raise ValueError(f"a party snapshot has no field {field!r}")
        # The field name is one of the known fields, never user input: a literal keeps
        # it in the statement and in SQLAlchemy's cache key.
        super().__init__(content, literal_column(f"'{field}'", String))


@compiles(snapshot_field, "postgresql")
def _snapshot_field_postgresql(element, compiler, **kw):
    content, field = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(CAST({content} AS json) ->> {field})"


@compiles(snapshot_field)
def _snapshot_field(element, compiler, **kw):
    content, field = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"json_extract({content}, '$.' || {field})"
