"""Text cells that a spreadsheet would run as a formula (CSV/formula injection).

Spreadsheets treat a cell starting with ``=``, ``+``, ``-`` or ``@`` (and, in
some, a leading tab or carriage return) as a formula, so a customer named
``=HYPERLINK(…)`` could run something on the accountant's machine. Exports
prefix such text with an apostrophe, which every spreadsheet shows as text;
imports take that apostrophe off again, so a file exported by ordercli
imports back unchanged.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """The text made safe for a spreadsheet cell.

    Text that already starts with apostrophes before a formula character gets
    one more, so that ``restore`` gives back exactly the original."""
    return "'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text


def restore(text: str) -> str:
    """The inverse of ``neutralise`` for a cell read back from a file."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS):
        return text[1:]
    return text
