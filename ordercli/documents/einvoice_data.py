"""What an invoice or credit memo prints of its e-invoice (SPEC rule 21), so the
document a person reads says what the EN 16931 data says.

- the VAT category of each line and, for each category and rate of the tax
  breakdown, why no VAT is charged (reverse charge, intra-community supply, the
  product's exemption reason, with its VATEX code);
- the buyer reference and purchase-order number;
- how the invoice is paid: ``domain.payment_means`` decides, as for the e-invoice;
- the parties' VAT ids, and their postal address from its parts (street, postcode,
  city, country) when no free-text address was typed.

Documents of a ledger without these fields print as they always did: a line taxed at
the standard rate, or zero rated with no reason given (every 0 % line of an older
ledger), carries no mark; nothing else appears unless its field is set. As for the
e-invoice, what the document froze at issue wins (rule 4) and a field it never froze
comes from today's company and customer.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from sqlalchemy import select
from sqlmodel import Session, col

from ordercli.db.lookup import chunks
from ordercli.domain.einvoice import SEPA_DIRECT_DEBIT, PaymentMeans
from ordercli.domain.payment_means import payment_means
from ordercli.domain.vat import CATEGORIES, EXEMPTIONS
from ordercli.models import (
    BillingAgreement,
    CreditMemoLine,
    Customer,
    InvoiceLine,
    SalesOrder,
)
from ordercli.services.parties.snapshots import BUYER_EINVOICE_FIELDS, buyer_fields

# What a category means for the buyer, after its reason ("Reverse charge — VAT due by
# the recipient").
MEANING = {
    "AE": "VAT due by the recipient",
    "K": "exempt from VAT",
    "G": "exempt from VAT",
}
# A category printed only when it must tell two rows at one rate apart: a zero-rated
# line says so by its 0 %, as every 0 % line of an older ledger does.
QUIET = {"S", "Z"}


def _sentence(text: str) -> str:
    """Text with a capital first letter, the rest as it is ("Export outside the EU")."""
    return text[:1].upper() + text[1:]


def line_categories(session: Session, invoice_ids: Iterable[int]) -> dict[int, dict[int, tuple]]:
    """(category, exemption, VATEX code) of every line of the invoices, by invoice id and
    line position."""
    found: dict[int, dict[int, tuple]] = {}
    for chunk in chunks(sorted(set(invoice_ids))):
        for row in session.execute(
            select(
                col(InvoiceLine.invoice_id),
                col(InvoiceLine.position),
                col(InvoiceLine.vat_category),
                col(InvoiceLine.vat_exemption),
                col(InvoiceLine.vat_exemption_code),
            ).where(col(InvoiceLine.invoice_id).in_(chunk))
        ):
            found.setdefault(row[0], {})[row[1]] = tuple(row[2:])
    return found


def memo_line_categories(session: Session, memo_id: int) -> dict[int, tuple]:
    """(category, exemption, VATEX code) of a credit memo's lines by position: those of
    the invoice lines they credit."""
    return {
        row[0]: tuple(row[1:])
        for row in session.execute(
            select(
                col(CreditMemoLine.position),
                col(InvoiceLine.vat_category),
                col(InvoiceLine.vat_exemption),
                col(InvoiceLine.vat_exemption_code),
            )
            .join(InvoiceLine, col(InvoiceLine.id) == col(CreditMemoLine.invoice_line_id))
            .where(col(CreditMemoLine.credit_memo_id) == memo_id)
        )
    }


def categorise(lines: list[dict], categories: dict[int, tuple]) -> None:
    """Give each line (by its ``line`` position) its ``vat_category``, ``vat_exemption``
    and ``vat_exemption_code``."""
    for line in lines:
        category, exemption, code = categories.get(line["line"], ("S", None, None))
        line.update(vat_category=category, vat_exemption=exemption, vat_exemption_code=code)


def vat_note(category: str | None, exemption: str | None, code: str | None) -> str | None:
    """Why a row of the tax breakdown charges no (or another's) VAT, in words: the reason
    (the product's for an exempt line), what it means, and its VATEX code."""
    if category is None or category == "S":
        return None
    default = EXEMPTIONS.get(category, (None, None))
    if not exemption and not code:
        exemption, code = default
    text = exemption or _sentence(CATEGORIES[category])
    if category in MEANING:
        text = f"{text} — {MEANING[category]}"
    return f"{text} ({code})" if code else text


def notes(rows: list[dict]) -> None:
    """Give each row of a tax breakdown its ``category_name`` and ``note``: why it charges
    no VAT, or None for a plain row (standard rate, or zero rated with no reason given,
    unless another row shares its rate)."""
    per_rate: dict[object, int] = {}
    for row in rows:
        per_rate[row["rate"]] = per_rate.get(row["rate"], 0) + 1
    for row in rows:
        category = row["category"]
        plain = category is None or (
            category in QUIET
            and not row["exemption"]
            and not row["exemption_code"]
            and per_rate[row["rate"]] == 1
        )
        row["category_name"] = CATEGORIES.get(category) if category else None
        row["note"] = None if plain else vat_note(category, row["exemption"], row["exemption_code"])


def label_lines(lines: list[dict], rows: list[dict]) -> None:
    """Give each line ``vat_label``: its category's name where its breakdown row has a
    note ("Reverse charge"), else None."""
    noted = {(row["rate"], row["category"]) for row in rows if row["note"]}
    for line in lines:
        category = line.get("vat_category")
        line["vat_label"] = (
            _sentence(CATEGORIES[category])
            if category and (line["tax_rate"], category) in noted
            else None
        )


def current_buyers(session: Session, customer_ids: Iterable[int]) -> dict[int, dict]:
    """Each customer's e-invoice fields as they are now (those set), by customer id."""
    found: dict[int, dict] = {}
    for chunk in chunks(sorted(set(customer_ids))):
        for customer in session.scalars(select(Customer).where(col(Customer.id).in_(chunk))):
            assert customer.id is not None  # a stored row
            found[customer.id] = {
                k: v for k, v in buyer_fields(customer).items() if k in BUYER_EINVOICE_FIELDS
            }
    return found


def order_agreements(session: Session, order_ids: Iterable[int]) -> dict[int, BillingAgreement]:
    """The billing agreement each order is billed under, by order id (those with one)."""
    found: dict[int, BillingAgreement] = {}
    for chunk in chunks(sorted(set(order_ids))):
        for order_id, agreement in session.execute(
            select(col(SalesOrder.id), BillingAgreement)
            .join(
                BillingAgreement, col(BillingAgreement.id) == col(SalesOrder.billing_agreement_id)
            )
            .where(col(SalesOrder.id).in_(chunk))
        ):
            found[order_id] = agreement
    return found


def grouped_iban(iban: str | None) -> str | None:
    """An IBAN as it is printed: in groups of four (``DE89 3704 0044 0532 0130 00``)."""
    if not iban:
        return None
    compact = "".join(iban.split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def payment_instructions(
    seller: dict, agreement: BillingAgreement | None, currency: str, number: str
) -> dict | None:
    """How the invoice says it is paid, as the e-invoice states it (``domain.payment_means``).

    A direct debit is printed once the company's SEPA creditor id is known, as a direct
    debit needs one (an older ledger's mandates print as they always did)."""
    means: PaymentMeans | None = payment_means(seller, agreement, currency, number)
    if means is None:
        return None
    if means.code == SEPA_DIRECT_DEBIT:
        if not means.creditor_id:
            return None
        return {
            "method": "direct_debit",
            "mandate": means.mandate,
            "creditor_id": means.creditor_id,
            "iban": grouped_iban(means.debited_iban),
            "bic": None,
            "account_name": None,
            "reference": means.remittance,
        }
    return {
        "method": "bank_transfer",
        "mandate": None,
        "creditor_id": None,
        "iban": grouped_iban(means.iban),
        "bic": means.bic,
        "account_name": means.account_name,
        "reference": means.remittance,
    }


@cache
def country_name(code: str, locale: str) -> str:
    """An ISO 3166 country code in the company's language (``DE`` → Germany)."""
    from babel import Locale, UnknownLocaleError

    try:
        names = Locale.parse(locale or "en_US").territories
    except (UnknownLocaleError, ValueError):
        names = Locale.parse("en_US").territories
    return names.get(code.upper(), code)


def postal_address(typed: str | None, fields: dict, locale: str) -> str | None:
    """The address a party block prints: the free text typed, else one made of the
    parts (street; postcode and city; country), else None."""
    if typed:
        return typed
    place = " ".join(part for part in (fields.get("postcode"), fields.get("city")) if part)
    country = fields.get("country")
    lines = [fields.get("street"), place, country_name(country, locale) if country else None]
    return "\n".join(line for line in lines if line) or None


def seller_block(company: dict) -> dict:
    """The seller as an invoice or credit memo prints it."""
    return {
        **company,
        "vat_id": company.get("vat_id"),
        "registration_id": company.get("registration_id"),
        "postal_address": postal_address(company.get("address"), company, company["locale"]),
    }


def buyer_block(customer: dict, now: dict, locale: str) -> dict:
    """The buyer as an invoice or credit memo prints it: its frozen fields over what
    ``now`` (today's e-invoice fields of the customer) adds."""
    merged = {**now, **customer}
    return {
        **merged,
        "vat_id": merged.get("vat_id"),
        "postal_address": postal_address(merged.get("billing_address"), merged, locale),
    }
