"""Today's date and the current time, as the ledger sees them.

``ORDERCLI_TODAY=YYYY-MM-DD`` makes the ledger believe it is that day: for
entering last week's paperwork, rehearsing due dates, and reproducible tests.
"""

from __future__ import annotations

import getpass
import os
from datetime import UTC, date, datetime

from ordercli.domain.errors import InvalidInput


def today() -> date:
    override = os.environ.get("ORDERCLI_TODAY")
    if override:
        return parse_date(override, what="ORDERCLI_TODAY")
    return date.today()


def now() -> datetime:
    current = datetime.now(UTC)
    override = os.environ.get("ORDERCLI_TODAY")
    if override:
        day = parse_date(override, what="ORDERCLI_TODAY")
        return current.replace(year=day.year, month=day.month, day=day.day)
    return current


# Business dates outside this range are typing mistakes, and due dates computed
# from them would overflow Python's calendar.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999


def parse_date(text: str, *, what: str = "date") -> date:
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{what} {text!r} is not a date (use YYYY-MM-DD)") from None
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise InvalidInput(f"{what} {text!r} is outside the years {EARLIEST_YEAR}–{LATEST_YEAR}")
    return value


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers; the log still needs a name
        return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"
