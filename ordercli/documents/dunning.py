"""Dunning letters and ``collections run`` from end to end: record, write, email.

A letter renders like every customer document: a Jinja2 template (the level's own,
else ``dunning_notice.html``) found in the user's template directory first and the
bundled ones second, autoescaped, laid out as a PDF by ReportLab
(``documents/__init__.py``, ``templating.py``, ``pdf.py``).

``run_collections`` orders the steps as ``invoice send`` does (``mail.py``):

1. One unit of work records the notices, their charge invoices and credit holds
   and renders every letter (a template error rolls it all back); with ``--send``
   the mail settings are checked first and each message is built whole. It commits.
2. The letters are written into the directory, each file whole or not at all.
3. With ``--send`` each message goes out with no transaction open, and only after
   the server accepted it a fresh unit of work records ``sent_to`` and ``sent_at``.

So a failure after step 1 leaves the notices recorded: a letter that could not be
written is written again with ``collections letter NOTICE``; a message the server
did not take stays unsent, and ``collections run --send`` on the same date sends
every notice of that date not sent yet (and records nothing twice). A customer
without a usable email address gets the PDF only, and is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session, col

from ordercli.books.clock import today
from ordercli.db.lookup import chunks
from ordercli.documents import Page, Rendered, page_to_pdf, safe_file_stem

# The frame every document shares, and the worker processes `pdf --all` lays out with.
from ordercli.documents.context import _company, _party
from ordercli.documents.files import _pool, write_rendered
from ordercli.documents.mail import (
    _amount,
    _day,
    _new_message,
    _profile,
    _recipient,
    _signature,
    attachment_of,
    deliver,
    flat,
    smtp_settings,
)
from ordercli.documents.templating import render_html, template_dirs
from ordercli.domain.errors import InvalidInput, OrderCliError, RuleViolation
from ordercli.domain.paths import check_path
from ordercli.models import Customer
from ordercli.services.parties.customers import get_customer
from ordercli.services.settlement import dunning, dunning_notices
from ordercli.services.settlement.dunning import Notice
from ordercli.services.settlement.dunning_levels import DEFAULT_TEMPLATE
from ordercli.views.collections import notice_view, notice_views, run_view

UnitOfWork = Callable[[bool], AbstractContextManager[Session]]


def letter_contexts(session: Session, notices: list[Notice]) -> list[dict]:
    """What a letter template is given: the frame of every document (``company``,
    ``customer`` as they are now, ``title``, ``printed_on``), ``notice`` (the keys of a
    notice in ``collections run --json``), its ``items`` and the ``others`` still
    overdue that it reminds of without raising their level. The company and the
    customers are read once for any number of letters."""
    company = _company(session)
    printed = today()
    customers: dict[int | None, Customer] = {}
    for chunk in chunks(sorted({n.customer_id for n in notices})):
        customers.update(
            (c.id, c) for c in session.scalars(select(Customer).where(col(Customer.id).in_(chunk)))
        )
    contexts = []
    for notice, view in zip(notices, notice_views(session, notices), strict=True):
        contexts.append(
            {
                "kind": "dunning-notice",
                "title": f"{notice.level_name} {notice.number or ''}".strip(),
                "company": company,
                "customer": _party(customers[notice.customer_id]),
                "printed_on": printed,
                "document": view,
                "notice": view,
                "items": view["items"],
                "others": view["others"],
            }
        )
    return contexts


def _pages(session: Session, notices: list[Notice], template_dir: str | None) -> list[Page]:
    pages = []
    for notice, context in zip(notices, letter_contexts(session, notices), strict=True):
        company = context["company"]
        html = render_html(
            notice.template or DEFAULT_TEMPLATE,
            context,
            dirs=template_dirs(template_dir, company.get("template_dir")),
            currency=company.get("currency") or "EUR",
            locale=company.get("locale") or "en_US",
        )
        stem = safe_file_stem(notice.number or f"{notice.customer}-draft")
        pages.append(Page(stem, html, context["title"], company.get("name") or ""))
    return pages


def render_letters(
    session: Session, notices: list[Notice], *, template_dir: str | None = None
) -> list[Rendered]:
    """The notices' letters as PDFs, in order. The HTML is rendered here; the PDFs are
    laid out by the worker processes ``invoice pdf --all`` uses, when there are
    letters and cores enough to gain from them."""
    pages = _pages(session, notices, template_dir)
    pool = _pool(len(pages))
    if pool is None:
        return [page_to_pdf(page) for page in pages]
    with pool:
        return list(pool.map(page_to_pdf, pages, chunksize=4))


def render_letter(
    session: Session, notice: Notice, *, fmt: str = "pdf", template_dir: str | None = None
) -> Rendered:
    """One letter as PDF (``fmt="pdf"``) or HTML."""
    if fmt not in {"pdf", "html"}:
        raise InvalidInput(f"unknown document format {fmt!r} (use pdf or html)")
    [page] = _pages(session, [notice], template_dir)
    if fmt == "html":
        return Rendered(f"{page.stem}.html", page.html.encode("utf-8"), "text/html")
    return page_to_pdf(page)


def letter_message(session: Session, notice: Notice, letter: Rendered) -> EmailMessage:
    """The email of a notice, its letter attached, to the customer's address."""
    customer = session.get(Customer, notice.customer_id)
    assert customer is not None  # customer_id is a NOT NULL foreign key to it
    recipient = _recipient(customer, None)
    profile = _profile(session)
    view = notice_view(session, notice)
    locale = profile.get("locale")
    currency = view["currency"]
    company = (profile.get("name") or "").strip()
    subject = f"{notice.level_name} {notice.number}" + (f" from {company}" if company else "")
    invoices = ", ".join(dict.fromkeys(i["invoice"] for i in [*view["items"], *view["others"]]))
    body = [
        f"Dear {flat(customer.name)},",
        "",
        f"please find attached our {notice.level_name.lower()} {notice.number} of "
        f"{_day(notice.notice_date, locale)}: invoice(s) {invoices} are past due.",
        "",
        f"Overdue:       {_amount(view['overdue'] + view['also_overdue'], currency, locale)}",
    ]
    if view["fee"]:
        body.append(f"Dunning fee:   {_amount(view['fee'], currency, locale)}")
    if view["interest"]:
        body.append(f"Interest:      {_amount(view['interest'], currency, locale)}")
    if view["charge_invoice"]:
        body.append(f"               (charged on invoice {view['charge_invoice']})")
    body.append(f"Amount to pay: {_amount(view['to_pay'], currency, locale)}")
    if profile.get("bank_details"):
        body += ["", "Payment instructions:", str(profile["bank_details"]).strip()]
    body += [f"Please quote {invoices} with your payment.", ""]
    body.append("If your payment and this message have crossed, please disregard it.")
    message = _new_message(
        profile, recipient, subject, "\n".join([*body, "", *_signature(profile)])
    )
    message.add_attachment(
        letter.content, maintype="application", subtype="pdf", filename=letter.filename
    )
    return message


