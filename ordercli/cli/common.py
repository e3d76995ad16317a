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
def ledger(ctx: typer.Context, *, write: bool = True) -> Iterator[Session]:
    """Open the ledger and one unit of work for this command."""
    from ordercli.db.engine import open_ledger, resolve_location, unit_of_work

    engine = open_ledger(resolve_location(state(ctx).db))
    with unit_of_work(engine, write=write) as session:
        yield session


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
