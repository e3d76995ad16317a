"""Reading the values of an import file, collecting every problem instead of stopping.

Values are parsed a column at a time; a refused value is recorded with its
line and the import goes on, so every bad row is reported at once. Parsing goes through the same
functions the commands use (``parse_money``, ``clean_text`` …), so a value
the command line refuses is refused in a file too, with the same words. Web
shop files repeat the same prices, quantities, dates and codes on many
lines, so each distinct text of a column is parsed once per import.
"""

from __future__ import annotations

from collections.abc import Callable

from ordercli.books.clock import parse_date
from ordercli.domain.errors import InvalidInput
from ordercli.domain.money import (
    parse_money,
    parse_pct,
    parse_qty,
    pct_to_db,
    qty_to_db,
    to_minor,
)
from ordercli.domain.text import clean_code, clean_lines, clean_text, shown
from ordercli.domain.units import parse_unit
from ordercli.io.imports.reader import Problem, Table, cell

TRUE = {"true", "yes", "y", "1"}
FALSE = {"false", "no", "n", "0"}


class Failure:
    """A cached refusal of one distinct text."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


class Columns:
    """An import file's values parsed column by column.

    Each method returns one parsed value per row (None where the cell is
    empty or refused) and records every refusal with its line; ``bad_lines``
    are the rows with any refusal.
    """

    def __init__(self, table: Table, problems: list[Problem]) -> None:
        self.table = table
        self.positions = {name: i for i, name in enumerate(table.columns)}
        self.problems = problems
        self.bad_lines: set[int] = set()
        self.lines = [line for line, _ in table.rows]
        self.cells = [values for _, values in table.rows]

    def fail(self, line: int, message: str) -> None:
        self.bad_lines.add(line)
        self.problems.append(Problem(line, message))

    def raw(self, column: str) -> list[str | None]:
        """The column's cells as read from the file (None where the file has no such column)."""
        position = self.table.positions[column]
        if position is None:
            return [None] * len(self.lines)
        return [values[position] for values in self.cells]

    def _parse(self, column: str, parse: Callable[[str], object], required: bool, number=False):
        """Each distinct cell trimmed and parsed once; then every row's value looked up."""
        comma = number and self.table.decimal_comma
        spreadsheet = self.table.from_spreadsheet
        raws = self.raw(column)
        meaning: dict = {}
        for raw in set(raws):
            text = cell(raw, spreadsheet)
            if text is None:
                meaning[raw] = None
                continue
            try:
                meaning[raw] = parse(_decimal_point(text) if comma else text)
            except InvalidInput as exc:
                meaning[raw] = Failure(exc.message)
        parsed = [meaning[raw] for raw in raws]
        failed = any(value.__class__ is Failure for value in meaning.values())
        if failed or (required and None in meaning.values()):
            for index, (line, value) in enumerate(zip(self.lines, parsed, strict=True)):
                if value is None and required:
                    self.fail(line, f"{column} is empty")
                elif value.__class__ is Failure:
                    self.fail(line, value.message)
                    parsed[index] = None
        return parsed

    def text(self, column: str, *, required: bool = False, max_length: int = 2000) -> list:
        return self._parse(
            column,
            lambda raw: clean_text(raw, what=column, required=required, max_length=max_length),
            required,
        )

    def multi_line(self, column: str, *, max_length: int = 2000) -> list:
        """Multi-line text (an address): ``\\n`` typed in a cell is a line break."""
        return self._parse(
            column, lambda raw: clean_lines(raw, what=column, max_length=max_length), False
        )

    def code(self, column: str, *, required: bool = True) -> list:
        return self._parse(column, lambda raw: clean_code(raw, what=column), required)

    def money_units(self, column: str, digits: int, *, required: bool = False) -> list:
        """Amounts (not negative) in minor units."""
        return self._parse(
            column,
            lambda raw: to_minor(parse_money(raw, digits, what=column), digits),
            required,
            number=True,
        )

    def qty_units(self, column: str, *, required: bool = True, allow_zero: bool = False) -> list:
        return self._parse(
            column,
            lambda raw: qty_to_db(parse_qty(raw, what=column, allow_zero=allow_zero)),
            required,
            number=True,
        )

    def pct_units(self, column: str, *, required: bool = False) -> list:
        return self._parse(
            column, lambda raw: pct_to_db(parse_pct(raw, what=column)), required, number=True
        )

    def unit(self, column: str) -> list:
        """UN/ECE Rec. 20 codes, typed as a code or a name (``kg``, ``hour``)."""
        return self._parse(column, parse_unit, False)

    def day(self, column: str, *, required: bool = True) -> list:
        return self._parse(column, lambda raw: parse_date(raw, what=column), required)

    def flag(self, column: str) -> list:
        return self._parse(column, lambda raw: _flag(raw, column), False)

    def whole(self, column: str, *, minimum: int, maximum: int) -> list:
        return self._parse(column, lambda raw: _whole(raw, column, minimum, maximum), False)


def _decimal_point(raw: str) -> str:
    """``489,00`` as ``489.00``; anything else (``1,000.00``) is left to be refused."""
    if raw.count(",") == 1 and "." not in raw:
        return raw.replace(",", ".")
    return raw


def _flag(raw: str, what: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise InvalidInput(f"{what} {shown(raw)} must be true or false")


def _whole(raw: str, what: str, minimum: int, maximum: int) -> int:
    text = raw.strip()
    if not (text.isascii() and text.lstrip("-").isdecimal()):
        raise InvalidInput(f"{what} {shown(raw)} is not a whole number")
    # Compared by length first: Python refuses to convert a number of more than
    # 4,300 digits, and any number that long is out of range anyway.
    widest = max(len(str(minimum)), len(str(maximum)))
    if len(text.lstrip("-").lstrip("0")) > widest or not minimum <= int(text) <= maximum:
        raise InvalidInput(f"{what} {shown(raw)} must be between {minimum} and {maximum}")
    return int(text)