def letters_directory(directory: str | None) -> Path:
    """Where the letters go (default: the current directory), made if its parent exists."""
    if directory is not None and not directory.strip():
        raise InvalidInput("-o needs a directory")
    target = Path(directory) if directory else Path()
    check_path(target)
    if target.exists() and not target.is_dir():
        raise InvalidInput(f"{target} is a file; -o names the directory the letters go to")
    if not target.exists():
        if not target.parent.is_dir():
            raise InvalidInput(
                f"cannot write into {target}: the directory {target.parent} does not exist"
            )
        target.mkdir()
    return target


def run_collections(
    unit_of_work: UnitOfWork,
    *,
    on: date | None = None,
    customer: str | None = None,
    dry_run: bool = False,
    send: bool = False,
    directory: str | None = None,
    template_dir: str | None = None,
) -> dict:
    """``collections run``: the notices due, recorded with their letters (and emails)."""
    if dry_run:
        if directory is not None:
            raise InvalidInput("-o names where letters go; a dry run writes none")
        with unit_of_work(False) as session:
            run = dunning.run_collections(session=session, on=on, customer=customer, dry_run=True)
            view = run_view(session, run)
        return {**view, "directory": None, "letters": [], "emailed": [], "not_emailed": []}
    target = letters_directory(directory)
    outgoing: list[tuple[Notice, EmailMessage]] = []
    not_emailed: list[dict] = []
    with unit_of_work(True) as session:
        settings = smtp_settings(session) if send else None  # refused before anything
        run = dunning.run_collections(session=session, on=on, customer=customer)
        view = run_view(session, run)
        letters = render_letters(session, run.notices, template_dir=template_dir)
        if send:
            customer_id = (
                None if customer is None else get_customer(session=session, code=customer).id
            )
            fresh = {n.notice_id for n in run.notices}
            earlier = dunning_notices.stored(
                session,
                (
                    n
                    for n in dunning_notices.unsent(
                        session=session, on=run.on, customer_id=customer_id
                    )
                    if n.id not in fresh
                ),
            )
            rendered = dict(zip((n.notice_id for n in run.notices), letters, strict=True))
            for notice in [*run.notices, *earlier]:
                letter = rendered.get(notice.notice_id) or render_letter(
                    session, notice, template_dir=template_dir
                )
                try:
                    outgoing.append((notice, letter_message(session, notice, letter)))
                except InvalidInput as exc:
                    not_emailed.append(
                        {
                            "notice": notice.number,
                            "customer": notice.customer,
                            "reason": exc.message,
                        }
                    )
    files = [str(write_rendered(letter, None, directory=target)) for letter in letters]
    emailed = _send(unit_of_work, outgoing, settings, run.on, files)
    return {
        **view,
        "directory": str(target),
        "letters": files,
        "emailed": emailed,
        "not_emailed": not_emailed,
    }


