"""The shape customers and products imports share: records keyed by a code.

Read and check every row; look the keys up in the ledger; a key not there is
created, a known one updated where the row differs and skipped where it does
not; nothing is written when any row is bad or on a dry run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session, SQLModel

from ordercli.books.settings import minor_digits
from ordercli.db.lookup import chunks, lookup
from ordercli.io.imports.reader import Problem, read_table
from ordercli.io.imports.result import ImportResult, Progress


def import_keyed(
    *,
    session: Session,
    path: Path,
    fmt: str | None,
    dry_run: bool,
    progress: Progress | None,
    kind: str,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    model,
    key: str,
    parse_rows: Callable,
    changes_of: Callable,
    write: Callable,
    check_new: Callable | None = None,
) -> ImportResult:
    """``parse_rows(table, digits, problems)`` → [(line, record)];
    ``changes_of(existing, record, line, problems)`` → the fields to change;
    ``check_new(record, line, problems)`` refuses what a new record alone cannot be;
    ``write(session, new, changed, file_name, digits)``."""
    progress = progress or Progress()
    table = read_table(path, fmt=fmt, known=columns, required=required)
    result = ImportResult(
        file=str(path), kind=kind, dry_run=dry_run, ignored_columns=table.ignored_columns
    )
    problems: list[Problem] = list(table.problems)
    result.rows = len(table.rows) + len(table.problems)
    digits = minor_digits(session)
    progress.start(len(table.rows), "checking rows")
    records = parse_rows(table, digits, problems)
    progress.advance(len(table.rows))
    key_column = getattr(model, key)
    existing = lookup(session, key_column, {r[key] for _, r in records}, (model.id,))
    # Load the known records in slices, so comparing each row needs no query of its own.
    known: dict[int, SQLModel] = {}
    for chunk in chunks([found[0] for found in existing.values()]):
        known.update(
            (item.id, item) for item in session.scalars(select(model).where(model.id.in_(chunk)))
        )
    new, changed = [], []
    for line, record in records:
        found = existing.get(record[key])
        if found is None:
            if check_new is not None:
                check_new(record, line, problems)
            new.append(record)
            continue
        current = known[found[0]]
        changes = changes_of(current, record, line, problems)
        if changes:
            changed.append((current, changes))
    result.errors = sorted(problems, key=lambda p: p.line)
    if result.errors:
        return result
    result.created, result.updated = len(new), len(changed)
    result.skipped = len(records) - len(new) - len(changed)
    if not dry_run:
        write(session, new, changed, path.name, digits)
    return result
