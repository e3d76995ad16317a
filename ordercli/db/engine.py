"""Where the ledger lives, how it is opened, and the one unit of work.

SQLite is driven the way its authors ask for a ledger: foreign keys on, WAL,
``synchronous=FULL`` (an invoice number once printed survives a power cut), a
busy timeout, and every write transaction opened with ``BEGIN IMMEDIATE``. The
last point matters most: Python's sqlite3 driver defers BEGIN, so a
transaction that reads and then writes would try to upgrade its lock and fail
at once with "database is locked" when another process wrote in between,
ignoring the busy timeout. Taking the write lock at BEGIN makes a second
writer wait its turn instead, and no read-modify-write is ever interleaved.

Only ``ordercli init`` (and the demo, which builds its own) creates a ledger:
every other command refuses a location where no ledger is, so a mistyped path
never turns into a new, empty set of books. The schema is created by Alembic
when a ledger is created, and an older one upgraded on first use. A ledger
already at the current revision opens without importing Alembic, so commands
stay fast.
"""

from __future__ import annotations

import os
import re
import shlex
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, cast

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session

# Which ledger to open is worked out in ``location.py``, light enough for ``--version``;
# ``resolve_location`` is named here too, beside the code that opens a ledger.
from ordercli.db.location import FROM_DEFAULT, FROM_OPTION, describe_location, ledger_file
from ordercli.db.location import resolve_location as resolve_location
from ordercli.db.migrations.runner import alembic_config, upgrade
from ordercli.domain.errors import LedgerUnavailable, RuleViolation
from ordercli.domain.paths import path_error
from ordercli.models import metadata

if TYPE_CHECKING:
    from sqlalchemy.schema import ColumnCollectionConstraint, Index

# Alembic's script directory is imported inside the function that needs it: a ledger
# already at the current revision does not.

HEAD_REVISION = "0011"
DEFAULT_BUSY_TIMEOUT_SECONDS = 30.0


