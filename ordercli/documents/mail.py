"""Documents sent by email: an invoice with its PDF, a shipment notice.

Sending happens in three steps, and only the last one writes to the ledger:

1. In a read-only unit of work the message is built whole (recipient checked,
   PDF rendered), so nothing is half-known when the network is involved.
2. The message goes out over SMTP (or, with ``--dry-run``, into an ``.eml``
   file) with no transaction open: a slow mail server never holds the ledger's
   write lock.
3. Only after the server accepted it, a fresh unit of work records the event
   (SPEC rule 4), with the order's id so ``order timeline`` shows it. A dry run
   records nothing.

SMTP is configured in the company profile (``ordercli company set --email-from
… --smtp-host … --smtp-port … --smtp-user … --smtp-starttls``); the password
comes from ``ORDERCLI_SMTP_PASSWORD`` only and is never stored, written to an
``.eml`` file or repeated in a message. Every failure of the mail server, the
network or TLS becomes one ``error:`` line naming the server and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

from sqlmodel import Session

from ordercli.books.clock import now
from ordercli.books.events import record_event
from ordercli.documents import render_document
from ordercli.domain.errors import InvalidInput, OrderCliError, RuleViolation
from ordercli.domain.money import qty_from_db, qty_str
from ordercli.domain.units import unit_symbol
from ordercli.io.files import atomic_file, check_target
from ordercli.models import Customer, Invoice, SalesOrder, Shipment
from ordercli.services.parties.company import PASSWORD_VARIABLE, company_profile, smtp_password
from ordercli.services.sales import fulfilment, invoicing
from ordercli.views.sales import invoice_view

# smtplib, ssl and Babel are imported inside the functions that send or format: only
# commands that write an email load them.

TIMEOUT_SECONDS = 30
IMPLICIT_TLS_PORT = 465
LINE_BREAK = re.compile(r"[\r\n]")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)
NAMED = re.compile(r"(?P<name>.*?)\s*<(?P<address>[^<>]*)>")


class MailNotSent(OrderCliError):
    """The mail server, the network or TLS refused the message; nothing was recorded."""


@dataclass(frozen=True)
class SmtpSettings:
    email_from: str
    host: str | None
    port: int
    user: str | None
    starttls: bool
    password: str | None = field(default=None, repr=False)

    @property
    def server(self) -> str:
        host = f"[{self.host}]" if self.host and ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class Delivery:
    sent: bool
    eml: Path | None


# --- configuration -------------------------------------------------------------------


def _profile(session: Session) -> dict:
    """The company profile: the name, footer, bank details and SMTP settings."""
    return company_profile(session)


def smtp_settings(session: Session, *, dry_run: bool = False) -> SmtpSettings:
    """The SMTP settings of the company profile, with the password from the environment.

    A sender (``email_from``) is always needed; a server (``smtp_host``) and,
    when a user is set, ``ORDERCLI_SMTP_PASSWORD`` only to really send."""
    profile = _profile(session)
    email_from = (profile.get("email_from") or "").strip()
    if not email_from:
        raise InvalidInput(
            "emails need a sender address; set one with: "
            "ordercli company set --email-from billing@your-company.example"
        )
    _sender(profile)  # refuses a malformed one now, before anything is rendered
    host = (profile.get("smtp_host") or "").strip() or None
    starttls = bool(profile.get("smtp_starttls", True))
    port = profile.get("smtp_port") or (587 if starttls else 25)
    user = (profile.get("smtp_user") or "").strip() or None
    password = smtp_password()
    settings = SmtpSettings(email_from, host, int(port), user, starttls, password)
    if not dry_run:
        _check_sendable(settings)
    return settings


def _check_sendable(settings: SmtpSettings) -> None:
    if not settings.host:
        raise InvalidInput(
            "no mail server is set; set one with: ordercli company set --smtp-host "
            "smtp.example.com (or use --dry-run to write the message to an .eml file)"
        )
    if settings.user and not settings.password:
        raise InvalidInput(
            f"the mail server login {settings.user!r} needs a password: set the environment "
            f"variable {PASSWORD_VARIABLE} (ordercli never stores it)"
        )


# --- addresses and headers -------------------------------------------------------------


def one_line(value: str, *, what: str, hint: str | None = None) -> str:
    """A header value: one line, no control characters (no header injection)."""
    if LINE_BREAK.search(value):
        raise InvalidInput(f"{what} contains a line break, which an email header cannot", hint)
    if CONTROL.search(value):
        raise InvalidInput(f"{what} contains control characters", hint)
    return value.strip()


def parse_address(text: str, *, what: str, hint: str | None = None) -> Address:
    """``ann@example.com`` or ``Ann Example <ann@example.com>`` as an Address, or a clear error."""
    text = one_line(text or "", what=what, hint=hint)
    name = ""
    spec = text
    named = NAMED.fullmatch(text)
    if named:
        name = named["name"].strip().strip('"').strip()
        spec = named["address"].strip()
    local, at, domain = spec.rpartition("@")
    if not at or not local or not domain:
        raise InvalidInput(f"{what} {text!r} is not an email address", hint)
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidInput(f"{what} {text!r} has a domain that is not valid", hint) from None
    if not LOCAL_PART.fullmatch(local):
        raise InvalidInput(
            f"{what} {text!r} is not an email address (the part before @ may hold only "
            "ASCII letters, digits and .!#$%&'*+/=?^_`{|}~-)",
            hint,
        )
    if len(domain) > 253 or not DOMAIN.fullmatch(domain):
        raise InvalidInput(f"{what} {text!r} is not an email address (bad domain)", hint)
    return Address(display_name=name, username=local, domain=domain)


def flat(text: str | None) -> str:
    """A name from the ledger as one header-safe line: line breaks and controls become spaces."""
    return " ".join(CONTROL.sub(" ", text or "").split())


def _sender(profile: dict) -> Address:
    address = parse_address(
        profile.get("email_from") or "",
        what="the sender address (company email_from)",
        hint="fix it with: ordercli company set --email-from billing@your-company.example",
    )
    name = address.display_name or flat(profile.get("name"))
    return Address(display_name=name, username=address.username, domain=address.domain)


def _recipient(customer, to: str | None) -> Address:
    """``--to`` when given, else the customer's address; the customer's name goes with it."""
    name = flat(customer.name)
    if to is not None:
        address = parse_address(to, what="--to")
        if not address.display_name and address.addr_spec.lower() == (customer.email or "").lower():
            return Address(name, address.username, address.domain)
        return address
    fix = f"ordercli customer edit {customer.code} --email …, or give --to EMAIL"
    if not (customer.email or "").strip():
        raise InvalidInput(
            f"customer {customer.code} ({name}) has no email address; add one with: {fix}"
        )
    address = parse_address(
        customer.email, what=f"customer {customer.code}'s email", hint=f"fix it with: {fix}"
    )
    return Address(name, address.username, address.domain)


def _new_message(profile: dict, recipient: Address, subject: str, body: str) -> EmailMessage:
    from email.utils import format_datetime, make_msgid

    sender = _sender(profile)
    message = EmailMessage()  # email.policy.default: RFC 2047 for names, folded lines
    message["Subject"] = flat(subject)
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(now())
    message["Message-ID"] = make_msgid(domain=sender.domain)
    message.set_content(body, cte="quoted-printable")  # 7-bit safe, readable in a .eml
    return message


# --- the messages --------------------------------------------------------------------


def _amount(value, currency: str, locale: str | None) -> str:
    from babel.numbers import format_currency

    return format_currency(value, currency, locale=_locale(locale))


def _day(value, locale: str | None) -> str:
    from babel.dates import format_date

    return format_date(value, format="long", locale=_locale(locale))


def _locale(code: str | None) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(code or "en_US")
    except (UnknownLocaleError, ValueError, TypeError):
        return "en_US"
    return code or "en_US"


def _signature(profile: dict) -> list[str]:
    lines = ["Kind regards,"]
    for key in ("name", "address"):
        if profile.get(key):
            lines.append(str(profile[key]).strip())
    if profile.get("footer"):
        lines += ["", "--", str(profile["footer"]).strip()]
    return lines


def invoice_message(session: Session, number: str, to: str | None = None) -> EmailMessage:
    """The email of an invoice, its PDF attached: to ``to`` or the customer's address."""
    invoice = invoicing.get_invoice(session=session, number=number)
    customer = session.get(Customer, invoice.customer_id)
    assert customer is not None  # customer_id is a NOT NULL foreign key to it
    recipient = _recipient(customer, to)
    profile = _profile(session)
    view = invoice_view(session, invoice, with_lines=False)
    company = (profile.get("name") or "").strip()
    subject = f"Invoice {invoice.number}" + (f" from {company}" if company else "")
    locale = profile.get("locale")
    body = [
        f"Dear {flat(customer.name)},",
        "",
        f"please find attached invoice {invoice.number} of {_day(invoice.issue_date, locale)} "
        f"for order {view['order']}.",
        "",
        f"Invoice total: {_amount(view['total'], view['currency'], locale)}",
    ]
    if view["balance"] > 0:
        body += [
            f"Amount due:    {_amount(view['balance'], view['currency'], locale)}",
            f"Due date:      {_day(invoice.due_date, locale)}",
        ]
        if profile.get("bank_details"):
            body += ["", "Payment instructions:", str(profile["bank_details"]).strip()]
        body += [f"Please quote {invoice.number} with your payment."]
    else:
        body += ["This invoice is settled in full; nothing is due."]
    message = _new_message(
        profile, recipient, subject, "\n".join([*body, "", *_signature(profile)])
    )
    pdf = render_document(session, "invoice", invoice.number, fmt="pdf")
    message.add_attachment(
        pdf.content, maintype="application", subtype="pdf", filename=pdf.filename
    )
    return message


