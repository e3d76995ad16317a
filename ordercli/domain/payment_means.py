"""How an invoice is paid (EN 16931 BG-16): one decision the e-invoice and the printed
invoice both state, so the two never disagree.

An order under a direct-debit billing agreement is collected by SEPA direct debit: the
mandate's reference, the company's creditor id and the account the mandate debits.
Anything else is paid by bank transfer to the company's IBAN (a SEPA credit transfer in
euros), quoting the document's number; without an IBAN the ledger knows no means.
"""

from __future__ import annotations

from typing import Protocol

from ordercli.domain.einvoice import (
    CREDIT_TRANSFER,
    SEPA_CREDIT_TRANSFER,
    SEPA_DIRECT_DEBIT,
    PaymentMeans,
)

# Billing agreement methods that are a direct-debit mandate (compared without case,
# spaces, dashes or underscores).
DIRECT_DEBIT_METHODS = {"directdebit", "sepadirectdebit", "sepadd", "dd", "lastschrift"}
# Where a SEPA credit transfer (58) applies rather than any credit transfer (30).
SEPA_CURRENCIES = {"EUR"}


class Mandate(Protocol):
    """What the decision reads of a billing agreement."""

    method: str
    reference: str
    iban: str | None


def is_direct_debit(method: str | None) -> bool:
    """Whether a billing agreement's method is a direct-debit mandate."""
    compact = "".join(ch for ch in (method or "") if ch.isalnum())
    return compact.lower() in DIRECT_DEBIT_METHODS


def payment_means(
    seller: dict, agreement: Mandate | None, currency: str, number: str
) -> PaymentMeans | None:
    """The means of paying document ``number``: ``seller`` is the company's fields as
    the document states them (``iban``, ``bic``, ``creditor_id``, ``name``), and
    ``agreement`` the billing agreement of its order, if any."""
    if agreement is not None and is_direct_debit(agreement.method):
        return PaymentMeans(
            code=SEPA_DIRECT_DEBIT,
            mandate=agreement.reference,
            creditor_id=seller.get("creditor_id"),
            debited_iban=agreement.iban,
            remittance=number,
        )
    iban = seller.get("iban")
    if not iban:
        return None
    return PaymentMeans(
        code=SEPA_CREDIT_TRANSFER if currency in SEPA_CURRENCIES else CREDIT_TRANSFER,
        iban=iban,
        bic=seller.get("bic"),
        account_name=seller.get("name") or None,
        remittance=number,
    )
