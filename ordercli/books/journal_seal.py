"""Tamper evidence for the journal: every entry is sealed (SPEC rules 4 and 18).

Issued documents are sealed by ``books/integrity.py``; the journal entries
they post could still be edited behind ordercli's back without a document
changing: a cent moved from revenue to sales tax inside an invoice's entry
(the entry still balances), or a payment's entry re-dated a year earlier
(every as-of balance moves). So each entry stores ``chain_hash``, the SHA-256
of the previous entry's hash followed by the entry's own content, and
``ordercli check`` recomputes them.

The chain is per source document: the previous entry is the one before it
(in id order) with the same ``source_kind`` and ``source_number``; the first
entry of a source chains to 64 zeros. (Not to the document's own hash: some
sources, such as ``credit_applied`` on an invoice, are no document of a
chained kind.) The services lock the source document while they post, so two
writers never chain to the same predecessor, and no ledger-wide lock is
needed. An entry edited, re-dated or moved to another source no longer
matches its seal; an entry deleted from the middle of a source's chain breaks
the link of the one after it (deleting a source's only entry is what the
"has its journal entry" check and the receivables checks see).

The content is canonical JSON (sorted keys, no whitespace, ASCII) of
``{"v": 1, "kind": "journal_entry", "entry_date", "source_kind",
"source_number", "memo", "lines"}``; each line ``[role, debit, credit,
customer id, invoice id]`` (the account by its role, which never changes,
unlike its code and name; amounts in minor units; ids never change either),
the lines sorted. ``created_at`` is left out: it says when, not what.

``FORMAT`` is part of the content. Migration 0008 keeps a frozen copy of
format 1 to seal the entries of ledgers written before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from itertools import groupby
from operator import itemgetter

from sqlalchemy import text

from ordercli.books.integrity import ZERO, _encode, chain_hash

FORMAT = 1
LINE_FIELDS = ("role", "debit", "credit", "customer_id", "invoice_id")

# Every entry with its lines, one row per line (an entry with none: one row of NULLs),
# source by source and each source's entries in id order: the order its chain runs in,
# read from the (source_kind, source_number) index, so no source's hash is held longer
# than its own entries take.
ENTRIES_SQL = (
    "SELECT e.id, e.chain_hash, e.entry_date, e.source_kind, e.source_number, e.memo, "
    "l.id, a.role, l.debit, l.credit, l.customer_id, l.invoice_id FROM journal_entry e "
    "LEFT JOIN journal_line l ON l.entry_id = e.id "
    "LEFT JOIN account a ON a.id = l.account_id "
    "ORDER BY e.source_kind, e.source_number, e.id"
)


def content_of(
    entry_date, source_kind: str, source_number: str, memo: str, lines: Iterable[tuple]
) -> bytes:
    """The canonical bytes an entry is sealed with; ``lines`` are
    ``(role, debit, credit, customer_id, invoice_id)`` tuples (``Posting`` is one)."""
    if isinstance(entry_date, date):  # a datetime given for a date is stored as its day
        entry_date = entry_date.isoformat()[:10]
    lines = list(lines)
    try:
        ordered = sorted(lines)
    except TypeError:  # a missing value beside a present one (a dangling reference)
        ordered = sorted(lines, key=lambda line: [_order(v) for v in line])
    return _encode(
        {
            "v": FORMAT,
            "kind": "journal_entry",
            "entry_date": entry_date,
            "source_kind": source_kind,
            "source_number": source_number,
            "memo": memo,
            "lines": ordered,
        }
    ).encode("ascii")


def _order(value) -> tuple:
    return (True, 0) if value is None else (False, value)


def seal_of(
    previous: str,
    entry_date,
    source_kind: str,
    source_number: str,
    memo: str,
    lines: Iterable[tuple],
) -> str:
    """The entry's ``chain_hash``, chained to ``previous`` (``ZERO`` for a source's first)."""
    return chain_hash(previous, content_of(entry_date, source_kind, source_number, memo, lines))


# --- reading the chains back -----------------------------------------------------------


def named(entry_id: int, source_kind: str, source_number: str, entry_date) -> str:
    """``journal entry 123 (invoice INV-00004, 2026-05-01)``"""
    if isinstance(entry_date, date):
        entry_date = entry_date.isoformat()[:10]
    kind = str(source_kind).replace("_", " ")
    return f"journal entry {entry_id} ({kind} {source_number}, {entry_date})"


def entries(rows: Iterable) -> Iterator[tuple[int, str | None, tuple, bytes]]:
    """Join the rows of ``ENTRIES_SQL`` into entries, one entry's lines at a time:
    ``(id, recorded hash, (entry_date, source_kind, source_number), content)``."""
    for entry_id, group in groupby(rows, key=itemgetter(0)):
        first = next(group)
        lines = [row[7:] for row in (first, *group) if row[6] is not None]
        _, recorded, entry_date, source_kind, source_number, memo = first[:6]
        content = content_of(entry_date, source_kind, source_number, memo, lines)
        yield entry_id, recorded, (entry_date, source_kind, source_number), content


def rechain(rows: Iterable) -> Iterator[tuple[str, int]]:
    """``(chain_hash, id)`` of every entry sealed afresh, from the rows of
    ``ENTRIES_SQL`` (for ledgers written outside the services, such as the bench
    generator's)."""
    source = None
    previous = ZERO
    for entry_id, _, (_, *key), content in entries(rows):
        if key != source:
            source, previous = key, ZERO
        previous = chain_hash(previous, content)
        yield previous, entry_id


def journal_problems(connection) -> list[str]:
    """What ``ordercli check`` says about the journal's seals: the first entry (by id)
    that does not match its seal, and how many later ones do not either."""
    # Fetched a batch at a time: a server-side cursor on PostgreSQL, and on SQLite
    # fewer round trips through the driver than a row at a time.
    result = connection.execute(text(ENTRIES_SQL), execution_options={"yield_per": 5000})
    rows = (row for part in result.partitions() for row in part)
    broken: list[tuple[int, str]] = []
    source = None
    previous = ZERO
    for entry_id, recorded, (entry_date, *key), content in entries(rows):
        if key != source:
            source, previous = key, ZERO
        expected = chain_hash(previous, content)
        if recorded != expected:
            if recorded is None:
                why = "has no seal: it was written outside ordercli"
            else:
                # A deletion cannot be told from an edit: the deleted entry's seal is gone.
                why = (
                    "does not match its seal: changed after it was posted "
                    "(or an entry before it of the same source was deleted)"
                )
            kind, number = key
            broken.append((entry_id, f"{named(entry_id, kind, number, entry_date)} {why}"))
        # Each entry is judged against its predecessor as recorded, so an edit shows
        # once, at the entry edited (a deletion, at the one after it).
        previous = recorded or expected
    if not broken:
        return []
    broken.sort()
    first = broken[0][1]
    later = len(broken) - 1
    if later:
        first += f"; {later} later journal " + (
            "entries do not match either" if later > 1 else "entry does not match either"
        )
    return [first]
