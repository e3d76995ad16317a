"""The mail service: addresses, messages, delivery over a real SMTP server on loopback."""

from __future__ import annotations

import re
import smtplib
import socket
import threading
from decimal import Decimal
from email import message_from_bytes, policy
from io import BytesIO

import pytest
from smtp_server import PASSWORD, USER, SmtpTestServer, free_port

from ordercli.documents import mail
from ordercli.domain.errors import InvalidInput, NotFound
from ordercli.services.parties import company


@pytest.fixture
def profile(uow):
    """``profile(**changes)``: set company profile fields (as `company set` does)."""

    def change(**changes) -> dict:
        with uow() as session:
            return company.update_company(session, **changes)

    return change


@pytest.fixture
def shop(seeded, profile):
    profile(
        name="Nordwind Büromöbel GmbH",
        address="Hafenstraße 1\n20457 Hamburg",
        bank_details="IBAN DE89 3704 0044 0532 0130 00\nBIC COBADEFFXXX",
        footer="Registered in Hamburg, HRB 12345",
        email_from="billing@nordwind.example",
        smtp_host="127.0.0.1",
        smtp_starttls=False,
    )
    return seeded


@pytest.fixture
def smtp(tmp_path, profile):
    with SmtpTestServer(tmp_path) as server:
        profile(smtp_port=server.port)
        yield server


def send(uow, kind, number, **options) -> dict:
    return mail.send_document(kind, number, unit_of_work=lambda write: uow(write=write), **options)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


# --- addresses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "spec"),
    [
        ("ann@example.com", "", "ann@example.com"),
        ("  ann.o'neil+inv@mail.example.co.uk ", "", "ann.o'neil+inv@mail.example.co.uk"),
        ("Ann Example <ann@example.com>", "Ann Example", "ann@example.com"),
        ('"Müller, Jörg" <jm@example.de>', "Müller, Jörg", "jm@example.de"),
        ("kontakt@bücher.example", "", "kontakt@xn--bcher-kva.example"),
    ],
)
def test_addresses_accepted(text, name, spec):
    address = mail.parse_address(text, what="--to")
    assert (address.display_name, address.addr_spec) == (name, spec)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("ann@example.com\r\nBcc: eve@example.com", "--to contains a line break"),
        ("ann@example.com\nBcc: eve@example.com", "--to contains a line break"),
        ("ann@example.com\x00", "--to contains control characters"),
        ("not-an-address", "is not an email address"),
        ("", "is not an email address"),
        ("ann@", "is not an email address"),
        ("@example.com", "is not an email address"),
        ("a@b@example.com", "is not an email address"),
        ("ann@exa mple.com", "is not an email address (bad domain)"),
        ("ann smith@example.com", "is not an email address"),
        ("ann@example.com, eve@example.com", "is not an email address"),
        ("jörg@example.de", "the part before @ may hold only ASCII"),
        ("ann@-example.com", "bad domain"),
    ],
)
def test_addresses_refused(text, says):
    with pytest.raises(InvalidInput) as info:
        mail.parse_address(text, what="--to")
    assert says in info.value.message


def test_names_from_the_ledger_become_one_header_line():
    assert mail.flat("Acme\r\nBcc: eve@example.com\tLtd ") == "Acme Bcc: eve@example.com Ltd"


# --- settings ----------------------------------------------------------------------------


def test_settings_need_a_sender(seeded, uow):
    with uow(write=False) as session, pytest.raises(InvalidInput) as info:
        mail.smtp_settings(session, dry_run=True)
    assert "ordercli company set --email-from" in info.value.message


def test_settings_need_a_host_to_send_but_not_to_rehearse(seeded, uow, profile):
    profile(email_from="billing@nordwind.example")
    with uow(write=False) as session:
        rehearsal = mail.smtp_settings(session, dry_run=True)
        with pytest.raises(InvalidInput) as info:
            mail.smtp_settings(session)
    assert rehearsal.host is None and rehearsal.port == 587 and rehearsal.starttls
    assert "ordercli company set --smtp-host" in info.value.message


