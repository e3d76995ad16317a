"""The types of exported columns and their plain decimal text.

The database holds money as integer minor units, quantities as thousandths and
percentages as ten-thousandths (``domain/money.py``). An export turns them
into decimal text with integer arithmetic alone — ``divmod`` by a power of
ten, never a float — which is exact and fast enough for a million lines:
money keeps the currency's minor digits (``1234.50``, ``1200`` in JPY),
quantities and percentages drop trailing zeros (``3``, ``2.5``, ``19``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ordercli.domain.money import PCT_DIGITS, QTY_DIGITS


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


def decimal_text(units: int, digits: int, *, trim: bool = False) -> str:
    """``units`` × 10^-digits as plain decimal text; ``trim`` drops trailing zeros."""
    if digits == 0:
        return str(units)
    sign = "-" if units < 0 else ""
    whole, fraction = divmod(abs(units), 10**digits)
    decimals = f"{fraction:0{digits}d}"
    if trim:
        decimals = decimals.rstrip("0")
        if not decimals:
            return f"{sign}{whole}"
    return f"{sign}{whole}.{decimals}"


def money_text(units: int, minor_digits: int) -> str:
    return decimal_text(units, minor_digits)


def qty_text(units: int) -> str:
    return decimal_text(units, QTY_DIGITS, trim=True)


def pct_text(units: int) -> str:
    return decimal_text(units, PCT_DIGITS, trim=True)


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