def shipment_message(session: Session, number: str, to: str | None = None) -> EmailMessage:
    """The notice of a shipment: carrier, tracking number and the lines shipped."""
    shipment = fulfilment.get_shipment(session=session, number=number)
    customer = session.get(Customer, shipment.customer_id)
    assert customer is not None  # customer_id is a NOT NULL foreign key to it
    recipient = _recipient(customer, to)
    profile = _profile(session)
    order = session.get(SalesOrder, shipment.order_id)
    assert order is not None  # order_id is a NOT NULL foreign key to it
    company = (profile.get("name") or "").strip()
    subject = f"Order {order.number} shipped ({shipment.number})" + (
        f" from {company}" if company else ""
    )
    lines = fulfilment.shipment_lines(session=session, shipment=shipment)
    rows = [("SKU", "Description", "Qty", "")] + [
        (ln.sku, ln.description, qty_str(qty_from_db(ln.qty)), unit_symbol(ln.unit)) for ln in lines
    ]
    sku_width = max(len(r[0]) for r in rows)
    desc_width = max(len(r[1]) for r in rows)
    body = [
        f"Dear {flat(customer.name)},",
        "",
        f"your order {order.number} is on its way: shipment {shipment.number} "
        f"left us on {_day(shipment.ship_date, profile.get('locale'))}.",
        "",
        f"Carrier:         {shipment.carrier or 'not given'}",
        f"Tracking number: {shipment.tracking or 'not given'}",
        "",
        "What we shipped:",
        *(f"  {r[0]:<{sku_width}}  {r[1]:<{desc_width}}  {r[2]:>5} {r[3]}".rstrip() for r in rows),
        "",
        *_signature(profile),
    ]
    return _new_message(profile, recipient, subject, "\n".join(body))


