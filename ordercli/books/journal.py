"""The double-entry journal (SPEC rule 18).

Every invoice, payment, credit memo, use of credit and refund posts one
balanced entry in the same transaction as the document itself. Accounts are
known to the services by their *role*; their codes and names belong to the
user (``ordercli account set``). Receivable lines carry their invoice and
customer-credit lines their customer, so any balance "as of" a day is a sum
over dated entries, and ``ordercli check`` can tie the journal to the
documents invoice by invoice. Every entry is sealed as it is written, chained
to the entry before it of the same source document (``books/journal_seal.py``),
so an entry edited, re-dated or deleted behind ordercli's back is named by
``ordercli check`` even when it still balances.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import case
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from ordercli.books.clock import now, today
from ordercli.books.integrity import ZERO
from ordercli.books.journal_seal import seal_of
from ordercli.books.settings import minor_digits
from ordercli.db.bulk import bulk_insert
from ordercli.db.lookup import chunks
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.domain.money import from_minor
from ordercli.domain.text import clean_text
from ordercli.models import Account, JournalEntry, JournalLine

ROLES = (
    "cash",
    "receivable",
    "sales_tax",
    "customer_credit",
    "revenue",
    "refunds",
    "rebates",
    "customer_advances",
    "early_discounts",
    "payment_differences",
    "bad_debts",
    "dunning_fees",
)


class Posting(NamedTuple):
    """One side of an entry, in minor units. (Tuples: a batch makes tens of thousands.)"""

    role: str
    debit: int = 0
    credit: int = 0
    customer_id: int | None = None
    invoice_id: int | None = None


def account_ids(session: Session) -> dict[str, int]:
    cached = session.info.get("account_ids")
    if cached is None:
        cached = {role: id_ for role, id_ in session.exec(select(Account.role, Account.id))}
        session.info["account_ids"] = cached
    return cached


class Entry(NamedTuple):
    """One journal entry before it is written: what it records and its postings."""

    entry_date: date
    source_kind: str
    source_number: str
    memo: str
    postings: list[Posting]


def post_entries(*, session: Session, entries: list[Entry]) -> list[int]:
    """Write balanced entries, one statement per table however many; their ids, in order.

    An unbalanced entry (or a negative side) is a bug: it raises before anything is
    written and never reaches the ledger. Sides of zero are left out. ORM changes
    pending in the session are flushed first, so rows go in in the order things
    happened."""
    checked = []
    for entry in entries:
        postings = [p for p in entry.postings if p.debit or p.credit]
        debit = credit = 0
        for p in postings:
            if p.debit < 0 or p.credit < 0:
                debit = -1  # never balanced: refused below
                break
            debit += p.debit
            credit += p.credit
        if debit != credit:
            raise AssertionError(f"unbalanced journal entry for {entry.source_number}: {postings}")
        checked.append(postings)
    if not entries:
        return []
    session.flush()
    # Each entry is sealed to the one before it of its source (books/journal_seal.py):
    # the latest already written, then those of this batch, in order.
    latest = _latest_seals(session, {(entry.source_kind, entry.source_number) for entry in entries})
    seals = []
    for entry, postings in zip(entries, checked, strict=True):
        key = (entry.source_kind, entry.source_number)
        latest[key] = seal = seal_of(
            latest.get(key, ZERO),
            entry.entry_date,
            entry.source_kind,
            entry.source_number,
            entry.memo,
            postings,  # Posting: (role, debit, credit, customer_id, invoice_id)
        )
        seals.append(seal)
    moment = now()
    bulk_insert(
        session,
        # The mapping sets __table__, but SQLModel does not declare it to type checkers.
        JournalEntry.__table__,  # type: ignore[attr-defined]
        {
            "entry_date": [entry.entry_date for entry in entries],
            "source_kind": [entry.source_kind for entry in entries],
            "source_number": [entry.source_number for entry in entries],
            "memo": [entry.memo for entry in entries],
            "created_at": moment,
            "chain_hash": seals,
        },
    )
    ids = _ids_of(session, entries, moment)
    accounts = account_ids(session)
    rows = [
        (entry_id, accounts[p.role], p.debit, p.credit, p.customer_id, p.invoice_id)
        for entry_id, postings in zip(ids, checked, strict=True)
        for p in postings
    ]
    columns = ("entry_id", "account_id", "debit", "credit", "customer_id", "invoice_id")
    bulk_insert(
        session,
        JournalLine.__table__,  # type: ignore[attr-defined]  # as JournalEntry.__table__ above
        {name: [row[i] for row in rows] for i, name in enumerate(columns)},
    )
    return ids


def _latest_seals(session: Session, sources: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The seal of the latest entry already written of each source (``ZERO`` for none).

    Read in the transaction that posts: the services hold the source document's lock,
    so no other writer posts to the same source in between."""
    connection = session.connection()
    if len(sources) == 1:  # one entry, as most commands post: its source's latest seal
        ((kind, number),) = sources
        found = connection.execute(
            select(JournalEntry.chain_hash)
            .where(JournalEntry.source_kind == kind, JournalEntry.source_number == number)
            .order_by(col(JournalEntry.id).desc())
            .limit(1)
        ).scalar()
        return {(kind, number): found or ZERO}
    latest: dict[tuple[str, str], str] = {}
    for kind in {kind for kind, _ in sources}:
        numbers = sorted(number for k, number in sources if k == kind)
        for chunk in chunks(numbers):  # about a millisecond per 500 (the index answers)
            rows = connection.execute(
                select(JournalEntry.source_number, JournalEntry.chain_hash)
                .where(
                    JournalEntry.source_kind == kind,
                    col(JournalEntry.source_number).in_(chunk),
                )
                .order_by(col(JournalEntry.id))
            )
            for number, seal in rows:  # in id order: the latest is kept
                latest[(kind, number)] = seal or ZERO
    return latest


