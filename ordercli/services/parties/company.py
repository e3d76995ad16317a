"""The company profile: who the ledger's documents and emails come from.

Documents print the seller's name, address, tax id, bank details (the payment
instructions), logo and footer, and format amounts for the ledger's currency
and locale; emails go out from ``email_from`` over the SMTP server configured
here. Everything lives in the ``setting`` table, one key per field, so a ledger
file carries its whole profile: the logo is stored in the ledger itself
(``<mime>;base64,<data>``) and documents render the same on any machine.

The SMTP password is never stored: it is read from the environment variable
``ORDERCLI_SMTP_PASSWORD`` when an email is sent (``smtp_password()``).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
import stat
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session

from ordercli.books import settings
from ordercli.books.events import record_event
from ordercli.domain import identifiers
from ordercli.domain.errors import InvalidInput
from ordercli.domain.money import parse_money, round_money
from ordercli.domain.text import CONTROL, clean_text
from ordercli.models import Setting

# Babel (locales), Pillow (the logo) and email.utils are imported inside the checks of
# the fields that need them: only `company set` and `init` load them.

PASSWORD_VARIABLE = "ORDERCLI_SMTP_PASSWORD"

DEFAULT_LOCALE = "en_US"
DEFAULT_SMTP_PORT = 587
DEFAULT_SMTP_STARTTLS = True

# Profile field -> setting key (currency is the ledger-wide ``currency`` setting).
SETTING_KEYS = {
    "name": "company_name",
    "address": "company_address",
    "tax_id": "company_tax_id",
    "bank_details": "company_bank_details",
    "footer": "company_footer",
    "locale": "company_locale",
    "email_from": "email_from",
    "smtp_host": "smtp_host",
    "smtp_port": "smtp_port",
    "smtp_user": "smtp_user",
    "smtp_starttls": "smtp_starttls",
    "template_dir": "template_dir",
    "logo": "company_logo",
    "write_off_limit": "write_off_limit",
    "bad_debt_limit": "bad_debt_limit",
    **{field: f"company_{field}" for field in ("vat_id", "street", "postcode", "city")},
    **{field: f"company_{field}" for field in ("country", "phone", "contact", "iban", "bic")},
    **{field: f"company_{field}" for field in ("creditor_id", "registration_id", "endpoint")},
}
FIELDS = (
    "name",
    "address",
    "tax_id",
    "bank_details",
    "footer",
    "currency",
    "locale",
    "email_from",
    "smtp_host",
    "smtp_port",
    "smtp_user",
    "smtp_starttls",
    "template_dir",
    "logo",
    "write_off_limit",
    "bad_debt_limit",
    # What an e-invoice needs of the seller (rule 21).
    "vat_id",
    "registration_id",
    "street",
    "postcode",
    "city",
    "country",
    "contact",
    "phone",
    "iban",
    "bic",
    "creditor_id",
    "endpoint",
)
# Identifiers checked by their own rules (``domain.identifiers``), stored compact.
IDENTIFIERS = {
    "vat_id": identifiers.check_vat_id,
    "country": identifiers.check_country,
    "iban": identifiers.check_iban,
    "bic": identifiers.check_bic,
    "creditor_id": identifiers.check_creditor_id,
    "endpoint": identifiers.check_endpoint,
}

# Rule 20: the most one write-off may be (``payment record --write-off``, ``invoice
# write-off``), in the ledger's currency; "none" stored means no limit. Unset, a payment
# difference may be at most 5 (units of the currency) and a bad debt any amount.
LIMITS = {
    "write_off_limit": ("write-off limit", "5"),
    "bad_debt_limit": ("bad-debt limit", "none"),
}
NO_LIMIT = "none"

# (what the user is told, maximum length) per text field.
ONE_LINE = {
    "name": ("company name", 200),
    "tax_id": ("tax id", 64),
    "smtp_user": ("SMTP user", 320),
    "registration_id": ("registration id", 100),
    "street": ("street", 200),
    "postcode": ("postcode", 16),
    "city": ("city", 100),
    "contact": ("contact name", 200),
    "phone": ("phone", 64),
}
MULTI_LINE = {
    "address": ("company address", 1000),
    "bank_details": ("bank details", 1000),
    "footer": ("footer", 2000),
}

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 5000
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": ("image/png", "PNG"), b"\xff\xd8\xff": ("image/jpeg", "JPEG")}

# C1 control characters (U+0080..U+009F) corrupt documents as much as C0 ones.
C1_CONTROL = re.compile(r"[\x80-\x9f]")
HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def smtp_password() -> str | None:
    """The SMTP password from ``ORDERCLI_SMTP_PASSWORD``; the ledger never holds it."""
    return os.environ.get(PASSWORD_VARIABLE) or None


def company_profile(session: Session) -> dict:
    """Every profile field, defaults filled in; ``logo`` is ``{"mime", "data"}`` or None."""

    def get(field: str) -> str | None:
        return settings.get_setting(session=session, key=SETTING_KEYS[field])

    profile: dict[str, object] = {
        field: get(field) for field in ONE_LINE | MULTI_LINE | IDENTIFIERS
    }
    port = get("smtp_port")
    starttls = get("smtp_starttls")
    profile |= {
        "currency": settings.currency(session),
        "locale": get("locale") or DEFAULT_LOCALE,
        "email_from": get("email_from"),
        "smtp_host": get("smtp_host"),
        "smtp_port": int(port) if port and port.isdigit() else DEFAULT_SMTP_PORT,
        "smtp_starttls": DEFAULT_SMTP_STARTTLS if starttls is None else starttls == "true",
        "template_dir": get("template_dir"),
        "logo": decode_logo(get("logo")),
        **{field: limit_of(session, field) for field in LIMITS},
    }
    return {field: profile[field] for field in FIELDS}


def limit_of(session: Session, field: str) -> Decimal | None:
    """A write-off limit (``write_off_limit`` or ``bad_debt_limit``) as an amount of
    the ledger's currency, or None for no limit."""
    stored = settings.get_setting(session=session, key=SETTING_KEYS[field])
    text = stored if stored is not None else LIMITS[field][1]
    if text == NO_LIMIT:
        return None
    return round_money(Decimal(text), settings.minor_digits(session))


