"""Customers: who buys, on what terms, up to what credit (SPEC rules 1, 11, 16).

Addresses are kept one line per line (``domain.text.clean_lines``): a ``\\n`` typed on
the command line or in an import file is a line break, as documents print it.

An e-invoice (rule 21) needs more of the buyer than a printed invoice: the VAT id,
the address in parts with its ISO 3166 country, the buyer reference a public buyer
wants on every invoice (the Leitweg-ID in Germany) and the electronic address
invoices go to. Each is checked when it is typed (``domain.identifiers``), since a
typo found by the buyer's software weeks later costs a rejected invoice.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, col, func, select

from ordercli.books.clock import now
from ordercli.books.events import record_event
from ordercli.books.numbering import next_number
from ordercli.books.settings import minor_digits
from ordercli.db.queries import check_limit, invoice_balance
from ordercli.domain import identifiers
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.domain.money import from_minor, to_minor
from ordercli.domain.text import clean_code, clean_lines, clean_text
from ordercli.models import Customer, Invoice, PriceList
from ordercli.services.parties.payment_terms import get_terms

MAX_TERMS_DAYS = 3650

# What an e-invoice needs of the buyer (rule 21), as the customer's fields.
EINVOICE_FIELDS = ("vat_id", "street", "postcode", "city", "country", "buyer_reference", "endpoint")
# Free text: (what the user is told, maximum length).
EINVOICE_TEXT = {
    "street": ("street", 200),
    "postcode": ("postcode", 16),
    "city": ("city", 100),
    "buyer_reference": ("buyer reference", 200),
}
# Identifiers: (what the user is told, check returning the stored form, longest stored).
EINVOICE_IDENTIFIERS = {
    "vat_id": ("VAT id", identifiers.check_vat_id, 20),
    "country": ("country", identifiers.check_country, 2),
    "endpoint": ("electronic address", identifiers.check_endpoint, 200),
}


def check_terms(terms_days: int | None) -> None:
    if terms_days is not None and not 0 <= terms_days <= MAX_TERMS_DAYS:
        raise InvalidInput(
            f"payment terms {terms_days} must be between 0 and {MAX_TERMS_DAYS} days"
        )


def check_email(email: str | None) -> None:
    if email is not None and ("@" not in email or any(ch.isspace() for ch in email)):
        raise InvalidInput(f"email {email!r} is not an email address")


def einvoice_value(field: str, value: str | None) -> str | None:
    """The stored form of one of the buyer's e-invoice fields (``EINVOICE_FIELDS``);
    None (empty) clears it."""
    if field in EINVOICE_TEXT:
        what, longest = EINVOICE_TEXT[field]
        text = clean_text(value, what=what, max_length=longest)
        if text is not None and "\n" in text:
            raise InvalidInput(f"{what} must be a single line")
        return text
    what, check, longest = EINVOICE_IDENTIFIERS[field]
    text = clean_text(value, what=what, max_length=200)
    if text is None:
        return None
    stored = check(text)
    if len(stored) > longest:
        raise InvalidInput(f"{what} {text!r} is longer than {longest} characters")
    return stored


def check_einvoice_fields(values: dict[str, str | None]) -> dict[str, str | None]:
    """The stored form of each e-invoice field given; every bad one is reported at once."""
    checked: dict[str, str | None] = {}
    problems = []
    for field, value in values.items():
        try:
            checked[field] = einvoice_value(field, value)
        except InvalidInput as exc:
            problems.append(exc.message)
    if len(problems) == 1:
        raise InvalidInput(problems[0])
    if problems:  # one line: the libraries' sentences lose their full stops
        raise InvalidInput("; ".join(problem.rstrip(".") for problem in problems))
    return checked


def billing_address_of(customer: Customer) -> str | None:
    """The billing address a document prints: as typed (``--billing-address``), else
    made of its parts (street; postcode and city; country code), one line each."""
    if customer.billing_address:
        return customer.billing_address
    locality = " ".join(part for part in (customer.postcode, customer.city) if part)
    lines = [part for part in (customer.street, locality, customer.country) if part]
    return "\n".join(lines) or None


def add_customer(
    *,
    session: Session,
    name: str,
    code: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    billing_address: str | None = None,
    shipping_address: str | None = None,
    tax_id: str | None = None,
    terms_days: int | None = None,
    credit_limit: Decimal | None = None,
    price_list: str | None = None,
    terms_code: str | None = None,
    **einvoice: str | None,
) -> Customer:
    """A new customer; ``terms_code`` names their default payment terms template (rule
    20), which sets ``terms_days`` to its net days too. ``einvoice`` holds any of
    ``EINVOICE_FIELDS`` (rule 21), each checked by its own rules."""
    unknown = sorted(set(einvoice) - set(EINVOICE_FIELDS))
    if unknown:
        raise TypeError(f"add_customer() got unexpected fields: {', '.join(unknown)}")
    name = clean_text(name, what="customer name", required=True, max_length=200)
    email = clean_text(email, what="email", max_length=254)
    check_email(email)
    check_terms(terms_days)
    einvoice = check_einvoice_fields(einvoice)
    template_id, terms_days = _template_and_days(session, terms_code, terms_days)
    if code is not None:
        code = clean_code(code, what="customer code")
        if find_customer(session=session, code=code) is not None:
            raise RuleViolation(f"customer {code} already exists")
    if code is None:
        code = next_number(session=session, kind="customer")
        while find_customer(session=session, code=code) is not None:
            # Someone chose this code by hand; customer codes need not be gapless.
            code = next_number(session=session, kind="customer")
    customer = Customer(
        code=code,
        name=name,
        email=email,
        phone=clean_text(phone, what="phone", max_length=64),
        billing_address=clean_lines(billing_address, what="billing address"),
        shipping_address=clean_lines(shipping_address, what="shipping address"),
        tax_id=clean_text(tax_id, what="tax id", max_length=64),
        terms_days=30 if terms_days is None else terms_days,
        credit_limit=None
        if credit_limit is None
        else to_minor(credit_limit, minor_digits(session)),
        active=True,
        price_list_id=price_list_id(session, price_list),
        terms_id=template_id,
        created_at=now(),
    )
    for field, value in einvoice.items():
        setattr(customer, field, value)
    session.add(customer)
    session.flush()
    record_event(
        session=session,
        subject_kind="customer",
        subject_number=customer.code,
        action="created",
        message=f"customer {customer.code} {name!r} added",
    )
    return customer


def find_customer(*, session: Session, code: str) -> Customer | None:
    customer = session.exec(select(Customer).where(Customer.code == code)).first()
    if customer is None:
        customer = session.exec(
            select(Customer).where(func.lower(Customer.code) == code.lower())
        ).first()
    return customer


def get_customer(*, session: Session, code: str) -> Customer:
    """A customer by code; by exact name too when that is unambiguous."""
    code = (code or "").strip()
    if not code:
        raise InvalidInput("customer code is empty")
    customer = find_customer(session=session, code=code)
    if customer is None:
        named = list(
            session.exec(select(Customer).where(func.lower(Customer.name) == code.lower()).limit(2))
        )
        if len(named) == 1:
            return named[0]
        raise NotFound(f"no customer {code!r}", hint="`ordercli customer list` shows the codes")
    return customer


def lock_customer(session: Session, customer: Customer) -> Customer:
    """The customer row locked for this transaction (PostgreSQL): what checks the
    customer's whole position (credit limit, duplicate payments) takes it first."""
    locked = session.get(
        Customer, customer.id, with_for_update={"key_share": True}, populate_existing=True
    )
    assert locked is not None  # customers are never deleted
    return locked


