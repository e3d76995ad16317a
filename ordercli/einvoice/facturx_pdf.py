"""Factur-X / ZUGFeRD: the invoice PDF a person reads, made a PDF/A-3 that carries the
CII XML software reads.

A Factur-X (ZUGFeRD 2) invoice is one file with two faces: the pages are the invoice
as ordercli prints it, and ``factur-x.xml`` inside is the same invoice as EN 16931
data. The file must be a PDF/A-3 (conformance B) so that it is archived as it is.
PDF/A asks three things of it:

* the pages: every font embedded, no transparency, colours in a declared colour
  space. ``documents.pdf.html_to_pdf(..., pdfa=True)`` draws them so;
* the attachment and the XMP metadata (``pdfaid`` part 3, conformance B, and the
  Factur-X extension schema with its profile, EN 16931): the ``factur-x`` package
  writes both;
* the rest, which ``factur-x`` leaves to its caller and this module adds: the sRGB
  output intent that gives the pages' RGB colours their meaning, and a document
  information dictionary that says exactly what the XMP says (same title, author,
  subject, creator, producer and dates, nothing the XMP lacks).

ZUGFeRD 2.x at the EN 16931 profile is the same file (same attachment name, same XMP
schema); only the XML's guideline identifier (BT-24) differs, and the XML writer
sets it. The XML is not checked here: ``factur-x`` is told not to (the ledger's
e-invoices are validated on their own, against the XSD and the schematron).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from functools import cache
from typing import cast

# factur-x, pypdf, lxml and Pillow are imported inside the functions that use them:
# only the commands that write a Factur-X PDF load them.

PROFILE = "en16931"
SRGB = "sRGB IEC61966-2.1"
CREATOR = "ordercli"
PRODUCER = "ordercli (ReportLab, factur-x, pypdf)"

_XMP = "http://ns.adobe.com/xap/1.0/"
_PDF = "http://ns.adobe.com/pdf/1.3/"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_PACKET_BEGIN = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
_PACKET_END = '<?xpacket end="w"?>'


def facturx_pdf(
    pdf: bytes,
    xml: bytes,
    *,
    title: str,
    author: str,
    subject: str,
    lang: str = "en",
    created: datetime | None = None,
) -> bytes:
    """The invoice ``pdf`` (drawn with ``html_to_pdf(..., pdfa=True)``) as a Factur-X
    PDF/A-3B at the EN 16931 profile, with ``xml`` (CII) attached as ``factur-x.xml``.

    ``title``, ``author`` (the seller) and ``subject`` go into both the document
    information and the XMP metadata; ``lang`` is the document's language (``de``,
    ``fr-FR``); ``created`` (now if not given; a naive one is local time) is the
    file's creation date, written in UTC.
    """
    from facturx import generate_from_binary

    with_xml = generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level=PROFILE,
        check_xsd=False,  # validated elsewhere, and the XSD costs more than the rest
        pdf_metadata={"title": title, "author": author, "subject": subject},
        lang=lang.replace("_", "-"),
        # A metadata stream left unfiltered is readable by any archive tool.
        xmp_compression=False,
    )
    when = (created or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return _complete_pdfa(with_xml, title=title, author=author, subject=subject, when=when)


def _complete_pdfa(pdf: bytes, *, title: str, author: str, subject: str, when: datetime) -> bytes:
    """What PDF/A-3 wants beyond what factur-x writes: the output intent, the
    document information agreeing with the XMP, a file identifier.

    The file is written whole again, which also drops the start of the drawn PDF that
    factur-x's ``generate_from_binary`` leaves in front of its result (it writes back
    into the file it read; akretion/factur-x#24): PDF/A wants the header at byte 0.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, StreamObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.pdf_header = "%PDF-1.7"  # PDF/A-3 is built on PDF 1.7
    catalog = writer.root_object
    if "/OutputIntents" not in catalog:
        catalog[NameObject("/OutputIntents")] = _output_intents(writer)
    metadata = cast(StreamObject, catalog["/Metadata"].get_object())  # factur-x wrote it
    metadata.set_data(_xmp_with(metadata.get_data(), when))
    # The information dictionary is written anew: what factur-x and ReportLab left in
    # it (Keywords, Trapped) has no twin in the XMP, and PDF/A wants every entry twinned.
    writer.metadata = {
        "/Title": title,
        "/Author": author,
        "/Subject": subject,
        "/Creator": CREATOR,
        "/Producer": PRODUCER,
        "/CreationDate": _pdf_date(when),
        "/ModDate": _pdf_date(when),
    }
    # The first identifier stays the drawn document's (ReportLab's digest of its title
    # and author: the same for every copy of this invoice), the second is this file's.
    writer.generate_file_identifiers()
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@cache
def srgb_profile() -> bytes:
    """An sRGB ICC profile (made by LittleCMS through Pillow), once per process."""
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _output_intents(writer):
    """The catalog's /OutputIntents: the pages' DeviceRGB colours are sRGB."""
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    profile = DecodedStreamObject()
    profile.set_data(srgb_profile())
    profile = profile.flate_encode()
    profile[NameObject("/N")] = NumberObject(3)
    intent = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/OutputIntent"),
            NameObject("/S"): NameObject("/GTS_PDFA1"),
            NameObject("/OutputConditionIdentifier"): TextStringObject(SRGB),
            NameObject("/Info"): TextStringObject(SRGB),
            NameObject("/RegistryName"): TextStringObject("http://www.color.org"),
            # pypdf has no public call that makes an object indirect (a stream must be).
            NameObject("/DestOutputProfile"): writer._add_object(profile),
        }
    )
    return ArrayObject([writer._add_object(intent)])


def _xmp_with(packet: bytes, when: datetime) -> bytes:
    """factur-x's XMP packet with this file's dates, creator and producer.

    factur-x stamps the XMP and the information dictionary with two separate
    readings of the clock, and names itself creator: both are set here to the
    values the information dictionary gets. Every ``rdf:Description`` gets the
    ``rdf:about=""`` the XMP specification requires of it.
    """
    from lxml import etree

    root = etree.fromstring(packet)
    descriptions = root.findall(f".//{{{_RDF}}}Description")
    for description in descriptions:
        description.set(f"{{{_RDF}}}about", "")
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    values = {
        f"{{{_XMP}}}CreateDate": stamp,
        f"{{{_XMP}}}ModifyDate": stamp,
        f"{{{_XMP}}}CreatorTool": CREATOR,
        f"{{{_PDF}}}Producer": PRODUCER,
    }
    for tag, value in values.items():
        element = root.find(f".//{tag}")
        if element is None:  # should a factur-x release stop writing one
            element = etree.SubElement(descriptions[0], tag)
        element.text = value
    body = etree.tostring(root, encoding="unicode")
    # The packet wrapper as the XMP specification writes it (the BOM says UTF-8).
    return f"{_PACKET_BEGIN}\n{body}\n{_PACKET_END}".encode()


def _pdf_date(when: datetime) -> str:
    return when.strftime("D:%Y%m%d%H%M%S+00'00'")
