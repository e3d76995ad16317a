"""Identifiers an e-invoice carries, checked when they are typed: VAT ids, IBANs,
BICs, SEPA creditor ids, ISO country codes and electronic addresses.

A typo in any of them makes a buyer's software reject the invoice weeks later,
so each is checked by format and check digits where it is entered. The checks
are python-stdnum's (VAT ids of every EU country and many others, creditor ids)
and schwifty's (IBAN and BIC by country); both are imported only here, when an
identifier is checked. Each function returns the identifier in its compact
stored form or raises ``InvalidInput`` saying what is wrong.
"""

from __future__ import annotations

import re
from functools import cache

from ordercli.domain.errors import InvalidInput

# VAT ids start with a country prefix, which is the ISO code except for Greece.
VAT_PREFIX_COUNTRY = {"EL": "GR"}
# CLDR territories that are no ISO 3166-1 country (regions, unions, reserved codes):
# an e-invoice's country code list refuses them.
NOT_COUNTRIES = frozenset("AC CP CQ DG EA EU EZ IC QO TA UN XA XB XK ZZ".split())
# EAS codes (CEF's Electronic Address Scheme list) are four digits, or EM for email.
EAS_SCHEME = re.compile(r"^(?:\d{4}|EM)$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@cache
def countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes, from Babel's territory list (CLDR)."""
    from babel import Locale

    codes = (str(code) for code in Locale.parse("en").territories)
    return (
        frozenset(code for code in codes if len(code) == 2 and code.isalpha()) - NOT_COUNTRIES
    ) | {"XI"}


def check_country(text: str, *, what: str = "country") -> str:
    code = text.strip().upper()
    if code not in countries():
        raise InvalidInput(f"{what} {text!r} is not an ISO 3166 country code (such as DE, FR, US)")
    return code


def vat_country(vat_id: str) -> str:
    """The ISO country of a VAT id by its prefix (EL is Greece)."""
    prefix = vat_id[:2].upper()
    return VAT_PREFIX_COUNTRY.get(prefix, prefix)


def check_vat_id(text: str) -> str:
    """A VAT id with its country prefix (``DE136695976``), checked by stdnum."""
    from stdnum import get_cc_module
    from stdnum.exceptions import ValidationError

    compact = re.sub(r"[\s.\-/]", "", text).upper()
    if len(compact) >= 2 and compact[:2].isalpha() and len(compact) < 4:
        raise InvalidInput(f"VAT id {text!r} is too short")
    if not compact[:2].isalpha():
        raise InvalidInput(
            f"VAT id {text!r} must start with its country prefix (such as DE136695976)"
        )
    country = vat_country(compact).lower()
    module = get_cc_module(country, "vat")
    if module is None:
        if country.upper() not in countries():
            raise InvalidInput(f"VAT id {text!r}: {compact[:2]} is not a country prefix")
        if not compact[2:].isalnum():
            raise InvalidInput(f"VAT id {text!r} may hold only letters and digits")
        return compact  # a country whose VAT ids stdnum does not know: kept as typed
    try:
        module.validate(compact)
    except ValidationError as exc:
        raise InvalidInput(f"VAT id {text!r} is not valid: {exc}") from None
    return compact


def check_iban(text: str) -> str:
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        return str(IBAN(text).compact)
    except SchwiftyException as exc:
        raise InvalidInput(f"IBAN {text!r} is not valid: {exc}") from None


def check_bic(text: str) -> str:
    from schwifty import BIC
    from schwifty.exceptions import SchwiftyException

    try:
        return str(BIC(text, allow_invalid=False).compact)
    except SchwiftyException as exc:
        raise InvalidInput(f"BIC {text!r} is not valid: {exc}") from None


def check_creditor_id(text: str) -> str:
    """A SEPA creditor identifier (``DE98ZZZ09999999999``)."""
    from stdnum.eu import at_02
    from stdnum.exceptions import ValidationError

    try:
        return str(at_02.validate(text))
    except ValidationError as exc:
        raise InvalidInput(f"creditor id {text!r} is not valid: {exc}") from None


def check_endpoint(text: str) -> str:
    """An electronic address as ``SCHEME:ID`` (an EAS code such as 0204 for a
    Leitweg-ID or 0088 for a GLN), or an email address (stored as ``EM:…``)."""
    value = text.strip()
    if value[:3].upper() == "EM:":
        value = value[3:]
    if EMAIL.match(value):
        return f"EM:{value}"
    scheme, _, identifier = value.partition(":")
    if not identifier or not EAS_SCHEME.match(scheme.upper()) or " " in identifier:
        raise InvalidInput(
            f"electronic address {text!r} must be an email address or SCHEME:ID with an "
            "EAS scheme code (such as 0204:991-12345-67 or 0088:4012345000009)"
        )
    if scheme.upper() == "EM" and not EMAIL.match(identifier):
        raise InvalidInput(f"electronic address {text!r}: EM needs an email address")
    return f"{scheme.upper()}:{identifier}"


def split_endpoint(stored: str) -> tuple[str, str]:
    scheme, _, identifier = stored.partition(":")
    return scheme, identifier
