"""Units of measure without a database: what users type, what they read, per-unit totals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordercli.domain.errors import InvalidInput
from ordercli.domain.units import (
    DEFAULT_UNIT,
    UNITS,
    WORDS,
    parse_unit,
    quantity_of,
    quantity_text,
    totals_by_unit,
    totals_text,
    unit_label,
    unit_symbol,
)

D = Decimal


def any_case(text: str):
    """``text`` with each letter in either case, and blanks around it."""
    return st.tuples(
        st.lists(st.booleans(), min_size=len(text), max_size=len(text)),
        st.sampled_from(["", " ", "\t"]),
        st.sampled_from(["", " "]),
    ).map(
        lambda t: (
            t[1]
            + "".join(c.upper() if up else c.lower() for c, up in zip(text, t[0], strict=True))
            + t[2]
        )
    )


@given(
    st.sampled_from(sorted(UNITS)).flatmap(lambda code: st.tuples(st.just(code), any_case(code)))
)
def test_every_known_code_round_trips_in_any_case(case):
    code, typed = case
    assert parse_unit(typed) == code
    assert parse_unit(parse_unit(typed)) == code
    assert unit_symbol(code) == UNITS[code].symbol


@given(
    st.sampled_from(sorted(WORDS)).flatmap(lambda word: st.tuples(st.just(word), any_case(word)))
)
def test_every_name_maps_to_its_code(case):
    word, typed = case
    assert parse_unit(typed) == WORDS[word]


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("kg", "KGM"),
        ("KG", "KGM"),
        ("kilos", "KGM"),
        ("h", "HUR"),
        ("hour", "HUR"),
        ("Hours", "HUR"),
        ("pcs", "C62"),
        ("piece", "C62"),
        ("m²", "MTK"),
        ("m2", "MTK"),
        ("box", "XBX"),
        ("lump  sum", "LS"),
        ("ea", "EA"),
        ("min", "MIN"),
        ("e48", "E48"),
    ],
)
def test_common_names_and_symbols(typed, code):
    assert parse_unit(typed) == code


def test_no_word_means_two_units():
    """A word is never also another unit's code, so what a user types has one meaning."""
    for word, code in WORDS.items():
        assert word == word.casefold() and word.strip() == word
        assert word.upper() not in UNITS or word.upper() == code, word
    every_word = [word for unit in UNITS.values() for word in unit.words]
    assert len(every_word) == len(set(every_word))


def test_codes_fit_the_ledger_and_pieces_are_the_default():
    assert all(1 <= len(code) <= 3 and code == code.upper() for code in UNITS)
    assert DEFAULT_UNIT == "C62" and unit_symbol(DEFAULT_UNIT) == "pc"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("kgg", "unknown unit 'kgg'; did you mean kg (KGM)"),
        ("hourz", "unknown unit 'hourz'; did you mean h (HUR)"),
        ("furlong", "unknown unit 'furlong'"),
        ("XYZ", "unknown unit 'XYZ'"),
    ],
)
def test_unknown_units_are_refused_with_close_matches_and_a_hint(typed, message):
    with pytest.raises(InvalidInput) as refused:
        parse_unit(typed)
    assert refused.value.message.startswith(message)
    assert "KGM (kg)" in refused.value.hint and "HUR (h)" in refused.value.hint


@pytest.mark.parametrize("typed", ["", "   "])
def test_an_empty_unit_is_refused(typed):
    with pytest.raises(InvalidInput, match="unit must not be empty"):
        parse_unit(typed)


def test_texts_of_quantities():
    assert quantity_text(D("12.500"), "KGM") == "12.5 kg"
    assert quantity_of(D("12.5"), "KGM", "Espresso beans") == "12.5 kg of Espresso beans"
    assert quantity_of(D("3"), "C62", "Oak desk") == "3 × Oak desk"
    assert quantity_of(D("2"), "HUR", "Installation") == "2 h of Installation"
    assert unit_label("KGM") == "kg (KGM)"
    # A code this version does not know (written by a newer one) shows as it is.
    assert unit_symbol("ZZZ") == "ZZZ" and unit_label("ZZZ") == "ZZZ"


def test_totals_are_per_unit_never_one_sum():
    totals = totals_by_unit(
        [("KGM", D("7.5")), ("C62", D(4)), ("KGM", D("2.5")), ("XBX", D(1)), ("C62", D(2))]
    )
    assert [(t["unit"], t["lines"], t["qty"]) for t in totals] == [
        ("KGM", 2, D(10)),
        ("C62", 2, D(6)),
        ("XBX", 1, D(1)),
    ]
    assert totals_text(totals) == "10 kg, 6 pc, 1 box"
    assert totals_by_unit([]) == []


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["KGM", "C62", "HUR"]),
            st.decimals(min_value=0, max_value=10_000, places=3),
        ),
        max_size=20,
    )
)
def test_per_unit_totals_add_up_each_unit_alone(lines):
    totals = {t["unit"]: t for t in totals_by_unit(lines)}
    for code in {code for code, _ in lines}:
        mine = [qty for c, qty in lines if c == code]
        assert totals[code]["lines"] == len(mine)
        assert totals[code]["qty"] == sum(mine, D(0))
    assert set(totals) == {code for code, _ in lines}
