"""Tamper evidence: every issued document is sealed by a hash chained to the one before it.

SPEC rule 4 says issued documents are never edited or deleted. The ledger is a
file anyone can open with ``sqlite3``, so the rule is made checkable: each
invoice, shipment, payment, credit memo and refund stores ``chain_hash``, the
SHA-256 of the previous document of its kind's ``chain_hash`` (64 zeros for the
first) followed by the document's own content. ``ordercli check`` recomputes
every chain and names the first document that no longer matches: an edit of its
content (a total, a line's quantity, a tracking number) changes its hash, and a
deleted document breaks the link of the one after it. The number series says
how many documents of a kind were issued, so deleting the last one shows too.

The content is canonical JSON (sorted keys, no whitespace, ASCII) of what the
document said when it was issued and never changes afterwards: numbers,
dates, amounts and quantities in the integer units the ledger stores, the
documents and parties it names by their number or code, and its lines sorted
by position. What legitimately changes later is left out: an invoice's paid
and credited amounts, a line's credited quantities, a payment's unapplied
credit and the credit applied later with ``payment apply``, a shipment's
delivery, a credit memo's settlement split and credit left. A payment's
content includes what it paid at receipt (invoice and amount).

The documents are chained in id order, which is issue order: the hash of the
previous document is read after taking the document's number, under the
number series' row lock (SQLite: the write lock of BEGIN IMMEDIATE), so two
writers never chain to the same predecessor.

``FORMAT`` is part of the content. A later format would come with a migration
that verifies the chains in the old format and rewrites them in the new one;
migration 0005 keeps its own frozen copy of format 1 to seal existing ledgers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from operator import itemgetter

from sqlalchemy import bindparam, text
from sqlmodel import Session, select

FORMAT = 1
ZERO = "0" * 64


@dataclass(frozen=True)
class Kind:
    """One kind of issued document: what its content holds and how to read it back.

    ``header_sql`` streams the documents in id order as ``id, chain_hash,
    *header``; ``lines_sql`` their lines ordered by document as ``document id,
    *lines``. ``update`` stores a hash, with parameters ``(chain_hash, id)``."""

    name: str
    label: str
    plural: str
    series: str
    header: tuple[str, ...]
    lines: tuple[str, ...]
    header_sql: str
    lines_sql: str | None
    update: str
    dates: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()


KINDS: tuple[Kind, ...] = (
    Kind(
        name="invoice",
        label="invoice",
        plural="invoices",
        series="invoice",
        header=(
            "number",
            "issue_date",
            "due_date",
            "subtotal",
            "tax",
            "total",
            "order",
            "customer",
        ),
        lines=(
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
        header_sql="SELECT v.id, v.chain_hash, v.number, v.issue_date, v.due_date, v.subtotal, "
        "v.tax, v.total, o.number, c.code FROM invoice v "
        "LEFT JOIN sales_order o ON o.id = v.order_id "
        "LEFT JOIN customer c ON c.id = v.customer_id ORDER BY v.id",
        lines_sql="SELECT invoice_id, position, order_line_id, sku, description, qty, unit_price, "
        "discount, tax_rate, net, tax FROM invoice_line ORDER BY invoice_id",
        update="UPDATE invoice SET chain_hash = ? WHERE id = ?",
        dates=frozenset({"issue_date", "due_date"}),
    ),
    Kind(
        name="shipment",
        label="shipment",
        plural="shipments",
        series="shipment",
        header=(
            "number",
            "carrier",
            "tracking",
            "ship_date",
            "order",
            "customer",
            "warehouse",
            "return",
        ),
        lines=("position", "order_line_id", "sku", "description", "qty"),
        header_sql="SELECT s.id, s.chain_hash, s.number, s.carrier, s.tracking, s.ship_date, "
        "o.number, c.code, w.code, r.number FROM shipment s "
        "LEFT JOIN sales_order o ON o.id = s.order_id "
        "LEFT JOIN customer c ON c.id = s.customer_id "
        "LEFT JOIN warehouse w ON w.id = s.warehouse_id "
        "LEFT JOIN rma r ON r.id = s.return_id ORDER BY s.id",
        lines_sql="SELECT shipment_id, position, order_line_id, sku, description, qty "
        "FROM shipment_line ORDER BY shipment_id",
        update="UPDATE shipment SET chain_hash = ? WHERE id = ?",
        dates=frozenset({"ship_date"}),
    ),
    Kind(
        name="payment",
        label="payment",
        plural="payments",
        series="payment",
        header=("number", "amount", "method", "reference", "received_on", "customer"),
        # What the payment paid when it was recorded; credit applied later is not in it.
        lines=("invoice", "amount"),
        header_sql="SELECT p.id, p.chain_hash, p.number, p.amount, p.method, p.reference, "
        "p.received_on, c.code FROM payment p "
        "LEFT JOIN customer c ON c.id = p.customer_id ORDER BY p.id",
        lines_sql="SELECT a.payment_id, v.number, a.amount FROM allocation a "
        "LEFT JOIN invoice v ON v.id = a.invoice_id WHERE a.payment_id IS NOT NULL "
        "AND a.at_receipt = :yes AND a.invoice_id IS NOT NULL ORDER BY a.payment_id",
        update="UPDATE payment SET chain_hash = ? WHERE id = ?",
        dates=frozenset({"received_on"}),
    ),
    Kind(
        name="credit_memo",
        label="credit memo",
        plural="credit memos",
        series="credit_memo",
        header=(
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
        lines=(
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
        header_sql="SELECT m.id, m.chain_hash, m.number, m.issue_date, m.subtotal, m.tax, "
        "m.total, m.settlement, m.restock, m.reason, v.number, o.number, c.code, r.number "
        "FROM credit_memo m LEFT JOIN invoice v ON v.id = m.invoice_id "
        "LEFT JOIN sales_order o ON o.id = m.order_id "
        "LEFT JOIN customer c ON c.id = m.customer_id "
        "LEFT JOIN rma r ON r.id = m.return_id ORDER BY m.id",
        lines_sql="SELECT credit_memo_id, position, invoice_line_id, order_line_id, sku, "
        "description, qty, unit_price, tax_rate, net, tax FROM credit_memo_line "
        "ORDER BY credit_memo_id",
        update="UPDATE credit_memo SET chain_hash = ? WHERE id = ?",
        dates=frozenset({"issue_date"}),
        flags=frozenset({"restock"}),
    ),
    Kind(
        name="refund",
        label="refund",
        plural="refunds",
        series="refund",
        header=(
            "number",
            "amount",
            "method",
            "reference",
            "refunded_on",
            "customer",
            "credit_memo",
        ),
        lines=(),
        header_sql="SELECT f.id, f.chain_hash, f.number, f.amount, f.method, f.reference, "
        "f.refunded_on, c.code, m.number FROM refund f "
        "LEFT JOIN customer c ON c.id = f.customer_id "
        "LEFT JOIN credit_memo m ON m.id = f.credit_memo_id ORDER BY f.id",
        lines_sql=None,
        update="UPDATE refund SET chain_hash = ? WHERE id = ?",
        dates=frozenset({"refunded_on"}),
    ),
    Kind(
        name="payment_void",
        label="payment void",
        plural="payment voids",
        series="payment_void",
        header=("number", "amount", "void_date", "reason", "payment", "customer"),
        lines=(),
        header_sql="SELECT x.id, x.chain_hash, x.number, x.amount, x.void_date, x.reason, "
        "p.number, c.code FROM payment_void x "
        "LEFT JOIN payment p ON p.id = x.payment_id "
        "LEFT JOIN customer c ON c.id = x.customer_id ORDER BY x.id",
        lines_sql=None,
        update="UPDATE payment_void SET chain_hash = ? WHERE id = ?",
        dates=frozenset({"void_date"}),
    ),
    Kind(
        name="shipment_reversal",
        label="shipment reversal",
        plural="shipment reversals",
        series="shipment_reversal",
        header=("number", "reversal_date", "reason", "shipment", "order", "customer"),
        lines=(),
        header_sql="SELECT x.id, x.chain_hash, x.number, x.reversal_date, x.reason, "
        "s.number, o.number, c.code FROM shipment_reversal x "
        "LEFT JOIN shipment s ON s.id = x.shipment_id "
        "LEFT JOIN sales_order o ON o.id = x.order_id "
        "LEFT JOIN customer c ON c.id = x.customer_id ORDER BY x.id",
        lines_sql=None,
        update="UPDATE shipment_reversal SET chain_hash = ? WHERE id = ?",
        dates=frozenset({"reversal_date"}),
    ),
)
BY_NAME = {kind.name: kind for kind in KINDS}


# --- the content and its hash ----------------------------------------------------------


def _json_encoder():
    """Canonical JSON: sorted keys, no whitespace, ASCII. ``json.dumps`` builds a new
    encoder on every call, which costs more than encoding a document; the C encoder it
    uses is built once here (``json.dumps`` where Python has none)."""
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


def _canonical(kind: Kind, header: tuple, lines: list[tuple]) -> bytes:
    """``{"v": 1, "kind": …, the header fields…, "lines": [[…], …]}`` as canonical JSON;
    each line an array of ``kind.lines`` in that order, the lines sorted (by position,
    which comes first)."""
    values = dict(zip(kind.header, header, strict=True))
    for name in kind.dates:
        value = values[name]
        if isinstance(value, date):  # a datetime given for a date is stored as its day
            values[name] = value.isoformat()[:10]
    for name in kind.flags:
        if values[name] is not None:
            values[name] = bool(values[name])
    values["v"] = FORMAT
    values["kind"] = kind.name
    if kind.lines:
        try:
            values["lines"] = sorted(lines)
        except TypeError:  # a missing value beside a present one (a dangling reference)
            values["lines"] = sorted(lines, key=lambda line: [_order(v) for v in line])
    return _encode(values).encode("ascii")


def _order(value) -> tuple:
    return (True, 0) if value is None else (False, value)


def _fields(source, names: tuple[str, ...]) -> tuple:
    """``names`` of ``source``: a mapping's items or an object's attributes."""
    # One type check per row, not per field: a batch seals tens of thousands of lines.
    if isinstance(source, Mapping):
        return tuple(source[name] for name in names)
    return tuple(getattr(source, name) for name in names)


def content_of(kind: str, row, lines: Iterable = ()) -> bytes:
    """The canonical bytes a document of ``kind`` is sealed with.

    ``row`` holds the header fields of ``Kind.header`` (a mapping, or an object
    with those attributes) and ``lines`` the line fields of ``Kind.lines``."""
    spec = BY_NAME[kind]
    return _canonical(spec, _fields(row, spec.header), [_fields(ln, spec.lines) for ln in lines])


def chain_hash(previous: str, content: bytes) -> str:
    """SHA-256 (hex) of the previous document's hash followed by this one's content."""
    return hashlib.sha256(previous.encode("ascii") + content).hexdigest()


# --- sealing a document as it is issued ------------------------------------------------


def seal(session: Session, document, *, refs: Mapping, lines: Iterable = ()) -> str:
    """Set ``document.chain_hash``, chained to the latest document of its kind.

    Call it after the document's number was taken (which holds the series'
    lock until commit) and with everything it says: ``refs`` names what it
    refers to by number or code (``order``, ``customer``, …), ``lines`` are its
    lines (objects or mappings with the line fields). Before the document is
    added to the session the hash goes out with its INSERT; after, with an
    UPDATE at the next flush."""
    model = type(document)
    spec = BY_NAME[model.__tablename__]
    header = tuple(refs[name] if name in refs else getattr(document, name) for name in spec.header)
    content = _canonical(spec, header, [_fields(ln, spec.lines) for ln in lines])
    session.flush()
    queries = _LATEST.get(model)
    if queries is None:
        latest = select(model.chain_hash).order_by(model.id.desc()).limit(1)
        queries = _LATEST[model] = (latest, latest.where(model.id < bindparam("before")))
    if document.id is None:  # not written yet: after every document that is
        previous = session.connection().execute(queries[0]).scalar()
    else:
        previous = session.connection().execute(queries[1], {"before": document.id}).scalar()
    document.chain_hash = chain_hash(previous or ZERO, content)
    return document.chain_hash


_LATEST: dict = {}  # per model: the latest hash, and the latest before an id


# --- reading the chains back -----------------------------------------------------------


@dataclass
class Sealed:
    """One document as stored: its id, number, recorded hash and recomputed content."""

    id: int
    number: str
    recorded: str | None
    content: bytes


def documents(kind: Kind, headers: Iterable, lines: Iterable = ()) -> Iterator[Sealed]:
    """Join the rows of ``kind.header_sql`` and ``kind.lines_sql`` (both in
    document order) into documents, holding one document's lines at a time."""
    width = len(kind.header)
    groups = groupby(lines, key=itemgetter(0))
    group_id, group = next(groups, (None, ()))
    for row in headers:
        doc_id = row[0]
        while group_id is not None and group_id < doc_id:  # lines of no document
            group_id, group = next(groups, (None, ()))
        mine = []
        if group_id == doc_id:
            mine = [tuple(line[1:]) for line in group]
            group_id, group = next(groups, (None, ()))
        header = tuple(row[2 : 2 + width])
        yield Sealed(doc_id, header[0], row[1], _canonical(kind, header, mine))


