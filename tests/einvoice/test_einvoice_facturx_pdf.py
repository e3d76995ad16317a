"""Factur-X / ZUGFeRD PDFs (``einvoice/facturx_pdf.py``): a ledger's invoice PDF made a
PDF/A-3B with the CII XML inside.

The PDFs come from a real ledger: the sample shop, one order invoiced and partly
credited, drawn by the same templates and layout as ``invoice pdf`` with
``pdfa=True``. Each test checks one thing PDF/A-3 or Factur-X asks of the file and
reads it back with pypdf, or with qpdf and poppler where they are installed (those
tests say so and skip where they are not): the XML attached under its standard
name, the XMP's claims, every font embedded, the sRGB output intent, no
transparency (a logo with an alpha channel too), no encryption, the document
information agreeing with the XMP, and pages that still read and look like the
invoice.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image, ImageChops
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject
from typer.testing import CliRunner

from ordercli.cli.app import app
from ordercli.db.engine import dispose_all, open_ledger, resolve_location, unit_of_work
from ordercli.documents import document_context, render_page
from ordercli.documents.pdf import html_to_pdf
from ordercli.einvoice.facturx_pdf import CREATOR, PRODUCER, SRGB, facturx_pdf, srgb_profile
from ordercli.io.demo import sample_data_dir
from tests.documents_support import pdf_text, render_png

TODAY = "2026-03-20"
SELLER = "Lumen Office Supplies GmbH"
CREATED = datetime(2026, 3, 20, 9, 30, 5, tzinfo=UTC)
NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "fx": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
}
# A CII document for when the CII writer is not there; the PDF carries any XML alike.
SMALL_CII = b"""<?xml version='1.0' encoding='UTF-8'?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100">
  <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
    <ram:ID>urn:cen.eu:en16931:2017</ram:ID>
  </ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument><ram:ID>INV-00001</ram:ID><ram:TypeCode>380</ram:TypeCode>
  </rsm:ExchangedDocument>
