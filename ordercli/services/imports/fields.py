"""Reading the values of one import row, collecting every problem instead of stopping.

Each ``Row`` method returns the parsed value, or None after recording what is
wrong with it under the row's line number. Parsing goes through the same
functions the commands use (``parse_money``, ``clean_text`` …), so a value
the command line refuses is refused in a file too, with the same words. Web
shop files repeat the same prices, quantities and dates on many lines, so
each distinct text is parsed once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import lru_cache

from ordercli.domain.errors import InvalidInput
from ordercli.domain.money import (
    parse_money,
    parse_pct,
    parse_qty,
    pct_to_db,
    qty_to_db,
    to_minor,
)
from ordercli.services.clock import parse_date
from ordercli.services.common import clean_code, clean_text
from ordercli.services.imports.reader import Problem

TRUE = {"true", "yes", "y", "1"}
FALSE = {"false", "no", "n", "0"}


class Row:
    def __init__(
        self,
        line: int,
        values: list[str | None],
        columns: dict[str, int],
        problems,
        decimal_comma: bool = False,
    ):
        self.decimal_comma = decimal_comma
        self.line = line
        self.values = values
        self.columns = columns
        self.problems: list[Problem] = problems
        self.ok = True

    def raw(self, column: str) -> str | None:
        position = self.columns[column]
        return self.values[position]

    def _parse(
        self, column: str, parse: Callable[[str], object], required: bool, number: bool = False
    ):
        raw = self.raw(column)
        if number and self.decimal_comma and raw and "," in raw and "." not in raw:
            raw = raw.replace(",", ".", 1) if raw.count(",") == 1 else raw
        if raw is None:
            if required:
                self.fail(f"{column} is empty")
            return None
        try:
            return parse(raw)
        except InvalidInput as exc:
            self.fail(exc.message)
            return None

    def fail(self, message: str) -> None:
        self.ok = False
        self.problems.append(Problem(self.line, message))

    def text(self, column: str, *, required: bool = False, max_length: int = 2000) -> str | None:
        return self._parse(
            column,
            lambda raw: clean_text(raw, what=column, required=required, max_length=max_length),
            required,
        )

    def code(self, column: str, *, required: bool = True) -> str | None:
        return self._parse(column, lambda raw: _code(raw, column), required)

    def money_units(self, column: str, digits: int, *, required: bool = False) -> int | None:
        """An amount (not negative) in minor units."""
        return self._parse(
            column, lambda raw: _money_units(raw, digits, column), required, number=True
        )

    def qty_units(
        self, column: str, *, required: bool = True, allow_zero: bool = False
    ) -> int | None:
        return self._parse(
            column, lambda raw: _qty_units(raw, column, allow_zero), required, number=True
        )

    def qty(self, column: str, *, required: bool = False) -> Decimal | None:
        return self._parse(column, lambda raw: _qty(raw, column), required, number=True)

    def pct_units(self, column: str, *, required: bool = False) -> int | None:
        return self._parse(column, lambda raw: _pct_units(raw, column), required, number=True)

    def pct(self, column: str, *, required: bool = False) -> Decimal | None:
        return self._parse(column, lambda raw: _pct(raw, column), required, number=True)

    def day(self, column: str, *, required: bool = True) -> date | None:
        return self._parse(column, lambda raw: _day(raw, column), required)

    def flag(self, column: str) -> bool | None:
        return self._parse(column, lambda raw: _flag(raw, column), False)

    def whole(self, column: str, *, minimum: int, maximum: int) -> int | None:
        return self._parse(column, lambda raw: _whole(raw, column, minimum, maximum), False)


@lru_cache(maxsize=65536)
def _code(raw: str, what: str) -> str:
    return clean_code(raw, what=what)


@lru_cache(maxsize=65536)
def _money_units(raw: str, digits: int, what: str) -> int:
    return to_minor(parse_money(raw, digits, what=what), digits)


@lru_cache(maxsize=65536)
def _qty(raw: str, what: str) -> Decimal:
    return parse_qty(raw, what=what)


@lru_cache(maxsize=65536)
def _qty_units(raw: str, what: str, allow_zero: bool) -> int:
    return qty_to_db(parse_qty(raw, what=what, allow_zero=allow_zero))


@lru_cache(maxsize=4096)
def _pct(raw: str, what: str) -> Decimal:
    return parse_pct(raw, what=what)


@lru_cache(maxsize=4096)
def _pct_units(raw: str, what: str) -> int:
    return pct_to_db(parse_pct(raw, what=what))


@lru_cache(maxsize=65536)
def _day(raw: str, what: str) -> date:
    return parse_date(raw, what=what)


def _flag(raw: str, what: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise InvalidInput(f"{what} {raw!r} must be true or false")


def _whole(raw: str, what: str, minimum: int, maximum: int) -> int:
    text = raw.strip()
    if not (text.isascii() and text.lstrip("-").isdecimal()):
        raise InvalidInput(f"{what} {raw!r} is not a whole number")
    value = int(text)
    if not minimum <= value <= maximum:
        raise InvalidInput(f"{what} {raw!r} must be between {minimum} and {maximum}")
    return value
