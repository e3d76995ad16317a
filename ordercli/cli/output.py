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

from rich.console import Console
from rich.table import Table
from rich.text import Text

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
        self.task = None
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
    layout = []
    for key, header in columns:
        sample = next((row.get(key) for row in rows if row.get(key) is not None), None)
        numeric = isinstance(sample, Decimal | int) and not isinstance(sample, bool)
        no_wrap = numeric or key in status_keys or key in NO_WRAP or isinstance(sample, date)
        layout.append((key, header, "right" if numeric else "left", no_wrap))
    cells = [[fmt(row.get(key)) for key, *_ in layout] for row in rows]
    styles = [STATUS_STYLES if key in status_keys else None for key, *_ in layout]
    drawn = _drawn_table(title, layout, cells, styles, output.out.width)
    if drawn is not None:
        output.print(drawn, soft_wrap=True)
        return
    grid = Table(title=Text(title) if title else None, title_justify="left", header_style="bold")
    for _key, header, justify, no_wrap in layout:
        grid.add_column(header, justify=justify, no_wrap=no_wrap, overflow="fold")
    for values in cells:
        grid.add_row(
            *[
                Text(value, style=style.get(value, "")) if style is not None else Text(value)
                for value, style in zip(values, styles, strict=True)
            ]
        )
    output.print(grid)


def _drawn_table(title, layout, cells, styles, width: int) -> Text | None:
    """The table exactly as Rich draws it when nothing has to wrap, drawn line by line.

    Rich lays a table out cell by cell, measuring and wrapping each one: seconds for a
    report of a few thousand customers. When every cell is one printable line and the
    table fits the width, there is nothing to lay out, and the same characters come
    from a few string joins. ``None`` when Rich has to do the layout itself."""
    from rich.cells import cell_len

    headers = [header for _key, header, _justify, _no_wrap in layout]
    if not all(value.isprintable() for values in [headers, *cells] for value in values):
        return None
    widths = [cell_len(header) for header in headers]
    lengths = [[cell_len(value) for value in values] for values in cells]
    for row_lengths in lengths:
        widths = [max(pair) for pair in zip(widths, row_lengths, strict=True)]
    total = sum(widths) + 3 * len(widths) + 1
    if total > width or (
        title is not None and (not title.isprintable() or cell_len(title) > total)
    ):
        return None
    right = [justify == "right" for _key, _header, justify, _no_wrap in layout]

    def cell(value: str, length: int, column: int, style) -> None:
        gap = " " * (widths[column] - length)
        drawn.append(f" {gap}" if right[column] else " ")
        drawn.append(value, style=style)
        drawn.append(" │" if right[column] else f"{gap} │")

    def rule(left: str, line: str, middle: str, end: str) -> str:
        return left + middle.join(line * (w + 2) for w in widths) + end + "\n"

    drawn = Text(end="")
    if title is not None:
        drawn.append(title + " " * (total - cell_len(title)), style="italic")
        drawn.append("\n")
    drawn.append(rule("┏", "━", "┳", "┓"))
    drawn.append("┃")
    for column, header in enumerate(headers):
        gap = " " * (widths[column] - cell_len(header))
        drawn.append(f" {gap}" if right[column] else " ")
        drawn.append(header, style="bold")
        drawn.append(" ┃" if right[column] else f"{gap} ┃")
    drawn.append("\n")
    drawn.append(rule("┡", "━", "╇", "┩"))
    for values, row_lengths in zip(cells, lengths, strict=True):
        drawn.append("│")
        for column, value in enumerate(values):
            style = styles[column]
            cell(value, row_lengths[column], column, style.get(value) if style else None)
        drawn.append("\n")
    drawn.append(rule("└", "─", "┴", "┘").rstrip("\n"))
    return drawn


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


def render(document, as_json: bool, human: Callable[[object], None]) -> None:
    if as_json:
        output.json(document)
    else:
        human(document)
