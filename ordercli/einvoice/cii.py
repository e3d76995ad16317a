"""The UN/CEFACT Cross Industry Invoice (CII D16B) writer: an ``EInvoice`` as the XML
that Factur-X, ZUGFeRD and XRechnung (CII syntax) carry.

The schema is a sequence everywhere, so each function below writes its elements in
the order the XSD lists them; an element the document has no data for is left out
rather than written empty. Amounts are printed as the ledger's decimals are (the
currency's minor digits, a credit note's amounts positive as CII wants them);
quantities, unit prices and rates are printed without trailing zeros.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ordercli.domain.einvoice import (
    CII_FORMATS,
    PROCESS,
    SPECIFICATION,
    Address,
    EInvoice,
    Line,
    Party,
    PaymentMeans,
    VatBreakdown,
)

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "qdt": QDT, "ram": RAM, "udt": UDT}
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# The business process (BT-23) a format claims: XRechnung 3 requires one
# (PEPPOL-EN16931-R001) and names Peppol's billing process; Factur-X needs none.
# "Not subject to VAT" carries no rate, on a line (BR-O-05) or in the breakdown (BR-48).
NO_RATE_CATEGORIES = frozenset({"O"})


def write_cii(document: EInvoice, *, fmt: str) -> bytes:
    """The document as CII XML (UTF-8, with a declaration), claiming the
    specification of ``fmt`` (one of ``CII_FORMATS``) as its BT-24."""
    from lxml import etree

    if fmt not in CII_FORMATS:
        raise ValueError(f"CII is not the syntax of e-invoice format {fmt!r}")
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    xml = _Builder(etree.SubElement)
    context = xml.rsm(root, "ExchangedDocumentContext")
    if fmt in PROCESS:
        process = xml.ram(context, "BusinessProcessSpecifiedDocumentContextParameter")
        xml.ram(process, "ID", PROCESS[fmt])
    xml.ram(
        xml.ram(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", SPECIFICATION[fmt]
    )
    _exchanged_document(xml, root, document)
    transaction = xml.rsm(root, "SupplyChainTradeTransaction")
    for line in document.lines:
        _line(xml, transaction, line)
    _agreement(xml, transaction, document)
    _delivery(xml, transaction, document)
    _settlement(xml, transaction, document)
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8", pretty_print=True)


def amount(value: Decimal) -> str:
    """An amount exactly as the ledger holds it, never in exponent notation."""
    return format(value, "f")


def plain(value: Decimal) -> str:
    """A quantity, unit price or rate without trailing zeros: 7.500 -> 7.5, 10 -> 10."""
    return format(value.normalize(), "f")


class _Builder:
    """Appends namespaced children; ``opt`` leaves out a term the document lacks."""

    def __init__(self, sub_element: Any) -> None:
        self._sub = sub_element

    def _add(self, ns: str, parent: Any, tag: str, text: str | None, attrs: dict) -> Any:
        child = self._sub(parent, f"{{{ns}}}{tag}", attrs)
        if text is not None:
            child.text = text
        return child

    def rsm(self, parent: Any, tag: str) -> Any:
        return self._add(RSM, parent, tag, None, {})

    def ram(self, parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
        return self._add(RAM, parent, tag, text, attrs)

    def opt(self, parent: Any, tag: str, text: str | None, **attrs: str) -> None:
        """A ``ram:`` leaf written only when the document has a value for it."""
        if text:
            self._add(RAM, parent, tag, text, attrs)

    def when(self, parent: Any, tag: str, value: date, *, ns: str = UDT) -> None:
        holder = self.ram(parent, tag)
        self._add(ns, holder, "DateTimeString", value.strftime("%Y%m%d"), {"format": "102"})


def _exchanged_document(xml: _Builder, root: Any, document: EInvoice) -> None:
    header = xml.rsm(root, "ExchangedDocument")
    xml.ram(header, "ID", document.number)
    xml.ram(header, "TypeCode", document.type_code)
    xml.when(header, "IssueDateTime", document.issue_date)
    for note in document.notes:
        xml.ram(xml.ram(header, "IncludedNote"), "Content", note)


def _line(xml: _Builder, transaction: Any, line: Line) -> None:
    item = xml.ram(transaction, "IncludedSupplyChainTradeLineItem")
    xml.ram(xml.ram(item, "AssociatedDocumentLineDocument"), "LineID", line.id)
    product = xml.ram(item, "SpecifiedTradeProduct")
    xml.opt(product, "SellerAssignedID", line.sku)
    xml.ram(product, "Name", line.name)
    xml.opt(product, "Description", line.description)
    agreement = xml.ram(item, "SpecifiedLineTradeAgreement")
    if line.order_line:
        xml.ram(xml.ram(agreement, "BuyerOrderReferencedDocument"), "LineID", line.order_line)
    price = xml.ram(agreement, "NetPriceProductTradePrice")
    xml.ram(price, "ChargeAmount", plain(line.net_price))
    delivery = xml.ram(item, "SpecifiedLineTradeDelivery")
    xml.ram(delivery, "BilledQuantity", plain(line.qty), unitCode=line.unit)
    settlement = xml.ram(item, "SpecifiedLineTradeSettlement")
    tax = xml.ram(settlement, "ApplicableTradeTax")
    xml.ram(tax, "TypeCode", "VAT")
    xml.ram(tax, "CategoryCode", line.category)
    if line.category not in NO_RATE_CATEGORIES:
        xml.ram(tax, "RateApplicablePercent", plain(line.rate))
    summation = xml.ram(settlement, "SpecifiedTradeSettlementLineMonetarySummation")
    xml.ram(summation, "LineTotalAmount", amount(line.net))


def _agreement(xml: _Builder, transaction: Any, document: EInvoice) -> None:
    agreement = xml.ram(transaction, "ApplicableHeaderTradeAgreement")
    xml.opt(agreement, "BuyerReference", document.buyer_reference)
    _party(xml, agreement, "SellerTradeParty", document.seller, seller=True)
    _party(xml, agreement, "BuyerTradeParty", document.buyer, seller=False)
    if document.sales_order:
        order = xml.ram(agreement, "SellerOrderReferencedDocument")
        xml.ram(order, "IssuerAssignedID", document.sales_order)
    if document.purchase_order:
        order = xml.ram(agreement, "BuyerOrderReferencedDocument")
        xml.ram(order, "IssuerAssignedID", document.purchase_order)


def _party(xml: _Builder, parent: Any, tag: str, party: Party, *, seller: bool) -> None:
    node = xml.ram(parent, tag)
    xml.opt(node, "ID", party.identifier)
    xml.ram(node, "Name", party.name)
    if party.registration_id:
        xml.ram(xml.ram(node, "SpecifiedLegalOrganization"), "ID", party.registration_id)
    if party.contact_name or party.contact_phone or party.contact_email:
        contact = xml.ram(node, "DefinedTradeContact")
        xml.opt(contact, "PersonName", party.contact_name)
        if party.contact_phone:
            phone = xml.ram(contact, "TelephoneUniversalCommunication")
            xml.ram(phone, "CompleteNumber", party.contact_phone)
        if party.contact_email:
            email = xml.ram(contact, "EmailURIUniversalCommunication")
            xml.ram(email, "URIID", party.contact_email)
    _address(xml, node, party.address)
    if party.endpoint:
        uri = xml.ram(node, "URIUniversalCommunication")
        xml.ram(uri, "URIID", party.endpoint.value, schemeID=party.endpoint.scheme)
    if party.vat_id:
        xml.ram(xml.ram(node, "SpecifiedTaxRegistration"), "ID", party.vat_id, schemeID="VA")
    # A tax number (BT-32) is the seller's only: EN 16931 has no such term for the buyer.
    if seller and party.tax_number:
        registration = xml.ram(node, "SpecifiedTaxRegistration")
        xml.ram(registration, "ID", party.tax_number, schemeID="FC")


def _address(xml: _Builder, node: Any, address: Address) -> None:
    postal = xml.ram(node, "PostalTradeAddress")
    xml.opt(postal, "PostcodeCode", address.postcode)
    xml.opt(postal, "LineOne", address.street)
    xml.opt(postal, "CityName", address.city)
    xml.ram(postal, "CountryID", address.country)


def _delivery(xml: _Builder, transaction: Any, document: EInvoice) -> None:
    delivery = xml.ram(transaction, "ApplicableHeaderTradeDelivery")
    if document.delivery_address:
        ship_to = xml.ram(delivery, "ShipToTradeParty")
        _address(xml, ship_to, document.delivery_address)
    if document.delivery_date:
        event = xml.ram(delivery, "ActualDeliverySupplyChainEvent")
        xml.when(event, "OccurrenceDateTime", document.delivery_date)


def _settlement(xml: _Builder, transaction: Any, document: EInvoice) -> None:
    settlement = xml.ram(transaction, "ApplicableHeaderTradeSettlement")
    means = document.payment_means
    xml.opt(settlement, "CreditorReferenceID", means.creditor_id if means else None)
    xml.opt(settlement, "PaymentReference", means.remittance if means else None)
    xml.ram(settlement, "InvoiceCurrencyCode", document.currency)
    if means:
        _payment_means(xml, settlement, means)
    for row in document.vat:
        _vat_row(xml, settlement, row)
    _payment_terms(xml, settlement, document)
    _summation(xml, settlement, document)
    if document.preceding_invoice:
        preceding = xml.ram(settlement, "InvoiceReferencedDocument")
        xml.ram(preceding, "IssuerAssignedID", document.preceding_invoice)
        if document.preceding_issue_date:
            xml.when(preceding, "FormattedIssueDateTime", document.preceding_issue_date, ns=QDT)


def _payment_means(xml: _Builder, settlement: Any, means: PaymentMeans) -> None:
    node = xml.ram(settlement, "SpecifiedTradeSettlementPaymentMeans")
    xml.ram(node, "TypeCode", means.code)
    if means.debited_iban:
        xml.ram(xml.ram(node, "PayerPartyDebtorFinancialAccount"), "IBANID", means.debited_iban)
    if means.iban or means.account_name:
        account = xml.ram(node, "PayeePartyCreditorFinancialAccount")
        xml.opt(account, "IBANID", means.iban)
        xml.opt(account, "AccountName", means.account_name)
    if means.bic:
        xml.ram(xml.ram(node, "PayeeSpecifiedCreditorFinancialInstitution"), "BICID", means.bic)


def _vat_row(xml: _Builder, settlement: Any, row: VatBreakdown) -> None:
    tax = xml.ram(settlement, "ApplicableTradeTax")
    xml.ram(tax, "CalculatedAmount", amount(row.tax))
    xml.ram(tax, "TypeCode", "VAT")
    xml.opt(tax, "ExemptionReason", row.exemption)
    xml.ram(tax, "BasisAmount", amount(row.taxable))
    xml.ram(tax, "CategoryCode", row.category)
    xml.opt(tax, "ExemptionReasonCode", row.exemption_code)
    # Every breakdown row states its rate, 0 for "not subject" too (XRechnung's
    # BR-DE-14; EN 16931 forbids a rate only on such a line, BR-O-05).
    xml.ram(tax, "RateApplicablePercent", plain(row.rate))


def _payment_terms(xml: _Builder, settlement: Any, document: EInvoice) -> None:
    mandate = document.payment_means.mandate if document.payment_means else None
    if not (document.payment_terms or document.due_date or mandate):
        return
    terms = xml.ram(settlement, "SpecifiedTradePaymentTerms")
    xml.opt(terms, "Description", document.payment_terms)
    if document.due_date:
        xml.when(terms, "DueDateDateTime", document.due_date)
    xml.opt(terms, "DirectDebitMandateID", mandate)


def _summation(xml: _Builder, settlement: Any, document: EInvoice) -> None:
    totals = xml.ram(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    xml.ram(totals, "LineTotalAmount", amount(document.line_total))
    xml.ram(totals, "TaxBasisTotalAmount", amount(document.tax_exclusive))
    xml.ram(totals, "TaxTotalAmount", amount(document.tax_total), currencyID=document.currency)
    xml.ram(totals, "GrandTotalAmount", amount(document.tax_inclusive))
    xml.ram(totals, "TotalPrepaidAmount", amount(document.prepaid))
    xml.ram(totals, "DuePayableAmount", amount(document.payable))