def test_password_comes_from_the_environment_and_never_shows(shop, uow, profile, monkeypatch):
    profile(smtp_user="shop")
    monkeypatch.delenv("ORDERCLI_SMTP_PASSWORD", raising=False)
    with uow(write=False) as session, pytest.raises(InvalidInput) as info:
        mail.smtp_settings(session)
    assert "ORDERCLI_SMTP_PASSWORD" in info.value.message
    monkeypatch.setenv("ORDERCLI_SMTP_PASSWORD", "hunter22")
    with uow(write=False) as session:
        settings = mail.smtp_settings(session)
    assert settings.password == "hunter22" and "hunter22" not in repr(settings)
    assert mail._scrub("535 bad credentials hunter22 aHVudGVyMjI=", "hunter22") == (
        "535 bad credentials *** ***"
    )


# --- messages ----------------------------------------------------------------------------


def test_invoice_message(shop, uow, invoiced):
    _, number = invoiced("ACME", [("DESK-OAK", "4"), ("INSTALL", "2.5")])
    with uow(write=False) as session:
        message = mail.invoice_message(session, number.lower())
    assert message["Subject"] == "Invoice INV-00001 from Nordwind Büromöbel GmbH"
    assert message["From"].addresses[0].display_name == "Nordwind Büromöbel GmbH"
    assert str(message["To"]) == "Acme Office Supplies Ltd <ap@acme-office.example>"
    assert message["Message-ID"].endswith("@nordwind.example>")
    body = message.get_body(("plain",)).get_content()
    for fact in (
        "Dear Acme Office Supplies Ltd,",
        "invoice INV-00001",
        "order SO-00001",
        "Invoice total: €2,521.02",
        "Amount due:    €2,521.02",
        "IBAN DE89 3704 0044 0532 0130 00",
        "Please quote INV-00001",
        "Hafenstraße 1",
        "Registered in Hamburg",
    ):
        assert fact in body
    [pdf] = message.iter_attachments()
    assert (pdf.get_content_type(), pdf.get_filename()) == ("application/pdf", "INV-00001.pdf")
    data = pdf.get_content()
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "INV-00001" in text and "Acme Office Supplies Ltd" in text


def test_invoice_message_locale_and_settled_invoice(shop, uow, invoiced, profile):
    from ordercli.services.settlement import payments

    profile(locale="de_DE")
    _, number = invoiced("ACME", [("DESK-OAK", "1")])
    with uow() as session:
        payments.record_payment(
            session=session,
            customer_code="ACME",
            amount=Decimal("581.91"),
            invoices=[(number, None)],
        )
    with uow(write=False) as session:
        body = mail.invoice_message(session, number).get_body(("plain",)).get_content()
    assert "Invoice total: 581,91\xa0€" in body
    assert "nothing is due" in body and "Amount due" not in body


def test_to_overrides_and_keeps_the_customers_name_for_its_own_address(shop, uow, invoiced):
    _, number = invoiced("TOKYO", [("DESK-OAK", "1")])
    with uow(write=False) as session:
        other = mail.invoice_message(session, number, to="Ann <ann@example.com>")
        same = mail.invoice_message(session, number, to="KEIRI@sakura-office.example")
    assert str(other["To"]) == "Ann <ann@example.com>"
    assert same["To"].addresses[0].display_name == "株式会社さくらオフィス"
    raw = same.as_bytes()
    assert "株式会社".encode() not in raw.split(b"\n\n")[0]  # headers are RFC 2047 encoded
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["To"].addresses[0].display_name == "株式会社さくらオフィス"


def test_customer_without_email(shop, uow, invoiced):
    from ordercli.services.parties import customers

    with uow() as session:
        customers.edit_customer(session=session, code="ACME", changes={"email": None})
    _, number = invoiced("ACME", [("DESK-OAK", "1")])
    with uow(write=False) as session, pytest.raises(InvalidInput) as info:
        mail.invoice_message(session, number)
    assert info.value.message == (
        "customer ACME (Acme Office Supplies Ltd) has no email address; add one with: "
        "ordercli customer edit ACME --email …, or give --to EMAIL"
    )


def test_unknown_documents(shop, uow):
    with uow(write=False) as session:
        with pytest.raises(NotFound):
            mail.invoice_message(session, "INV-09999")
        with pytest.raises(NotFound):
            mail.shipment_message(session, "SH-09999")


