"""The journal as plain-text accounting: hledger and beancount.

Both files declare what they use — the currency and every account, with its
type — so ``hledger check --strict`` and ``bean-check`` accept them, then
write one transaction per journal entry: debits positive, credits negative,
the document number, customer and invoice kept as tags (hledger) or metadata
(beancount). Account names are built from the account's kind, code and name
in a form both tools accept (``Assets:1200-Accounts-Receivable``): ASCII
letters, digits and dashes, accents folded, anything else dropped.

With ``--from``, the file opens with one transaction carrying every account's
balance from the entries before that day. All entries balance, so these
balances sum to zero and need no equity account; and the balances the tools
report equal ``report trial-balance --as-of`` the ``--to`` day.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import IO, Any

from ordercli.domain.money import money_text

# An account's kind → the top-level account both tools know, and hledger's type code.
ROOTS = {
    "asset": ("Assets", "A"),
    "liability": ("Liabilities", "L"),
    "equity": ("Equity", "E"),
    "revenue": ("Income", "R"),
    "income": ("Income", "R"),
    "expense": ("Expenses", "X"),
}
# Letters NFKD does not take apart into an ASCII letter and an accent.
FOLD = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "Ø": "O",
        "ø": "o",
        "Đ": "D",
        "đ": "d",
        "Ł": "L",
        "ł": "l",
        "Þ": "Th",
        "þ": "th",
    }
)
WORD = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class LedgerAccount:
    code: str
    name: str
    role: str
    path: str  # e.g. Assets:1200-Accounts-Receivable
    type: str  # hledger's A, L, E, R, X


@dataclass(frozen=True)
class Book:
    """Everything a ledger file says besides its transactions."""

    accounts: dict[str, LedgerAccount]  # by account code
    currency: str
    minor_digits: int
    open_date: date
    company: str | None
    date_from: date | None
    date_to: date | None
    opening: list[tuple[str, int]]  # (account code, balance) before date_from

    def amount(self, units: int) -> str:
        return f"{money_text(units, self.minor_digits)} {self.currency}"


def account_component(text: str) -> str:
    """``"1200 Créances clients"`` → ``"1200-Creances-Clients"``: ASCII words joined
    by dashes, each starting upper-case (or with a digit), as beancount demands."""
    folded = unicodedata.normalize("NFKD", text.translate(FOLD))
    words = WORD.findall(folded.encode("ascii", "ignore").decode("ascii"))
    return "-".join(word[0].upper() + word[1:] for word in words)


def ledger_accounts(rows: Iterable[Sequence]) -> dict[str, LedgerAccount]:
    """Names for the chart of accounts ``(code, name, kind, role)``, unique per account."""
    accounts: dict[str, LedgerAccount] = {}
    leaves: set[str] = set()
    for code, name, kind, role in rows:
        root, type_ = ROOTS.get(kind, ("Equity", "E"))
        base = account_component(f"{code} {name}") or account_component(role.replace("_", " "))
        leaf, n = base, 2
        while leaf.upper() in leaves:
            leaf, n = f"{base}-{n}", n + 1
        leaves.add(leaf.upper())
        accounts[code] = LedgerAccount(code, name, role, f"{root}:{leaf}", type_)
    return accounts


def _one_line(text) -> str:
    return " ".join(str(text or "").split())


def _period(book: Book) -> str:
    if book.date_from or book.date_to:
        return f"entries {book.date_from or 'start'} to {book.date_to or 'end'}"
    return "all entries"


def _entries(rows: Iterable) -> Iterable[tuple[Any, list]]:
    """Journal lines (in entry order) grouped into entries: a few lines held at a time."""
    for _, group in groupby(rows, key=lambda row: row.entry):
        lines = list(group)
        yield lines[0], lines


def _writer(out: IO[bytes]):
    def write(text: str) -> None:
        out.write(text.encode("utf-8"))

    return write


def _customer(lines: list) -> str | None:
    return next((line.customer for line in lines if line.customer), None)


# hledger -----------------------------------------------------------------


def _hl_text(text) -> str:
    """Description text: one line, no ';' (a comment) and no '|' (payee | note)."""
    return _one_line(text).replace(";", ",").replace("|", "/")


def _hl_tag(text) -> str:
    """A tag value, which ends at a comma."""
    return _one_line(text).replace(",", " ")


def _hl_tags(pairs: Iterable[tuple[str, object]]) -> str:
    tags = ", ".join(f"{name}:{_hl_tag(value)}" for name, value in pairs if value not in (None, ""))
    return f"  ; {tags}" if tags else ""


def write_hledger(out: IO[bytes], book: Book, rows: Iterable) -> int:
    width = max((len(a.path) for a in book.accounts.values()), default=20)
    write = _writer(out)

    def posting(account: LedgerAccount, units: int, tags=()) -> None:
        write(f"    {account.path:<{width}}  {book.amount(units):>20}{_hl_tags(tags)}\n")

    write(f"; ordercli journal{f' of {_hl_text(book.company)}' if book.company else ''}")
    write(f": {_period(book)}, amounts in {book.currency}\n\n")
    sample = "1000" + ("." + "0" * book.minor_digits if book.minor_digits else ".")
    write(f"commodity {sample} {book.currency}\n\n")
    for account in book.accounts.values():
        tags: list[tuple[str, object]] = [
            ("type", account.type),
            ("code", account.code),
            ("role", account.role),
        ]
        write(f"account {account.path}{_hl_tags(tags)}\n")
    if book.opening:
        write(f"\n{book.date_from} * opening balances | all entries before {book.date_from}\n")
        for code, units in book.opening:
            posting(book.accounts[code], units)
    count = 0
    for first, lines in _entries(rows):
        customer = _customer(lines)
        code = _hl_text(first.source_number).replace("(", "").replace(")", "")
        description = _hl_text(first.memo)
        if customer:
            description = f"{_hl_text(customer)} | {description}"
        tags = [
            ("source", first.source_number),
            ("kind", first.source_kind),
            ("customer", customer),
            ("entry", first.entry),
        ]
        write(f"\n{first.date} * ({code}) {description}{_hl_tags(tags)}\n")
        for line in lines:
            account = book.accounts[line.account_code]
            tags = [("customer", line.customer), ("invoice", line.invoice)]
            posting(account, line.debit - line.credit, tags)
            count += 1
    return count


# beancount ---------------------------------------------------------------


def _bc_string(text) -> str:
    escaped = _one_line(text).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def write_beancount(out: IO[bytes], book: Book, rows: Iterable) -> int:
    width = max((len(a.path) for a in book.accounts.values()), default=20)
    write = _writer(out)

    def posting(account: LedgerAccount, units: int, meta=()) -> None:
        write(f"  {account.path:<{width}}  {book.amount(units):>20}\n")
        for key, value in meta:
            if value:
                write(f"    {key}: {_bc_string(value)}\n")

    write(f"; ordercli journal: {_period(book)}, amounts in {book.currency}\n")
    if book.company:
        write(f"option {_bc_string('title')} {_bc_string(book.company)}\n")
    write(f'option "operating_currency" {_bc_string(book.currency)}\n\n')
    write(f"{book.open_date} commodity {book.currency}\n")
    for account in book.accounts.values():
        write(f"{book.open_date} open {account.path} {book.currency}\n")
        write(f"  code: {_bc_string(account.code)}\n  role: {_bc_string(account.role)}\n")
    if book.opening:
        write(f'\n{book.date_from} * "opening balances" "all entries before {book.date_from}"\n')
        for code, units in book.opening:
            posting(book.accounts[code], units)
    count = 0
    for first, lines in _entries(rows):
        customer = _customer(lines)
        strings = f"{_bc_string(customer)} " if customer else ""
        write(f"\n{first.date} * {strings}{_bc_string(first.memo)}\n")
        write(f"  entry: {first.entry}\n")
        write(f"  source: {_bc_string(first.source_number)}\n")
        write(f"  source_kind: {_bc_string(first.source_kind)}\n")
        for line in lines:
            account = book.accounts[line.account_code]
            meta = [("customer", line.customer), ("invoice", line.invoice)]
            posting(account, line.debit - line.credit, meta)
            count += 1
    return count


WRITERS = {"hledger": write_hledger, "beancount": write_beancount}
