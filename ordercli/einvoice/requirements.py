"""What a document still lacks to be an e-invoice of a format, and the command that
sets each missing item.

EN 16931 asks every invoice for the parties' names and countries and, by VAT
category, the VAT ids that make the tax treatment checkable (BR-S-02, BR-AE-02,
BR-IC-02, BR-G-02…). XRechnung adds the seller's contact, both addresses'
city and postcode, the buyer reference (the Leitweg-ID) and payment
instructions (BR-DE-*); Peppol adds both parties' electronic addresses and a
buyer reference or purchase order (PEPPOL-EN16931-R003, R010, R020). The export
refuses before writing anything, with every missing item at once.
"""

from __future__ import annotations

from ordercli.domain.einvoice import (
    PEPPOL,
    SEPA_DIRECT_DEBIT,
    XRECHNUNG_CII,
    XRECHNUNG_UBL,
    EInvoice,
)

XRECHNUNG_FORMATS = (XRECHNUNG_CII, XRECHNUNG_UBL)
# The most decimals EN 16931 allows in an amount (BR-DEC-*).
AMOUNT_DECIMALS = 2


def missing_items(document: EInvoice, fmt: str) -> list[str]:
    """One line per missing item, each saying what is missing and which command sets it."""
    customer = document.buyer.identifier or "CUSTOMER"
    order = document.sales_order or "ORDER"
    seller, buyer = document.seller, document.buyer
    categories = {row.category for row in document.vat}
    found: list[str] = []

    def need(present: object, what: str, command: str) -> None:
        if not present:
            found.append(f"{what}: {command}")

    need(seller.name, "the company's name", 'ordercli company set --name "…"')
    need(seller.address.country, "the company's country", "ordercli company set --country CODE")
    need(
        buyer.address.country,
        f"{customer}'s country",
        f"ordercli customer edit {customer} --country CODE",
    )
    if categories & {"AE", "K", "G"}:
        need(seller.vat_id, "the company's VAT id", "ordercli company set --vat-id DE123456789")
    elif categories & {"S", "Z", "E"}:
        need(
            seller.vat_id or seller.tax_number,
            "the company's VAT id or tax number",
            "ordercli company set --vat-id DE123456789 (or --tax-id)",
        )
    if "O" in categories:
        # Not subject to VAT: no VAT id may be stated (BR-O-02), so the register id
        # names the seller (BR-CO-26).
        need(
            seller.registration_id,
            "the company's register id (an invoice not subject to VAT states no VAT id)",
            'ordercli company set --registration-id "HRB 12345"',
        )
    if categories & {"AE", "K"}:
        need(buyer.vat_id, f"{customer}'s VAT id", f"ordercli customer edit {customer} --vat-id …")
    if fmt in XRECHNUNG_FORMATS:
        found += _xrechnung(document, customer, order)
    if fmt == PEPPOL or fmt in XRECHNUNG_FORMATS:
        need(
            seller.endpoint,
            "the company's electronic address",
            "ordercli company set --endpoint EMAIL_OR_SCHEME:ID (or --email-from)",
        )
        need(
            buyer.endpoint,
            f"{customer}'s electronic address",
            f"ordercli customer edit {customer} --endpoint EMAIL_OR_SCHEME:ID (or --email)",
        )
    if fmt == PEPPOL:
        # Peppol routes by participant ids; an email is no Peppol address (CL008).
        for party, who, command in (
            (seller, "the company's", "ordercli company set --endpoint 0088:…"),
            (buyer, f"{customer}'s", f"ordercli customer edit {customer} --endpoint 0088:…"),
        ):
            if party.endpoint and party.endpoint.scheme == "EM":
                found.append(f"{who} Peppol id (an email is no Peppol address): {command}")
        need(
            document.buyer_reference or document.purchase_order,
            "a buyer reference or purchase-order number",
            f"ordercli order refs {order} --po … (or customer edit {customer} --buyer-reference …)",
        )
    return found


def _xrechnung(document: EInvoice, customer: str, order: str) -> list[str]:
    seller, buyer = document.seller, document.buyer
    found = []
    checks: list[tuple[object, str, str]] = [
        (seller.address.city, "the company's city", "ordercli company set --city …"),
        (seller.address.postcode, "the company's postcode", "ordercli company set --postcode …"),
        (seller.address.street, "the company's street", "ordercli company set --street …"),
        (seller.contact_name, "a contact person", 'ordercli company set --contact "…"'),
        (seller.contact_phone, "the company's phone", "ordercli company set --phone …"),
        (seller.contact_email, "the company's email", "ordercli company set --email-from …"),
        (buyer.address.city, f"{customer}'s city", f"ordercli customer edit {customer} --city …"),
        (
            buyer.address.postcode,
            f"{customer}'s postcode",
            f"ordercli customer edit {customer} --postcode …",
        ),
        (
            document.buyer_reference,
            "the buyer reference (Leitweg-ID)",
            f"ordercli customer edit {customer} --buyer-reference … "
            f"(or order refs {order} --buyer-reference …)",
        ),
    ]
    means = document.payment_means
    if not document.is_credit_note or means is not None:
        checks.append(
            (means, "payment instructions (the company's IBAN)", "ordercli company set --iban …")
        )
    if means is not None and means.code == SEPA_DIRECT_DEBIT:
        checks += [
            (means.creditor_id, "the SEPA creditor id", "ordercli company set --creditor-id …"),
            (
                means.debited_iban,
                f"the account the mandate {means.mandate} debits",
                f"ordercli billing-agreement add {customer} … --iban …",
            ),
        ]
    for present, what, command in checks:
        if not present:
            found.append(f"{what}: {command}")
    return found


def impossible(document: EInvoice) -> str | None:
    """Why no e-invoice can state the document as the ledger holds it, if so."""
    categories = {row.category for row in document.vat}
    if "O" in categories and len(categories) > 1:
        return (
            f"{document.number} mixes lines not subject to VAT (O) with others; EN 16931 "
            "needs them on separate invoices (BR-O-11)"
        )
    return inexact_amounts(document)


def inexact_amounts(document: EInvoice) -> str | None:
    """Why the document's amounts cannot be written as EN 16931 allows them, if so:
    a currency with three minor digits (BHD, KWD…) whose amounts use the third."""
    if document.minor_digits <= AMOUNT_DECIMALS:
        return None
    amounts = [document.tax_inclusive, document.tax_total, document.line_total]
    amounts += [line.net for line in document.lines] + [row.tax for row in document.vat]
    step = AMOUNT_DECIMALS
    if all(amount == round(amount, step) for amount in amounts):
        return None
    return (
        f"{document.number} is in {document.currency}, whose amounts have "
        f"{document.minor_digits} decimals; EN 16931 allows {AMOUNT_DECIMALS} (BR-DEC rules), "
        "so its amounts cannot be stated exactly in an e-invoice"
    )
