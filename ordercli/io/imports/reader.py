"""Reading an import file into rows: CSV in the usual dialects, or JSON Lines.

The whole file is decoded first, so an encoding problem is reported with the
line it is on rather than halfway through an import. CSV files may start
with a UTF-8 byte order mark (as spreadsheets write them), use a comma,
semicolon, tab or pipe as delimiter (whichever splits the header into the
most known column names) and any line ending; in a semicolon-separated file
a number may use a decimal comma (``489,00``), as European spreadsheets
write. JSON Lines files hold one object per line; numbers in them are read as
exact decimals.

Problems that make the file unreadable raise ``InvalidInput``; problems of one
row are collected with its line number, so every bad row is reported at once.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ordercli.domain.cells import restore
from ordercli.domain.errors import InvalidInput
from ordercli.domain.paths import check_path

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".txt": "csv", ".tsv": "csv"}
DELIMITERS = (",", ";", "\t", "|")
# csv refuses fields beyond 128 KiB by default; a long address or note is fine,
# a field beyond 1 MiB is a broken file.
csv.field_size_limit(1 << 20)


@dataclass
class Problem:
    line: int
    message: str


@dataclass
class Table:
    """The rows of a file: each row its line number and one raw cell (or None) per column.

    Cells are kept as read; ``cell`` trims them, maps empty to None and takes
    off the apostrophe an export put before a formula-like text."""

    columns: list[str]
    # CSV rows are lists of str; JSON Lines rows have None for a null or missing key.
    rows: list[tuple[int, Sequence[str | None]]] = field(default_factory=list)
    # Where each known column is in a row's list of cells (None: not in the file).
    positions: dict[str, int | None] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    # Spreadsheets in most of Europe write "489,00" in semicolon-separated files.
    decimal_comma: bool = False
    # CSV cells may carry the apostrophe an export puts before formula-like text.
    from_spreadsheet: bool = False

    def index(self, column: str) -> int | None:
        try:
            return self.columns.index(column)
        except ValueError:
            return None


def file_format(path: Path, fmt: str | None) -> str:
    if fmt:
        fmt = fmt.strip().lower()
        if fmt not in {"csv", "jsonl"}:
            raise InvalidInput(f"unknown import format {fmt!r} (csv or jsonl)")
        return fmt
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise InvalidInput(
            f"cannot tell the format of {path.name}: name it .csv or .jsonl",
            hint="or give --format csv|jsonl",
        )
    return found


def normalise_column(name: str) -> str:
    return name.strip().strip("\ufeff").strip().lower().replace(" ", "_").replace("-", "_")


def read_table(
    path: Path, *, fmt: str | None, known: tuple[str, ...], required: tuple[str, ...]
) -> Table:
    """Read ``path`` into a ``Table`` whose columns are ``known`` (in that order)."""
    kind = file_format(path, fmt)
    text = _decode(path)
    if not text.strip():
        raise InvalidInput(f"{path.name} is empty")
    if kind == "csv":
        return _read_csv(text, known, required, path)
    return _read_jsonl(text, known, required)


def _decode(path: Path) -> str:
    check_path(path)
    if path.is_dir():
        raise InvalidInput(f"{path} is a directory, not a file to import")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"no file {str(path)!r}") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidInput(f"{path.name} is UTF-16; save it as UTF-8 (CSV UTF-8 in a spreadsheet)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        # Line breaks may be LF, CRLF or a lone CR.
        line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
        raise InvalidInput(
            f"{path.name} line {line}: not UTF-8 (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8"
        ) from None


def _header_delimiter(first_line: str, known: tuple[str, ...]) -> str:
    def score(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        return sum(normalise_column(c) in known for c in cells), len(cells)

    return max(DELIMITERS, key=score)


def _plan_columns(
    header: list[str], known: tuple[str, ...], required: tuple[str, ...], file_name: str
) -> tuple[list[int | None], list[str]]:
    """For each known column, its position in the file (or None); and unknown names."""
    names = [normalise_column(h) for h in header]
    seen: set[str] = set()
    for column in names:
        if column and column in seen:
            raise InvalidInput(f"{file_name} line 1: column {column!r} appears twice in the header")
        seen.add(column)
    missing = [c for c in required if c not in names]
    if missing:
        raise InvalidInput(
            f"{file_name} line 1: missing column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}",
            hint=f"the columns are {', '.join(known)} (required: {', '.join(required)})",
        )
    positions = [names.index(c) if c in names else None for c in known]
    ignored = [h.strip() for h, n in zip(header, names, strict=True) if n and n not in known]
    return positions, ignored


def _read_csv(text: str, known, required, path: Path) -> Table:
    first_line = text.split("\n", 1)[0].split("\r", 1)[0]
    delimiter = _header_delimiter(first_line, known)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InvalidInput(f"{path.name} line 1: {exc}") from None
    positions, ignored = _plan_columns(header, known, required, path.name)
    table = Table(
        columns=list(known),
        positions=dict(zip(known, positions, strict=True)),
        ignored_columns=ignored,
        decimal_comma=delimiter == ";",
        from_spreadsheet=True,
    )
    width = len(header)
    rows = table.rows
    line = reader.line_num
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            # Blank lines (or only delimiters) are skipped; a first cell with text is
            # the common case and needs no further look.
            if len(cells) == width and cells[0] and not cells[0].isspace():
                rows.append((start, cells))
            elif not "".join(cells).strip():
                continue
            elif len(cells) != width:
                table.problems.append(
                    Problem(start, f"{len(cells)} fields, but the header has {width}")
                )
            else:
                rows.append((start, cells))
    except csv.Error as exc:
        # The rest of the file cannot be split into rows reliably.
        table.problems.append(Problem(line + 1, f"unreadable CSV: {exc}"))
    return table


def cell(value: str | None, from_spreadsheet: bool) -> str | None:
    """A cell trimmed, None when empty, its line breaks as LF (a quoted multi-line
    cell keeps the file's own CRLF or CR), and an export's apostrophe taken off."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return restore(value) if from_spreadsheet and value[0] == "'" else value


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    seen: set[str] = set()
    for key, _ in pairs:
        name = normalise_column(key)
        if name in seen:
            raise ValueError(f"key {key!r} appears twice")
        seen.add(name)
    return dict(pairs)


def _no_constants(name: str):
    raise ValueError(f"{name} is not a number")


def _read_jsonl(text: str, known, required) -> Table:
    table = Table(columns=list(known), positions={c: i for i, c in enumerate(known)})
    ignored: dict[str, None] = {}
    for number, raw in enumerate(io.StringIO(text, newline=None), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(
                raw,
                parse_float=Decimal,
                parse_constant=_no_constants,
                object_pairs_hook=_no_duplicate_keys,
            )
        except (ValueError, RecursionError) as exc:
            reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
            table.problems.append(Problem(number, f"not valid JSON: {reason}"))
            continue
        if not isinstance(record, dict):
            table.problems.append(Problem(number, "not a JSON object"))
            continue
        values: dict[str, str | None] = {}
        bad = False
        for key, value in record.items():
            name = normalise_column(str(key))
            if name not in known:
                ignored.setdefault(str(key))
                continue
            if isinstance(value, dict | list):
                table.problems.append(Problem(number, f"{name} must be a plain value"))
                bad = True
                continue
            values[name] = _json_value(value)
        missing = [c for c in required if c not in values]
        if missing:
            table.problems.append(Problem(number, f"missing {', '.join(missing)}"))
            continue
        if not bad:
            table.rows.append((number, [values.get(c) for c in known]))
    table.ignored_columns = list(ignored)
    return table


def _json_value(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(value)
    text = str(value).strip()
    return text or None
