"""`ordercli invoice send` and `ordercli shipment notify` end to end, received by a real
SMTP server on loopback (aiosmtpd), with STARTTLS and login where the test asks for them."""

from __future__ import annotations

import json
import re
from email import message_from_bytes, policy
from io import BytesIO

import pytest
from smtp_server import PASSWORD, USER, SmtpTestServer, free_port

COMPANY = "Nordwind Büromöbel GmbH"
JAN1 = {"ORDERCLI_TODAY": "2027-01-01"}


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch, tmp_path):
    """No password or extra CA from the developer's shell; .eml files land in tmp_path."""
    monkeypatch.delenv("ORDERCLI_SMTP_PASSWORD", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def billed(confirmed):
    """SO-00001 for ACME (ap@acme-office.example) invoiced as INV-00001 and shipped as
    SH-00001 by DHL; the company has a name, bank details and a sender address."""
    confirmed.ok("invoice", "create", "SO-00001", env=JAN1)
    confirmed.ok("ship", "SO-00001", "--carrier", "DHL", "--tracking", "00340434", env=JAN1)
    confirmed.ok(
        "company",
        "set",
        "--name",
        COMPANY,
        "--bank-details",
        "IBAN DE89 3704 0044 0532 0130 00\\nBIC COBADEFFXXX",
        "--email-from",
        "billing@nordwind.example",
    )
    return confirmed


@pytest.fixture
def smtp(tmp_path, billed):
    """A plain SMTP server the company profile points at."""
    with SmtpTestServer(tmp_path) as server:
        billed.ok("company", "set", "--smtp-host", "127.0.0.1", "--smtp-port", str(server.port))
        billed.ok("company", "set", "--no-smtp-starttls")
        yield server


@pytest.fixture
def secure_smtp(tmp_path, billed):
    """A server that requires STARTTLS (a test CA) and a login as USER / PASSWORD."""
    with SmtpTestServer(tmp_path, tls=True, auth=True) as server:
        billed.ok(
            "company",
            "set",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            str(server.port),
            "--smtp-starttls",
            "--smtp-user",
            USER,
        )
        yield server


def trusted(server, **more) -> dict:
    return {"SSL_CERT_FILE": str(server.ca_file), **more}


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def rendered_invoice(engine, number: str):
    from ordercli.db.engine import unit_of_work
    from ordercli.documents import render_document

    with unit_of_work(engine, write=False) as session:
        return render_document(session, "invoice", number, fmt="pdf")


def timeline(cli, order: str = "SO-00001") -> list[dict]:
    return cli.ok("order", "timeline", order)


def error_of(result) -> str:
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert result.stderr.startswith("error: "), result.stderr
    return result.stderr


# --- invoice send ------------------------------------------------------------------------


def test_invoice_arrives_with_its_pdf(billed, smtp, engine):
    doc = billed.ok("invoice", "send", "inv-00001")
    assert doc == {
        "document": "INV-00001",
        "to": "ap@acme-office.example",
        "from": "billing@nordwind.example",
        "subject": f"Invoice INV-00001 from {COMPANY}",
        "message_id": doc["message_id"],
        "sent": True,
        "eml": None,
        "attachment": "INV-00001.pdf",
        "attachment_size": doc["attachment_size"],
    }
    [received] = smtp.received
    assert (received.mail_from, received.rcpt_tos) == (
        "billing@nordwind.example",
        ["ap@acme-office.example"],
    )
    message = received.message
    assert message["Subject"] == f"Invoice INV-00001 from {COMPANY}"
    assert str(message["From"]) == f"{COMPANY} <billing@nordwind.example>"
    assert str(message["To"]) == "Acme Office Supplies Ltd <ap@acme-office.example>"
    assert message["Message-ID"] == doc["message_id"]
    body = message.get_body(("plain",)).get_content()
    for fact in ("INV-00001", "€2,521.02", "January 31, 2027", "IBAN DE89 3704 0044 0532"):
        assert fact in body, fact
    [attachment] = message.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "INV-00001.pdf"
    data = attachment.get_content()
    assert data.startswith(b"%PDF") and len(data) == doc["attachment_size"]
    text = pdf_text(data)
    assert "INV-00001" in text and "Acme Office Supplies Ltd" in text and "2,521.02" in text
    assert data == rendered_invoice(engine, "INV-00001").content  # what `invoice pdf` writes


def test_human_line_and_the_timeline(billed, smtp, human):
    out = human("invoice", "send", "INV-00001")
    assert re.fullmatch(
        r"sent INV-00001 to ap@acme-office.example \(INV-00001.pdf, \d+ KB\)\n", out
    ), out
    [received] = smtp.received
    message_id = received.message["Message-ID"]
    [event] = [row for row in timeline(billed) if row["action"] == "sent"]
    assert (event["kind"], event["subject"], event["document"]) == (
        "invoice",
        "INV-00001",
        "invoice INV-00001",
    )
    assert event["message"] == f"emailed to ap@acme-office.example (Message-ID {message_id})"
    assert "emailed to ap@acme-office.example" in human("order", "timeline", "SO-00001")


def test_to_sends_elsewhere(billed, smtp):
    doc = billed.ok("invoice", "send", "INV-00001", "--to", "Ann Example <ann@example.com>")
    assert doc["to"] == "ann@example.com"
    [received] = smtp.received
    assert received.rcpt_tos == ["ann@example.com"]
    assert str(received.message["To"]) == "Ann Example <ann@example.com>"


def test_unicode_names_round_trip(shop, tmp_path):
    shop.ok("order", "new", "TOKYO")
    shop.ok("order", "add-line", "SO-00001", "DESK-OAK", "1")
    shop.ok("order", "confirm", "SO-00001")
    shop.ok("invoice", "create", "SO-00001")
    shop.ok("company", "set", "--name", "Müller & Söhne <Möbel>", "--email-from", "a@m.example")
    with SmtpTestServer(tmp_path) as server:
        shop.ok("company", "set", "--smtp-host", "127.0.0.1", "--smtp-port", str(server.port))
        shop.ok("company", "set", "--no-smtp-starttls")
        shop.ok("invoice", "send", "INV-00001")
    [received] = server.received
    headers = received.data.split(b"\r\n\r\n")[0]
    assert headers.isascii()  # RFC 2047 words, not raw UTF-8
    message = received.message
    assert message["To"].addresses[0].display_name == "株式会社さくらオフィス"
    assert message["To"].addresses[0].addr_spec == "keiri@sakura-office.example"
    assert message["From"].addresses[0].display_name == "Müller & Söhne <Möbel>"
    assert message["Subject"] == "Invoice INV-00001 from Müller & Söhne <Möbel>"
    assert "Dear 株式会社さくらオフィス," in message.get_body(("plain",)).get_content()


# --- STARTTLS, login, and what goes wrong -------------------------------------------------


def test_starttls_and_login(billed, secure_smtp):
    result = billed.run(
        "invoice", "send", "INV-00001", env=trusted(secure_smtp, ORDERCLI_SMTP_PASSWORD=PASSWORD)
    )
    assert result.exit_code == 0, result.stderr
    [received] = secure_smtp.received
    assert (received.tls, received.login) == (True, USER)
    assert PASSWORD.encode() not in received.data


def test_wrong_password_is_refused_and_nothing_recorded(billed, secure_smtp, unchanged):
    with unchanged():
        result = billed.run(
            "invoice",
            "send",
            "INV-00001",
            env=trusted(secure_smtp, ORDERCLI_SMTP_PASSWORD="not-the-password"),
        )
    stderr = error_of(result)
    assert stderr.splitlines()[0] == (
        f"error: cannot send through 127.0.0.1:{secure_smtp.port}: the server refused the "
        f"login of '{USER}' (535 5.7.8 Authentication credentials invalid)"
    )
    assert "hint: check ORDERCLI_SMTP_PASSWORD" in stderr
    assert "not-the-password" not in result.stderr + result.stdout
    assert secure_smtp.received == []
    assert secure_smtp.logins and all(not accepted for _, accepted in secure_smtp.logins)


def test_missing_password_names_the_variable(billed, secure_smtp, unchanged):
    with unchanged():
        line = billed.fails("invoice", "send", "INV-00001", env=trusted(secure_smtp))
    assert line == (
        f"error: the mail server login '{USER}' needs a password: set the environment "
        "variable ORDERCLI_SMTP_PASSWORD (ordercli never stores it)"
    )
    assert secure_smtp.logins == []


def test_untrusted_certificate_is_a_tls_failure(billed, secure_smtp, unchanged):
    with unchanged():
        line = billed.fails(
            "invoice", "send", "INV-00001", env={"ORDERCLI_SMTP_PASSWORD": PASSWORD}
        )
    assert line.startswith(f"error: cannot send through 127.0.0.1:{secure_smtp.port}: TLS failure")
    assert "certificate" in line
    assert secure_smtp.received == [] and secure_smtp.logins == []


def test_connection_refused(billed, unchanged):
    port = free_port()  # nobody listens there
    billed.ok("company", "set", "--smtp-host", "127.0.0.1", "--smtp-port", str(port))
    with unchanged():
        line = billed.fails("invoice", "send", "INV-00001")
    assert line == (
        f"error: cannot send through 127.0.0.1:{port}: connection refused "
        "(are the host and port right, and is the server running?)"
    )


def test_recipient_refused(billed, smtp, unchanged):
    smtp.refuse.add("ap@acme-office.example")
    with unchanged():
        line = billed.fails("invoice", "send", "INV-00001")
    assert "the server refused the recipient ap@acme-office.example (550" in line
    assert f"127.0.0.1:{smtp.port}" in line


def test_missing_sender_and_server(confirmed, unchanged):
    confirmed.ok("invoice", "create", "SO-00001")
    with unchanged():
        line = confirmed.fails("invoice", "send", "INV-00001")
    assert "ordercli company set --email-from" in line
    confirmed.ok("company", "set", "--email-from", "billing@nordwind.example")
    with unchanged():
        line = confirmed.fails("invoice", "send", "INV-00001")
    assert line.startswith("error: no mail server is set")
    assert "ordercli company set --smtp-host" in line and "--dry-run" in line


def test_customer_without_email(billed, smtp, unchanged):
    billed.ok("customer", "add", "Quiet Corner Ltd", "--code", "QUIET")
    billed.ok("order", "new", "QUIET")
    billed.ok("order", "add-line", "SO-00002", "INSTALL", "1")
    billed.ok("order", "confirm", "SO-00002")
    # On the day INV-00001 was issued: a later invoice is never dated before it (rule 4a).
    billed.ok("invoice", "create", "SO-00002", env=JAN1)
    with unchanged():
        line = billed.fails("invoice", "send", "INV-00002")
    assert line == (
        "error: customer QUIET (Quiet Corner Ltd) has no email address; add one with: "
        "ordercli customer edit QUIET --email …, or give --to EMAIL"
    )
    assert billed.ok("invoice", "send", "INV-00002", "--to", "owner@quiet.example")["sent"]
    assert [r.rcpt_tos for r in smtp.received] == [["owner@quiet.example"]]


@pytest.mark.parametrize(
    ("to", "says"),
    [
        ("ann@example.com\r\nBcc: eve@example.com", "--to contains a line break"),
        ("ann@example.com\nSubject: win", "--to contains a line break"),
        ("not-an-address", "--to 'not-an-address' is not an email address"),
        ("ann@example.com, eve@example.com", "is not an email address"),
        ("", "--to '' is not an email address"),
    ],
)
def test_bad_recipients_are_refused(billed, smtp, unchanged, to, says):
    with unchanged():
        line = billed.fails("invoice", "send", "INV-00001", "--to", to)
    assert says in line
    assert smtp.received == []


def test_unknown_invoice(billed, smtp):
    assert billed.fails("invoice", "send", "INV-09999") == "error: no invoice 'INV-09999'"


# --- dry run ------------------------------------------------------------------------------


def test_dry_run_writes_an_eml_and_records_nothing(billed, tmp_path, unchanged, human):
    # No mail server is configured: a dry run needs none.
    with unchanged():
        doc = billed.ok("invoice", "send", "INV-00001", "--dry-run")
    assert (doc["sent"], doc["eml"], doc["attachment"]) == (False, "INV-00001.eml", "INV-00001.pdf")
    message = message_from_bytes((tmp_path / "INV-00001.eml").read_bytes(), policy=policy.default)
    assert message["Subject"] == f"Invoice INV-00001 from {COMPANY}"
    assert message["Message-ID"] == doc["message_id"]
    [attachment] = message.iter_attachments()
    assert attachment.get_content().startswith(b"%PDF")
    assert not [row for row in timeline(billed) if row["action"] == "sent"]

    with unchanged():
        out = human("invoice", "send", "INV-00001", "--dry-run", "-o", "copy.eml")
    assert re.fullmatch(
        r"wrote copy.eml: INV-00001 for ap@acme-office.example \(INV-00001.pdf, \d+ KB\); "
        r"nothing was sent\n",
        out,
    ), out
    assert (tmp_path / "copy.eml").is_file()


def test_dry_run_output_checks(billed, tmp_path, unchanged):
    with unchanged():
        assert "does not exist" in billed.fails(
            "invoice", "send", "INV-00001", "--dry-run", "-o", "missing/x.eml"
        )
        assert "is a directory" in billed.fails(
            "invoice", "send", "INV-00001", "--dry-run", "-o", str(tmp_path)
        )
        assert billed.fails("invoice", "send", "INV-00001", "-o", "x.eml") == (
            "error: -o names the .eml file of a dry run; add --dry-run"
        )
    assert not (tmp_path / "x.eml").exists()


# --- shipment notify ----------------------------------------------------------------------


def test_shipment_notify(billed, smtp, human):
    out = human("shipment", "notify", "SH-00001")
    assert out == "sent SH-00001 to ap@acme-office.example\n"
    [received] = smtp.received
    message = received.message
    assert message["Subject"] == f"Order SO-00001 shipped (SH-00001) from {COMPANY}"
    assert list(message.iter_attachments()) == []
    body = message.get_content()
    assert "Carrier:         DHL" in body and "Tracking number: 00340434" in body
    assert re.search(r"^  DESK-OAK +Oak desk.* 4 pc\r?$", body, re.M)
    assert "INSTALL" not in body  # a service is delivered by invoicing it, never shipped
    [event] = [row for row in timeline(billed) if row["action"] == "notified"]
    assert event["subject"] == "SH-00001"
    assert event["message"].startswith("emailed to ap@acme-office.example (Message-ID <")


def test_shipment_notify_dry_run_json(billed, tmp_path, unchanged):
    with unchanged():
        result = billed.run("shipment", "notify", "SH-00001", "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["eml"], doc["attachment"], doc["sent"]) == ("SH-00001.eml", None, False)
    assert "00340434" in (tmp_path / "SH-00001.eml").read_text()


# --- shipment create --notify ---------------------------------------------------------------


@pytest.mark.parametrize("command", [["shipment", "create"], ["ship"]])
def test_ship_and_notify(confirmed, tmp_path, command):
    confirmed.ok("company", "set", "--name", COMPANY, "--email-from", "billing@nordwind.example")
    with SmtpTestServer(tmp_path) as server:
        confirmed.ok("company", "set", "--smtp-host", "127.0.0.1", "--smtp-port", str(server.port))
        confirmed.ok("company", "set", "--no-smtp-starttls")
        doc = confirmed.ok(
            *command, "SO-00001", "--carrier", "DHL", "--tracking", "JD01", "--notify"
        )
    assert doc["number"] == "SH-00001" and doc["status"] == "shipped"
    assert doc["notification"]["sent"] is True
    assert doc["notification"]["to"] == "ap@acme-office.example"
    [received] = server.received
    assert "Tracking number: JD01" in received.message.get_content()
    actions = [(row["subject"], row["action"]) for row in timeline(confirmed)]
    assert actions.index(("SH-00001", "notified")) > actions.index(("SH-00001", "shipped"))


def test_ship_and_notify_human(confirmed, tmp_path, human):
    confirmed.ok("company", "set", "--email-from", "billing@nordwind.example")
    with SmtpTestServer(tmp_path) as server:
        confirmed.ok("company", "set", "--smtp-host", "127.0.0.1", "--smtp-port", str(server.port))
        confirmed.ok("company", "set", "--no-smtp-starttls")
        out = human("ship", "SO-00001", "--carrier", "DHL", "--notify")
    assert "Shipment SH-00001" in out
    assert out.endswith("sent SH-00001 to ap@acme-office.example\n")
    assert len(server.received) == 1


def test_ship_stands_when_the_notice_fails(confirmed):
    port = free_port()
    confirmed.ok("company", "set", "--email-from", "billing@nordwind.example")
    confirmed.ok("company", "set", "--smtp-host", "127.0.0.1", "--smtp-port", str(port))
    result = confirmed.run("ship", "SO-00001", "--carrier", "DHL", "--notify", "--json")
    stderr = error_of(result)
    assert stderr.splitlines() == [
        f"error: shipment SH-00001 was recorded, but the notification was not sent: cannot send "
        f"through 127.0.0.1:{port}: connection refused (are the host and port right, and is "
        "the server running?)",
        "hint: send it again with: ordercli shipment notify SH-00001 "
        "(check: ordercli company show (smtp host and port))",
    ]
    assert json.loads(result.stdout)["notification"] is None  # the shipment is shown all the same
    shipment = confirmed.ok("shipment", "show", "SH-00001")
    assert shipment["status"] == "shipped"
    assert not [row for row in timeline(confirmed) if row["action"] == "notified"]
