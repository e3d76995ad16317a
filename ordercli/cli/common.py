"""Options shared by many commands and the way a command opens the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer

from ordercli.domain.money import parse_money, parse_pct, parse_qty

if TYPE_CHECKING:
    from sqlmodel import Session
    from typer._click import Context


@dataclass
class AppState:
    db: str | None = None
    traceback: bool = False


def state(ctx: Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj


@contextmanager
def ledger(ctx: typer.Context, *, write: bool = True, create: bool = False) -> Iterator[Session]:
    """Open the ledger and one unit of work for this command.

    Only ``create`` (``ordercli init``) makes a new ledger; otherwise a location where
    no ledger is is refused, with where the location came from."""
    from ordercli.db.engine import open_ledger, unit_of_work
    from ordercli.db.location import location_origin, resolve_location

    db = state(ctx).db
    engine = open_ledger(resolve_location(db), create=create, origin=location_origin(db))
    with unit_of_work(engine, write=write) as session:
        yield session


def existing_ledger_url(ctx: typer.Context) -> str:
    """The URL of this command's ledger, for the commands that hand the whole ledger on
    (backup, migrate-to); a SQLite location where no ledger is is refused."""
    from ordercli.db.engine import require_ledger_file
    from ordercli.db.location import location_origin, resolve_location

    db = state(ctx).db
    url = resolve_location(db)
    require_ledger_file(url, location_origin(db))
    return url


def ledger_choice(db: str | None) -> dict:
    """Which ledger is in use and where that choice came from, without opening it:
    ``ledger`` (a path, or a URL without its password), ``ledger_from`` (``--db``,
    ``ORDERCLI_DB`` or ``default``) and ``ledger_exists`` (``None`` on a server); the
    keys ``version --json`` and ``status --json`` print."""
    # Imported here, as commands import the database layer (see ARCHITECTURE.md);
    # location.py itself is light, so `ordercli --version` stays fast.
    from ordercli.db.location import (
        describe_location,
        ledger_file,
        location_origin,
        resolve_location,
    )

    url = resolve_location(db)
    path = ledger_file(url)
    return {
        "ledger": describe_location(url),
        "ledger_from": location_origin(db),
        "ledger_exists": None if path is None else path.is_file() and path.stat().st_size > 0,
    }


def ledger_choice_text(choice: dict) -> str:
    """``/path/to/ordercli.db (from ORDERCLI_DB)``: how --version and status name the ledger."""
    origin = choice["ledger_from"]
    why = "the default, in your user data directory" if origin == "default" else f"from {origin}"
    missing = "; no ledger there yet" if choice["ledger_exists"] is False else ""
    return f"{choice['ledger']} ({why}{missing})"


def version_text(version: str, choice: dict) -> str:
    """What ``ordercli --version`` prints; scripts read the first line, ``ordercli VERSION``."""
    return f"ordercli {version}\nledger: {ledger_choice_text(choice)}"


def money(text: str | None, session: Session, what: str) -> Decimal | None:
    from ordercli.books.settings import minor_digits

    return None if text is None else parse_money(text, minor_digits(session), what=what)


def qty(text: str, what: str = "quantity", *, allow_zero: bool = False) -> Decimal:
    return parse_qty(text, what=what, allow_zero=allow_zero)


def pct(text: str | None, what: str) -> Decimal | None:
    return None if text is None else parse_pct(text, what=what)


def day(text: str | None, what: str) -> date | None:
    from ordercli.books.clock import parse_date

    return None if text is None else parse_date(text, what=what)


def list_limit(limit: int, show_all: bool) -> int | None:
    return None if show_all else limit


JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")]
LimitOpt = Annotated[int, typer.Option("--limit", help="Show at most N, newest first.")]
AllOpt = Annotated[bool, typer.Option("--all", help="Show all, not just the newest 50.")]
FromOpt = Annotated[str | None, typer.Option("--from", help="From this date (YYYY-MM-DD).")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Up to this date (YYYY-MM-DD).")]
CustomerOpt = Annotated[str | None, typer.Option("--customer", help="Only this customer's.")]
LineOpt = Annotated[
    list[str] | None,
    typer.Option("--line", help="SKU=QTY to take; repeat for more lines. Default: all open."),
]
