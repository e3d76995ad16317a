"""Inserting many rows at once, as fast as the database driver allows.

SQLAlchemy Core's executemany builds and type-converts a parameter set per
row, which costs more than SQLite itself does to store the row. Here the
INSERT is still compiled by SQLAlchemy from the table's metadata (no SQL is
written by hand), its values are converted once per distinct value with the
dialect's own bind processors, and the rows go to the driver's
``executemany`` in one call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import repeat
from typing import Any

from sqlalchemy import Table, insert
from sqlmodel import Session


def bulk_insert(session: Session, table: Table, columns: dict[str, object]) -> None:
    """Insert rows into ``table`` in this transaction, given column by column.

    ``columns`` maps a column name to a list of values (one per row) or to one
    value every row shares. The lists must all have the same length.
    """
    lengths = {len(v) for v in columns.values() if isinstance(v, list)}
    if len(lengths) != 1:
        raise ValueError(f"bulk_insert into {table.name}: columns of different lengths {lengths}")
    count = lengths.pop()
    if not count:
        return
    connection = session.connection()
    dialect = connection.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    order = list(compiled.positiontup or ())
    if not compiled.positional or any(key not in columns for key in order):
        # A driver with named parameters, or defaults the caller left out: Core does it.
        connection.execute(insert(table), _rows(columns, count))
        return
    values: list[Iterable[object]] = []
    for key in order:
        column = columns[key]
        process = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        if not isinstance(column, list):
            if column is not None and process is not None:
                column = process(column)
            values.append(repeat(column, count))
        elif process is None:
            values.append(column)
        else:
            convert = _memoised(process)
            values.append([None if v is None else convert(v) for v in column])
    connection.exec_driver_sql(str(compiled), list(zip(*values, strict=True)))


def _rows(columns: dict[str, object], count: int) -> list[dict]:
    lists = {k: v if isinstance(v, list) else repeat(v, count) for k, v in columns.items()}
    return [dict(zip(lists, row, strict=True)) for row in zip(*lists.values(), strict=True)]


def _memoised(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    seen: dict = {}

    def convert(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            seen[value] = result = process(value)
            return result
        except TypeError:  # unhashable
            return process(value)

    return convert