def _limit(session: Session, field: str, value) -> str | None:
    """What to store for a limit typed by the user: an amount of 0 or more, "none" for
    no limit, or None (empty: back to the default)."""
    what = LIMITS[field][0]
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if text.lower() in {NO_LIMIT, "unlimited"}:
        return NO_LIMIT
    amount = parse_money(text, settings.minor_digits(session), what=what)
    return f"{amount:f}"


def decode_logo(stored: str | None) -> dict | None:
    """A stored logo as ``{"mime": …, "data": bytes}``; None when absent or unreadable."""
    if not stored or ";base64," not in stored:
        return None
    mime, _, data = stored.partition(";base64,")
    try:
        return {"mime": mime, "data": base64.b64decode(data, validate=True)}
    except (binascii.Error, ValueError):
        return None


def update_company(session: Session, **changes) -> dict:
    """Change the fields given and return the whole profile.

    A field given as None or "" is cleared (back to its default where it has
    one); the company name and currency cannot be cleared. ``logo`` is the path
    of a PNG or JPEG file (at most 1 MiB), read now and stored in the ledger.
    Every invalid field is reported at once and nothing is written; the
    currency changes only while no priced record exists (``set_currency``).
    One event lists the fields that changed (rule 4).
    """

    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise TypeError(f"update_company() got unexpected fields: {', '.join(unknown)}")

    writes: dict[str, str | None] = {}
    problems: list[str] = []
    for field, value in changes.items():
        if field == "currency":
            continue
        try:
            if field in LIMITS:
                writes[SETTING_KEYS[field]] = _limit(session, field, value)
                continue
            writes[SETTING_KEYS[field]] = _validate(field, value)
        except InvalidInput as exc:
            problems.append(exc.message)
    if "currency" in changes and not (changes["currency"] or "").strip():
        problems.append("currency must not be empty (use an ISO 4217 code such as EUR)")
    if problems:
        raise InvalidInput("; ".join(problems))

    before = company_profile(session)
    if "currency" in changes:
        settings.set_currency(session=session, code=changes["currency"])
    for key, value in writes.items():
        if value is None:
            row = session.get(Setting, key)
            if row is not None:
                session.delete(row)
        else:
            settings.put_setting(session=session, key=key, value=value)
    session.flush()
    after = company_profile(session)

    changed = [field for field in FIELDS if before[field] != after[field]]
    if changed:
        record_event(
            session=session,
            subject_kind="company",
            subject_number="-",
            action="update",
            message="company profile updated: "
            + ", ".join(
                f"{field} {after[field] if after[field] is not None else NO_LIMIT}"
                if field in LIMITS
                else field
                for field in changed
            ),
        )
    return after


