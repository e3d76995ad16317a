"""The company profile: every field round-trips, every bad value is refused and changes nothing."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import select

from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.models import Event, Setting
from ordercli.services.parties.company import company_profile, smtp_password, update_company

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
    "write_off_limit": Decimal("5.00"),
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


def image_bytes(fmt: str, size=(3, 2)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture
def png(tmp_path) -> Path:
    path = tmp_path / "logo.png"
    path.write_bytes(image_bytes("PNG"))
    return path


@pytest.fixture
def profile(uow):
    def read() -> dict:
        with uow(write=False) as session:
            return company_profile(session)

    return read


@pytest.fixture
def update(uow):
    def write(**changes) -> dict:
        with uow() as session:
            return update_company(session, **changes)

    return write


@pytest.fixture
def company_events(uow):
    def read() -> list[tuple[str, str, str, str]]:
        with uow(write=False) as session:
            rows = session.exec(select(Event).where(Event.subject_kind == "company"))
            return [(e.subject_kind, e.subject_number, e.action, e.message) for e in rows]

    return read


def settings_rows(uow) -> dict[str, str]:
    with uow(write=False) as session:
        return {row.key: row.value for row in session.exec(select(Setting))}


def test_a_new_ledger_has_the_defaults(profile, company_events):
    assert profile() == DEFAULTS
    assert company_events() == []


def test_every_field_round_trips(update, profile, company_events, png, tmp_path, uow):
    templates = tmp_path / "templates"
    templates.mkdir()
    given = {
        "name": "Widgets & Co <font color=red>",
        "address": "1 Mill Road\nLeeds LS1 4AB\nUnited Kingdom",
        "tax_id": "GB123456789",
        "bank_details": "Barclays\nIBAN GB33 BUKB 2020 1555 5555 55\nBIC BUKBGB22",
        "footer": "Registered in England & Wales, no. 01234567",
        "currency": "GBP",
        "locale": "en_GB",
        "email_from": "Widgets & Co <accounts@widgets.example>",
        "smtp_host": "smtp.widgets.example",
        "smtp_port": 465,
        "smtp_user": "accounts@widgets.example",
        "smtp_starttls": False,
        "template_dir": str(templates),
        "logo": str(png),
        "write_off_limit": "7.5",
        "bad_debt_limit": "100",
    }
    returned = update(**given)
    expected = {
        **DEFAULTS,
        **given,
        "logo": {"mime": "image/png", "data": png.read_bytes()},
        "write_off_limit": Decimal("7.50"),
        "bad_debt_limit": Decimal("100.00"),
    }
    assert returned == expected
    assert profile() == expected
    stored = settings_rows(uow)
    assert stored["company_logo"].startswith("image/png;base64,iVBORw0KGgo")
    assert stored["smtp_port"] == "465" and stored["smtp_starttls"] == "false"
    assert stored["currency"] == "GBP" and stored["minor_digits"] == "2"
    fields = ", ".join(field for field in given if not field.endswith("_limit"))
    fields += ", write_off_limit 7.50, bad_debt_limit 100.00"
    assert company_events() == [("company", "-", "update", f"company profile updated: {fields}")]


def test_one_event_per_change_naming_only_what_changed(update, company_events, png):
    update(name="Widgets & Co", tax_id="GB1")
    update(name="Widgets & Co", tax_id="GB1")  # the same again: nothing changed
    update(logo=png)
    update(logo=None)
    update(smtp_port=587, locale="en_US")  # the defaults, spelled out: nothing changed
    messages = [message for *_, message in company_events()]
    assert messages == [
        "company profile updated: name, tax_id",
        "company profile updated: logo",
        "company profile updated: logo",
    ]
    assert not any("base64" in m or "iVBOR" in m for m in messages)


def test_empty_values_clear_optional_fields(update, profile, tmp_path, png, uow):
    update(
        name="Widgets",
        address="1 Road",
        tax_id="X1",
        bank_details="IBAN",
        footer="Thanks",
        email_from="a@widgets.example",
        smtp_host="smtp.widgets.example",
        smtp_port=2525,
        smtp_user="me",
        smtp_starttls=False,
        locale="de_DE",
        template_dir=str(tmp_path),
        logo=str(png),
    )
    update(
        address="",
        tax_id="",
        bank_details="   ",
        footer=None,
        email_from="",
        smtp_host="",
        smtp_port=None,
        smtp_user="",
        smtp_starttls=None,
        locale="",
        template_dir="",
        logo="",
    )
    assert profile() == DEFAULTS | {"name": "Widgets"}
    assert set(settings_rows(uow)) & {"company_tax_id", "company_logo", "smtp_port"} == set()


def test_multi_line_fields_keep_lines_and_drop_trailing_spaces(update):
    doc = update(
        address="  1 Mill Road   \r\n\tUnit 4 \nLeeds  \n\n",
        bank_details="IBAN GB33\t \nBIC BUKBGB22",
        footer="Thank you!\n",
    )
    assert doc["address"] == "1 Mill Road\n\tUnit 4\nLeeds"
    assert doc["bank_details"] == "IBAN GB33\nBIC BUKBGB22"
    assert doc["footer"] == "Thank you!"


@pytest.mark.parametrize(
    "name",
    [
        "株式会社ウィジェット",
        "Müller & Söhne GmbH",
        "Société Générale d'Équipement",
        "شركة الأدوات",
        "חברת הכלים בע״מ",
        "Widgets <font size=40> & <img src=x> Co",
        "[bold]Widgets[/bold] &amp; Co",
    ],
)
def test_names_are_stored_verbatim(update, profile, name):
    update(name=name)
    assert profile()["name"] == name


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("de_DE", "de_DE"),
        ("de-DE", "de_DE"),
        ("de_de", "de_DE"),
        ("de_DE.UTF-8", "de_DE"),
        ("fr", "fr"),
        ("zh-Hant-TW", "zh_Hant_TW"),
        ("  en_GB ", "en_GB"),
    ],
)
def test_locales_are_stored_canonical(update, typed, stored):
    assert update(locale=typed)["locale"] == stored


@pytest.mark.parametrize(
    "address",
    [
        "shop@example.com",
        "Shop <shop@example.com>",
        '"Widgets, Ltd" <accounts@widgets.example>',
        "Müller <info@müller.de>",
        "mail@localhost",
    ],
)
def test_sender_addresses_accepted(update, address):
    assert update(email_from=address)["email_from"] == address


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("smtp.example.com", "smtp.example.com"),
        ("localhost", "localhost"),
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("mail.bücher.de", "mail.bücher.de"),
    ],
)
def test_smtp_hosts_accepted(update, typed, stored):
    assert update(smtp_host=typed)["smtp_host"] == stored


def test_smtp_port_and_starttls(update):
    assert update(smtp_port=1)["smtp_port"] == 1
    assert update(smtp_port="2525")["smtp_port"] == 2525
    assert update(smtp_port=65535, smtp_starttls=False)["smtp_port"] == 65535
    assert update(smtp_starttls=True)["smtp_starttls"] is True


def test_currency_changes_before_anything_is_priced(update, uow):
    assert update(currency="jpy")["currency"] == "JPY"
    assert settings_rows(uow)["minor_digits"] == "0"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_logo_png_and_jpeg_accepted(update, tmp_path, fmt):
    data = image_bytes(fmt)
    path = tmp_path / "brand.img"  # the content decides, not the file name
    path.write_bytes(data)
    mime = {"PNG": "image/png", "JPEG": "image/jpeg"}[fmt]
    assert update(logo=path)["logo"] == {"mime": mime, "data": data}


def test_template_dir_is_stored_absolute(update, tmp_path, monkeypatch):
    (tmp_path / "mine").mkdir()
    monkeypatch.chdir(tmp_path)
    assert update(template_dir="mine")["template_dir"] == str((tmp_path / "mine").resolve())


def test_smtp_password_comes_from_the_environment_only(monkeypatch, update, uow):
    monkeypatch.delenv("ORDERCLI_SMTP_PASSWORD", raising=False)
    assert smtp_password() is None
    monkeypatch.setenv("ORDERCLI_SMTP_PASSWORD", "s3cret-pw")
    assert smtp_password() == "s3cret-pw"
    update(smtp_user="me", smtp_host="smtp.example.com")
    assert not any("s3cret-pw" in value for value in settings_rows(uow).values())
    with pytest.raises(TypeError, match="smtp_password"):
        update(smtp_password="s3cret-pw")


# --- refusals: exact message, every table unchanged ------------------------------------

BAD_TEXT = [
    ({"name": ""}, "company name must not be empty"),
    ({"name": "   "}, "company name must not be empty"),
    ({"name": None}, "company name must not be empty"),
    ({"name": "x" * 201}, "company name is longer than 200 characters"),
    ({"name": "Widgets\nLtd"}, "company name must be a single line (no line breaks or tabs)"),
    ({"name": "Widgets\tLtd"}, "company name must be a single line (no line breaks or tabs)"),
    ({"name": "Widgets\x00"}, "company name contains control characters"),
    ({"name": "Widgets\x1b[31m"}, "company name contains control characters"),
    ({"name": "Widgets\x85Ltd"}, "company name contains control characters"),
    ({"name": 42}, "name must be text, not int"),
    ({"address": "1 Road\x00Town"}, "company address contains control characters"),
    ({"address": "1 Road\rTown"}, "company address contains control characters"),
    ({"address": "x" * 1001}, "company address is longer than 1000 characters"),
    ({"bank_details": "IBAN\x07"}, "bank details contains control characters"),
    ({"footer": "y" * 2001}, "footer is longer than 2000 characters"),
    ({"tax_id": "GB 1\nGB 2"}, "tax id must be a single line (no line breaks or tabs)"),
    ({"tax_id": "T" * 65}, "tax id is longer than 64 characters"),
    ({"smtp_user": "me\nBcc: x@y.z"}, "SMTP user must be a single line (no line breaks or tabs)"),
]

BAD_SETTINGS = [
    ({"locale": "xx"}, "unknown locale 'xx' (use a code such as en_US, de_DE or fr_FR)"),
    ({"locale": "en_ZZ"}, "unknown locale 'en_ZZ' (use a code such as en_US, de_DE or fr_FR)"),
    ({"locale": "C"}, "unknown locale 'C' (use a code such as en_US, de_DE or fr_FR)"),
    ({"locale": "de__DE"}, "unknown locale 'de__DE' (use a code such as en_US, de_DE or fr_FR)"),
    ({"currency": "ZZZ"}, "unknown currency 'ZZZ' (use an ISO 4217 code such as EUR)"),
    ({"currency": ""}, "currency must not be empty (use an ISO 4217 code such as EUR)"),
    ({"smtp_port": 0}, "SMTP port 0 must be a number from 1 to 65535 (usually 587)"),
    ({"smtp_port": 65536}, "SMTP port 65536 must be a number from 1 to 65535 (usually 587)"),
    ({"smtp_port": -25}, "SMTP port -25 must be a number from 1 to 65535 (usually 587)"),
    ({"smtp_port": "smtp"}, "SMTP port 'smtp' must be a number from 1 to 65535 (usually 587)"),
    ({"smtp_port": True}, "SMTP port True must be a number from 1 to 65535 (usually 587)"),
    ({"smtp_starttls": "yes"}, "SMTP STARTTLS must be true or false, not 'yes'"),
    (
        {"smtp_host": "smtp://mail.example.com"},
        "SMTP host 'smtp://mail.example.com' must be a host name such as smtp.example.com, "
        "not a URL",
    ),
    (
        {"smtp_host": "mail.example.com:587"},
        "SMTP host 'mail.example.com:587' must not include the port; give it with --smtp-port",
    ),
    (
        {"smtp_host": "mail example.com"},
        "SMTP host 'mail example.com' is not a host name (e.g. smtp.example.com)",
    ),
    (
        {"smtp_host": "-mail.example.com"},
        "SMTP host '-mail.example.com' is not a host name (e.g. smtp.example.com)",
    ),
    ({"smtp_host": "a" * 254}, "SMTP host is longer than 253 characters"),
]

BAD_EMAILS = [
    "shop",
    "shop@",
    "@example.com",
    "shop@example",
    "shop@@example.com",
    "a b@example.com",
    "shop@exa mple.com",
    "Shop <shop@example.com",
    "shop@example.com>",
    "a@example.com, b@example.com",
    "Widgets, Ltd <a@example.com>",
]


@pytest.mark.parametrize(("changes", "message"), BAD_TEXT + BAD_SETTINGS)
def test_bad_values_are_refused_and_change_nothing(update, refused, changes, message):
    update(name="Widgets", tax_id="GB1")  # something to keep
    refused(InvalidInput, message, lambda s: update_company(s, **changes))


@pytest.mark.parametrize("address", BAD_EMAILS)
def test_bad_sender_addresses_are_refused(refused, address):
    refused(
        InvalidInput,
        f"sender email address {address!r} is not valid "
        '(e.g. shop@example.com or "Shop <shop@example.com>")',
        lambda s: update_company(s, email_from=address),
    )


def test_sender_address_with_a_line_break_is_refused(refused):
    refused(
        InvalidInput,
        "sender email address must be a single line (no line breaks or tabs)",
        lambda s: update_company(s, email_from="shop@example.com\nBcc: all@example.com"),
    )


def test_every_problem_is_reported_at_once(refused):
    refused(
        InvalidInput,
        "company name must not be empty; unknown locale 'xx' (use a code such as en_US, de_DE "
        "or fr_FR); SMTP port 0 must be a number from 1 to 65535 (usually 587)",
        lambda s: update_company(s, name="", locale="xx", smtp_port=0, tax_id="fine"),
    )


def test_a_bad_field_keeps_the_good_ones_from_being_written(refused):
    refused(
        InvalidInput,
        "unknown currency 'ZZZ' (use an ISO 4217 code such as EUR)",
        lambda s: update_company(s, name="Widgets", footer="Thanks", currency="ZZZ"),
    )


def test_currency_cannot_change_once_prices_exist(seeded, refused):
    refused(
        RuleViolation,
        "cannot change the currency to USD: the ledger already holds 25 priced records in EUR",
        lambda s: update_company(s, name="Widgets", currency="USD"),
    )


def test_unknown_fields_and_passwords_do_not_exist(refused, unchanged, update):
    with unchanged():
        for field in ("smtp_password", "password", "colour"):
            with pytest.raises(TypeError, match=field):
                update(**{field: "x"})


# --- logo files --------------------------------------------------------------------------


def test_missing_logo_refused(refused, tmp_path):
    missing = tmp_path / "nope.png"
    refused(
        InvalidInput,
        f"logo file {str(missing)!r} does not exist",
        lambda s: update_company(s, logo=str(missing)),
    )


def test_text_file_logo_refused(refused, tmp_path):
    text = tmp_path / "logo.png"
    text.write_text("not an image\n")
    refused(
        InvalidInput,
        f"logo file {str(text)!r} is not a PNG or JPEG image",
        lambda s: update_company(s, logo=str(text)),
    )


def test_gif_logo_refused(refused, tmp_path):
    gif = tmp_path / "logo.gif"
    gif.write_bytes(image_bytes("GIF"))
    refused(
        InvalidInput,
        f"logo file {str(gif)!r} is not a PNG or JPEG image",
        lambda s: update_company(s, logo=str(gif)),
    )


def test_huge_logo_refused_without_reading_it(refused, tmp_path):
    huge = tmp_path / "huge.png"
    with huge.open("wb") as file:
        file.write(image_bytes("PNG"))
        file.truncate(1024 * 1024 + 1)  # sparse: no megabyte actually written
    refused(
        InvalidInput,
        f"logo file {str(huge)!r} is 1,048,577 bytes; at most 1,048,576 (1 MiB) are accepted",
        lambda s: update_company(s, logo=str(huge)),
    )


def test_a_directory_is_not_a_logo(refused, tmp_path):
    refused(
        InvalidInput,
        f"logo {str(tmp_path)!r} is not a file",
        lambda s: update_company(s, logo=str(tmp_path)),
    )


def test_damaged_image_refused(uow, unchanged, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(image_bytes("JPEG", size=(64, 64))[:200])
    with unchanged(), pytest.raises(InvalidInput) as info:
        with uow() as session:
            update_company(session, name="Widgets", logo=str(broken))
    assert info.value.message.startswith(f"logo file {str(broken)!r} is a damaged JPEG image ("), (
        info.value.message
    )


def test_oversized_picture_refused(refused, tmp_path):
    wide = tmp_path / "banner.png"
    Image.new("L", (6000, 1)).save(wide, "PNG")
    refused(
        InvalidInput,
        f"logo {str(wide)!r} is 6000×1 pixels; at most 5000×5000 are accepted",
        lambda s: update_company(s, logo=str(wide)),
    )


def test_template_dir_must_be_an_existing_directory(refused, tmp_path):
    missing = tmp_path / "missing"
    refused(
        InvalidInput,
        f"template directory {str(missing)!r} does not exist",
        lambda s: update_company(s, template_dir=str(missing)),
    )
    a_file = tmp_path / "invoice.html"
    a_file.write_text("<html></html>")
    refused(
        InvalidInput,
        f"template directory {str(a_file)!r} is not a directory",
        lambda s: update_company(s, template_dir=str(a_file)),
    )