# --- sending -------------------------------------------------------------------------


def attachment_of(message: EmailMessage) -> tuple[str | None, int] | None:
    """The first attachment's file name and size in bytes, if there is one."""
    for part in message.iter_attachments():
        return part.get_filename(), len(part.get_content())
    return None


def deliver(
    message: EmailMessage, settings: SmtpSettings, *, dry_run_path: Path | None = None
) -> Delivery:
    """Send the message over SMTP, or with ``dry_run_path`` write it there as ``.eml``."""
    if dry_run_path is not None:
        path = check_target(Path(dry_run_path))
        data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        with atomic_file(path) as handle:
            handle.write(data)
        return Delivery(sent=False, eml=path)
    _check_sendable(settings)
    assert settings.host is not None  # _check_sendable refuses settings without one
    import smtplib
    import ssl

    step = "connecting"
    client: smtplib.SMTP | None = None
    try:
        context = ssl.create_default_context()
        if settings.port == IMPLICIT_TLS_PORT:
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=TIMEOUT_SECONDS, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
            if settings.starttls:
                step = "starting TLS"
                client.ehlo()
                if not client.has_extn("starttls"):
                    raise MailNotSent(
                        f"cannot send through {settings.server}: the server does not offer "
                        "STARTTLS, and the company profile asks for it",
                        hint="use the server's TLS port, or, only on a network you trust: "
                        "ordercli company set --no-smtp-starttls",
                    )
                client.starttls(context=context)
                client.ehlo()
        if settings.user:
            step = "logging in"
            client.login(settings.user, settings.password or "")
        step = "sending"
        sender = message["From"].addresses[0].addr_spec
        recipients = [a.addr_spec for a in message["To"].addresses]
        client.send_message(message, from_addr=sender, to_addrs=recipients)
        # The server has accepted the message; a failed goodbye changes nothing.
        with suppress(Exception):
            client.quit()
        client = None
    except MailNotSent:
        raise
    except (OSError, UnicodeError) as exc:  # smtplib, socket and ssl errors are all OSErrors
        raise MailNotSent(
            f"cannot send through {settings.server}: {_reason(exc, step, settings)}",
            hint=_hint(exc),
        ) from None
    finally:
        if client is not None:  # after a failure: no QUIT, which could wait out another timeout
            client.close()
    return Delivery(sent=True, eml=None)


