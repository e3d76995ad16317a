"""CSV, JSON Lines and XLSX writers: one row of the query in, one row out.

The rows come in batches off the cursor and nothing is kept once a batch is
written, so memory stays flat however long the export. Text cells a
spreadsheet would run as a formula are neutralised (``domain.cells``) in CSV
and XLSX; JSON Lines carries the data as it is, for scripts. In CSV and JSON
money and quantities are decimal text, which the database writes
(``values.sql_cell``): formatting a million rows cell by cell in Python cost
several times the query. In XLSX they are numeric cells and dates real date
cells, so the accountant can sum them; those rows are converted here, one
converter per column.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from decimal import Decimal
from itertools import chain
from typing import IO

from ordercli.domain.cells import neutralise
from ordercli.io.exports.values import SCALED, Column, ColumnType, number_text

# openpyxl is imported inside the XLSX writer: CSV and JSON Lines exports never load it.

Converter = Callable[[object], object]
# Lists of rows, as ``Result.partitions`` hands them over.
Batches = Iterable[Sequence[Sequence]]


def write_csv(out: IO[bytes], columns: Sequence[Column], batches: Batches, **_) -> int:
    """RFC 4180 CSV in UTF-8 (no BOM), a header row, one line per row.

    The cells arrive as the text to write (``Table.text_query``, neutralised),
    so a batch of rows goes to the csv module in one call and to ``out`` in one
    write."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.name for column in columns])
    count = 0
    for batch in batches:
        writer.writerows(batch)
        count += len(batch)
        out.write(buffer.getvalue().encode("utf-8"))
        buffer.seek(0)
        buffer.truncate()
    out.write(buffer.getvalue().encode("utf-8"))  # the header of an empty export
    return count


def write_jsonl(out: IO[bytes], columns: Sequence[Column], batches: Batches, **_) -> int:
    """One JSON object per line; money and quantities as decimal strings (SPEC).

    The cells arrive as JSON carries them (``Table.text_query``, not neutralised),
    booleans aside: SQLite has none, and gives 0 or 1."""
    names = [column.name for column in columns]
    flags = [index for index, column in enumerate(columns) if column.type is ColumnType.BOOL]
    # json.dumps would build this encoder anew for every line.
    encode = json.JSONEncoder(ensure_ascii=False).encode
    count = 0
    for batch in batches:
        if flags:
            batch = [_with_booleans(row, flags) for row in batch]
        lines = [encode(dict(zip(names, row, strict=True))) for row in batch]
        lines.append("")
        out.write("\n".join(lines).encode("utf-8"))
        count += len(batch)
    return count


def _with_booleans(row: Sequence, flags: list[int]) -> list:
    row = list(row)
    for index in flags:
        if row[index] is not None:
            row[index] = bool(row[index])
    return row


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
    out: IO[bytes],
    columns: Sequence[Column],
    batches: Batches,
    *,
    minor_digits: int,
    title: str,
) -> int:
    """Worksheets in openpyxl's write-only mode: rows go to disk as they come.

    The cells arrive as the database holds them (``Table.query``): numbers
    become numeric cells, dates date cells."""
    # openpyxl writes through lxml when it is installed (the e-invoice libraries bring
    # it), and lxml reports a full disk as its own SerialisationError rather than the
    # OSError that names the cause; its own writer streams as well and keeps that.
    os.environ.setdefault("OPENPYXL_LXML", "False")
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
        for row in chain.from_iterable(batches):
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
