"""Customer documents: quotes, invoices, credit memos, packing slips, statements.

Each is a Jinja2 template (``templates/``, or the user's own directory)
rendered to HTML, and that HTML laid out as a PDF by ReportLab
(``documents/pdf.py``), so the browser view and the PDF never disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from ordercli.documents import context as contexts
from ordercli.documents.pdf import html_to_pdf
from ordercli.documents.templating import render_html, template_dirs
from ordercli.domain.errors import InvalidInput

KINDS = {
    # kind: (template, file name stem)
    "invoice": ("invoice.html", "{key}"),
    "quote": ("quote.html", "{key}"),
    "credit-memo": ("credit_memo.html", "{key}"),
    "packing-slip": ("packing_slip.html", "packing-slip-{key}"),
    "statement": ("statement.html", "statement-{key}-{to}"),
    "pick-list": ("pick_list.html", "pick-list-{key}"),
}


@dataclass(frozen=True)
class Rendered:
    filename: str
    content: bytes
    mime: str


def safe_file_stem(text: str) -> str:
    """A document number as a file name: prefixes may hold ``/`` or spaces."""
    stem = re.sub(r"[^\w.-]+", "-", text, flags=re.ASCII).strip("-.")
    return stem or "document"


def document_context(session: Session, kind: str, key: str, **options) -> dict:
    builders = {
        "invoice": contexts.invoice_context,
        "quote": contexts.quote_context,
        "credit-memo": contexts.credit_memo_context,
        "packing-slip": contexts.packing_slip_context,
    }
    if kind == "statement":
        return contexts.statement_context(
            session, key, date_from=options.get("date_from"), date_to=options.get("date_to")
        )
    if kind == "pick-list":
        return contexts.pick_list_context(session, key or None)
    if kind not in builders:
        raise InvalidInput(f"unknown document kind {kind!r}")
    return builders[kind](session, key)


def render_document(
    session: Session,
    kind: str,
    key: str,
    *,
    fmt: str = "pdf",
    template_dir: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    pdfa: bool = False,
) -> Rendered:
    """One document as PDF (``fmt="pdf"``) or HTML (``fmt="html"``); ``pdfa``: a PDF
    drawn as PDF/A-3 wants it (the visible part of a Factur-X invoice)."""
    if fmt not in {"pdf", "html"}:
        raise InvalidInput(f"unknown document format {fmt!r} (use pdf or html)")
    context = document_context(session, kind, key, date_from=date_from, date_to=date_to)
    return render_context(kind, key, context, fmt=fmt, template_dir=template_dir, pdfa=pdfa)


@dataclass(frozen=True)
class Page:
    """A document rendered to HTML, ready to be written or laid out as a PDF."""

    stem: str
    html: str
    title: str
    author: str


def render_page(kind: str, key: str, context: dict, *, template_dir: str | None = None) -> Page:
    company = context["company"]
    dirs = template_dirs(template_dir, company.get("template_dir"))
    template, stem = KINDS[kind]
    html = render_html(
        template,
        context,
        dirs=dirs,
        currency=company.get("currency") or "EUR",
        locale=company.get("locale") or "en_US",
    )
    to = context["document"].get("to")
    filename = safe_file_stem(
        stem.format(key=key if kind == "statement" else context["document"]["number"], to=to)
    )
    return Page(filename, html, context["title"], company.get("name") or "")


def page_to_pdf(page: Page, *, pdfa: bool = False) -> Rendered:
    pdf = html_to_pdf(page.html, title=page.title, author=page.author, pdfa=pdfa)
    return Rendered(f"{page.stem}.pdf", pdf, "application/pdf")


def render_context(
    kind: str,
    key: str,
    context: dict,
    *,
    fmt: str = "pdf",
    template_dir: str | None = None,
    pdfa: bool = False,
) -> Rendered:
    """A document from its context (see ``documents/context.py``)."""
    page = render_page(kind, key, context, template_dir=template_dir)
    if fmt == "html":
        return Rendered(f"{page.stem}.html", page.html.encode("utf-8"), "text/html")
    return page_to_pdf(page, pdfa=pdfa)
