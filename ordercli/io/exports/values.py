"""The types of exported columns and their plain decimal text.

The database holds money as integer minor units, quantities as thousandths and
percentages as ten-thousandths (``domain/money.py``). An export turns them
into decimal text with integer arithmetic alone — division and remainder by a
power of ten, never a float: money keeps the currency's minor digits
(``1234.50``, ``1200`` in JPY), quantities and percentages drop trailing
zeros (``3``, ``2.5``, ``19``).

The text is written twice over, once per side, and both must agree to the
byte: ``domain.money.decimal_text`` in Python, and ``sql_cell`` as a SQL expression, so
that CSV and JSON Lines rows leave the database as finished text (a million
lines formatted in Python cost more than the query itself). ``sql_cell`` also
neutralises formula-like text (``domain.cells``) and writes dates and booleans
the way the Python writers do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Integer, String, case, cast, func, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ordercli.domain.cells import FORMULA_STARTS
from ordercli.domain.money import (
    PCT_DIGITS,
    QTY_DIGITS,
    decimal_text,
    pct_text,
    qty_text,
)


class ColumnType(StrEnum):
    TEXT = "text"
    MONEY = "money"
    QTY = "qty"
    PCT = "pct"
    DATE = "date"
    INT = "int"
    BOOL = "bool"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType


def number_text(column_type: ColumnType, minor_digits: int):
    """The function giving the decimal text of one scaled integer column."""
    if column_type is ColumnType.MONEY:
        return lambda units: decimal_text(units, minor_digits)
    if column_type is ColumnType.QTY:
        return qty_text
    if column_type is ColumnType.PCT:
        return pct_text
    raise ValueError(f"{column_type} is not a scaled number")


SCALED = (ColumnType.MONEY, ColumnType.QTY, ColumnType.PCT)


# --- the same text, written by the database ---------------------------------------


def _sql(text: str, type_=String):
    """A constant written into the SQL itself: no parameter whose type a driver guesses
    (psycopg could send ``100`` as numeric and turn the division below into a fraction)."""
    return literal_column(text, type_)


def _text(number):
    return cast(number, String)


def sql_decimal_text(units, digits: int, *, trim: bool = False):
    """``decimal_text`` as a SQL expression on an integer expression.

    Each sign has its own branch so that division and remainder only meet
    non-negative numbers (SQL truncates toward zero, and its remainder takes the
    dividend's sign). The fraction is zero-padded by adding the scale and
    dropping its leading 1 (``100 + 5`` → ``"105"`` → ``"05"``), which SQLite
    and PostgreSQL both write the same way. NULL gives NULL."""
    if digits == 0:
        return _text(units)
    scale = _sql(str(10**digits), Integer)
    zero = _sql("0", Integer)

    def text(magnitude, sign: bool):
        fraction = func.substr(_text(magnitude % scale + scale), _sql("2", Integer), type_=String)
        if trim:
            fraction = func.rtrim(fraction, _sql("'0'"), type_=String)
        whole = _text(magnitude // scale)
        return (_sql("'-'") + whole if sign else whole) + _sql("'.'") + fraction

    whole = [(units % scale == zero, _text(units // scale))] if trim else []
    return case(*whole, (units >= zero, text(units, False)), else_=text(-units, True))


APOSTROPHE = _sql("''''")  # SQL for the text "'"
# Every character neutralise looks at (the formula starts, and the apostrophe it
# looks past) comes before this code point: text starting at or above it is let
# through after one cheap comparison.
FIRST_SAFE = max(map(ord, (*FORMULA_STARTS, "'"))) + 1


class first_code(FunctionElement):  # noqa: N801 - named like the SQL functions it stands for
    """The code point of a text's first character (NULL or 0 for empty text)."""

    type = Integer()
    inherit_cache = True


@compiles(first_code, "sqlite")
def _first_code_sqlite(element, compiler, **kw):
    return f"unicode({compiler.process(element.clauses, **kw)})"


@compiles(first_code)
def _first_code(element, compiler, **kw):
    return f"ascii({compiler.process(element.clauses, **kw)})"


def _is_text(expression) -> bool:
    kind = expression.type
    return isinstance(getattr(kind, "impl_instance", kind), String)  # TypeDecorators too


def sql_neutralised(text):
    """``domain.cells.neutralise`` as a SQL expression."""
    if not _is_text(text):
        text = cast(text, String)
    formula = func.substr(func.ltrim(text, APOSTROPHE), _sql("1", Integer), _sql("1", Integer))
    may_be_formula = first_code(text) < _sql(str(FIRST_SAFE), Integer)
    return case((may_be_formula & formula.in_(FORMULA_STARTS), APOSTROPHE + text), else_=text)


class iso_date(FunctionElement):  # noqa: N801 - named like the SQL functions it stands for
    """A date column as ISO 8601 text (``date.isoformat``)."""

    type = String()
    inherit_cache = True


@compiles(iso_date, "sqlite")
def _iso_date_sqlite(element, compiler, **kw):
    # SQLAlchemy stores SQLite dates as ISO 8601 text already.
    return compiler.process(element.clauses, **kw)


@compiles(iso_date)
def _iso_date(element, compiler, **kw):
    # Not a cast to text: that follows the server's DateStyle.
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD')"


def sql_cell(column_type: ColumnType, value, *, minor_digits: int, neutralise: bool):
    """The SQL for one exported cell as the CSV writer writes it (``neutralise``) or as
    JSON Lines carries it: decimal text for money, quantities and percentages, ISO
    dates, and in CSV neutralised text and ``true``/``false``. Everything else comes
    as the database gives it. NULL stays NULL (an empty cell, JSON null)."""
    if column_type is ColumnType.MONEY:
        return sql_decimal_text(value, minor_digits)
    if column_type is ColumnType.QTY:
        return sql_decimal_text(value, QTY_DIGITS, trim=True)
    if column_type is ColumnType.PCT:
        return sql_decimal_text(value, PCT_DIGITS, trim=True)
    if column_type is ColumnType.DATE:
        return iso_date(value)
    if column_type is ColumnType.TEXT and neutralise:
        return sql_neutralised(value)
    if column_type is ColumnType.BOOL and neutralise:
        return case((value, _sql("'true'")), (~value, _sql("'false'")))
    return value