def _reason(exc: BaseException, step: str, settings: SmtpSettings) -> str:
    import smtplib
    import socket
    import ssl

    def answer(code, text) -> str:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return " ".join(f"{code} {text}".split())

    if isinstance(exc, smtplib.SMTPAuthenticationError):
        said = answer(exc.smtp_code, exc.smtp_error)
        reason = f"the server refused the login of {settings.user!r} ({said})"
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(f"{who} ({answer(*why)})" for who, why in exc.recipients.items())
        reason = f"the server refused the recipient {refused}"
    elif isinstance(exc, smtplib.SMTPSenderRefused):
        reason = (
            f"the server refused the sender {exc.sender} ({answer(exc.smtp_code, exc.smtp_error)})"
        )
    elif isinstance(exc, smtplib.SMTPNotSupportedError) and step == "logging in":
        reason = "the server offers no login (AUTH); unset the SMTP user or use another server"
    elif isinstance(exc, smtplib.SMTPServerDisconnected) and "timed out" in str(exc):
        reason = f"no answer within {TIMEOUT_SECONDS} seconds while {step}"  # smtplib's wording
    elif isinstance(exc, smtplib.SMTPServerDisconnected):
        reason = f"the server closed the connection while {step}"
    elif isinstance(exc, smtplib.SMTPResponseException):
        reason = f"the server answered {answer(exc.smtp_code, exc.smtp_error)} while {step}"
    elif isinstance(exc, ssl.SSLCertVerificationError):
        reason = f"TLS failure: the server's certificate is not trusted ({exc.verify_message})"
    elif isinstance(exc, ssl.SSLError):
        reason = f"TLS failure: {exc.reason or exc}"
    elif isinstance(exc, ConnectionRefusedError):
        reason = "connection refused (are the host and port right, and is the server running?)"
    elif isinstance(exc, socket.gaierror):
        reason = f"the host {settings.host!r} is not known"
    elif isinstance(exc, TimeoutError):
        reason = f"no answer within {TIMEOUT_SECONDS} seconds while {step}"
    elif isinstance(exc, UnicodeError) and step == "logging in":
        reason = (
            "the login or password holds characters other than ASCII, which SMTP login cannot send"
        )
    else:
        reason = f"{getattr(exc, 'strerror', None) or exc} while {step}"
    return _scrub(reason, settings.password)