def test_shipment_message(shop, uow, make_order):
    from ordercli.services.sales import fulfilment

    order = make_order("MUELLER", [("DESK-OAK", "2"), ("INSTALL", "1.5")])
    with uow() as session:
        fulfilment.create_shipment(
            session=session, order_number=order, carrier="DHL", tracking="00340434"
        )
    with uow(write=False) as session:
        message = mail.shipment_message(session, "SH-00001")
    assert message["Subject"] == "Order SO-00001 shipped (SH-00001) from Nordwind Büromöbel GmbH"
    assert message["To"].addresses[0].display_name == "Müller & Söhne Architekten"
    assert list(message.iter_attachments()) == []
    body = message.get_content()
    assert "Carrier:         DHL" in body and "Tracking number: 00340434" in body
    # the installation is delivered by invoicing it: it never ships
    assert "DESK-OAK" in body and "INSTALL" not in body
    assert re.search(r"^  DESK-OAK +Oak desk.* 2 pc$", body, re.M), body


# --- delivery ----------------------------------------------------------------------------


def test_sent_over_smtp_and_recorded(shop, uow, invoiced, smtp, events_of):
    order, number = invoiced("ACME", [("DESK-OAK", "1")])
    result = send(uow, "invoice", number)
    assert result["sent"] is True and result["eml"] is None
    [received] = smtp.received
    assert received.mail_from == "billing@nordwind.example"
    assert received.rcpt_tos == ["ap@acme-office.example"]
    assert received.message["Message-ID"] == result["message_id"]
    [(action, message)] = [e for e in events_of(number) if e[0] == "sent"]
    assert message == f"emailed to ap@acme-office.example (Message-ID {result['message_id']})"


def test_dry_run_writes_eml_and_records_nothing(shop, uow, invoiced, tmp_path, unchanged):
    _, number = invoiced("ACME", [("DESK-OAK", "1")])
    target = tmp_path / "out.eml"
    with unchanged():
        result = send(uow, "invoice", number, dry_run=True, output=target)
    assert result["sent"] is False and result["eml"] == str(target)
    data = target.read_bytes()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    parsed = message_from_bytes(data, policy=policy.default)
    assert parsed["Message-ID"] == result["message_id"]
    [pdf] = parsed.iter_attachments()
    assert pdf.get_content().startswith(b"%PDF")
    assert not list(tmp_path.glob(".out.eml.*"))  # no temporary file left behind


def test_dry_run_into_a_missing_directory_is_refused_before_rendering(
    shop, uow, invoiced, tmp_path
):
    _, number = invoiced("ACME", [("DESK-OAK", "1")])
    with pytest.raises(InvalidInput) as info:
        send(uow, "invoice", number, dry_run=True, output=tmp_path / "no" / "x.eml")
    assert "does not exist" in info.value.message


def test_output_without_dry_run_is_refused(shop, uow, invoiced, tmp_path, smtp):
    _, number = invoiced("ACME", [("DESK-OAK", "1")])
    with pytest.raises(InvalidInput, match="add --dry-run"):
        send(uow, "invoice", number, output=tmp_path / "x.eml")
    assert smtp.received == []


def test_starttls_and_login(shop, uow, invoiced, tmp_path, profile, monkeypatch):
    _, number = invoiced("ACME", [("DESK-OAK", "1")])
    with SmtpTestServer(tmp_path, tls=True, auth=True) as server:
        profile(smtp_port=server.port, smtp_starttls=True, smtp_user=USER)
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
        monkeypatch.setenv("ORDERCLI_SMTP_PASSWORD", PASSWORD)
        send(uow, "invoice", number)
    [received] = server.received
    assert (received.tls, received.login) == (True, USER)


