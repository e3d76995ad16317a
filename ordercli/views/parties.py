"""Customers as ``--json`` shows them (SPEC "JSON shapes": customer), with balances as of a day.

Values are ``Decimal`` (money already at the currency's minor digits,
quantities normalised), ``date``/``datetime`` or plain types; the CLI renders
them as JSON or tables without doing any arithmetic of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlmodel import Session, col

from ordercli.books.journal import customer_positions
from ordercli.books.settings import amount_of as _money
from ordercli.books.settings import currency, minor_digits
from ordercli.domain.money import from_minor
from ordercli.models import (
    Customer,
    PriceList,
)
from ordercli.services.sales import ordering
from ordercli.views.terms import terms_names

if TYPE_CHECKING:
    pass


def customer_views(session: Session, customers: list[Customer], as_of=None) -> list[dict]:
    """Views of many customers; their balances come from one grouped journal query."""
    positions = customer_positions(
        session=session, customer_ids=[c.id for c in customers if c.id is not None], as_of=as_of
    )
    digits = minor_digits(session)
    list_names = _price_list_names(session, {c.price_list_id for c in customers})
    # Default payment terms templates (rule 20): code and text, one query per 500.
    templates = terms_names(session, (c.terms_id for c in customers))
    views = []
    for customer in customers:
        assert customer.id is not None  # a stored customer
        receivable, credit = positions.get(customer.id, (0, 0))
        views.append(
            _customer_fields(
                session,
                customer,
                {
                    "balance": from_minor(receivable - credit, digits),
                    "open_invoices": from_minor(receivable, digits),
                    "unapplied_credit": from_minor(credit, digits),
                },
            )
        )
        views[-1]["price_list"] = list_names.get(customer.price_list_id)
        code, text = templates.get(customer.terms_id or 0, (None, None))
        views[-1]["terms"] = code
        views[-1]["terms_text"] = text
    return views


def _price_list_names(session: Session, ids: set[int | None]) -> dict[int | None, str]:
    """Names of the price lists customers buy from (rule 19), in one query."""
    ids.discard(None)
    if not ids:
        return {}
    return dict(
        session.execute(
            select(col(PriceList.id), col(PriceList.name)).where(col(PriceList.id).in_(ids))
        ).all()
    )


def customer_view(session: Session, customer: Customer, as_of=None) -> dict:
    return customer_views(session, [customer], as_of)[0]


def _customer_fields(session: Session, customer: Customer, position: dict) -> dict:
    limit = customer.credit_limit
    return {
        "code": customer.code,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "billing_address": customer.billing_address,
        "shipping_address": customer.shipping_address,
        "tax_id": customer.tax_id,
        # What an e-invoice needs of the buyer (rule 21).
        "vat_id": customer.vat_id,
        "street": customer.street,
        "postcode": customer.postcode,
        "city": customer.city,
        "country": customer.country,
        "buyer_reference": customer.buyer_reference,
        "endpoint": customer.endpoint,
        "terms_days": customer.terms_days,
        "credit_limit": None if limit is None else _money(session, limit),
        "balance": position["balance"],
        "open_invoices": position["open_invoices"],
        "unapplied_credit": position["unapplied_credit"],
        "active": customer.active,
        # Set by a dunning notice's level (rule 20) until `collections release`.
        "credit_hold": customer.credit_hold,
    }


def customer_detail(session: Session, customer: Customer, as_of=None) -> dict:
    view = customer_view(session, customer, as_of)
    if as_of is not None:
        view["as_of"] = as_of
    view["exposure"] = ordering.credit_exposure(session=session, customer=customer)
    view["currency"] = currency(session)
    return view