# --- one check per field --------------------------------------------------------------


def _validate(field: str, value) -> str | None:
    """The setting value to store for ``field``, or None to remove the setting."""
    if field == "smtp_port":
        return _port(value)
    if field == "smtp_starttls":
        if value is None:
            return None
        if not isinstance(value, bool):
            raise InvalidInput(f"SMTP STARTTLS must be true or false, not {value!r}")
        return "true" if value else "false"
    if field == "logo":
        if value is None or value == "":
            return None
        if not isinstance(value, str | Path):
            raise InvalidInput("logo must be the path of a PNG or JPEG file")
        if CONTROL.search(str(value)):
            raise InvalidInput("logo file name contains control characters")
        return _logo(value)
    allowed = str | Path if field == "template_dir" else str
    if value is not None and not isinstance(value, allowed):
        raise InvalidInput(f"{field.replace('_', ' ')} must be text, not {type(value).__name__}")
    if field in IDENTIFIERS:
        text = _one_line(value, field.replace("_", " "), 200)
        return None if text is None else IDENTIFIERS[field](text)
    if field == "name":
        name = _one_line(value, *ONE_LINE["name"])
        if name is None:
            raise InvalidInput("company name must not be empty")
        return name
    if field in ONE_LINE:
        return _one_line(value, *ONE_LINE[field])
    if field in MULTI_LINE:
        return _multi_line(value, *MULTI_LINE[field])
    if field == "locale":
        return _locale(value)
    if field == "email_from":
        return _email(value)
    if field == "smtp_host":
        return _host(value)
    if field == "template_dir":
        return _directory(value)
    raise AssertionError(field)  # pragma: no cover - FIELDS and the checks above agree


def _text(value: str | None, what: str, max_length: int) -> str | None:
    cleaned = clean_text(value, what=what, max_length=max_length)
    if cleaned is not None and C1_CONTROL.search(cleaned):
        raise InvalidInput(f"{what} contains control characters")
    return cleaned


def _one_line(value: str | None, what: str, max_length: int) -> str | None:
    cleaned = _text(value, what, max_length)
    if cleaned is not None and ("\n" in cleaned or "\t" in cleaned):
        raise InvalidInput(f"{what} must be a single line (no line breaks or tabs)")
    return cleaned


def _multi_line(value: str | None, what: str, max_length: int) -> str | None:
    """Lines kept as typed (Windows line ends become plain ones), trailing spaces dropped."""
    if value is None:
        return None
    lines = value.replace("\r\n", "\n").split("\n")
    return _text("\n".join(line.rstrip() for line in lines), what, max_length)


def _locale(value: str | None) -> str | None:
    from babel import Locale, UnknownLocaleError

    text = _one_line(value, "locale", 64)
    if text is None:
        return None
    # "de-DE", "de_DE" and "de_DE.UTF-8" (as in $LANG) all mean de_DE.
    wanted = re.split(r"[.@]", text, maxsplit=1)[0].replace("-", "_")
    try:
        locale = Locale.parse(wanted)
    except (UnknownLocaleError, ValueError, TypeError):
        locale = None
    # Babel quietly swaps an unknown territory for a likely one (en_ZZ -> en_US).
    if locale is None or str(locale).lower() != wanted.lower():
        raise InvalidInput(f"unknown locale {text!r} (use a code such as en_US, de_DE or fr_FR)")
    return str(locale)


def _email(value: str | None) -> str | None:
    from email.utils import getaddresses

    text = _one_line(value, "sender email address", 320)
    if text is None:
        return None
    problem = InvalidInput(
        f"sender email address {text!r} is not valid "
        '(e.g. shop@example.com or "Shop <shop@example.com>")'
    )
    found = getaddresses([text])
    if len(found) != 1:
        raise problem
    address = found[0][1]
    if address.count("@") != 1 or not (text == address or text.endswith(f"<{address}>")):
        raise problem
    local, domain = address.split("@")
    if not local or re.search(r"[\s<>(),;:\"\[\]]", local):
        raise problem
    if not _is_hostname(domain) or ("." not in domain and domain.lower() != "localhost"):
        raise problem
    return text


def _is_hostname(text: str) -> bool:
    try:
        ascii_name = text.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    ascii_name = ascii_name.removesuffix(".")
    return 0 < len(ascii_name) <= 253 and all(
        HOST_LABEL.match(label) for label in ascii_name.split(".")
    )