def _ids_of(session: Session, entries: list[Entry], moment) -> list[int]:
    """The ids of ``entries``, just written at ``moment``, in their order.

    An entry is found by its source and the instant it was written; rows go in in the
    order given, so ids ascend with it when one source has several entries."""
    wanted: dict[tuple[str, str], list[int]] = {}
    for position, entry in enumerate(entries):
        wanted.setdefault((entry.source_kind, entry.source_number), []).append(position)
    ids = [0] * len(entries)
    connection = session.connection()
    for kind in {kind for kind, _ in wanted}:
        numbers = sorted(number for k, number in wanted if k == kind)
        for chunk in chunks(numbers):
            rows = connection.execute(
                select(JournalEntry.source_number, JournalEntry.id)
                .where(
                    JournalEntry.source_kind == kind,
                    col(JournalEntry.source_number).in_(chunk),
                    JournalEntry.created_at == moment,
                )
                .order_by(col(JournalEntry.id))
            )
            taken: dict[str, int] = {}
            for number, entry_id in rows:
                positions = wanted[(kind, number)]
                seen = taken.get(number, 0)
                if seen < len(positions):
                    ids[positions[seen]] = entry_id
                    taken[number] = seen + 1
    return ids


def post_entry(
    *,
    session: Session,
    entry_date: date,
    source_kind: str,
    source_number: str,
    memo: str,
    postings: list[Posting],
) -> int:
    """Write one balanced entry (``post_entries`` of one); its id."""
    entry = Entry(entry_date, source_kind, source_number, memo, postings)
    return post_entries(session=session, entries=[entry])[0]


def list_accounts(*, session: Session) -> list[Account]:
    return list(session.exec(select(Account).order_by(Account.code)))


def set_account(
    *, session: Session, role: str, code: str | None = None, name: str | None = None
) -> Account:
    """Rename or renumber an account; postings follow, as they refer to it by id."""
    role = (role or "").strip().lower()
    account = session.exec(select(Account).where(Account.role == role)).first()
    if account is None:
        raise NotFound(f"no account role {role!r} (one of {', '.join(ROLES)})")
    if code is None and name is None:
        raise InvalidInput("give --code and/or --name to change")
    if code is not None:
        code = clean_text(code, what="account code", required=True, max_length=20)
        other = session.exec(select(Account).where(Account.code == code)).first()
        if other is not None and other.id != account.id:
            raise RuleViolation(f"account code {code} is already used by {other.name}")
        account.code = code
    if name is not None:
        name = clean_text(name, what="account name", required=True, max_length=100)
        account.name = name
    session.add(account)
    return account


def standing_day(session: Session, as_of: date | None) -> date | None:
    """The day a balance is read at: ``as_of``, or without one the ledger as it stands
    today, as aging and statements read it (rule 4a: they all agree).

    Entries dated after today exist only on a ledger written before rule 4a or with
    ``ORDERCLI_TODAY`` set back; only then is today a filter (``None`` otherwise: no
    date filter is needed, and the customer balance queries stay index-only)."""
    if as_of is not None:
        return as_of
    current = today()
    latest = session.exec(select(func.max(JournalEntry.entry_date))).one()
    return current if latest is not None and latest > current else None


