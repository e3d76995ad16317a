"""The double-entry journal (SPEC rule 18).

Every invoice, payment, credit memo, use of credit and refund posts one
balanced entry in the same transaction as the document itself. Accounts are
known to the services by their *role*; their codes and names belong to the
user (``ordercli account set``). Receivable lines carry their invoice and
customer-credit lines their customer, so any balance "as of" a day is a sum
over dated entries, and ``ordercli check`` can tie the journal to the
documents invoice by invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case
from sqlmodel import Session, func, select

from ordercli.books.clock import now
from ordercli.books.settings import minor_digits
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.domain.money import from_minor
from ordercli.domain.text import clean_text
from ordercli.models import Account, JournalEntry, JournalLine

ROLES = ("cash", "receivable", "sales_tax", "customer_credit", "revenue", "refunds")


@dataclass(frozen=True)
class Posting:
    """One side of an entry, in minor units."""

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


def post_entry(
    *,
    session: Session,
    entry_date: date,
    source_kind: str,
    source_number: str,
    memo: str,
    postings: list[Posting],
) -> JournalEntry:
    """Write one balanced entry; an unbalanced one is a bug and never reaches the ledger."""
    postings = [p for p in postings if p.debit or p.credit]
    debit = sum(p.debit for p in postings)
    credit = sum(p.credit for p in postings)
    if debit != credit or any(p.debit < 0 or p.credit < 0 for p in postings):
        raise AssertionError(f"unbalanced journal entry for {source_number}: {postings}")
    entry = JournalEntry(
        entry_date=entry_date,
        source_kind=source_kind,
        source_number=source_number,
        memo=memo,
        created_at=now(),
    )
    session.add(entry)
    session.flush()
    ids = account_ids(session)
    for p in postings:
        session.add(
            JournalLine(
                entry_id=entry.id,
                account_id=ids[p.role],
                debit=p.debit,
                credit=p.credit,
                customer_id=p.customer_id,
                invoice_id=p.invoice_id,
            )
        )
    return entry


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
        account.name = clean_text(name, what="account name", required=True, max_length=100)
    session.add(account)
    return account


def trial_balance(*, session: Session, as_of: date | None = None) -> dict:
    """Debits, credits and balance (debit − credit) per account; they sum to zero."""
    totals = select(
        JournalLine.account_id,
        func.sum(JournalLine.debit).label("debit"),
        func.sum(JournalLine.credit).label("credit"),
    ).group_by(JournalLine.account_id)
    if as_of is not None:
        totals = totals.join(JournalEntry, JournalEntry.id == JournalLine.entry_id).where(
            JournalEntry.entry_date <= as_of
        )
    totals = totals.subquery()
    rows = session.exec(
        select(
            Account.role,
            Account.code,
            Account.name,
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
        "as_of": as_of,
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
    return JournalLine.account_id.in_([ids[role] for role in roles])


def customer_position(
    *, session: Session, customer_id: int, as_of: date | None = None
) -> tuple[int, int]:
    """(open receivables, unused credit) of one customer in minor units, from the journal."""
    return customer_positions(session=session, customer_ids=[customer_id], as_of=as_of).get(
        customer_id, (0, 0)
    )


def customer_positions(
    *, session: Session, customer_ids: list[int], as_of: date | None = None
) -> dict[int, tuple[int, int]]:
    """``customer_position`` of many customers with one grouped query per 500, or one
    grouped pass over the journal when they are many (``customer list --all``)."""
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
                        (JournalLine.account_id == ids["receivable"], signed_amount()),
                        else_=0,
                    )
                ),
                0,
            ),
            func.coalesce(
                func.sum(
                    case(
                        (JournalLine.account_id == ids["customer_credit"], -signed_amount()),
                        else_=0,
                    )
                ),
                0,
            ),
        )
        .where(JournalLine.customer_id.is_not(None))
        .group_by(JournalLine.customer_id)
    )
    if customer_ids is not None:
        query = query.where(JournalLine.customer_id.in_(customer_ids))
    if as_of is not None:
        query = query.join(JournalEntry, JournalEntry.id == JournalLine.entry_id).where(
            JournalEntry.entry_date <= as_of
        )
    return query
