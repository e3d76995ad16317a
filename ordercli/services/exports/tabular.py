"""CSV, JSON Lines and XLSX writers: one row of the query in, one row out.

Each writer turns the columns' types into one converter per column once, then
streams: nothing is kept per row, so memory stays flat however long the
export. Text cells a spreadsheet would run as a formula are neutralised
(``domain.cells``) in CSV and XLSX; JSON Lines carries the data as it is, for
scripts. In CSV and JSON money and quantities are decimal text; in XLSX they
are numeric cells and dates real date cells, so the accountant can sum them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from decimal import Decimal
from typing import BinaryIO

from ordercli.domain.cells import neutralise
from ordercli.services.exports.values import SCALED, Column, ColumnType, number_text

Converter = Callable[[object], object]


class Utf8Writer:
    """A text ``write`` onto a binary stream, so stdout is never wrapped (and closed)."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out

    def write(self, text: str) -> int:
        return self._out.write(text.encode("utf-8"))


def _text_cell(value) -> str:
    return "" if value is None else neutralise(str(value))


def _csv_converter(column: Column, minor_digits: int) -> Converter:
    kind = column.type
    if kind is ColumnType.TEXT:
        return _text_cell
    if kind in SCALED:
        text = number_text(kind, minor_digits)
        return lambda value: "" if value is None else text(value)
    if kind is ColumnType.DATE:
        return lambda value: "" if value is None else value.isoformat()
    if kind is ColumnType.BOOL:
        return lambda value: "" if value is None else ("true" if value else "false")
    return lambda value: "" if value is None else str(value)


def write_csv(
    out: BinaryIO, columns: Sequence[Column], rows: Iterable[Sequence], *, minor_digits: int, **_
) -> int:
    """RFC 4180 CSV in UTF-8 (no BOM), a header row, one line per row."""
    writer = csv.writer(Utf8Writer(out), lineterminator="\r\n")
    writer.writerow([column.name for column in columns])
    converters = [_csv_converter(column, minor_digits) for column in columns]
    count = 0
    for row in rows:
        writer.writerow([convert(value) for convert, value in zip(converters, row, strict=True)])
        count += 1
    return count


def _json_converter(column: Column, minor_digits: int) -> Converter:
    kind = column.type
    if kind in SCALED:
        text = number_text(kind, minor_digits)
        return lambda value: None if value is None else text(value)
    if kind is ColumnType.DATE:
        return lambda value: None if value is None else value.isoformat()
    if kind is ColumnType.BOOL:
        return lambda value: None if value is None else bool(value)
    return lambda value: value


def write_jsonl(
    out: BinaryIO, columns: Sequence[Column], rows: Iterable[Sequence], *, minor_digits: int, **_
) -> int:
    """One JSON object per line; money and quantities as decimal strings (SPEC)."""
    names = [column.name for column in columns]
    converters = [_json_converter(column, minor_digits) for column in columns]
    count = 0
    for row in rows:
        document = {
            name: convert(value)
            for name, convert, value in zip(names, converters, row, strict=True)
        }
        out.write(json.dumps(document, ensure_ascii=False).encode("utf-8") + b"\n")
        count += 1
    return count


WIDE = {"customer_name", "description", "memo", "reason", "account_name"}
WIDTHS = {
    ColumnType.TEXT: 14,
    ColumnType.MONEY: 13,
    ColumnType.QTY: 9,
    ColumnType.PCT: 9,
    ColumnType.DATE: 11,
    ColumnType.INT: 8,
    ColumnType.BOOL: 8,
}


# Excel shows at most this many rows per sheet (the header included); a longer
# export continues on a new sheet, "journal (2)", with its own header.
SHEET_ROWS = 1_048_576


def write_xlsx(
    out: BinaryIO,
    columns: Sequence[Column],
    rows: Iterable[Sequence],
    *,
    minor_digits: int,
    title: str,
) -> int:
    """Worksheets in openpyxl's write-only mode: rows go to disk as they come."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    money_format = "#,##0" + ("." + "0" * minor_digits if minor_digits else "")
    bold = Font(bold=True)

    def text(value):
        if value is None:
            return None
        # openpyxl refuses control characters; the ledger's services never store them.
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))

    def converter(sheet, column: Column) -> Converter:
        def styled(value, number_format: str):
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = number_format
            return cell

        kind = column.type
        if kind is ColumnType.TEXT:
            return text
        if kind in SCALED:
            decimal = number_text(kind, minor_digits)
            number_format = money_format if kind is ColumnType.MONEY else "General"
            return lambda v: None if v is None else styled(Decimal(decimal(v)), number_format)
        if kind is ColumnType.DATE:
            return lambda v: None if v is None else styled(v, "yyyy-mm-dd")
        if kind is ColumnType.BOOL:
            return lambda v: None if v is None else bool(v)
        return lambda v: v

    def new_sheet(number: int):
        name = title if number == 1 else f"{title} ({number})"
        sheet = workbook.create_sheet(name[:31])
        for index, column in enumerate(columns, start=1):
            width = 32 if column.name in WIDE else WIDTHS[column.type]
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        header = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=column.name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        return sheet, [converter(sheet, column) for column in columns]

    sheets = 1
    count = used = 0
    try:
        sheet, converters = new_sheet(sheets)
        for row in rows:
            if used == SHEET_ROWS - 1:
                sheets += 1
                sheet, converters = new_sheet(sheets)
                used = 0
            sheet.append([convert(value) for convert, value in zip(converters, row, strict=True)])
            count += 1
            used += 1
        workbook.save(out)
    except BaseException:
        # Finish the sheets' writers now, quietly: left to the garbage collector
        # they complain on stderr about files already closed (e.g. after `| head`).
        for sheet in workbook.worksheets:
            if not sheet.closed:
                with suppress(Exception):
                    sheet.close()
        raise
    return count


WRITERS = {"csv": write_csv, "jsonl": write_jsonl, "xlsx": write_xlsx}