def trial_balance(*, session: Session, as_of: date | None = None) -> dict:
    """Debits, credits and balance (debit − credit) per account; they sum to zero.

    Without ``as_of``, as the ledger stands today (``standing_day``)."""
    asked, as_of = as_of, standing_day(session, as_of)
    per_account = select(
        JournalLine.account_id,
        func.sum(JournalLine.debit).label("debit"),
        func.sum(JournalLine.credit).label("credit"),
    ).group_by(col(JournalLine.account_id))
    if as_of is not None:
        per_account = per_account.join(
            JournalEntry, col(JournalEntry.id) == JournalLine.entry_id
        ).where(JournalEntry.entry_date <= as_of)
    totals = per_account.subquery()
    # SQLAlchemy's select (the same SQL): SQLModel's select() is typed for four columns at most.
    rows = session.execute(
        sa_select(
            col(Account.role),
            col(Account.code),
            col(Account.name),
            func.coalesce(totals.c.debit, 0),
            func.coalesce(totals.c.credit, 0),
        )
        .outerjoin(totals, totals.c.account_id == Account.id)
        .order_by(Account.code)
    ).all()
    digits = minor_digits(session)
    accounts = [
        {
            "code": code,
            "name": name,
            "role": role,
            "debit": from_minor(debit, digits),
            "credit": from_minor(credit, digits),
            "balance": from_minor(debit - credit, digits),
        }
        for role, code, name, debit, credit in rows
    ]
    total_debit = sum(debit for *_, debit, _ in rows)
    total_credit = sum(credit for *_, credit in rows)
    return {
        "as_of": asked,
        "accounts": accounts,
        "total_debit": from_minor(total_debit, digits),
        "total_credit": from_minor(total_credit, digits),
        "balance": from_minor(total_debit - total_credit, digits),
    }


def signed_amount():
    """Debit minus credit of a journal line, as a SQL expression."""
    return JournalLine.debit - JournalLine.credit


def role_filter(session: Session, *roles: str):
    ids = account_ids(session)
    return col(JournalLine.account_id).in_([ids[role] for role in roles])


def customer_position(
    *, session: Session, customer_id: int, as_of: date | None = None
) -> tuple[int, int]:
    """(open receivables, unused credit) of one customer in minor units, from the journal,
    at the end of ``as_of`` or as the ledger stands today (``standing_day``)."""
    return customer_positions(session=session, customer_ids=[customer_id], as_of=as_of).get(
        customer_id, (0, 0)
    )


def customer_positions(
    *, session: Session, customer_ids: list[int], as_of: date | None = None
) -> dict[int, tuple[int, int]]:
    """``customer_position`` of many customers with one grouped query per 500, or one
    grouped pass over the journal when they are many (``customer list --all``)."""
    as_of = standing_day(session, as_of)  # agrees with aging and statements (rule 4a)
    positions: dict[int, tuple[int, int]] = {}
    ids = list(dict.fromkeys(customer_ids))
    if len(ids) > 500:
        wanted = set(ids)
        for customer_id, receivable, credit in session.exec(_positions_query(session, None, as_of)):
            if customer_id in wanted:
                positions[customer_id] = (int(receivable), int(credit))
        return positions
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for customer_id, receivable, credit in session.exec(
            _positions_query(session, chunk, as_of)
        ):
            positions[customer_id] = (int(receivable), int(credit))
    return positions


def _positions_query(session: Session, customer_ids: list[int] | None, as_of: date | None):
    ids = account_ids(session)
    query = (
        select(
            JournalLine.customer_id,
            func.coalesce(
                func.sum(
                    case(
                        (col(JournalLine.account_id) == ids["receivable"], signed_amount()),
                        else_=0,
                    )
                ),
                0,
            ),
            func.coalesce(
                func.sum(
                    case(
                        (col(JournalLine.account_id) == ids["customer_credit"], -signed_amount()),
                        else_=0,
                    )
                ),
                0,
            ),
        )
        .where(col(JournalLine.customer_id).is_not(None))
        .group_by(col(JournalLine.customer_id))
    )
    if customer_ids is not None:
        query = query.where(col(JournalLine.customer_id).in_(customer_ids))
    if as_of is not None:
        query = query.join(JournalEntry, col(JournalEntry.id) == JournalLine.entry_id).where(
            JournalEntry.entry_date <= as_of
        )
    return query
