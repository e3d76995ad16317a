"""All terminal output: Rich tables for people, one JSON document for scripts.

Tables and colour go to a terminal; the shape of the output never depends on
whether stdout is one. With ``--json`` exactly one JSON document reaches
stdout: money and quantities as decimal strings, dates in ISO 8601. Notices
and errors go to stderr so stdout stays pipeable.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import textwrap
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, TypeVar

from rich.console import Console
from rich.text import Text

from ordercli.cli import layout

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
    "reversed": "red",
    "open": "cyan",
    "partially_paid": "yellow",
    "paid": "green",
    "overdue": "bold red",
    "active": "green",
    "inactive": "red",
    "backordered": "yellow",
}


# Columns of document numbers and codes: figures, never cut, even when they are text.
NO_WRAP = {"sku", "number", "line", "code", "order", "invoice", "customer", "quote"}


class Output:
    """One object for stdout and stderr, so tests can swap both."""

    def __init__(self) -> None:
        self.out = Console(highlight=False, soft_wrap=False)
        if not self.out.is_terminal and not os.environ.get("COLUMNS", "").isdigit():
            # Piped or captured with no width asked for: wide enough that tables keep
            # their shape. A COLUMNS the user set is honoured, piped or not.
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

    def paragraph(self, text: str) -> None:
        """Plain sentences, wrapped between words at the console's width, so the
        terminal never breaks a figure in two."""
        self.out.print(Text(text), overflow="fold", highlight=False)

    def shell_step(self, command: str, comment: str, align: int = 0) -> None:
        """A command to paste into a shell and why: ``command  # comment`` on one line
        when that fits; else the comment first, wrapped between words, and the command
        broken between its arguments with ``\\``, so it still pastes as one."""
        width = self.out.width
        line = f"  {command:<{align}}  # {comment}"
        if Text(line).cell_len <= width:
            self.line(line)
            return
        room = max(width - 4, 20)
        for piece in textwrap.wrap(comment, room, break_long_words=False, break_on_hyphens=False):
            self.line(f"  # {piece}")
        try:
            words = [shlex.quote(word) for word in shlex.split(command)]
        except ValueError:
            words = [command]
        lines = [f"  {words[0]}"]
        for word in words[1:]:
            if Text(f"{lines[-1]} {word} \\").cell_len <= width:
                lines[-1] += f" {word}"
            else:
                lines[-1] += " \\"
                lines.append(f"      {word}")
        for text in lines:
            self.line(text)


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
    """A Rich table of ``rows``; ``columns`` are (key, header); numbers align right.

    Figures (numbers, dates, statuses, document numbers and codes) and words of
    headers are never cut: when the table does not fit the console, text and
    headers wrap between words, the box and padding go, words of text fold, and
    at last each row is stacked as label/value lines (``layout``).
    """
    rows = list(rows)
    if not rows:
        output.notice(empty)
        return
    status_keys = set(status_keys)
    built = []
    for key, header in columns:
        sample = next((row.get(key) for row in rows if row.get(key) is not None), None)
        numeric = isinstance(sample, Decimal | int) and not isinstance(sample, bool)
        status = key in status_keys
        figure = numeric or status or key in NO_WRAP or isinstance(sample, date | bool | Enum)
        column = layout.Column(header, figure, "right" if numeric else "left")
        for row in rows:
            cell = status_text(row.get(key)) if status else Text(fmt(row.get(key)))
            if figure:
                cell.no_wrap = True
            elif "\t" in cell.plain:
                cell.expand_tabs()
            column.add(cell)
        built.append(column)
    width = output.out.width
    grid = layout.fitted_table(output.out, title, built, width)
    output.print(grid if grid is not None else layout.stacked(title, built, width))


def card(title: str, fields: list[tuple[str, object]], *, status_keys=("status",)) -> None:
    """A two-column key/value block for ``show`` commands; no figure in it is ever cut."""
    pairs = []
    for label, value in fields:
        if value is None or value == "":
            continue
        status = label.lower() in status_keys
        shown = status_text(value) if status else Text(fmt(value))
        pairs.append((Text(label), shown, status or _figure_like(value)))
    output.print(layout.card_table(title, pairs, output.out.width))


def _figure_like(value) -> bool:
    """A value to keep on one line: anything but text, or short text with a digit in it
    (``SO-00012``, ``1105.63 EUR``)."""
    if not isinstance(value, str):
        return True
    return len(value.split()) <= 2 and any(char.isdigit() for char in value)


T = TypeVar("T")


def render(document: T, as_json: bool, human: Callable[[T], None]) -> None:
    if as_json:
        output.json(document)
    else:
        human(document)
