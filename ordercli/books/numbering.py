"""Gapless document numbers (SPEC rule 2).

Each kind of document has one counter row in ``number_series``. A number is
taken with a single ``UPDATE … RETURNING`` inside the command's transaction:
on SQLite that transaction already holds the write lock (BEGIN IMMEDIATE), on
PostgreSQL the UPDATE locks the row and a concurrent issuer waits for it. If
the command fails after taking a number, the rollback gives the number back,
so numbers are never skipped; they are never reused because issued documents
are never deleted. Services take the number as the last step before the
transaction commits, which keeps the lock short.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlmodel import Session, select

from ordercli.domain.errors import InvalidInput, NotFound
from ordercli.domain.text import document_number
from ordercli.models import NumberSeries

PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,15}$")


def next_number(*, session: Session, kind: str) -> str:
    row = (
        session.connection()
        .execute(
            text(
                "UPDATE number_series SET next_value = next_value + 1 WHERE kind = :kind "
                "RETURNING prefix, width, next_value - 1"
            ),
            {"kind": kind},
        )
        .one_or_none()
    )
    if row is None:
        raise NotFound(f"no number series for {kind!r}")
    prefix, width, value = row
    return document_number(prefix, width, value)


def next_numbers(*, session: Session, kind: str, count: int) -> list[str]:
    """``count`` consecutive numbers in one step (bulk imports), same rules as ``next_number``."""
    if count <= 0:
        return []
    row = (
        session.connection()
        .execute(
            text(
                "UPDATE number_series SET next_value = next_value + :count WHERE kind = :kind "
                "RETURNING prefix, width, next_value - :count"
            ),
            {"kind": kind, "count": count},
        )
        .one_or_none()
    )
    if row is None:
        raise NotFound(f"no number series for {kind!r}")
    prefix, width, first = row
    return [document_number(prefix, width, value) for value in range(first, first + count)]


def lock_series(*, session: Session, kind: str) -> None:
    """Hold the series' row lock from now to commit (PostgreSQL), so two bulk
    imports of the same file run one after the other and the second finds the
    first one's documents; SQLite's BEGIN IMMEDIATE already serialises writers."""
    session.connection().execute(
        text("UPDATE number_series SET next_value = next_value WHERE kind = :kind"),
        {"kind": kind},
    )


def list_series(*, session: Session) -> list[NumberSeries]:
    return list(session.exec(select(NumberSeries).order_by(NumberSeries.kind)))


def set_series(
    *, session: Session, kind: str, prefix: str | None, width: int | None
) -> NumberSeries:
    """Change how future numbers of a kind look; the counter itself goes on unbroken."""
    series = session.get(NumberSeries, kind)
    if series is None:
        known = ", ".join(s.kind for s in list_series(session=session))
        raise NotFound(f"no number series {kind!r}", hint=f"known series: {known}")
    if prefix is None and width is None:
        raise InvalidInput(
            f"nothing to change on the {kind} series", hint="give --prefix or --width"
        )
    if prefix is not None:
        taken = session.exec(
            select(NumberSeries.kind).where(
                NumberSeries.prefix == prefix, NumberSeries.kind != kind
            )
        ).first()
        if taken:
            raise InvalidInput(f"prefix {prefix!r} is already used by the {taken} series")
        if not PREFIX_PATTERN.match(prefix):
            raise InvalidInput(
                f"prefix {prefix!r} must be 1–16 letters, digits or - _ . / and start with a "
                "letter or digit"
            )
        series.prefix = prefix
    if width is not None:
        if not 1 <= width <= 12:
            raise InvalidInput(f"width {width} must be between 1 and 12")
        series.width = width
    session.add(series)
    return series
