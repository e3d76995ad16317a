"""All terminal output: Rich tables for people, one JSON document for scripts.

Tables and colour go to a terminal; the shape of the output never depends on
whether stdout is one. With ``--json`` exactly one JSON document reaches
stdout: money and quantities as decimal strings, dates in ISO 8601. Notices
and errors go to stderr so stdout stays pipeable.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, TypeVar

from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from rich.progress import TaskID

STATUS_STYLES = {
    "draft": "dim",
    "sent": "cyan",
    "accepted": "green",
    "rejected": "red",
    "expired": "yellow",
    "converted": "blue",
    "confirmed": "cyan",
    "on_hold": "yellow",
    "completed": "green",
    "cancelled": "red",
    "not_invoiced": "dim",
    "partially_invoiced": "yellow",
    "invoiced": "green",
    "not_shipped": "dim",
    "partially_shipped": "yellow",
    "shipped": "green",
    "delivered": "green",
    "open": "cyan",
    "partially_paid": "yellow",
    "paid": "green",
    "overdue": "bold red",
    "active": "green",
    "inactive": "red",
    "backordered": "yellow",
}


NO_WRAP = {"sku", "number", "line", "code", "order", "invoice", "customer", "quote"}


class Output:
    """One object for stdout and stderr, so tests can swap both."""

    def __init__(self) -> None:
        self.out = Console(highlight=False, soft_wrap=False)
        if not self.out.is_terminal:
            # Piped or captured: wide enough that tables keep their shape.
            self.out.width = max(self.out.width, 160)
        self.err = Console(stderr=True, highlight=False)

    def json(self, document) -> None:
        sys.stdout.write(json.dumps(document, default=_json_default, ensure_ascii=False, indent=2))
        sys.stdout.write("\n")
        sys.stdout.flush()

    def print(self, *renderables, markup: bool = False, soft_wrap: bool | None = None) -> None:
        """Print to stdout; text is literal unless ``markup`` (user data is never markup)."""
        self.out.print(*renderables, markup=markup, soft_wrap=soft_wrap)

    def notice(self, message: str) -> None:
        # Never wrapped: scripts grep these lines.
        self.err.print(message, markup=False, highlight=False, soft_wrap=True)

    def line(self, text: str) -> None:
        """One plain line on stdout, never wrapped or styled."""
        self.out.print(text, markup=False, highlight=False, soft_wrap=True)


output = Output()


class ProgressBar:
    """A Rich progress bar on stderr, drawn only on a terminal (never into a pipe or log)."""

    def __init__(self, description: str = "working", *, enabled: bool = True) -> None:
        from rich.progress import Progress

        self.description = description
        shown = enabled and output.err.is_terminal and output.out.is_terminal
        self.bar = Progress(console=output.err, transient=True, disable=not shown)
        self.task: TaskID | None = None
        self.started = False

    def start(self, total: int, description: str | None = None) -> None:
        if not self.started:
            self.bar.start()
            self.started = True
        if self.task is not None:
            self.bar.remove_task(self.task)
        self.task = self.bar.add_task(description or self.description, total=total)

    def advance(self, count: int = 1) -> None:
        if self.task is not None:
            self.bar.advance(self.task, count)

    def stop(self) -> None:
        if self.started:
            self.bar.stop()


def _json_default(value):
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


def fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def status_text(value) -> Text:
    value = fmt(value)
    return Text(value, style=STATUS_STYLES.get(value, ""))


def table(
    title: str | None,
    columns: list[tuple[str, str]],
    rows: Iterable[dict],
    *,
    status_keys: Iterable[str] = ("status",),
    empty: str = "nothing to show",
) -> None:
    """A Rich table of ``rows``; ``columns`` are (key, header); numbers align right."""
    rows = list(rows)
    if not rows:
        output.notice(empty)
        return
    status_keys = set(status_keys)
    grid = Table(title=Text(title) if title else None, title_justify="left", header_style="bold")
    keys = []
    for key, header in columns:
        sample = next((row.get(key) for row in rows if row.get(key) is not None), None)
        numeric = isinstance(sample, Decimal | int) and not isinstance(sample, bool)
        no_wrap = numeric or key in status_keys or key in NO_WRAP or isinstance(sample, date)
        grid.add_column(
            header, justify="right" if numeric else "left", no_wrap=no_wrap, overflow="fold"
        )
        keys.append((key, key in status_keys))
    for row in rows:
        grid.add_row(
            *[
                status_text(row.get(key)) if status else Text(fmt(row.get(key)))
                for key, status in keys
            ]
        )
    output.print(grid)


def card(title: str, fields: list[tuple[str, object]], *, status_keys=("status",)) -> None:
    """A two-column key/value block for ``show`` commands."""
    grid = Table(
        title=Text(title), title_justify="left", show_header=False, box=None, title_style="bold"
    )
    grid.add_column(style="bold")
    grid.add_column()
    for label, value in fields:
        if value is None or value == "":
            continue
        shown = status_text(value) if label.lower() in status_keys else Text(fmt(value))
        grid.add_row(label, shown)
    output.print(grid)


T = TypeVar("T")


def render(document: T, as_json: bool, human: Callable[[T], None]) -> None:
    if as_json:
        output.json(document)
    else:
        human(document)
