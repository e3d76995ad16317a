"""Small helpers shared by the services: text checks and list filters."""

from __future__ import annotations

import re
from datetime import date

from ordercli.domain.errors import InvalidInput

MAX_TEXT = 2000
# Control characters other than newline and tab corrupt documents and terminals.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Bytes that were not UTF-8 reach Python as lone surrogates; they cannot be stored.
SURROGATE = re.compile(r"[\ud800-\udfff]")
WHITESPACE = re.compile(r"\s")


def clean_text(
    value: str | None, *, what: str, required: bool = False, max_length: int = MAX_TEXT
) -> str | None:
    """Trimmed text, refusing control characters that would corrupt documents."""
    if value is None:
        if required:
            raise InvalidInput(f"{what} is required")
        return None
    cleaned = value.strip()
    if not cleaned:
        if required:
            raise InvalidInput(f"{what} must not be empty")
        return None
    if len(cleaned) > max_length:
        raise InvalidInput(f"{what} is longer than {max_length} characters")
    if CONTROL.search(cleaned):
        raise InvalidInput(f"{what} contains control characters")
    if SURROGATE.search(cleaned):
        raise InvalidInput(
            f"{what} is not valid UTF-8 text (check your terminal's or file's encoding)"
        )
    return cleaned


def path_error(path) -> str | None:
    """Why a path the user named cannot be used at all (e.g. a name too long), or None."""
    import os

    try:
        os.stat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def check_path(path, what: str = "") -> None:
    """Refuse, with a clear error, a path the operating system will not take."""
    problem = path_error(path)
    if problem:
        shown = str(path) if len(str(path)) <= 80 else str(path)[:77] + "…"
        raise InvalidInput(f"cannot use {what + ' ' if what else ''}{shown}: {problem}")


def clean_code(value: str, *, what: str) -> str:
    code = clean_text(value, what=what, required=True, max_length=64)
    if WHITESPACE.search(code):
        raise InvalidInput(f"{what} {code!r} must not contain spaces")
    if "=" in code:
        raise InvalidInput(f"{what} {code!r} must not contain '='")
    return code


def check_date_range(date_from: date | None, date_to: date | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise InvalidInput(f"--from {date_from} is after --to {date_to}")


MAX_LIMIT = 10**9


def check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise InvalidInput(f"--limit {limit} must be at least 1")
    if limit is not None and limit > MAX_LIMIT:
        raise InvalidInput(f"--limit {limit} is too large; use --all to show everything")


def parse_status(enum_type, text: str, *, what: str):
    """A status typed by a user, as a member of ``enum_type``; unknown ones are refused."""
    try:
        return enum_type(text.strip().lower())
    except ValueError:
        known = ", ".join(member.value for member in enum_type)
        raise InvalidInput(f"unknown {what} status {text!r} (one of {known})") from None


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
    from sqlalchemy import func

    found = session.scalars(query.where(column.in_(sorted({number, number.upper()})))).first()
    if found is not None:
        return found
    return session.scalars(query.where(func.upper(column) == number.upper())).first()