def edit_customer(*, session: Session, code: str, changes: dict) -> Customer:
    """Change a customer's details; ``changes`` holds only what the user gave."""
    customer = get_customer(session=session, code=code)
    if not changes:
        raise InvalidInput(
            f"nothing to change on customer {customer.code}",
            hint="give at least one option, e.g. --email",
        )
    _check_days_keep_template(customer, changes)
    einvoice = check_einvoice_fields({k: v for k, v in changes.items() if k in EINVOICE_FIELDS})
    described = []
    for key, value in changes.items():
        if key in einvoice:
            value = einvoice[key]
        elif key == "name":
            value = clean_text(value, what="customer name", required=True, max_length=200)
        elif key == "email":
            value = clean_text(value, what="email", max_length=254)
            check_email(value)
        elif key == "terms_days":
            check_terms(value)
        elif key == "credit_limit":
            value = None if value is None else to_minor(value, minor_digits(session))
        elif key in {"phone", "tax_id"}:
            value = clean_text(value, what=key.replace("_", " "), max_length=64)
        elif key in {"billing_address", "shipping_address"}:
            value = clean_lines(value, what=key.replace("_", " "))
        elif key == "price_list":
            key, value = "price_list_id", price_list_id(session, value)
        elif key == "terms_code":
            key, value = "terms_id", _edit_terms(session, customer, changes)
        else:
            raise InvalidInput(f"unknown customer field {key!r}")
        setattr(customer, key, value)
        described.append(key if key in einvoice else key.removesuffix("_id"))
    session.add(customer)
    record_event(
        session=session,
        subject_kind="customer",
        subject_number=customer.code,
        action="edited",
        message=f"customer {customer.code}: changed {', '.join(described)}",
    )
    return customer