def busy_timeout_seconds() -> float:
    """How long a command waits for another one's write lock (``ORDERCLI_BUSY_TIMEOUT``)."""
    raw = os.environ.get("ORDERCLI_BUSY_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_BUSY_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86400:
        raise LedgerUnavailable(
            f"ORDERCLI_BUSY_TIMEOUT={raw!r} must be a number of seconds between 0 and 86400"
        )
    return seconds


SQLITE_MAGIC = b"SQLite format 3\x00"


def no_ledger(url: str, origin: str | None, detail: str = "") -> LedgerUnavailable:
    """The refusal of a location that holds no ledger; the hint says where the location
    came from (``location.location_origin``) and how to create a ledger there."""
    where = describe_location(url)
    what = "path" if ledger_file(url) else "URL"
    if origin == FROM_OPTION:
        hint = (
            f"the {what} was given with --db; correct it, or create a new ledger there "
            f"with `ordercli --db {shlex.quote(where)} init`"
        )
    elif origin == FROM_DEFAULT:
        hint = (
            "this is the default ledger in your user data directory (neither --db nor "
            "ORDERCLI_DB is set); create it with `ordercli init`, or point --db or "
            "ORDERCLI_DB at your ledger"
        )
    elif origin:
        hint = (
            f"the {what} comes from {origin}; correct it, or create a new ledger there "
            "with `ordercli init`"
        )
    else:
        hint = f"correct the {what}, or create a new ledger there with `ordercli init`"
    return LedgerUnavailable(f"no ledger at {where}{detail}", hint=hint)


def require_ledger_file(url: str, origin: str | None = None) -> None:
    """Refuse a SQLite ledger location where no ledger file is, touching nothing on disk.

    A server's database is checked for ordercli's schema when it is opened."""
    path = ledger_file(url)
    if path is None:
        return
    _check_sqlite_file(path)
    if not path.exists():
        raise no_ledger(url, origin)
    if path.stat().st_size == 0:
        raise no_ledger(url, origin, " (the file is empty)")


def _configure_sqlite(engine: Engine) -> None:
    busy_timeout_seconds()  # a bad ORDERCLI_BUSY_TIMEOUT is refused before anything opens

    @event.listens_for(engine, "do_connect")
    def _on_do_connect(_dialect, _record, _args, params):
        # The driver's timeout is SQLite's busy timeout: a writer waits its turn.
        params["timeout"] = busy_timeout_seconds()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take transaction control away from the driver; we issue BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()
        # SQLite's own lower() folds ASCII only; codes and SKUs such as "ÉCRAN"
        # must match case-insensitively like PostgreSQL's lower() does.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(BEGIN[mode])


BEGIN = {
    "IMMEDIATE": "BEGIN IMMEDIATE",
    "DEFERRED": "BEGIN DEFERRED",
    "EXCLUSIVE": "BEGIN EXCLUSIVE",
}


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _check_sqlite_file(path: Path) -> None:
    """Refuse a path that cannot be a ledger: unusable, a directory, another kind of file."""
    problem = path_error(path)
    if problem:
        shown = str(path) if len(str(path)) <= 80 else str(path)[:77] + "…"
        raise LedgerUnavailable(f"cannot use {shown} as a ledger: {problem}")
    if path.is_dir():
        raise LedgerUnavailable(f"{path} is a directory, not a ledger")
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as handle:
            if handle.read(16) != SQLITE_MAGIC:
                raise LedgerUnavailable(f"{path} is not an ordercli ledger (not a SQLite file)")


def _make_room(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LedgerUnavailable(f"cannot create the ledger at {path}: {exc.strerror}") from None


_engines: dict[str, Engine] = {}


def open_ledger(url: str, *, create: bool = False, origin: str | None = None) -> Engine:
    """An engine on a ledger at the current schema, upgrading an older one.

    Where no ledger is (no file, an empty file, a database without ordercli's schema)
    it is refused, naming ``origin`` (where the location came from) in the hint,
    unless ``create``: then the ledger is created there. A refusal leaves the disk as
    it was: no file, no write-ahead log, no folder."""
    if url in _engines:
        return _engines[url]
    is_sqlite = url.startswith("sqlite")
    path = ledger_file(url)
    if path is not None:
        if create:
            _check_sqlite_file(path)
            _make_room(path)
        else:
            require_ledger_file(url, origin)
    try:
        # The default pool keeps one connection open for a whole process, so a batch of
        # units of work does not pay for opening (and checkpointing on close) each time.
        engine = create_engine(url)
    except Exception as exc:  # a malformed URL or a missing driver
        raise LedgerUnavailable(f"cannot open the ledger {url!r}: {exc}") from None
    if is_sqlite:
        _configure_sqlite(engine)
    try:
        _ensure_schema(engine, create=create, origin=origin)
    except LedgerUnavailable:
        engine.dispose()  # a refused ledger is left closed, as it was found
        raise
    _engines[url] = engine
    return engine


def _stored_revision(engine: Engine) -> tuple[str | None, bool]:
    """The schema revision of the ledger and whether it has any tables at all."""
    try:
        with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
            tables = inspect(conn).get_table_names()
            if "alembic_version" not in tables:
                return None, bool(tables)
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar(), True
    except OperationalError as exc:
        raise _unavailable(exc, describe_location(str(engine.url))) from None


def _ensure_schema(engine: Engine, *, create: bool, origin: str | None) -> None:
    revision, has_tables = _stored_revision(engine)
    if revision == HEAD_REVISION:
        return
    url = engine.url.render_as_string(hide_password=False)
    where = describe_location(url)
    if revision is None and has_tables:
        raise LedgerUnavailable(f"{where} is not an ordercli ledger (it holds other tables)")
    if revision is None and not create:
        raise no_ledger(url, origin, " (the database holds no ordercli ledger)")
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    if revision is not None and revision not in {r.revision for r in script.walk_revisions()}:
        raise LedgerUnavailable(
            f"{where} has schema revision {revision}, newer than this ordercli knows",
            hint="upgrade ordercli to open this ledger",
        )
    if revision is not None:
        _backup_before_upgrade(engine, revision)
    try:
        upgrade(engine)
    except OperationalError as exc:
        raise _unavailable(exc, where) from None


def _backup_before_upgrade(engine: Engine, revision: str) -> None:
    """Copy an existing SQLite ledger beside itself before changing its schema.

    SQLite's online backup gives a consistent copy even while another process
    writes; the copy is named after the schema it holds, e.g.
    ``shop.db.schema-0001.bak``, and an existing one is never overwritten.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return
    target = Path(f"{database}.schema-{revision}.bak")
    if target.exists():
        return
    try:
        with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(target)) as copy:
            source.backup(copy)
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise LedgerUnavailable(
            f"not upgrading {database}: could not write the backup {target} first ({exc})"
        ) from None


def _unavailable(exc: OperationalError, where: str) -> LedgerUnavailable:
    reason = (str(exc.orig) if exc.orig is not None else str(exc)).strip().splitlines()[0]
    if "deadlock" in reason.lower() or "could not serialize" in reason.lower():
        return LedgerUnavailable(
            "another command was changing the same records at the same moment; nothing was changed",
            hint="run the command again",
        )
    if "database is locked" in reason or "database table is locked" in reason or ("busy" in reason):
        return LedgerUnavailable(
            f"the ledger {where} is locked by another process (waited {busy_timeout_seconds():g}s)",
            hint="try again when the other command has finished",
        )
    if "not a database" in reason or "malformed" in reason:
        return LedgerUnavailable(f"{where} is not an ordercli ledger ({reason})")
    return LedgerUnavailable(f"cannot use the ledger {where}: {reason}")


# PostgreSQL's SQLSTATE for each constraint kind SQLite names in its own messages.
_UNIQUE_VIOLATION = "23505"
_CHECK_VIOLATION = "23514"
_FOREIGN_KEY_VIOLATION = "23503"
_NOT_NULL_VIOLATION = "23502"


def _refusal_reason(exc: IntegrityError) -> str:
    """Why the database refused a write, in SQLite's words on either backend.

    A refusal reads the same whichever database holds the ledger, so users, their
    scripts and the documentation meet one wording. PostgreSQL's is rebuilt from the
    driver's diagnostics (SQLSTATE and constraint, table and column names) rather than
    from its localisable message text; the driver is not imported, so SQLite ledgers
    never load it."""
    orig = exc.orig
    first_line = (str(orig) if orig is not None else str(exc)).strip().splitlines()[0]
    sqlstate = getattr(orig, "sqlstate", None)
    diag = getattr(orig, "diag", None)
    if sqlstate is None or diag is None:
        return first_line
    table = getattr(diag, "table_name", None)
    constraint = getattr(diag, "constraint_name", None)
    if sqlstate == _CHECK_VIOLATION and constraint:
        return f"CHECK constraint failed: {constraint}"
    if sqlstate == _FOREIGN_KEY_VIOLATION:
        return "FOREIGN KEY constraint failed"
    column = getattr(diag, "column_name", None)
    if sqlstate == _NOT_NULL_VIOLATION and table and column:
        return f"NOT NULL constraint failed: {table}.{column}"
    if sqlstate == _UNIQUE_VIOLATION and table and constraint:
        columns = _unique_columns(table, constraint, getattr(diag, "message_detail", None))
        if columns is None:
            return f"UNIQUE constraint failed: index '{constraint}'"
        return "UNIQUE constraint failed: " + ", ".join(f"{table}.{name}" for name in columns)
    return first_line


def _unique_columns(table: str, constraint: str, detail: str | None) -> list[str] | None:
    """The columns a unique constraint or index covers, as SQLite lists them; ``None``
    when it covers an expression (SQLite then names the index instead)."""
    declared = metadata.tables.get(table)
    if declared is not None:
        # Table.constraints is typed as the Constraint base, but every constraint a
        # table holds (primary key, foreign key, unique, check) covers columns.
        candidates = cast(
            "tuple[ColumnCollectionConstraint | Index, ...]",
            (*declared.constraints, *declared.indexes),
        )
        for candidate in candidates:
            if candidate.name == constraint:
                return [column.name for column in candidate.columns] or None
    # Not declared by ordercli (made by hand in the database): PostgreSQL's detail
    # reads "Key (a, b)=(1, 2) already exists." when its messages are in English.
    match = re.match(r"Key \((?P<columns>.+?)\)=\(", detail or "")
    if match is None:
        return None
    names = [name.strip().strip('"') for name in match["columns"].split(",")]
    return None if any("(" in name for name in names) else names


@contextmanager
def unit_of_work(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """One transaction for one command: it commits once at the end or changes nothing."""
    where = describe_location(str(engine.url))
    try:
        with engine.connect() as connection:
            if not write:
                connection = connection.execution_options(sqlite_begin="DEFERRED")
            with Session(bind=connection, expire_on_commit=False, autoflush=True) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
    except OperationalError as exc:
        raise _unavailable(exc, where) from None
    except IntegrityError as exc:
        raise RuleViolation(f"the ledger refused the change: {_refusal_reason(exc)}") from None
    except DBAPIError as exc:
        reason = (str(exc.orig) if exc.orig is not None else str(exc)).strip().splitlines()[0]
        raise RuleViolation(f"the ledger refused the command: {reason}") from None


def forget_ledger(url: str) -> None:
    """Drop a cached engine, e.g. after its file was replaced."""
    engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def dispose_all() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