def _scrub(text: str, password: str | None) -> str:
    """Never show the password, even if a server echoes it back."""
    if password and len(password) >= 3:
        import base64

        for secret in (password, base64.b64encode(password.encode()).decode()):
            text = text.replace(secret, "***")
    return text


def _hint(exc: BaseException) -> str | None:
    import smtplib
    import ssl

    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"check {PASSWORD_VARIABLE} and the login: ordercli company set --smtp-user …"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "check the address, or give another with --to"
    if isinstance(exc, ssl.SSLError):
        return (
            "check the host name and port; for a server with its own certificate authority, "
            "point SSL_CERT_FILE at that authority's certificate"
        )
    if isinstance(exc, ConnectionRefusedError | TimeoutError):
        return "check: ordercli company show (smtp host and port)"
    return None


# --- the whole send ------------------------------------------------------------------


def record_delivery(*, session: Session, kind: str, number: str, message: EmailMessage) -> None:
    """Log a sent message against its document and order (SPEC rule 4)."""
    document: Invoice | Shipment
    if kind == "invoice":
        document = invoicing.get_invoice(session=session, number=number)
        action = "sent"
    else:
        document = fulfilment.get_shipment(session=session, number=number)
        action = "notified"
    to = ", ".join(a.addr_spec for a in message["To"].addresses)
    record_event(
        session=session,
        subject_kind=kind,
        subject_number=document.number,
        action=action,
        message=f"emailed to {to} (Message-ID {message['Message-ID']})",
        order_id=document.order_id,
    )


def send_document(
    kind: str,
    number: str,
    *,
    unit_of_work: Callable[[bool], AbstractContextManager[Session]],
    to: str | None = None,
    dry_run: bool = False,
    output: str | Path | None = None,
) -> dict:
    """Build, send (or write to ``.eml``) and record one document's email.

    ``unit_of_work(write)`` opens the ledger; it is used once to read (everything
    the message needs) and, after a real send, once to record the event. A dry
    run writes ``output`` (default ``NUMBER.eml`` in the current directory) and
    records nothing."""

    if output is not None and not dry_run:
        raise InvalidInput("-o names the .eml file of a dry run; add --dry-run")
    if kind not in ("invoice", "shipment"):
        raise RuleViolation(f"cannot email a {kind}")
    with unit_of_work(False) as session:
        if kind == "invoice":
            number = invoicing.get_invoice(session=session, number=number).number
        else:
            number = fulfilment.get_shipment(session=session, number=number).number
        settings = smtp_settings(session, dry_run=dry_run)
        target = None
        if dry_run:
            if output is not None and not str(output).strip():
                raise InvalidInput("-o needs a file name")
            target = check_target(Path(output) if output is not None else Path(f"{number}.eml"))
        build = invoice_message if kind == "invoice" else shipment_message
        message = build(session, number, to)
    delivery = deliver(message, settings, dry_run_path=target)
    if delivery.sent:
        with unit_of_work(True) as session:
            record_delivery(session=session, kind=kind, number=number, message=message)
    attachment = attachment_of(message)
    return {
        "document": number,
        "to": message["To"].addresses[0].addr_spec,
        "from": message["From"].addresses[0].addr_spec,
        "subject": str(message["Subject"]),
        "message_id": str(message["Message-ID"]),
        "sent": delivery.sent,
        "eml": str(delivery.eml) if delivery.eml is not None else None,
        "attachment": attachment[0] if attachment else None,
        "attachment_size": attachment[1] if attachment else None,
    }
