"""Fitting tables and cards to the width of the terminal without ever cutting a figure.

A figure (an amount, a quantity, a date, a status, a document number or a
code) is printed whole on one line or the layout changes: a number cut short
reads as another number. A word of a header is never cut either ("Ordere/d"
reads as broken); a header of several words may wrap between them. Text
(names, descriptions, notes) wraps between words, and only at last folds them.
A table takes the first of these layouts that fits the width:

1. boxed, every column as wide as its widest cell;
2. boxed, columns empty in every row left out, text and headers wrapping
   between words, each figure column still as wide as its widest figure;
3. the same without the box, two spaces between columns;
4. the same, one space between columns;
5. the same, words of text folding where they must;
6. stacked: one block per row, each field on a line of its own as
   ``label  value``.

This module only chooses widths and the layout; Rich draws every one of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rich import box
from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

# A text column never gets narrower than this (or its natural width) while a
# table layout is tried: squeezed further it reads worse than the stacked layout.
TEXT_MIN = 6
# Words of text fold only in a column at least this wide (or its natural width):
# in a narrower one "invoice/d;" and "shipped/;" read worse than the stacked layout.
FOLD_MIN = 10
# Words with a digit up to this long (document numbers, amounts, "×3") are kept
# whole in text; longer ones, and other words, may fold when the table is tight.
WORD_MAX = 20
# A label of a stacked block or a card is not folded narrower than this.
HEADER_MIN = 5
STACK_GAP = 2
# A card is a borderless Rich table: one space each side of both columns.
CARD_CHROME = 4

BOXED = {"box": box.HEAVY_HEAD}
COMPACT = {
    "box": box.SIMPLE_HEAD,
    "show_edge": False,
    "pad_edge": False,
    "collapse_padding": True,
}
# The box's own blank divider is the one space between columns: no cell padding.
TIGHT = {**COMPACT, "padding": (0, 0)}


def longest_word(text: str) -> int:
    return max(map(cell_len, text.split()), default=0)


def longest_figure_word(words: list[str]) -> int:
    """The widest word with a digit in it (``SO-00012``, ``1105.63``, ``×3``): text may
    fold its other words when the table is tight, never these."""
    return max((cell_len(w) for w in words if any(c.isdigit() for c in w)), default=0)


def widest_line(text: str) -> int:
    return max(map(cell_len, text.splitlines()), default=0)


@dataclass
class Column:
    """One column's header and cells, and how wide it may be."""

    header: str
    figure: bool
    justify: str = "left"
    cells: list[Text] = field(default_factory=list)
    widest: int = 0  # the widest line of any cell
    widest_word: int = 0  # the widest word with a digit, in a text column
    widest_any_word: int = 0

    def add(self, cell: Text) -> None:
        self.cells.append(cell)
        plain = cell.plain
        if not plain:
            return
        if plain.isascii() and "\n" not in plain:
            width = len(plain)
        else:
            width = widest_line(plain)
        if width > self.widest:
            self.widest = width
        if not self.figure and width > min(self.widest_word, self.widest_any_word):
            words = plain.split()
            self.widest_word = max(self.widest_word, longest_figure_word(words))
            self.widest_any_word = max(self.widest_any_word, max(map(cell_len, words), default=0))

    @property
    def natural(self) -> int:
        return max(self.widest, widest_line(self.header), 1)

    @property
    def narrowest(self) -> int:
        """As narrow as it goes: words of text may fold (short of ``WORD_MAX`` for those
        with a digit), a word of the header never does."""
        header = longest_word(self.header)
        if self.figure:
            return max(self.widest, header, 1)
        text = max(FOLD_MIN, min(self.widest_word, WORD_MAX), header)
        return min(self.snug, text)

    @property
    def snug(self) -> int:
        """As narrow as it goes without folding a word of its header or of its text
        (short of ``WORD_MAX``)."""
        header = longest_word(self.header)
        if self.figure:
            return max(self.widest, header, 1)
        words = min(max(self.widest_word, self.widest_any_word), WORD_MAX)
        return min(self.natural, max(TEXT_MIN, words, header))


def share(lows: Sequence[int], highs: Sequence[int], room: int) -> list[int] | None:
    """Widths between ``lows`` and ``highs`` that add up to at most ``room``, or None.

    Every column is raised to one common level (never past its natural width),
    so the narrow ones keep their width and the widest give way first, as
    Rich's own table does when it is too wide.
    """
    if sum(lows) > room:
        return None
    if sum(highs) <= room:
        return list(highs)

    def at(level: int) -> list[int]:
        return [min(high, max(low, level)) for low, high in zip(lows, highs, strict=True)]

    below, above = 0, max(highs)
    while below < above:
        middle = (below + above + 1) // 2
        if sum(at(middle)) <= room:
            below = middle
        else:
            above = middle - 1
    widths = at(below)
    spare = room - sum(widths)
    for index, (width, high) in enumerate(zip(widths, highs, strict=True)):
        if spare and width < high:
            widths[index] += 1
            spare -= 1
    return widths


def chrome(console: Console, style: dict, count: int) -> int:
    """The columns that a table of ``count`` columns in ``style`` spends on borders and padding."""
    probe = Table(**style)
    for _ in range(count):
        probe.add_column(width=1)
    return Measurement.get(console, console.options, probe).maximum - count


