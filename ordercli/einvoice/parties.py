"""The seller and buyer of an e-invoice (BG-4, BG-7) from a document's frozen parties.

A document keeps its parties as they were when it was issued (rule 4); what its
snapshot never recorded (a ledger that held no VAT id or IBAN then) comes from the
company profile and the customer as they are now (``current_parties``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from ordercli.books.settings import get_setting
from ordercli.domain.einvoice import Address, Endpoint, Party
from ordercli.domain.identifiers import split_endpoint
from ordercli.models import Customer
from ordercli.services.parties.snapshots import (
    BUYER_EINVOICE_FIELDS,
    SELLER_EINVOICE_KEYS,
    buyer_fields,
    seller_fields,
)


def _address(fields: dict) -> Address:
    return Address(
        street=fields.get("street"),
        city=fields.get("city"),
        postcode=fields.get("postcode"),
        country=fields.get("country") or "",
    )


def _email(sender: str | None) -> str | None:
    """The address of an ``email_from`` that may be ``Name <address>``."""
    if not sender:
        return None
    from email.utils import parseaddr

    return parseaddr(sender)[1] or None


def _endpoint(stored: str | None, email: str | None) -> Endpoint | None:
    if stored:
        return Endpoint(*split_endpoint(stored))
    return Endpoint("EM", email) if email else None


def seller_party(fields: dict) -> Party:
    email = _email(fields.get("email_from"))
    return Party(
        name=fields.get("name") or "",
        address=_address(fields),
        vat_id=fields.get("vat_id"),
        tax_number=fields.get("tax_id"),
        registration_id=fields.get("registration_id"),
        endpoint=_endpoint(fields.get("endpoint"), email),
        contact_name=fields.get("contact"),
        contact_phone=fields.get("phone"),
        contact_email=email,
    )


def buyer_party(fields: dict) -> Party:
    return Party(
        name=fields.get("name") or "",
        address=_address(fields),
        vat_id=fields.get("vat_id"),
        identifier=fields.get("code"),
        endpoint=_endpoint(fields.get("endpoint"), fields.get("email")),
    )


def current_parties(session: Session, documents: Sequence) -> tuple[dict, dict[int, dict]]:
    """The company's and each customer's e-invoice data as they are now, for documents
    issued before the ledger held them: a field a snapshot never froze is taken from
    today's profile (what a snapshot did freeze always wins, rule 4)."""
    seller = {k: v for k, v in seller_fields(session).items() if k in SELLER_EINVOICE_KEYS}
    # Documents never printed the sender's email: the e-invoice's contact is today's.
    seller["email_from"] = get_setting(session=session, key="email_from")
    ids = {d.customer_id for d in documents}
    customers = session.scalars(select(Customer).where(col(Customer.id).in_(ids)))
    buyers = {
        c.id: {k: v for k, v in buyer_fields(c).items() if k in BUYER_EINVOICE_FIELDS}
        for c in customers
        if c.id is not None
    }
    return seller, buyers
