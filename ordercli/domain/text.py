"""Text a user typed: trimmed, bounded, free of control characters; statuses by name.

Every name, address, note and code passes through ``clean_text`` before it is
stored, so no document or terminal receives a control character or text that
was not UTF-8.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Literal, TypeVar, overload

from ordercli.domain.errors import InvalidInput

MAX_TEXT = 2000
# Control characters other than newline and tab corrupt documents and terminals.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Bytes that were not UTF-8 reach Python as lone surrogates; they cannot be stored.
SURROGATE = re.compile(r"[\ud800-\udfff]")
WHITESPACE = re.compile(r"\s")

E = TypeVar("E", bound=Enum)


@overload
def clean_text(
    value: str | None, *, what: str, required: Literal[True], max_length: int = MAX_TEXT
) -> str: ...


@overload
def clean_text(
    value: str | None, *, what: str, required: bool = False, max_length: int = MAX_TEXT
) -> str | None: ...


def clean_text(
    value: str | None, *, what: str, required: bool = False, max_length: int = MAX_TEXT
) -> str | None:
    """Trimmed text, refusing control characters that would corrupt documents."""
    if value is None:
        if required:
            raise InvalidInput(f"{what} is required")
        return None
    cleaned = value.strip()
    if not cleaned:
        if required:
            raise InvalidInput(f"{what} must not be empty")
        return None
    if len(cleaned) > max_length:
        raise InvalidInput(f"{what} is longer than {max_length} characters")
    if CONTROL.search(cleaned):
        raise InvalidInput(f"{what} contains control characters")
    if SURROGATE.search(cleaned):
        raise InvalidInput(
            f"{what} is not valid UTF-8 text (check your terminal's or file's encoding)"
        )
    return cleaned


# What people type for a line break where they cannot type one: a shell option, a cell.
TYPED_LINE_BREAK = "\\n"


def clean_lines(value: str | None, *, what: str, max_length: int = MAX_TEXT) -> str | None:
    """Multi-line text (an address) as ``clean_text`` keeps it, one line per line: a typed
    ``\\n`` and a Windows line end are line breaks; each line is trimmed, blank ones dropped."""
    if value is None:
        return None
    text = value.replace(TYPED_LINE_BREAK, "\n").replace("\r\n", "\n")
    lines = (line.strip() for line in text.split("\n"))
    return clean_text("\n".join(line for line in lines if line), what=what, max_length=max_length)


def clean_code(value: str, *, what: str) -> str:
    """A code (customer, SKU, warehouse): required, one word, no '=' (``SKU=QTY`` parsing)."""
    code = clean_text(value, what=what, required=True, max_length=64)
    if WHITESPACE.search(code):
        raise InvalidInput(f"{what} {code!r} must not contain spaces")
    if "=" in code:
        raise InvalidInput(f"{what} {code!r} must not contain '='")
    return code


def parse_status(enum_type: type[E], text: str, *, what: str) -> E:
    """A status typed by a user, as a member of ``enum_type``; unknown ones are refused."""
    try:
        return enum_type(text.strip().lower())
    except ValueError:
        known = ", ".join(str(member.value) for member in enum_type)
        raise InvalidInput(f"unknown {what} status {text!r} (one of {known})") from None


def document_number(prefix: str, width: int, value: int) -> str:
    """A document's number as people read it: the series' prefix and the value padded
    to its width (``INV-`` 5 12 → ``INV-00012``); the one place numbers are formatted."""
    return f"{prefix}{value:0{width}d}"


def shown(text: object) -> str:
    """What a user typed, quoted for an error message, cut to 40 characters: a
    million-digit cell in an import file must not become a megabyte-long error line."""
    typed = str(text).strip()
    return repr(typed if len(typed) <= 40 else typed[:37] + "...")
