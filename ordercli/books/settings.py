"""Ledger-wide settings: currency and its minor digits."""

from __future__ import annotations

from decimal import Decimal
from typing import overload

from sqlmodel import Session, col, func, select

from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.domain.money import from_minor
from ordercli.models import Customer, Invoice, Product, Quote, SalesOrder, Setting

# Babel is imported inside set_currency: only choosing a currency needs its tables.


# Given a default, the answer is never None.
@overload
def get_setting(*, session: Session, key: str, default: str) -> str: ...
@overload
def get_setting(*, session: Session, key: str, default: str | None = None) -> str | None: ...
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
            select(func.count())
            .select_from(Customer)
            .where(col(Customer.credit_limit).is_not(None))
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
