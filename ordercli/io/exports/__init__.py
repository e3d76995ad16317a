"""Exports for the accountant: documents and the journal as CSV, JSON Lines,
XLSX, hledger or beancount (SPEC, "Documents and imports").

An export is one set-based query per kind (``queries``) whose rows stream
from the cursor straight into a writer (``tabular``, ``ledger_formats``):
memory stays flat whatever the size of the ledger. Dates are ISO 8601,
money plain decimals with the currency's minor digits, and text that a
spreadsheet would run as a formula is neutralised. A file is written whole or
not at all (``files``). Exports only read: they run in a read-only unit of
work and change nothing.
"""

from __future__ import annotations

from contextlib import closing
from datetime import date
from pathlib import Path
from typing import IO, BinaryIO

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from ordercli.books.clock import today
from ordercli.books.settings import currency, get_setting, minor_digits
from ordercli.db.queries import check_date_range
from ordercli.domain.errors import InvalidInput
from ordercli.io.exports import ledger_formats, queries, tabular
from ordercli.io.files import atomic_file, check_target

KINDS = tuple(queries.TABLES)
TABULAR_FORMATS = ("csv", "jsonl", "xlsx")
LEDGER_FORMATS = ("hledger", "beancount")
FORMATS = TABULAR_FORMATS + LEDGER_FORMATS
EXTENSIONS = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".xlsx": "xlsx",
    ".beancount": "beancount",
    ".bean": "beancount",
    ".journal": "hledger",
    ".hledger": "hledger",
}
# Rows a cursor hands over at a time: big enough to be fast, small enough to stay flat.
BATCH = 2000
# What one row is, for "wrote 1,234 invoices to FILE".
ROW_NAMES = {
    "invoices": ("invoice", "invoices"),
    "invoice-lines": ("invoice line", "invoice lines"),
    "payments": ("payment", "payments"),
    "credit-memos": ("credit memo", "credit memos"),
    "orders": ("order line", "order lines"),
    "journal": ("journal line", "journal lines"),
}


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInput(f"unknown export {kind!r} (one of {', '.join(KINDS)})")
    return kind


def resolve_format(kind: str, fmt: str | None, path: Path | None) -> str:
    """The format asked for, else the one the file's extension names, else CSV.

    A format that contradicts the extension is refused rather than guessed at,
    and hledger/beancount are for the journal only.
    """
    check_kind(kind)
    implied = EXTENSIONS.get(path.suffix.lower()) if path is not None else None
    if fmt is not None:
        fmt = fmt.strip().lower()
        if fmt not in FORMATS:
            raise InvalidInput(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
        if implied is not None and implied != fmt:
            assert path is not None  # implied is its extension's format
            raise InvalidInput(
                f"--format {fmt} does not match the file name {path.name} ({implied})",
                hint=f"drop --format, or name the file *.{fmt}",
            )
    fmt = fmt or implied or "csv"
    if fmt in LEDGER_FORMATS and kind != "journal":
        raise InvalidInput(
            f"{fmt} is a format for the journal; export {kind} as {', '.join(TABULAR_FORMATS)}",
            hint=f"ordercli export journal --format {fmt}",
        )
    return fmt


def check_request(
    *, kind: str, fmt: str | None, path: Path | None, date_from: date | None, date_to: date | None
) -> str:
    """Everything about an export that can be refused before the ledger is opened;
    returns the format."""
    fmt = resolve_format(kind, fmt, path)
    check_date_range(date_from, date_to)
    if path is not None:
        check_target(path)
    return fmt


def rows_label(kind: str, rows: int) -> str:
    """``1,234 invoices``, ``1 invoice line``."""
    one, many = ROW_NAMES[kind]
    return f"{rows:,} {one if rows == 1 else many}"


def export(
    *,
    session: Session,
    kind: str,
    fmt: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    out: Path | BinaryIO,
) -> int:
    """Write one kind of export to ``out`` (a file path, or a binary stream such
    as stdout); return the number of rows (journal lines for the journal)."""
    path = Path(out) if isinstance(out, str | Path) else None
    fmt = check_request(kind=kind, fmt=fmt, path=path, date_from=date_from, date_to=date_to)
    if path is None:
        assert not isinstance(out, Path)  # path is None exactly when out is a stream
        return _write(session, kind, fmt, date_from, date_to, out)
    with atomic_file(path) as handle:
        return _write(session, kind, fmt, date_from, date_to, handle)


def _stream(session: Session, query):
    """The query's rows straight off the cursor, ``BATCH`` at a time."""
    options = {"stream_results": True, "yield_per": BATCH}
    return session.connection().execute(query.execution_options(**options))


def _batches(session: Session, query):
    """The query's rows in lists of ``BATCH``, straight off the cursor."""
    return _stream(session, query).partitions()


def _text_batches(session: Session, query):
    """The rows of a ``text_query`` in lists of ``BATCH``.

    Its cells are text and integers that SQLAlchemy would hand over unchanged,
    so on SQLite the driver's own tuples are taken: the ``Row`` built around
    each costs about a tenth of a million-line export. SQLite's cursor steps
    through the rows as they are fetched, so this streams too. PostgreSQL keeps
    SQLAlchemy's server-side cursor (``_batches``), which is what streams there."""
    connection = session.connection()
    if connection.dialect.supports_server_side_cursors:
        yield from _batches(session, query)
        return
    result = connection.execute(query)
    driver_error = connection.dialect.loaded_dbapi.Error
    try:
        while batch := result.cursor.fetchmany(BATCH):
            yield batch
    except driver_error as exc:  # as SQLAlchemy would have raised it
        raise DBAPIError.instance(None, None, exc, driver_error) from exc
    finally:
        result.close()


def _write(session, kind, fmt, date_from, date_to, out: IO[bytes]) -> int:
    digits = minor_digits(session)
    table = queries.TABLES[kind](
        today=today(), currency=currency(session), date_from=date_from, date_to=date_to
    )
    if fmt in LEDGER_FORMATS:
        book = _book(session, date_from, date_to)
        return ledger_formats.WRITERS[fmt](out, book, _stream(session, table.query))
    if fmt == "xlsx":
        batches = _batches(session, table.query)
    else:
        query = table.text_query(minor_digits=digits, neutralise=fmt == "csv")
        batches = _text_batches(session, query)
    # Closed here, while the connection is open, also when the writer fails midway.
    with closing(batches):
        return tabular.WRITERS[fmt](out, table.columns, batches, minor_digits=digits, title=kind)


def _book(session: Session, date_from: date | None, date_to: date | None):
    """What the ledger file declares: accounts, currency, opening balances."""
    connection = session.connection()
    accounts = ledger_formats.ledger_accounts(connection.execute(queries.accounts()))
    opening = []
    if date_from is not None:
        opening = [
            (code, int(units))
            for code, units in connection.execute(queries.balances_before(date_from))
            if units
        ]
    first = connection.execute(queries.journal_window(date_from, date_to)).scalar()
    return ledger_formats.Book(
        accounts=accounts,
        currency=currency(session),
        minor_digits=minor_digits(session),
        open_date=date_from or first or today(),
        company=get_setting(session=session, key="company_name"),
        date_from=date_from,
        date_to=date_to,
        opening=opening,
    )