def _read(connection, kind: Kind, options: dict) -> tuple[Iterable, Iterable]:
    headers = connection.execute(text(kind.header_sql), execution_options=options)
    if kind.lines_sql is None:
        return headers, ()
    lines = connection.execute(text(kind.lines_sql), {"yes": True}, execution_options=options)
    return headers, lines


def rechain(kind: Kind, headers: Iterable, lines: Iterable = ()) -> Iterator[tuple[str, int]]:
    """``(chain_hash, id)`` of every document of ``kind`` sealed afresh, in id order
    (for ledgers written outside the services, such as the bench generator's)."""
    previous = ZERO
    for doc in documents(kind, headers, lines):
        previous = chain_hash(previous, doc.content)
        yield previous, doc.id


def chain_problems(connection) -> list[str]:
    """What ``ordercli check`` says about the chains: per kind, the first document
    whose recorded hash is not what its content and its predecessor give, and a
    number series that issued more or fewer documents than the ledger holds."""
    issued = dict(connection.execute(text("SELECT kind, next_value - 1 FROM number_series")).all())
    # PostgreSQL's driver would fetch a whole result at once; a server-side cursor streams.
    options = {"yield_per": 5000} if connection.dialect.name == "postgresql" else {}
    problems = []
    for kind in KINDS:
        previous = ZERO
        count = 0
        first = None
        later = 0
        for doc in documents(kind, *_read(connection, kind, options)):
            count += 1
            expected = chain_hash(previous, doc.content)
            if doc.recorded != expected:
                if first is not None:
                    later += 1
                elif doc.recorded is None:
                    first = (
                        f"{kind.label} {doc.number} has no recorded hash: it was written "
                        "outside ordercli"
                    )
                else:
                    first = (
                        f"{kind.label} {doc.number} does not match its recorded hash: it was "
                        "changed after it was issued (or a document before it was)"
                    )
            # Each document is judged against its predecessor as recorded, so an edit
            # shows once, at the document edited (a deletion, at the one after it).
            previous = doc.recorded or expected
        if first is not None:
            if later:
                first += f"; {later} later {kind.plural if later > 1 else kind.label} " + (
                    "do not match either" if later > 1 else "does not match either"
                )
            problems.append(first)
        numbers = issued.get(kind.series)
        if numbers is not None and numbers != count:
            problems.append(
                f"the {kind.label} series has issued {numbers} number(s) but the ledger holds "
                f"{count} {kind.plural}: "
                + ("a document was deleted" if count < numbers else "a document was added")
                + " outside ordercli"
            )
    return problems
