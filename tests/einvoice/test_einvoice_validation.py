"""The e-invoice validator: what passes, what fails with which rule, and that the
official rule sets are compiled once however many files are checked."""

from __future__ import annotations

import io
import re

import pytest
from lxml import etree

from ordercli.domain.einvoice import FACTURX, PEPPOL, XRECHNUNG, XRECHNUNG_CII, XRECHNUNG_UBL
from ordercli.domain.errors import InvalidInput
from ordercli.einvoice import validation
from ordercli.einvoice.validation import validate_document, validate_file, validate_xml
from tests.einvoice import samples

cii = pytest.importorskip("ordercli.einvoice.cii")
ubl = pytest.importorskip("ordercli.einvoice.ubl")

RAM = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"
NS = {"ram": RAM[1:-1]}


def facturx_invoice() -> bytes:
    return cii.write_cii(samples.several_rates(), fmt=FACTURX)


def with_bt24(xml: bytes, specification: str) -> bytes:
    root = etree.fromstring(xml)
    root.find(".//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", NS).text = specification
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def without(xml: bytes, path: str) -> bytes:
    root = etree.fromstring(xml)
    element = root.find(path, NS)
    element.getparent().remove(element)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def rules(findings: tuple[validation.Finding, ...]) -> set[str]:
    return {finding.rule for finding in findings}


def test_a_facturx_invoice_passes_the_xsd_and_the_en16931_rules():
    report = validate_xml(facturx_invoice())

    assert report.failures == ()
    assert report.ok
    assert report.syntax == "CII"
    assert report.specification == "urn:cen.eu:en16931:2017"
    assert report.rule_sets == ("XSD", "EN 16931")


@pytest.mark.parametrize("document", [samples.several_rates, samples.credit_note])
def test_a_peppol_invoice_or_credit_note_passes_and_says_peppols_own_rules_did_not_run(document):
    report = validate_xml(ubl.write_ubl(document(), fmt=PEPPOL))

    assert report.failures == ()
    assert report.syntax == "UBL"
    assert report.rule_sets == ("XSD", "EN 16931")
    assert any("Peppol BIS 3.0's own rules" in note for note in report.notes)


def test_a_grand_total_that_does_not_add_up_fails_br_co_15_where_the_totals_are():
    xml = re.sub(
        rb"<ram:GrandTotalAmount>[^<]*<",
        b"<ram:GrandTotalAmount>999.99<",
        facturx_invoice(),
    )

    report = validate_xml(xml)

    assert not report.ok
    (finding,) = [f for f in report.failures if f.rule == "BR-CO-15"]
    assert "BT-112" in finding.message
    assert finding.flag == "error"  # the Factur-X rules set no flag: an error
    assert finding.location.endswith("/SpecifiedTradeSettlementHeaderMonetarySummation[1]")


def test_a_ubl_total_that_does_not_add_up_fails_br_co_15():
    xml = re.sub(
        rb"(<cbc:TaxInclusiveAmount[^>]*>)[^<]*<",
        rb"\g<1>1.00<",
        ubl.write_ubl(samples.several_rates(), fmt=PEPPOL),
    )

    assert "BR-CO-15" in rules(validate_xml(xml).failures)


def test_an_xsd_error_names_its_line_and_the_business_rules_wait_for_a_valid_file():
    lines = facturx_invoice().decode().splitlines()
    at = next(i for i, line in enumerate(lines) if "<ram:TypeCode>380<" in line)
    lines.insert(at + 1, "    <ram:Colour>red</ram:Colour>")

    report = validate_xml("\n".join(lines).encode())

    assert [(f.rule, f.location) for f in report.failures] == [("XSD", f"line {at + 2}")]
    assert "Colour" in report.failures[0].message
    assert "{urn:" not in report.failures[0].message
    assert report.rule_sets == ("XSD",)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "not well-formed XML"),
        (b"Invoice INV-00001, EUR 178.14", "not well-formed XML"),
        (b"<invoice><total>1</total></invoice>", "root element invoice"),
        (
            b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>',
            "root element Order",
        ),
    ],
)
def test_a_file_that_is_not_an_einvoice_is_one_syntax_failure(data, says):
    report = validate_document(data)

    assert [f.rule for f in report.failures] == ["syntax"]
    assert says in report.failures[0].message
    assert (report.syntax, report.rule_sets) == (None, ())


def test_an_einvoice_with_a_doctype_is_refused_before_any_rule_runs():
    xml = facturx_invoice().replace(
        b"<rsm:CrossIndustryInvoice", b"<!DOCTYPE x []>\n<rsm:CrossIndustryInvoice", 1
    )

    assert rules(validate_xml(xml).failures) == {"syntax"}


