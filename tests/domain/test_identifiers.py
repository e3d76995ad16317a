"""Identifiers an e-invoice carries are checked, and stored compact, when typed."""

from __future__ import annotations

import pytest

from ordercli.domain.errors import InvalidInput
from ordercli.domain.identifiers import (
    check_bic,
    check_country,
    check_creditor_id,
    check_endpoint,
    check_iban,
    check_vat_id,
    vat_country,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("DE136695976", "DE136695976"),
        ("de 136 695 976", "DE136695976"),
        ("FR40303265045", "FR40303265045"),
        ("EL094259216", "EL094259216"),
    ],
)
def test_a_valid_vat_id_is_stored_compact(typed, stored):
    assert check_vat_id(typed) == stored


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("DE136695977", "check digit"),
        ("DE13669597", "length"),
        ("136695976", "country prefix"),
        ("XX123456", "not a country prefix"),
    ],
)
def test_an_invalid_vat_id_is_refused_saying_why(typed, says):
    with pytest.raises(InvalidInput, match=says):
        check_vat_id(typed)


def test_greece_is_el_in_vat_ids_and_gr_as_a_country():
    assert vat_country("EL094259216") == "GR"


def test_ibans_bics_and_creditor_ids():
    assert check_iban("DE89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    with pytest.raises(InvalidInput, match="IBAN"):
        check_iban("DE89370400440532013001")
    assert check_bic("COBADEFFXXX") == "COBADEFFXXX"
    assert check_creditor_id("DE98ZZZ09999999999") == "DE98ZZZ09999999999"
    with pytest.raises(InvalidInput, match="creditor id"):
        check_creditor_id("DE99ZZZ09999999999")


@pytest.mark.parametrize("code", ["EU", "UN", "ZZ", "XK", "QO", "EZ"])
def test_regions_and_reserved_codes_are_no_country(code):
    with pytest.raises(InvalidInput, match="ISO 3166"):
        check_country(code)


def test_countries_are_upper_cased_and_northern_ireland_is_known():
    assert check_country(" de ") == "DE"
    assert check_country("XI") == "XI"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ap@example.com", "EM:ap@example.com"),
        ("EM:ap@example.com", "EM:ap@example.com"),
        ("em:ap@example.com", "EM:ap@example.com"),
        ("0204:991-12345-67", "0204:991-12345-67"),
        ("0088:4012345000009", "0088:4012345000009"),
    ],
)
def test_electronic_addresses(typed, stored):
    assert check_endpoint(typed) == stored


@pytest.mark.parametrize("typed", ["nonsense", "12:abc", "0088:", "EM:not-an-email", "0088:a b"])
def test_bad_electronic_addresses_are_refused(typed):
    with pytest.raises(InvalidInput, match="electronic address"):
        check_endpoint(typed)