def _send(unit_of_work: UnitOfWork, outgoing, settings, on: date, files: list[str]) -> list[dict]:
    emailed: list[dict] = []
    for notice, message in outgoing:
        try:
            deliver(message, settings)
        except OrderCliError as exc:
            sent = f"{len(emailed)} sent, " if emailed else ""
            raise RuleViolation(
                f"{notice.number} to {notice.customer} was not sent ({sent}"
                f"{len(outgoing) - len(emailed)} not sent; notices and {len(files)} letter(s) "
                f"are recorded): {exc.message}",
                hint=f"send the rest with: ordercli collections run --send --date {on}",
            ) from None
        to = message["To"].addresses[0].addr_spec
        with unit_of_work(True) as session:
            assert notice.notice_id is not None  # a recorded notice
            dunning_notices.record_sent(
                session=session,
                notice_id=notice.notice_id,
                to=to,
                message_id=str(message["Message-ID"]),
            )
        attachment = attachment_of(message)
        emailed.append(
            {
                "notice": notice.number,
                "customer": notice.customer,
                "to": to,
                "attachment": attachment[0] if attachment else None,
            }
        )
    return emailed


def write_letter(
    unit_of_work: UnitOfWork,
    number: str,
    *,
    output: str | None = None,
    html: bool = False,
    template_dir: str | None = None,
) -> dict:
    """A recorded notice's letter written again (``collections letter``)."""
    with unit_of_work(False) as session:
        found = dunning_notices.get_notice(session=session, number=number)
        [notice] = dunning_notices.stored(session, [found])
        rendered = render_letter(
            session, notice, fmt="html" if html else "pdf", template_dir=template_dir
        )
    path = write_rendered(rendered, output)
    return {
        "kind": "dunning-notice",
        "document": notice.number,
        "format": "html" if html else "pdf",
        "file": str(path),
        "bytes": len(rendered.content),
    }