def blank_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_facturx_pdf_is_checked_by_its_content_whatever_its_name(tmp_path):
    import facturx

    pdf = facturx.generate_from_binary(blank_pdf(), facturx_invoice(), check_xsd=False)
    path = tmp_path / "invoice.xml"  # a PDF, named as if it were XML
    path.write_bytes(pdf)

    report = validate_file(path)

    assert (report.ok, report.syntax, report.rule_sets) == (True, "CII", ("XSD", "EN 16931"))


@pytest.mark.parametrize(
    ("data", "says"),
    [(blank_pdf(), "carries no Factur-X/ZUGFeRD XML"), (b"%PDF-1.7\ntruncated", "cannot be read")],
)
def test_a_pdf_without_the_xml_is_one_syntax_failure(tmp_path, data, says, capsys):
    path = tmp_path / "invoice.pdf"
    path.write_bytes(data)

    report = validate_file(path)

    assert [f.rule for f in report.failures] == ["syntax"]
    assert says in report.failures[0].message
    assert capsys.readouterr().err == ""  # the PDF library's complaints stay out of the output


def test_a_file_that_cannot_be_read_is_the_users_error(tmp_path):
    missing = tmp_path / "INV-00001.xml"

    with pytest.raises(InvalidInput, match=r"cannot read .*INV-00001\.xml: No such file"):
        validate_file(missing)
    with pytest.raises(InvalidInput, match="Is a directory"):
        validate_file(tmp_path)


def test_xrechnung_rules_run_only_on_a_file_that_claims_xrechnung():
    # BT-10 is optional in EN 16931 and required by XRechnung (BR-DE-15).
    no_buyer_reference = without(facturx_invoice(), ".//ram:BuyerReference")

    plain = validate_xml(no_buyer_reference)
    claimed = validate_xml(with_bt24(no_buyer_reference, XRECHNUNG))

    assert plain.ok and plain.rule_sets == ("XSD", "EN 16931")
    assert claimed.rule_sets == ("XSD", "EN 16931", "XRechnung 3.0")
    assert "BR-DE-15" in rules(claimed.failures)


@pytest.mark.parametrize("fmt", [XRECHNUNG_CII, XRECHNUNG_UBL])
def test_both_xrechnung_syntaxes_get_the_xrechnung_rules(fmt):
    document = samples.several_rates()
    write = cii.write_cii if fmt == XRECHNUNG_CII else ubl.write_ubl

    report = validate_xml(write(document, fmt=fmt))

    assert report.specification == XRECHNUNG
    assert report.rule_sets == ("XSD", "EN 16931", "XRechnung 3.0")


def test_the_facturx_profiles_bt24_rule_is_set_aside_for_xrechnung_only():
    # The Factur-X EN 16931 profile accepts only its own BT-24 (FX-SCH-A-000556);
    # XRechnung's rules check an XRechnung BT-24 instead (BR-DE-21).
    xrechnung = validate_xml(with_bt24(facturx_invoice(), XRECHNUNG))
    other = validate_xml(with_bt24(facturx_invoice(), "urn:cen.eu:en16931:2017#compliant#urn:x"))

    everything = xrechnung.failures + xrechnung.warnings
    assert not rules(everything) & {"FX-SCH-A-000556", "BR-DE-21"}
    assert any("FX-SCH-A-000556" in note for note in xrechnung.notes)
    assert "FX-SCH-A-000556" in rules(other.failures)


def test_warnings_are_reported_but_do_not_fail_the_file():
    # An empty element: Factur-X's rules warn (PEPPOL-EN16931-R008), nothing more.
    root = etree.fromstring(facturx_invoice())
    root.find(".//ram:ApplicableHeaderTradeDelivery", NS).clear()

    report = validate_xml(etree.tostring(root))

    assert report.ok
    assert [(f.rule, f.flag) for f in report.warnings] == [("PEPPOL-EN16931-R008", "warning")]


def test_each_stylesheet_is_compiled_once_however_many_files_are_checked():
    documents = [
        facturx_invoice(),
        with_bt24(facturx_invoice(), XRECHNUNG),
        ubl.write_ubl(samples.several_rates(), fmt=PEPPOL),
        ubl.write_ubl(samples.credit_note(), fmt=XRECHNUNG_UBL),
    ]
    for xml in documents:
        validate_xml(xml)
    after_one_round = validation.stylesheets_compiled()

    for _ in range(5):
        for xml in documents:
            validate_xml(xml)

    # Four rule sets in all: EN 16931 for CII and for UBL, XRechnung for each.
    assert after_one_round == 4
    assert validation.stylesheets_compiled() == 4