def _host(value: str | None) -> str | None:
    text = _one_line(value, "SMTP host", 253)
    if text is None:
        return None
    if "://" in text:
        raise InvalidInput(
            f"SMTP host {text!r} must be a host name such as smtp.example.com, not a URL"
        )
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        pass
    if re.fullmatch(r"[^:\s]+:\d+", text):
        raise InvalidInput(
            f"SMTP host {text!r} must not include the port; give it with --smtp-port"
        )
    if not _is_hostname(text):
        raise InvalidInput(f"SMTP host {text!r} is not a host name (e.g. smtp.example.com)")
    return text


def _port(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise InvalidInput(f"SMTP port {value!r} must be a number from 1 to 65535 (usually 587)")
    return str(value)


def _file_status(path: Path, what: str, shown: str):
    """``os.stat`` of ``path``, or a clear refusal when it is missing or unreachable."""
    try:
        return path.stat()
    except FileNotFoundError:
        raise InvalidInput(f"{what} {shown!r} does not exist") from None
    except OSError as exc:
        raise InvalidInput(f"cannot use {what} {shown!r}: {exc.strerror or exc}") from None


def _directory(value: str | Path | None) -> str | None:
    if value is None or not str(value).strip():
        return None
    if CONTROL.search(str(value)):
        raise InvalidInput("template directory contains control characters")
    shown = str(value).strip()
    path = Path(shown).expanduser()
    if not stat.S_ISDIR(_file_status(path, "template directory", shown).st_mode):
        raise InvalidInput(f"template directory {shown!r} is not a directory")
    return str(path.resolve())


def _logo(value: str | Path) -> str:
    """The file at ``value`` as ``<mime>;base64,<data>``: PNG or JPEG, at most 1 MiB,
    decodable, and of a size a page can hold."""
    from io import BytesIO

    shown = str(value)
    path = Path(shown).expanduser()
    status = _file_status(path, "logo file", shown)
    if not stat.S_ISREG(status.st_mode):
        raise InvalidInput(f"logo {shown!r} is not a file")
    if status.st_size > LOGO_MAX_BYTES:
        raise InvalidInput(
            f"logo file {shown!r} is {status.st_size:,} bytes; at most {LOGO_MAX_BYTES:,} "
            "(1 MiB) are accepted"
        )
    try:
        with path.open("rb") as file:
            data = file.read(LOGO_MAX_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read logo file {shown!r}: {exc.strerror or exc}") from None
    if len(data) > LOGO_MAX_BYTES:  # it grew after the size check
        raise InvalidInput(f"logo file {shown!r} is larger than 1 MiB")
    kind = next((t for magic, t in LOGO_TYPES.items() if data.startswith(magic)), None)
    if kind is None:
        raise InvalidInput(f"logo file {shown!r} is not a PNG or JPEG image")
    mime, pillow_format = kind

    from PIL import Image

    try:
        with Image.open(BytesIO(data), formats=[pillow_format]) as image:
            width, height = image.size
            if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
                raise InvalidInput(
                    f"logo {shown!r} is {width}×{height} pixels; at most "
                    f"{LOGO_MAX_SIDE}×{LOGO_MAX_SIDE} are accepted"
                )
            image.load()
    except InvalidInput:
        raise
    except Exception as exc:  # Pillow raises many kinds for broken files
        raise InvalidInput(
            f"logo file {shown!r} is a damaged {pillow_format} image ({exc})"
        ) from None
    return f"{mime};base64,{base64.b64encode(data).decode('ascii')}"


def init_ledger(*, session: Session, company: str | None, currency: str | None, **profile) -> None:
    """Set up a ledger: the company name, currency and any other company profile fields
    given (``locale``, ``address``, ``tax_id``, ``email_from``; see
    ``update_company``). Options left out keep what is set, so init can run again."""
    changes = {field: value for field, value in profile.items() if value is not None}
    company = clean_text(company, what="company name", max_length=200)
    if company:
        changes["name"] = company
    if currency:
        changes["currency"] = currency
    if changes:
        update_company(session, **changes)
    name = settings.get_setting(session=session, key="company_name")
    code = settings.get_setting(session=session, key="currency", default="EUR")
    record_event(
        session=session,
        subject_kind="ledger",
        subject_number="-",
        action="init",
        message=f"ledger initialised ({name or 'no name'}, {code})",
    )
