"""Ledger-wide settings: currency and its minor digits."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, func, select

from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.models import Customer, Invoice, Product, Quote, SalesOrder, Setting


def get_setting(*, session: Session, key: str, default: str | None = None) -> str | None:
    row = session.get(Setting, key)
    return row.value if row is not None else default


def put_setting(*, session: Session, key: str, value: str) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
        session.add(row)


def minor_digits(session: Session) -> int:
    """The currency's minor digits, read once per unit of work."""
    cached = session.info.get("minor_digits")
    if cached is None:
        cached = int(get_setting(session=session, key="minor_digits", default="2"))
        session.info["minor_digits"] = cached
    return cached


def amount_of(session: Session, units: int) -> Decimal:
    """Minor units from the database as an amount in the ledger's currency."""
    from ordercli.domain.money import from_minor

    return from_minor(units, minor_digits(session))


def currency(session: Session) -> str:
    return get_setting(session=session, key="currency", default="EUR")


def set_currency(*, session: Session, code: str) -> str:
    """Choose the ledger's currency; only before any document carries amounts."""
    from babel.numbers import get_currency_precision, list_currencies

    code = code.strip().upper()
    if code not in list_currencies():
        raise InvalidInput(f"unknown currency {code!r} (use an ISO 4217 code such as EUR)")
    if code == currency(session):
        return code
    used = (
        sum(
            session.exec(select(func.count()).select_from(model)).one()
            for model in (Product, Quote, SalesOrder, Invoice)
        )
        + session.exec(
            select(func.count()).select_from(Customer).where(Customer.credit_limit.is_not(None))
        ).one()
    )
    if used:
        raise RuleViolation(
            f"cannot change the currency to {code}: the ledger already holds {used} priced records "
            f"in {currency(session)}"
        )
    put_setting(session=session, key="currency", value=code)
    put_setting(session=session, key="minor_digits", value=str(get_currency_precision(code)))
    session.info.pop("minor_digits", None)
    return code


def init_ledger(*, session: Session, company: str | None, currency: str | None, **profile) -> None:
    """Set up a ledger: the company name, currency and any other company profile fields
    given (``locale``, ``address``, ``tax_id``, ``email_from``; see
    ``services/parties/company.py``). Options left out keep what is set, so init can run again."""
    from ordercli.books.events import record_event
    from ordercli.domain.text import clean_text
    from ordercli.services.parties.company import update_company

    changes = {field: value for field, value in profile.items() if value is not None}
    company = clean_text(company, what="company name", max_length=200)
    if company:
        changes["name"] = company
    if currency:
        changes["currency"] = currency
    if changes:
        update_company(session, **changes)
    name = get_setting(session=session, key="company_name")
    code = get_setting(session=session, key="currency", default="EUR")
    record_event(
        session=session,
        subject_kind="ledger",
        subject_number="-",
        action="init",
        message=f"ledger initialised ({name or 'no name'}, {code})",
    )