def _template_and_days(
    session: Session, code: str | None, terms_days: int | None
) -> tuple[int | None, int | None]:
    """The template named ``code`` (None: none) and the days it sets (rule 20); days
    given as well must be its net days."""
    if code is None:
        return None, terms_days
    template = get_terms(session=session, code=code)
    if terms_days is not None and terms_days != template.days:
        raise InvalidInput(
            f"payment terms {terms_days} days disagree with terms {template.code} "
            f"(net {template.days} days)",
            hint="give --terms-code alone: it sets the days too",
        )
    return template.id, template.days


def _edit_terms(session: Session, customer: Customer, changes: dict) -> int | None:
    """A customer's new default template (None: none), setting ``terms_days`` to its
    net days; clearing it keeps the days."""
    template_id, days = _template_and_days(
        session, changes["terms_code"], changes.get("terms_days")
    )
    if days is not None:
        customer.terms_days = days
    return template_id


def _check_days_keep_template(customer: Customer, changes: dict) -> None:
    """``--terms DAYS`` alone on a customer with a template would leave its invoices on
    the template's days: refused unless it is the template's own days."""
    days = changes.get("terms_days")
    if (
        days is not None
        and "terms_code" not in changes
        and customer.terms_id is not None
        and days != customer.terms_days
    ):
        raise InvalidInput(
            f"customer {customer.code} has a payment terms template; its invoices follow it, "
            f"not --terms {days}",
            hint="give --terms-code CODE for other terms, or --no-terms-code first",
        )


def price_list_id(session: Session, name: str | None) -> int | None:
    """The id of the price list a customer buys from (rule 19), by name; None for none.

    Looked up here rather than through ``services.sales.price_lists``: parties come
    before sales, and a name is all a customer needs."""
    if name is None:
        return None
    name = name.strip()
    if not name:
        raise InvalidInput("price list name is empty")
    found = session.exec(select(PriceList.id).where(PriceList.name == name)).first()
    if found is None:
        found = session.exec(
            select(PriceList.id).where(func.lower(PriceList.name) == name.lower())
        ).first()
    if found is None:
        raise NotFound(
            f"no price list {name!r}", hint="`ordercli pricelist list` shows the price lists"
        )
    return found


def set_customer_active(*, session: Session, code: str, active: bool) -> Customer:
    customer = get_customer(session=session, code=code)
    if customer.active == active:
        state = "active" if active else "inactive"
        raise RuleViolation(f"customer {customer.code} is already {state}")
    customer.active = active
    session.add(customer)
    record_event(
        session=session,
        subject_kind="customer",
        subject_number=customer.code,
        action="activated" if active else "deactivated",
        message=f"customer {customer.code} {'re' if active else 'de'}activated",
    )
    return customer


def list_customers(
    *,
    session: Session,
    active: bool | None = None,
    search: str | None = None,
    limit: int | None = 50,
) -> list[Customer]:
    check_limit(limit)
    query = select(Customer)
    if active is not None:
        query = query.where(Customer.active == active)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            func.lower(Customer.name).like(pattern) | func.lower(Customer.code).like(pattern)
        )
    query = query.order_by(col(Customer.id).desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query))


def open_invoice_total(*, session: Session, customer_id: int) -> Decimal:
    """The sum of the customer's invoices' open balances today."""
    query = select(func.coalesce(func.sum(invoice_balance()), 0)).where(
        Invoice.customer_id == customer_id
    )
    return from_minor(session.exec(query).one(), minor_digits(session))
