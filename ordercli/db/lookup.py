"""Finding many ledger records by their keys at once, in slices any database accepts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session


def chunks(items: list, size: int = 500):
    """``items`` in slices small enough for any database's parameter limit."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def lookup(session: Session, key_column, keys: set[str], columns) -> dict[str, tuple]:
    """Rows by key, exact match first, then case-insensitively as the commands match."""
    connection = session.connection()
    found: dict[str, tuple] = {}
    for chunk in chunks(sorted(keys)):
        for row in connection.execute(select(key_column, *columns).where(key_column.in_(chunk))):
            found[row[0]] = tuple(row[1:])
    missing: dict[str, list[str]] = {}
    for key in keys:
        if key not in found:
            missing.setdefault(key.lower(), []).append(key)
    for chunk in chunks(sorted(missing)):
        query = select(func.lower(key_column), *columns).where(func.lower(key_column).in_(chunk))
        for row in connection.execute(query):
            for key in missing[row[0]]:
                found[key] = tuple(row[1:])
    return found
