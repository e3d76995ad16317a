"""Moving a whole ledger to another database: a SQLite file to a shared PostgreSQL server.

Every row of every table is copied as it is — ids, numbers, events, journal —
so the books, their history and the number series carry on exactly where they
were. The target must be an empty database (or one holding only a freshly
created, unused ledger); its schema is created at the current revision first,
then the rows are copied in one transaction, parents before children, and the
target's id sequences are moved past the copied ids. Afterwards the row counts
of both ledgers are compared and the target must pass every ledger check.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from ordercli.books.checks import run_checks
from ordercli.db.engine import describe_location, forget_ledger, open_ledger, unit_of_work
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.models import metadata

CHUNK = 5_000
# Tables a fresh ledger fills itself (settings, number series, chart of accounts,
# warehouse MAIN): replaced by the source's rows rather than counted as "in use".
SEEDED = {"setting", "number_series", "account", "warehouse", "event"}


def _tables():
    return [t for t in metadata.sorted_tables if t.name != "alembic_version"]


def _in_use(engine: Engine) -> dict[str, int]:
    counts = {}
    with engine.connect() as conn:
        for table in _tables():
            if table.name in SEEDED:
                continue
            count = conn.execute(select(func.count()).select_from(table)).scalar_one()
            if count:
                counts[table.name] = count
    return counts


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in _tables()
        }


def migrate_ledger(*, source_url: str, target_url: str, progress=None) -> dict:
    if not target_url or not target_url.strip():
        raise InvalidInput("migrate-to needs the URL of the target database")
    if target_url.strip() == source_url:
        raise InvalidInput("the target is the ledger itself")
    if "://" not in target_url:
        target_url = f"sqlite:///{target_url}"
    source = open_ledger(source_url)
    target = open_ledger(target_url, create=True)  # a new ledger, at the current revision
    where = describe_location(target.url.render_as_string(hide_password=True))
    busy = _in_use(target)
    if busy:
        listed = ", ".join(f"{n} {name}" for name, n in sorted(busy.items())[:4])
        raise RuleViolation(
            f"{where} already holds a ledger in use ({listed}); migrate-to needs an empty database"
        )
    tables = _tables()
    total = sum(_counts(source).values())
    if progress is not None:
        progress.start(total, "copying")
    copied: dict[str, int] = {}
    with source.connect() as reading, target.begin() as writing:
        for table in reversed(tables):
            writing.execute(table.delete())
        for table in tables:
            rows = reading.execution_options(yield_per=CHUNK).execute(select(table))
            count = 0
            for chunk in rows.partitions(CHUNK):
                batch = [dict(row._mapping) for row in chunk]
                writing.execute(table.insert(), batch)
                count += len(batch)
                if progress is not None:
                    progress.advance(len(batch))
            copied[table.name] = count
        if writing.dialect.name == "postgresql":
            _move_sequences(writing, tables)
    forget_ledger(target_url)
    target = open_ledger(target_url)
    mismatched = {
        name: (copied.get(name), n) for name, n in _counts(target).items() if copied.get(name) != n
    }
    if mismatched:
        raise RuleViolation(f"the copy in {where} does not match the ledger: {mismatched}")
    with unit_of_work(target, write=False) as session:
        report = run_checks(session=session)
    if not report["ok"]:
        first = report["problems"][0]["problem"]
        raise RuleViolation(f"the copy in {where} fails the ledger check: {first}")
    return {
        "source": describe_location(source_url),
        "target": where,
        "tables": len(copied),
        "rows": sum(copied.values()),
        "copied": copied,
        "check": "ok",
    }


def _move_sequences(connection, tables) -> None:
    """PostgreSQL hands out ids from sequences: start them after the copied ids."""
    for table in tables:
        column = table.autoincrement_column
        if column is None:
            continue
        highest = select(func.coalesce(func.max(column), 0) + 1).scalar_subquery()
        sequence = func.pg_get_serial_sequence(table.name, column.name)
        connection.execute(select(func.setval(sequence, highest, False)))
