"""An invoice or credit memo as EN 16931 sees it: the semantic model the CII and
UBL writers serialise, built from the ledger by ``ordercli.einvoice.collect``.

Amounts are ``Decimal`` in the document's currency with its minor digits (the
ledger's figures, to the cent); the writers print them as they are. Business
term numbers (BT-n, BG-n) name what each field is in the standard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# The formats ordercli writes, and the specification each one claims (BT-24).
FACTURX = "facturx"
ZUGFERD = "zugferd"
XRECHNUNG_CII = "xrechnung-cii"
XRECHNUNG_UBL = "xrechnung-ubl"
PEPPOL = "peppol"
FORMATS = (FACTURX, ZUGFERD, XRECHNUNG_CII, XRECHNUNG_UBL, PEPPOL)
CII_FORMATS = (FACTURX, ZUGFERD, XRECHNUNG_CII)
UBL_FORMATS = (XRECHNUNG_UBL, PEPPOL)
PDF_FORMATS = (FACTURX, ZUGFERD)

EN16931 = "urn:cen.eu:en16931:2017"
XRECHNUNG = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
PEPPOL_BIS = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"  # BT-23
SPECIFICATION = {
    FACTURX: EN16931,
    ZUGFERD: EN16931,
    XRECHNUNG_CII: XRECHNUNG,
    XRECHNUNG_UBL: XRECHNUNG,
    PEPPOL: PEPPOL_BIS,
}
# The business process (BT-23): Peppol's billing process, which XRechnung asks for too
# (PEPPOL-EN16931-R001 is among its rules); Factur-X has none.
PROCESS = {
    XRECHNUNG_CII: PEPPOL_PROCESS,
    XRECHNUNG_UBL: PEPPOL_PROCESS,
    PEPPOL: PEPPOL_PROCESS,
}

# UNTDID 1001 document type codes (BT-3).
COMMERCIAL_INVOICE = "380"
CREDIT_NOTE = "381"
PREPAYMENT_INVOICE = "386"

# UNTDID 4461 payment means (BT-81).
CREDIT_TRANSFER = "30"
SEPA_CREDIT_TRANSFER = "58"
SEPA_DIRECT_DEBIT = "59"


@dataclass(frozen=True)
class Address:
    street: str | None  # BT-35 / BT-50
    city: str | None  # BT-37 / BT-52
    postcode: str | None  # BT-38 / BT-53
    country: str  # BT-40 / BT-55, ISO 3166-1 alpha-2


@dataclass(frozen=True)
class Endpoint:
    """An electronic address (BT-34 / BT-49) and its EAS scheme (``EM`` an email)."""

    scheme: str
    value: str


@dataclass(frozen=True)
class Party:
    name: str  # BT-27 / BT-44
    address: Address
    vat_id: str | None = None  # BT-31 / BT-48, with its country prefix
    tax_number: str | None = None  # BT-32 (seller only)
    registration_id: str | None = None  # BT-30 / BT-47
    identifier: str | None = None  # BT-29 / BT-46 (the buyer's customer code)
    endpoint: Endpoint | None = None
    contact_name: str | None = None  # BT-41 / BT-56
    contact_phone: str | None = None  # BT-42 / BT-57
    contact_email: str | None = None  # BT-43 / BT-58


@dataclass(frozen=True)
class PaymentMeans:
    code: str  # BT-81
    iban: str | None = None  # BT-84 (credit transfer: the seller's account)
    bic: str | None = None  # BT-86
    account_name: str | None = None  # BT-85
    mandate: str | None = None  # BT-89 (direct debit)
    creditor_id: str | None = None  # BT-90
    debited_iban: str | None = None  # BT-91 (direct debit: the buyer's account)
    remittance: str | None = None  # BT-83: what the payer quotes (the document number)


@dataclass(frozen=True)
class Line:
    id: str  # BT-126: the line's position
    name: str  # BT-153
    sku: str | None  # BT-155, the seller's item id
    qty: Decimal  # BT-129
    unit: str  # BT-130, UN/ECE Rec. 20
    net_price: Decimal  # BT-146, net of discounts, per one unit
    net: Decimal  # BT-131
    category: str  # BT-151
    rate: Decimal  # BT-152, percent
    description: str | None = None  # BT-154
    order_line: str | None = None  # BT-132


@dataclass(frozen=True)
class VatBreakdown:
    """One row of BG-23: the lines of one category and rate."""

    category: str  # BT-118
    rate: Decimal  # BT-119
    taxable: Decimal  # BT-116
    tax: Decimal  # BT-117
    exemption: str | None = None  # BT-120
    exemption_code: str | None = None  # BT-121


@dataclass(frozen=True)
class EInvoice:
    number: str  # BT-1
    type_code: str  # BT-3
    issue_date: date  # BT-2
    currency: str  # BT-5
    minor_digits: int
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    vat: tuple[VatBreakdown, ...]
    line_total: Decimal  # BT-106
    tax_exclusive: Decimal  # BT-109
    tax_total: Decimal  # BT-110
    tax_inclusive: Decimal  # BT-112
    prepaid: Decimal  # BT-113
    payable: Decimal  # BT-115
    due_date: date | None = None  # BT-9
    buyer_reference: str | None = None  # BT-10
    purchase_order: str | None = None  # BT-13
    sales_order: str | None = None  # BT-14, the seller's order number
    preceding_invoice: str | None = None  # BT-25 (credit notes)
    preceding_issue_date: date | None = None  # BT-26
    payment_terms: str | None = None  # BT-20
    payment_means: PaymentMeans | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)  # BT-22
    delivery_date: date | None = None  # BT-72
    # BG-15: where the goods went (BT-75..80; its country is BR-IC-12's BT-80).
    delivery_address: Address | None = None

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == CREDIT_NOTE
