"""The UBL 2.1 writer: an EN 16931 invoice or credit memo as an OASIS UBL ``Invoice``
or ``CreditNote``, for XRechnung (UBL syntax) and Peppol BIS Billing 3.0.

Both formats share the EN 16931 UBL binding. They differ in what they claim (the
specification identifier, BT-24) and in one Peppol rule: a Peppol document
carries at most one note, so several notes become one.

What the binding asks of the XML, and why the writer does it this way:

- UBL declares every aggregate as a sequence, so each element is written in the
  order of the UBL 2.1 schema; an element whose value the document lacks is left
  out rather than written empty (Peppol refuses empty elements).
- A credit memo is a ``CreditNote`` (``CreditNoteLine``, ``CreditedQuantity``) with
  its amounts positive; it has no ``DueDate``, so its due date (BT-9) travels as
  the payment means' ``PaymentDueDate``.
- Amounts are printed as the ``Decimal`` they are, with the currency's minor
  digits (a yen amount has none); quantities, prices and rates are printed
  without trailing zeros or exponent.
- Every VAT breakdown row states its rate, 0 for the zero categories and for
  "not subject to VAT"; a line not subject to VAT states none.
- The seller's tax number (BT-32) is a second ``PartyTaxScheme`` whose scheme is
  not ``VAT`` (``FC``, the fiscal code, as the German examples write it), and the
  SEPA creditor identifier (BT-90) is a seller ``PartyIdentification`` with the
  scheme ``SEPA``.
- An order reference without the buyer's purchase order number still needs its
  ``ID`` in UBL: the binding's ``NA`` stands in for it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ordercli.domain.einvoice import (
    PEPPOL,
    PROCESS,
    SEPA_DIRECT_DEBIT,
    SPECIFICATION,
    UBL_FORMATS,
    Address,
    EInvoice,
    Line,
    Party,
    PaymentMeans,
    VatBreakdown,
)

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

VAT_SCHEME = "VAT"
TAX_NUMBER_SCHEME = "FC"  # BT-32: any scheme but VAT; FC as in the XRechnung examples
SEPA_CREDITOR_SCHEME = "SEPA"  # BT-90
NO_PURCHASE_ORDER = "NA"  # OrderReference/ID when only the sales order (BT-14) is known
NOT_SUBJECT_TO_VAT = "O"  # its lines carry no rate (BR-O-05)


def amount_text(value: Decimal) -> str:
    """An amount as written: its own digits, never an exponent ("49.90", "4990")."""
    return format(value, "f")


def number_text(value: Decimal) -> str:
    """A quantity, price or rate without trailing zeros or exponent ("7.5", "10")."""
    return format(value.normalize(), "f")


def write_ubl(document: EInvoice, *, fmt: str) -> bytes:
    """``document`` as a UBL 2.1 Invoice or CreditNote in format ``fmt``
    (``xrechnung-ubl`` or ``peppol``): UTF-8 bytes with an XML declaration."""
    if fmt not in UBL_FORMATS:
        raise ValueError(f"not a UBL format: {fmt!r} (use one of {', '.join(UBL_FORMATS)})")
    from lxml import etree

    root = _UblWriter(etree, document, fmt).build()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


class _UblWriter:
    """Writes one document; holds the element factory and the document's currency."""

    def __init__(self, etree: Any, document: EInvoice, fmt: str) -> None:
        self.etree = etree
        self.document = document
        self.fmt = fmt
        self.credit = document.is_credit_note
        self.currency = document.currency

    # Element helpers: ``_text`` leaves out a value that is None or blank.

    def _add(self, parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
        prefix, _, local = tag.partition(":")
        name = f"{{{CBC_NS if prefix == 'cbc' else CAC_NS}}}{local}"
        element = self.etree.SubElement(parent, name, attrs or None)
        if text is not None:
            element.text = text
        return element

    def _text(self, parent: Any, tag: str, value: str | None, **attrs: str) -> None:
        if _present(value) is not None:
            self._add(parent, tag, value, **attrs)

    def _amount(self, parent: Any, tag: str, value: Decimal) -> None:
        self._add(parent, tag, amount_text(value), currencyID=self.currency)

    def build(self) -> Any:
        document = self.document
        kind = "CreditNote" if self.credit else "Invoice"
        namespace = CREDIT_NOTE_NS if self.credit else INVOICE_NS
        root = self.etree.Element(
            f"{{{namespace}}}{kind}", nsmap={None: namespace, "cac": CAC_NS, "cbc": CBC_NS}
        )
        self._add(root, "cbc:CustomizationID", SPECIFICATION[self.fmt])
        self._add(root, "cbc:ProfileID", PROCESS[self.fmt])
        self._add(root, "cbc:ID", document.number)
        self._add(root, "cbc:IssueDate", document.issue_date.isoformat())
        if document.due_date is not None and not self.credit:
            self._add(root, "cbc:DueDate", document.due_date.isoformat())
        self._add(root, f"cbc:{kind}TypeCode", document.type_code)
        for note in self._notes():
            self._text(root, "cbc:Note", note)
        self._add(root, "cbc:DocumentCurrencyCode", document.currency)
        self._text(root, "cbc:BuyerReference", document.buyer_reference)
        self._order_reference(root)
        self._billing_reference(root)
        self._party(root, "cac:AccountingSupplierParty", document.seller, seller=True)
        self._party(root, "cac:AccountingCustomerParty", document.buyer, seller=False)
        self._delivery(root)
        if document.payment_means is not None:
            self._payment_means(root, document.payment_means)
        if _present(document.payment_terms) is not None:
            self._add(self._add(root, "cac:PaymentTerms"), "cbc:Note", document.payment_terms)
        self._tax_total(root)
        self._monetary_total(root)
        for line in document.lines:
            self._line(root, line)
        return root

    def _notes(self) -> tuple[str, ...]:
        notes = tuple(note for note in self.document.notes if note.strip())
        if self.fmt == PEPPOL and len(notes) > 1:
            return ("\n".join(notes),)  # PEPPOL-EN16931-R002: one note per document
        return notes

    def _order_reference(self, root: Any) -> None:
        document = self.document
        purchase_order = _present(document.purchase_order)
        sales_order = _present(document.sales_order)
        if purchase_order is None and sales_order is None:
            return
        reference = self._add(root, "cac:OrderReference")
        self._add(reference, "cbc:ID", purchase_order or NO_PURCHASE_ORDER)
        self._text(reference, "cbc:SalesOrderID", sales_order)

    def _billing_reference(self, root: Any) -> None:
        document = self.document
        if _present(document.preceding_invoice) is None:
            return
        reference = self._add(
            self._add(root, "cac:BillingReference"), "cac:InvoiceDocumentReference"
        )
        self._add(reference, "cbc:ID", document.preceding_invoice)
        if document.preceding_issue_date is not None:
            self._add(reference, "cbc:IssueDate", document.preceding_issue_date.isoformat())

    def _party(self, root: Any, tag: str, party: Party, *, seller: bool) -> None:
        element = self._add(self._add(root, tag), "cac:Party")
        if party.endpoint is not None:
            self._text(
                element, "cbc:EndpointID", party.endpoint.value, schemeID=party.endpoint.scheme
            )
        if _present(party.identifier) is not None:
            self._add(self._add(element, "cac:PartyIdentification"), "cbc:ID", party.identifier)
        means = self.document.payment_means
        creditor = _present(means.creditor_id) if means is not None else None
        if seller and creditor is not None:
            identification = self._add(element, "cac:PartyIdentification")
            self._add(identification, "cbc:ID", creditor, schemeID=SEPA_CREDITOR_SCHEME)
        if _present(party.name) is not None:
            self._add(self._add(element, "cac:PartyName"), "cbc:Name", party.name)
        self._address(self._add(element, "cac:PostalAddress"), party.address)
        self._tax_scheme(element, party.vat_id, VAT_SCHEME)
        if seller:
            self._tax_scheme(element, party.tax_number, TAX_NUMBER_SCHEME)
        legal = self._add(element, "cac:PartyLegalEntity")
        self._add(legal, "cbc:RegistrationName", party.name)
        self._text(legal, "cbc:CompanyID", party.registration_id)
        contact = (party.contact_name, party.contact_phone, party.contact_email)
        if any(_present(value) for value in contact):
            element_contact = self._add(element, "cac:Contact")
            self._text(element_contact, "cbc:Name", party.contact_name)
            self._text(element_contact, "cbc:Telephone", party.contact_phone)
            self._text(element_contact, "cbc:ElectronicMail", party.contact_email)

    def _address(self, element: Any, address: Address) -> None:
        self._text(element, "cbc:StreetName", address.street)
        self._text(element, "cbc:CityName", address.city)
        self._text(element, "cbc:PostalZone", address.postcode)
        self._add(self._add(element, "cac:Country"), "cbc:IdentificationCode", address.country)

    def _tax_scheme(self, party: Any, company_id: str | None, scheme: str) -> None:
        if _present(company_id) is None:
            return
        element = self._add(party, "cac:PartyTaxScheme")
        self._add(element, "cbc:CompanyID", company_id)
        self._add(self._add(element, "cac:TaxScheme"), "cbc:ID", scheme)

    def _delivery(self, root: Any) -> None:
        document = self.document
        address = document.delivery_address
        if document.delivery_date is None and address is None:
            return
        delivery = self._add(root, "cac:Delivery")
        if document.delivery_date is not None:
            self._add(delivery, "cbc:ActualDeliveryDate", document.delivery_date.isoformat())
        if address is not None:
            location = self._add(delivery, "cac:DeliveryLocation")
            self._address(self._add(location, "cac:Address"), address)

    def _payment_means(self, root: Any, means: PaymentMeans) -> None:
        element = self._add(root, "cac:PaymentMeans")
        self._add(element, "cbc:PaymentMeansCode", means.code)
        if self.credit and self.document.due_date is not None:
            self._add(element, "cbc:PaymentDueDate", self.document.due_date.isoformat())
        self._text(element, "cbc:PaymentID", means.remittance)
        # A direct debit names the buyer's account in its mandate; a transfer names the
        # seller's account (XRechnung BR-DE-23/25: never both kinds in one payment means).
        if means.code == SEPA_DIRECT_DEBIT:
            if _present(means.mandate) or _present(means.debited_iban):
                mandate = self._add(element, "cac:PaymentMandate")
                self._text(mandate, "cbc:ID", means.mandate)
                if _present(means.debited_iban):
                    payer = self._add(mandate, "cac:PayerFinancialAccount")
                    self._add(payer, "cbc:ID", means.debited_iban)
        elif _present(means.iban):
            account = self._add(element, "cac:PayeeFinancialAccount")
            self._add(account, "cbc:ID", means.iban)
            self._text(account, "cbc:Name", means.account_name)
            if _present(means.bic):
                branch = self._add(account, "cac:FinancialInstitutionBranch")
                self._add(branch, "cbc:ID", means.bic)

    def _tax_total(self, root: Any) -> None:
        total = self._add(root, "cac:TaxTotal")
        self._amount(total, "cbc:TaxAmount", self.document.tax_total)
        for row in self.document.vat:
            self._tax_subtotal(total, row)

    def _tax_subtotal(self, total: Any, row: VatBreakdown) -> None:
        subtotal = self._add(total, "cac:TaxSubtotal")
        self._amount(subtotal, "cbc:TaxableAmount", row.taxable)
        self._amount(subtotal, "cbc:TaxAmount", row.tax)
        category = self._add(subtotal, "cac:TaxCategory")
        self._add(category, "cbc:ID", row.category)
        # Every breakdown row names its rate, 0 when not subject to VAT: EN 16931 allows
        # it there (BR-48) and XRechnung demands it (BR-DE-14).
        self._add(category, "cbc:Percent", number_text(row.rate))
        self._text(category, "cbc:TaxExemptionReasonCode", row.exemption_code)
        self._text(category, "cbc:TaxExemptionReason", row.exemption)
        self._add(self._add(category, "cac:TaxScheme"), "cbc:ID", VAT_SCHEME)

    def _monetary_total(self, root: Any) -> None:
        document = self.document
        total = self._add(root, "cac:LegalMonetaryTotal")
        self._amount(total, "cbc:LineExtensionAmount", document.line_total)
        self._amount(total, "cbc:TaxExclusiveAmount", document.tax_exclusive)
        self._amount(total, "cbc:TaxInclusiveAmount", document.tax_inclusive)
        if document.prepaid:
            self._amount(total, "cbc:PrepaidAmount", document.prepaid)
        self._amount(total, "cbc:PayableAmount", document.payable)

    def _line(self, root: Any, line: Line) -> None:
        element = self._add(root, "cac:CreditNoteLine" if self.credit else "cac:InvoiceLine")
        self._add(element, "cbc:ID", line.id)
        quantity = "cbc:CreditedQuantity" if self.credit else "cbc:InvoicedQuantity"
        self._add(element, quantity, number_text(line.qty), unitCode=line.unit)
        self._amount(element, "cbc:LineExtensionAmount", line.net)
        if _present(line.order_line):
            self._add(self._add(element, "cac:OrderLineReference"), "cbc:LineID", line.order_line)
        item = self._add(element, "cac:Item")
        self._text(item, "cbc:Description", line.description)
        self._add(item, "cbc:Name", line.name)
        if _present(line.sku):
            self._add(self._add(item, "cac:SellersItemIdentification"), "cbc:ID", line.sku)
        tax = self._add(item, "cac:ClassifiedTaxCategory")
        self._add(tax, "cbc:ID", line.category)
        if line.category != NOT_SUBJECT_TO_VAT:  # BR-O-05: such a line has no rate
            self._add(tax, "cbc:Percent", number_text(line.rate))
        self._add(self._add(tax, "cac:TaxScheme"), "cbc:ID", VAT_SCHEME)
        price = self._add(element, "cac:Price")
        self._add(price, "cbc:PriceAmount", number_text(line.net_price), currencyID=self.currency)


def _present(value: str | None) -> str | None:
    """The value, or None when it is missing or blank."""
    return value if value is not None and value.strip() else None
