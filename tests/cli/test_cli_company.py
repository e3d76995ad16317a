"""`ordercli company show|set` and the profile options of `ordercli init`."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

DEFAULTS = {
    "name": None,
    "address": None,
    "tax_id": None,
    "bank_details": None,
    "footer": None,
    "currency": "EUR",
    "locale": "en_US",
    "email_from": None,
    "smtp_host": None,
    "smtp_port": 587,
    "smtp_user": None,
    "smtp_starttls": True,
    "template_dir": None,
    "logo": None,
    "smtp_password_set": False,
    "write_off_limit": "5.00",
    "bad_debt_limit": None,
    # What an e-invoice needs of the seller (rule 21).
    "vat_id": None,
    "registration_id": None,
    "street": None,
    "postcode": None,
    "city": None,
    "country": None,
    "contact": None,
    "phone": None,
    "iban": None,
    "bic": None,
    "creditor_id": None,
    "endpoint": None,
}
NO_PASSWORD = {"ORDERCLI_SMTP_PASSWORD": ""}


def picture(path, fmt: str = "PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (20, 90, 200)).save(buffer, fmt)
    path.write_bytes(buffer.getvalue())
    return path


def test_show_on_a_new_ledger(cli, human):
    assert cli.ok("company", "show", env=NO_PASSWORD) == DEFAULTS
    result = cli.run("company", "show", env=NO_PASSWORD)
    assert result.exit_code == 0, result.stderr
    for label in ("Company", "Name", "not set", "EUR", "en_US", "587", "built-in"):
        assert label in result.stdout
    assert result.stderr == 'hint: set your company name with: ordercli company set --name "…"\n'


def test_set_every_option_then_show(cli, tmp_path, monkeypatch):
    logo = picture(tmp_path / "logo.png")
    (tmp_path / "templates").mkdir()
    monkeypatch.chdir(tmp_path)
    doc = cli.ok(
        "company",
        "set",
        "--name",
        "Widgets & Co",
        "--address",
        "1 Mill Road\\nLeeds LS1 4AB",
        "--tax-id",
        "GB123456789",
        "--bank-details",
        "IBAN GB33 BUKB 2020 1555 5555 55\\nBIC BUKBGB22",
        "--footer",
        "Thank you for your business",
        "--logo",
        "logo.png",
        "--currency",
        "gbp",
        "--locale",
        "en-GB",
        "--template-dir",
        "templates",
        "--email-from",
        "Widgets <accounts@widgets.example>",
        "--smtp-host",
        "smtp.widgets.example",
        "--smtp-port",
        "465",
        "--smtp-user",
        "accounts",
        "--no-smtp-starttls",
        env=NO_PASSWORD,
    )
    expected = {
        "name": "Widgets & Co",
        "address": "1 Mill Road\nLeeds LS1 4AB",
        "tax_id": "GB123456789",
        "bank_details": "IBAN GB33 BUKB 2020 1555 5555 55\nBIC BUKBGB22",
        "footer": "Thank you for your business",
        "currency": "GBP",
        "locale": "en_GB",
        "email_from": "Widgets <accounts@widgets.example>",
        "smtp_host": "smtp.widgets.example",
        "smtp_port": 465,
        "smtp_user": "accounts",
        "smtp_starttls": False,
        "template_dir": str((tmp_path / "templates").resolve()),
        "logo": {"mime": "image/png", "bytes": logo.stat().st_size},
        "smtp_password_set": False,
        "write_off_limit": "5.00",
        "bad_debt_limit": None,
    }
    assert doc == DEFAULTS | expected
    assert cli.ok("company", "show", env=NO_PASSWORD) == DEFAULTS | expected

    out = cli.run("company", "show", env=NO_PASSWORD).stdout
    for text in ("Widgets & Co", "1 Mill Road", "Leeds LS1 4AB", "BIC BUKBGB22", "image/png"):
        assert text in out
    assert "STARTTLS" in out and "no" in out


def test_set_changes_only_what_is_given(cli):
    cli.ok("company", "set", "--name", "Widgets", "--tax-id", "GB1", "--smtp-port", "2525")
    doc = cli.ok("company", "set", "--smtp-starttls", "--tax-id", "")
    assert (doc["name"], doc["tax_id"], doc["smtp_port"], doc["smtp_starttls"]) == (
        "Widgets",
        None,
        2525,
        True,
    )


def test_logo_replaced_and_removed(cli, tmp_path):
    cli.ok("company", "set", "--logo", str(picture(tmp_path / "a.png")))
    jpeg = picture(tmp_path / "b.jpg", "JPEG")
    doc = cli.ok("company", "set", "--logo", str(jpeg))
    assert doc["logo"] == {"mime": "image/jpeg", "bytes": jpeg.stat().st_size}
    assert cli.ok("company", "set", "--no-logo")["logo"] is None


@pytest.mark.sqlite_only("searches the ledger file's bytes for the password")
def test_password_is_reported_but_never_stored(cli, ledger_path):
    secret = "correct horse battery staple"
    env = {"ORDERCLI_SMTP_PASSWORD": secret}
    doc = cli.ok("company", "set", "--smtp-host", "localhost", "--smtp-user", "me", env=env)
    assert doc["smtp_password_set"] is True
    assert secret not in json.dumps(doc)
    human = cli.run("company", "show", env=env)
    assert "set (ORDERCLI_SMTP_PASSWORD)" in human.stdout and secret not in human.stdout
    assert secret.encode() not in ledger_path.read_bytes()


@pytest.mark.parametrize("option", ["--smtp-password", "--password"])
def test_there_is_no_password_option(cli, unchanged, option):
    with unchanged():
        result = cli.run("company", "set", option, "hunter2")
    assert result.exit_code == 2
    assert f"No such option: {option}" in result.stderr


@pytest.mark.parametrize(
    "name",
    [
        "株式会社ウィジェット",
        "Ærøskøbing Åbenrå Ødegaard",
        "شركة الأدوات المحدودة",
        "Widgets <font color=red> & <b>Co</b>",
        "[bold]Widgets[/bold]",
    ],
)
def test_names_shown_verbatim(cli, human, name):
    assert cli.ok("company", "set", "--name", name)["name"] == name
    assert name in human("company", "show")
    assert name in human("company", "set", "--footer", "x")


def test_set_without_options_is_refused(cli, unchanged):
    with unchanged():
        result = cli.run("company", "set")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: nothing to change: give at least one option, e.g. --name",
        "hint: see ordercli company set --help",
    ]
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", ""], "company name must not be empty"),
        (
            ["--locale", "klingon"],
            "unknown locale 'klingon' (use a code such as en_US, de_DE or fr_FR)",
        ),
        (["--smtp-port", "0"], "SMTP port 0 must be a number from 1 to 65535 (usually 587)"),
        (
            ["--smtp-host", "https://mail.example.com"],
            "SMTP host 'https://mail.example.com' must be a host name such as "
            "smtp.example.com, not a URL",
        ),
        (
            ["--email-from", "accounts at widgets"],
            "sender email address 'accounts at widgets' is not valid "
            '(e.g. shop@example.com or "Shop <shop@example.com>")',
        ),
        (["--logo", "missing.png"], "logo file 'missing.png' does not exist"),
        (["--logo", "x.png", "--no-logo"], "give --logo or --no-logo, not both"),
        (["--template-dir", "nowhere"], "template directory 'nowhere' does not exist"),
        (
            ["--currency", "USD", "--name", "Widgets"],
            "cannot change the currency to USD: the ledger already holds 25 priced records in EUR",
        ),
        (["--address", "1 Road\x1b[2J"], "company address contains control characters"),
    ],
)
def test_set_refused(shop, unchanged, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    with unchanged():
        assert shop.fails("company", "set", *args) == f"error: {message}"


def test_text_file_as_logo_refused(cli, unchanged, tmp_path):
    fake = tmp_path / "logo.png"
    fake.write_text("<svg/>")
    with unchanged():
        assert cli.fails("company", "set", "--logo", str(fake)) == (
            f"error: logo file {str(fake)!r} is not a PNG or JPEG image"
        )


def test_bad_port_is_a_usage_error(cli, unchanged):
    with unchanged():
        result = cli.run("company", "set", "--smtp-port", "smtp")
    assert result.exit_code == 2 and "--smtp-port" in result.stderr


# --- init -------------------------------------------------------------------------------


def test_init_sets_the_profile(cli, ledger_path):
    doc = cli.ok(
        "init",
        "--company",
        "Müller & Söhne <GmbH>",
        "--currency",
        "EUR",
        "--locale",
        "de-DE",
        "--address",
        "Hauptstraße 1\\n10115 Berlin",
        "--tax-id",
        "DE123456789",
        "--email-from",
        "Müller <rechnung@mueller.example>",
    )
    assert doc == {
        "ledger": str(ledger_path),
        "company": "Müller & Söhne <GmbH>",
        "currency": "EUR",
    }
    profile = cli.ok("company", "show")
    assert {key: profile[key] for key in ("name", "locale", "address", "tax_id", "email_from")} == {
        "name": "Müller & Söhne <GmbH>",
        "locale": "de_DE",
        "address": "Hauptstraße 1\n10115 Berlin",
        "tax_id": "DE123456789",
        "email_from": "Müller <rechnung@mueller.example>",
    }
    assert cli.ok("init") == doc  # running init again keeps the profile
    assert cli.ok("company", "show") == profile


def test_init_human_output(cli, human):
    out = human("init", "--company", "株式会社ウィジェット", "--locale", "ja_JP")
    assert "ledger ready at" in out and "株式会社ウィジェット" in out
    assert cli.ok("company", "show")["locale"] == "ja_JP"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--locale", "xx_XX"],
            "unknown locale 'xx_XX' (use a code such as en_US, de_DE or fr_FR)",
        ),
        (
            ["--company", "Widgets", "--email-from", "widgets"],
            "sender email address 'widgets' is not valid "
            '(e.g. shop@example.com or "Shop <shop@example.com>")',
        ),
        (["--tax-id", "A\nB"], "tax id must be a single line (no line breaks or tabs)"),
    ],
)
def test_init_refused(cli, unchanged, args, message):
    cli.ok("init", "--company", "Widgets")
    with unchanged():
        assert cli.fails("init", *args) == f"error: {message}"