def fitted_table(
    console: Console, title: str | None, columns: list[Column], width: int
) -> RenderableType | None:
    """A boxed or compact table whose figures all fit ``width``, or None if none does."""
    # Every column at its natural width; failing that, columns empty in every row give
    # way, then text and headers wrap between words, then the box goes, then the padding,
    # and last words of text fold. Words of headers never do: the stacked layout instead.
    filled = [column for column in columns if column.widest] or columns
    for style, shown, folding in (
        (BOXED, columns, None),
        (BOXED, filled, False),
        (COMPACT, filled, False),
        (TIGHT, filled, False),
        (TIGHT, filled, True),
    ):
        spent = chrome(console, style, len(shown))
        highs = [column.natural for column in shown]
        if folding is None:
            widths = highs if sum(highs) <= width - spent else None
        else:
            snug = [column.snug for column in shown]
            lows = [column.narrowest for column in shown] if folding else snug
            # Words of text are kept whole before they fold, then headers widen.
            text = [s if not c.figure else low for c, s, low in zip(shown, snug, lows, strict=True)]
            widths = share(lows, text, width - spent)
            for wider in (snug, highs):
                widths = None if widths is None else share(widths, wider, width - spent)
        if widths is None:
            continue
        if title and cell_len(title) > sum(widths) + spent:
            # Above the table, not folded into its narrower width.
            return Group(Text(title, style="table.title"), _table(None, shown, widths, style))
        return _table(title, shown, widths, style)
    return None


def _table(title: str | None, columns: list[Column], widths: list[int], style: dict) -> Table:
    grid = Table(
        title=Text(title) if title else None,
        title_justify="left",
        header_style="bold",
        **style,
    )
    for column, width in zip(columns, widths, strict=True):
        grid.add_column(
            Text(column.header, overflow="fold"),
            justify=column.justify,  # type: ignore[arg-type]
            width=width,
            overflow="fold",
        )
    for cells in zip(*(column.cells for column in columns), strict=True):
        grid.add_row(*cells)
    return grid


def stacked(title: str | None, columns: list[Column], width: int) -> RenderableType:
    """One block per row: each non-empty field on its own line, ``label  value``."""
    blocks: list[RenderableType] = [Text(title, style="table.title")] if title else []
    labels = [Text(column.header, style="bold", overflow="fold") for column in columns]
    figure_width = max((column.widest for column in columns if column.figure), default=0)
    label_width = max(widest_line(column.header) for column in columns)
    label_width, value_width = pair_widths(label_width, figure_width, width, STACK_GAP)
    for index, cells in enumerate(zip(*(column.cells for column in columns), strict=True)):
        if index:
            blocks.append(Text(""))
        pairs = [(label, cell) for label, cell in zip(labels, cells, strict=True) if cell.plain]
        blocks.append(pairs_grid(pairs, label_width, value_width))
    return Group(*blocks)


def pairs_grid(pairs: list[tuple[Text, Text]], label_width: int, value_width: int) -> Table:
    """Labels and values side by side, or each value under its label when the value
    column is too narrow for its figures (``label_width`` 0)."""
    # No cell padding: the label column is wider than its labels by the gap instead,
    # which spares Rich wrapping every cell in padding (stacked tables are long).
    grid = Table.grid()
    if not label_width:
        grid.add_column(width=value_width, overflow="fold")
        for label, value in pairs:
            grid.add_row(label)
            grid.add_row(Text("  ").append_text(value))
        return grid
    grid.add_column(width=label_width + STACK_GAP, overflow="fold")
    grid.add_column(width=value_width, overflow="fold")
    for label, value in pairs:
        grid.add_row(label, value)
    return grid


def pair_widths(label_width: int, figure_width: int, width: int, gap: int) -> tuple[int, int]:
    """Widths of the label and value columns of a key/value block ``width`` wide whose
    columns are ``gap`` apart; a label width of 0 puts each value under its label."""
    value_width = width - label_width - gap
    if value_width >= max(figure_width, TEXT_MIN):
        return label_width, value_width
    label_width = width - gap - max(figure_width, TEXT_MIN)
    if label_width >= HEADER_MIN:
        return label_width, width - label_width - gap
    return 0, max(width - 2, 1)


def card_table(title: str, pairs: list[tuple[Text, Text, bool]], width: int) -> RenderableType:
    """A ``show`` command's key/value block: the label column, bold, never wraps while the
    value column can hold every figure; values that are text wrap."""
    label_width = max((label.cell_len for label, _, _ in pairs), default=1)
    figure_width = max((value_need(value, figure) for _, value, figure in pairs), default=0)
    text_width = max((widest_line(value.plain) for _, value, _ in pairs), default=1)
    room = width - CARD_CHROME
    label_width, value_width = pair_widths(label_width, figure_width, room, 0)
    value_width = min(value_width, max(text_width, 1))
    if not label_width:
        grid = pairs_grid([(label, value) for label, value, _ in pairs], 0, room)
        return Group(Text(title, style="bold"), grid)
    fits = Text(title).cell_len <= label_width + value_width + CARD_CHROME
    grid = Table(
        title=Text(title) if fits else None,
        title_justify="left",
        show_header=False,
        box=None,
        title_style="bold",
    )
    grid.add_column(style="bold", width=label_width, overflow="fold")
    grid.add_column(width=value_width, overflow="fold")
    for label, value, _ in pairs:
        grid.add_row(label, value)
    return grid if fits else Group(Text(title, style="bold"), grid)


def value_need(value: Text, figure: bool) -> int:
    """How wide a card value must be shown: a figure whole, text by its words."""
    if figure:
        return widest_line(value.plain)
    return min(longest_word(value.plain), WORD_MAX)