def test_failures_name_the_server_and_the_reason(shop, uow, invoiced, tmp_path, profile):
    _, number = invoiced("ACME", [("DESK-OAK", "1")])
    with uow(write=False) as session:
        message = mail.invoice_message(session, number)

    def settings(port, **changes):
        values = dict(
            email_from="billing@nordwind.example",
            host="127.0.0.1",
            port=port,
            user=None,
            starttls=False,
        )
        return mail.SmtpSettings(**(values | changes))

    closed = free_port()
    with pytest.raises(mail.MailNotSent) as info:
        mail.deliver(message, settings(closed))
    assert info.value.message.startswith(f"cannot send through 127.0.0.1:{closed}: connection")

    with SmtpTestServer(tmp_path) as server:
        server.refuse.add("ap@acme-office.example")
        with pytest.raises(mail.MailNotSent) as info:
            mail.deliver(message, settings(server.port))
        assert "refused the recipient ap@acme-office.example (550" in info.value.message
        with pytest.raises(mail.MailNotSent) as info:
            mail.deliver(message, settings(server.port, starttls=True))
        assert "does not offer STARTTLS" in info.value.message
        with pytest.raises(mail.MailNotSent) as info:
            mail.deliver(message, settings(server.port, user="shop", password="pw-123"))
        assert "offers no login (AUTH)" in info.value.message
    assert server.received == []


def test_a_server_that_hangs_up(shop, uow, invoiced):
    _, number = invoiced("ACME", [("DESK-OAK", "1")])
    with uow(write=False) as session:
        message = mail.invoice_message(session, number)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def hang_up():
        connection, _ = listener.accept()
        connection.close()

    worker = threading.Thread(target=hang_up)
    worker.start()
    try:
        settings = mail.SmtpSettings("billing@nordwind.example", "127.0.0.1", port, None, False)
        with pytest.raises(mail.MailNotSent) as info:
            mail.deliver(message, settings)
    finally:
        worker.join(5)
        listener.close()
    assert info.value.message == (
        f"cannot send through 127.0.0.1:{port}: the server closed the connection while connecting"
    )


def test_port_465_speaks_tls_from_the_start(monkeypatch):
    """Implicit TLS (SMTPS) is chosen by its port; STARTTLS is not tried on it."""
    opened = []

    class Refusing:
        def __init__(self, host, port, **options):
            opened.append((type(self).__name__, host, port, sorted(options)))
            raise ConnectionRefusedError

    monkeypatch.setattr(smtplib, "SMTP_SSL", type("SMTP_SSL", (Refusing,), {}))
    monkeypatch.setattr(smtplib, "SMTP", type("SMTP", (Refusing,), {}))
    message = mail.EmailMessage()
    settings = mail.SmtpSettings("a@example.com", "smtp.example.com", 465, None, True)
    with pytest.raises(mail.MailNotSent, match="smtp.example.com:465: connection refused"):
        mail.deliver(message, settings)
    assert opened == [("SMTP_SSL", "smtp.example.com", 465, ["context", "timeout"])]


def test_a_server_that_never_answers(shop, uow, invoiced, monkeypatch):
    _, number = invoiced("ACME", [("DESK-OAK", "1")])
    with uow(write=False) as session:
        message = mail.invoice_message(session, number)
    monkeypatch.setattr(mail, "TIMEOUT_SECONDS", 0.3)
    # The kernel completes the connection (backlog); nobody ever sends a greeting.
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        settings = mail.SmtpSettings("billing@nordwind.example", "127.0.0.1", port, None, False)
        with pytest.raises(mail.MailNotSent) as info:
            mail.deliver(message, settings)
    assert info.value.message == (
        f"cannot send through 127.0.0.1:{port}: no answer within 0.3 seconds while connecting"
    )


def test_an_ipv6_server_is_named_with_brackets():
    settings = mail.SmtpSettings("a@example.com", "::1", 587, None, True)
    assert settings.server == "[::1]:587"


def test_a_password_smtp_cannot_carry(shop, uow, invoiced, tmp_path, monkeypatch):
    _, number = invoiced("ACME", [("DESK-OAK", "1")])
    with uow(write=False) as session:
        message = mail.invoice_message(session, number)
    with SmtpTestServer(tmp_path, tls=True, auth=True) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
        settings = mail.SmtpSettings(
            "billing@nordwind.example", "127.0.0.1", server.port, USER, True, "pässwört"
        )
        with pytest.raises(mail.MailNotSent) as info:
            mail.deliver(message, settings)
    assert "characters other than ASCII" in info.value.message
    assert "pässwört" not in info.value.message and server.received == []