</rsm:CrossIndustryInvoice>
"""


def cii_xml() -> bytes:
    try:
        from ordercli.domain.einvoice import FACTURX
        from ordercli.einvoice.cii import write_cii
        from tests.einvoice import samples
    except ImportError:
        return SMALL_CII
    return write_cii(samples.several_rates(), fmt=FACTURX)


XML = cii_xml()


# --- the ledger and its PDFs ----------------------------------------------------------------


def logo_file(path: Path, mode: str) -> Path:
    """A logo: RGBA (a blue mark on a fully transparent ground) or a CMYK JPEG."""
    if mode == "RGBA":
        image = Image.new("RGBA", (60, 20), (0, 0, 0, 0))
        image.paste((20, 90, 200, 160), (20, 4, 40, 16))
        image.save(path, "PNG")
    else:
        Image.new("CMYK", (60, 20), (90, 50, 0, 10)).save(path, "JPEG")
    return path


class Ledger:
    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / "ledger.db"
        self.runner = CliRunner()

    def run(self, *args: str) -> None:
        result = self.runner.invoke(
            app, ["--db", str(self.path), *args, "--json"], env={"ORDERCLI_TODAY": TODAY}
        )
        assert result.exit_code == 0, (args, result.stdout, result.stderr)

    def pdf(self, kind: str, number: str, *, pdfa: bool) -> tuple[bytes, str, str]:
        """The document as ``invoice pdf`` draws it (with ``pdfa``), its title and author."""
        engine = open_ledger(resolve_location(str(self.path)))
        with unit_of_work(engine, write=False) as session:
            context = document_context(session, kind, number)
        page = render_page(kind, number, context)
        content = html_to_pdf(page.html, title=page.title, author=page.author, pdfa=pdfa)
        return content, page.title, page.author


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> dict[str, bytes]:
    """INV-00001 (two lines) and its credit memo CM-00001, as PDFs: plain, drawn for
    PDF/A, and made Factur-X; and the invoice again with an alpha logo and a CMYK one."""
    folder = tmp_path_factory.mktemp("facturx")
    ledger = Ledger(folder)
    samples = sample_data_dir()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ORDERCLI_TODAY", TODAY)
        for step in (
            ["init", "--company", SELLER, "--address", "Hauptstraße 12\\n10115 Berlin"],
            ["import", "customers", str(samples / "customers.csv")],
            ["import", "products", str(samples / "products.csv")],
            ["order", "new", "ACME"],
            ["order", "add-line", "SO-00001", "DESK-OAK", "2"],
            ["order", "add-line", "SO-00001", "INSTALL", "1.5"],
            ["order", "confirm", "SO-00001"],
            ["invoice", "create", "SO-00001"],
            ["credit-memo", "create", "INV-00001", "--line", "DESK-OAK=1", "--reason", "dented"],
        ):
            ledger.run(*step)
        out: dict[str, bytes] = {}
        out["plain"], _, _ = ledger.pdf("invoice", "INV-00001", pdfa=False)
        drawn, title, author = ledger.pdf("invoice", "INV-00001", pdfa=True)
        out["drawn"] = drawn
        out["invoice"] = facturx_pdf(
            drawn, XML, title=title, author=author, subject="Invoice INV-00001", created=CREATED
        )
        memo, title, author = ledger.pdf("credit-memo", "CM-00001", pdfa=True)
        out["credit memo"] = facturx_pdf(memo, XML, title=title, author=author, subject="Credit")
        for mode in ("RGBA", "CMYK"):
            suffix = "png" if mode == "RGBA" else "jpg"
            ledger.run("company", "set", "--logo", str(logo_file(folder / f"logo.{suffix}", mode)))
            out[f"{mode} plain"], _, _ = ledger.pdf("invoice", "INV-00001", pdfa=False)
            drawn, title, author = ledger.pdf("invoice", "INV-00001", pdfa=True)
            out[mode] = facturx_pdf(drawn, XML, title=title, author=author, subject="Invoice")
    dispose_all()
    return out


FACTURX_PDFS = ("invoice", "credit memo", "RGBA", "CMYK")


def reader(content: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(content))


def objects(content: bytes):
    """Every object of the file, streams and dictionaries alike, and every dictionary
    written inside another (a page's resources, an image's parameters)."""
    pdf = reader(content)
    for number in range(1, int(pdf.trailer["/Size"])):
        try:
            found = pdf.get_object(IndirectObject(number, 0, pdf))
        except Exception:  # a free entry of the cross-reference table
            continue
        if found is not None:
            yield from _within(found)


def _within(found):
    yield found
    children = found.values() if isinstance(found, DictionaryObject) else ()
    if isinstance(found, ArrayObject):
        children = found
    for child in children:
        if isinstance(child, (DictionaryObject, ArrayObject)):  # not a reference
            yield from _within(child)


def xmp(content: bytes):
    metadata = reader(content).trailer["/Root"]["/Metadata"].get_object()
    return etree.fromstring(metadata.get_data())


def xmp_text(root, path: str) -> str:
    found = root.findall(path, NS)
    assert len(found) == 1, (path, etree.tostring(root))
    return found[0].text


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install poppler-utils qpdf): no check")
    return path


def run_tool(folder: Path, content: bytes, *args: str) -> subprocess.CompletedProcess:
    source = folder / "facturx.pdf"
    source.write_bytes(content)
    return subprocess.run(
        [tool(args[0]), *args[1:], str(source)], capture_output=True, text=True, timeout=60
    )


# --- the file ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FACTURX_PDFS)
def test_a_plain_pdf_file_that_opens_with_its_header_at_byte_zero(docs, name):
    content = docs[name]
    # PDF/A: the header first, then a comment of bytes over 127 marking a binary file.
    assert re.match(rb"%PDF-1\.[4-7]\r?\n%[\x80-\xff]{4}", content), content[:20]
    assert content.count(b"%PDF-") == 1  # nothing left of the file factur-x read from
    pdf = reader(content)
    assert len(pdf.pages) >= 1
    assert "/Encrypt" not in pdf.trailer and not pdf.is_encrypted
    first, second = pdf.trailer["/ID"]
    assert len(first.original_bytes) == len(second.original_bytes) == 16


@pytest.mark.parametrize("name", FACTURX_PDFS)
def test_qpdf_finds_no_error(docs, name, tmp_path):
    done = run_tool(tmp_path, docs[name], "qpdf", "--check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No syntax or stream encoding errors found" in done.stdout
    assert "WARNING" not in done.stdout + done.stderr


def test_pdfinfo_reads_it_without_complaint(docs, tmp_path):
    done = run_tool(tmp_path, docs["invoice"], "pdfinfo")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    info = dict(re.findall(r"^([\w ]+):\s*(.*)$", done.stdout, re.M))
    assert info["Title"] == "Invoice INV-00001"
    assert info["Author"] == SELLER
    assert info["Metadata Stream"] == "yes"
    assert info["Encrypted"] == "no"
    assert info["PDF version"] == "1.7"


# --- what software reads ----------------------------------------------------------------------


@pytest.mark.parametrize("name", FACTURX_PDFS)
def test_the_xml_is_attached_as_factur_x_xml_and_is_the_same_xml(docs, name):
    pdf = reader(docs[name])
    assert pdf.attachments == {"factur-x.xml": [XML]}
    catalog = pdf.trailer["/Root"]
    [spec] = [ref.get_object() for ref in catalog["/AF"].get_object()]
    assert spec["/AFRelationship"] == "/Data"
    assert spec["/F"] == spec["/UF"] == "factur-x.xml"
    embedded = spec["/EF"]["/F"].get_object()
    assert embedded["/Subtype"] == "/text/xml"
    assert "/ModDate" in embedded["/Params"]  # PDF/A-3 asks each attachment's date


@pytest.mark.parametrize("name", FACTURX_PDFS)
def test_the_xmp_claims_pdfa_3b_and_the_en16931_profile(docs, name):
    root = xmp(docs[name])
    assert xmp_text(root, ".//pdfaid:part") == "3"
    assert xmp_text(root, ".//pdfaid:conformance") == "B"
    assert xmp_text(root, ".//fx:ConformanceLevel") == "EN 16931"
    assert xmp_text(root, ".//fx:DocumentFileName") == "factur-x.xml"
    assert xmp_text(root, ".//fx:DocumentType") == "INVOICE"
    assert xmp_text(root, ".//fx:Version") == "1.0"
    # The extension schema that PDF/A needs to accept the fx: properties.
    assert "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#" in etree.tostring(
        root.find(".//{http://www.aiim.org/pdfa/ns/extension/}schemas")
    ).decode("utf-8")
    descriptions = root.findall(".//rdf:Description", NS)
    assert descriptions and all(d.get(f"{{{NS['rdf']}}}about") == "" for d in descriptions)


def test_the_document_information_says_what_the_xmp_says(docs):
    pdf = reader(docs["invoice"])
    info = pdf.trailer["/Info"].get_object()
    root = xmp(docs["invoice"])
    assert info == {
        "/Title": "Invoice INV-00001",
        "/Author": SELLER,
        "/Subject": "Invoice INV-00001",
        "/Creator": CREATOR,
        "/Producer": PRODUCER,
        "/CreationDate": "D:20260320093005+00'00'",
        "/ModDate": "D:20260320093005+00'00'",
    }
    assert xmp_text(root, ".//dc:title/rdf:Alt/rdf:li") == info["/Title"]
    assert xmp_text(root, ".//dc:creator/rdf:Seq/rdf:li") == info["/Author"]
    assert xmp_text(root, ".//dc:description/rdf:Alt/rdf:li") == info["/Subject"]
    assert xmp_text(root, ".//xmp:CreatorTool") == info["/Creator"]
    assert xmp_text(root, ".//pdf:Producer") == info["/Producer"]
    assert xmp_text(root, ".//xmp:CreateDate") == "2026-03-20T09:30:05+00:00"
    assert xmp_text(root, ".//xmp:ModifyDate") == "2026-03-20T09:30:05+00:00"
    assert pdf.trailer["/Root"]["/Lang"] == "en"


def test_a_date_in_another_zone_an_accented_author_and_the_language(docs):
    berlin = timezone(timedelta(hours=1))
    content = facturx_pdf(
        docs["drawn"],
        XML,
        title="Rechnung INV-00001",
        author="Lumen Bürobedarf GmbH",
        subject="Rechnung",
        lang="de_DE",
        created=datetime(2026, 3, 20, 0, 15, 0, 123, tzinfo=berlin),
    )
    pdf = reader(content)
    # 00:15 in Berlin is 23:15 UTC the day before; both dictionaries say so alike.
    assert pdf.trailer["/Info"]["/CreationDate"] == "D:20260319231500+00'00'"
    assert xmp_text(xmp(content), ".//xmp:CreateDate") == "2026-03-19T23:15:00+00:00"
    assert pdf.trailer["/Root"]["/Lang"] == "de-DE"
    assert pdf.trailer["/Info"]["/Author"] == "Lumen Bürobedarf GmbH"
    assert xmp_text(xmp(content), ".//dc:creator/rdf:Seq/rdf:li") == "Lumen Bürobedarf GmbH"


# --- what PDF/A asks of the pages --------------------------------------------------------------


@pytest.mark.parametrize("name", FACTURX_PDFS)
def test_the_output_intent_is_srgb(docs, name):
    [intent] = [ref.get_object() for ref in reader(docs[name]).trailer["/Root"]["/OutputIntents"]]
    assert intent["/S"] == "/GTS_PDFA1"
    assert intent["/OutputConditionIdentifier"] == SRGB
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3
    data = profile.get_data()
    assert data == srgb_profile()
    # An ICC display profile of RGB, version 4 at most (PDF/A-3's limit).
    assert (data[36:40], data[12:16], data[16:20]) == (b"acsp", b"mntr", b"RGB ")
    assert data[8] <= 4


@pytest.mark.parametrize("name", FACTURX_PDFS)
def test_every_font_is_embedded(docs, name):
    fonts = [o for o in objects(docs[name]) if isinstance(o, DictionaryObject)]
    fonts = [o for o in fonts if o.get("/Type") == "/Font" and o.get("/Subtype") != "/Type0"]
    assert fonts
    for font in fonts:
        descriptor = font.get("/FontDescriptor")
        assert descriptor is not None, f"{font['/BaseFont']} is not embedded"
        descriptor = descriptor.get_object()
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), font["/BaseFont"]


@pytest.mark.parametrize("name", FACTURX_PDFS)
def test_pdffonts_lists_every_font_as_embedded(docs, name, tmp_path):
    done = run_tool(tmp_path, docs[name], "pdffonts")
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()[2:]
    assert rows
    for row in rows:
        # name, type (one or two words), encoding, then emb sub uni.
        emb = re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", row)
        assert emb and emb.group(1) == "yes", row
        assert "DejaVu" in row, row  # the bundled fonts, never a standard 14 one


@pytest.mark.parametrize("name", FACTURX_PDFS)
def test_nothing_is_transparent(docs, name):
    for found in objects(docs[name]):
        if not isinstance(found, DictionaryObject):
            continue
        assert "/SMask" not in found, found
        group = found.get("/Group")
        assert group is None or group.get_object().get("/S") != "/Transparency"
        if found.get("/Type") == "/ExtGState":
            assert found.get("/CA", 1) == 1 and found.get("/ca", 1) == 1


def test_an_alpha_logo_is_laid_onto_white_and_a_cmyk_one_turned_rgb(docs):
    # The same logo on the plain invoice keeps its alpha channel: what PDF/A forbids.
    assert any(
        isinstance(o, DictionaryObject) and "/SMask" in o for o in objects(docs["RGBA plain"])
    )
    images = {}
    for name in ("RGBA", "CMYK"):
        [image] = [
            o
            for o in objects(docs[name])
            if isinstance(o, StreamObject) and o.get("/Subtype") == "/Image"
        ]
        assert image["/ColorSpace"] == "/DeviceRGB", (name, image["/ColorSpace"])
        images[name] = reader(docs[name]).pages[0].images[0].image.convert("RGB")
    flat = images["RGBA"]
    assert flat.getpixel((0, 0)) == (255, 255, 255)  # the transparent ground, now white
    mark = flat.getpixel((flat.width // 2, flat.height // 2))
    assert mark != (255, 255, 255) and mark[2] > mark[0]  # the blue mark, blended


# --- what a person reads -----------------------------------------------------------------------


def test_the_pages_read_as_the_invoice(docs):
    text = pdf_text(docs["invoice"])
    assert text == pdf_text(docs["plain"])
    for expected in ("Invoice", "INV-00001", SELLER, "DESK-OAK", "INSTALL", "Total"):
        assert expected in text, expected
    assert "CM-00001" in pdf_text(docs["credit memo"])


def test_the_pages_look_as_the_invoice_pdf_does(docs, tmp_path):
    tool("pdftoppm")
    pictures = []
    for name in ("plain", "invoice"):
        folder = tmp_path / name.replace(" ", "-")
        folder.mkdir()
        pictures.append(Image.open(render_png(docs[name], folder)).convert("RGB"))
    plain, facturx = pictures
    assert plain.size == facturx.size
    assert ImageChops.difference(plain, facturx).getbbox() is None  # not one pixel apart
