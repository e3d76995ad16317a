"""Query shapes every list and lookup shares: the date window and limit, a number lookup."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func

from ordercli.domain.errors import InvalidInput

MAX_LIMIT = 10**9


def check_date_range(date_from: date | None, date_to: date | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise InvalidInput(f"--from {date_from} is after --to {date_to}")


def check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise InvalidInput(f"--limit {limit} must be at least 1")
    if limit is not None and limit > MAX_LIMIT:
        raise InvalidInput(f"--limit {limit} is too large; use --all to show everything")


def newest_first(
    query, *, model, date_column, date_from: date | None, date_to: date | None, limit: int | None
):
    """The date window, newest-first order and limit every list command shares."""
    check_limit(limit)
    check_date_range(date_from, date_to)
    if date_from:
        query = query.where(date_column >= date_from)
    if date_to:
        query = query.where(date_column <= date_to)
    query = query.order_by(model.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return query


def by_number(session, query, column, number: str):
    """The first row of ``query`` whose ``column`` (a document number) is ``number``,
    ignoring case.

    Tried first as typed and in capitals, which the unique index on the number
    answers at once; the case-folding scan runs only when neither matches (a
    number series with a lower-case prefix), so a lookup does not slow down as
    the ledger grows.
    """
    found = session.scalars(query.where(column.in_(sorted({number, number.upper()})))).first()
    if found is not None:
        return found
    return session.scalars(query.where(func.upper(column) == number.upper())).first()
