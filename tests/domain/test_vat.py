"""The VAT category of a line (EN 16931, rule 21), without a database: which category
the rate, the product and the buyer give, why no tax is charged on a zero category,
and which sales pricing zero rates (``domain/vat.py``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordercli.domain.errors import InvalidInput
from ordercli.domain.vat import (
    CATEGORIES,
    EU_COUNTRIES,
    PRODUCT_CATEGORIES,
    ZERO_CATEGORIES,
    Treatment,
    check_category,
    cross_border,
    exemption_code_of,
    treatment,
    vat_columns,
    zero_rated_sale,
)

RATE_19 = 190000  # 19 % in the database's units
FR_VAT = "FR40303265045"
IC = Treatment("K", "Intra-Community supply", "VATEX-EU-IC")
AE = Treatment("AE", "Reverse charge", "VATEX-EU-AE")
G = Treatment("G", "Export outside the EU", "VATEX-EU-G")
O_DEFAULT = Treatment("O", "Not subject to VAT", "VATEX-EU-O")
Z = Treatment("Z")
S = Treatment("S")


def decide(
    rate: int = 0,
    *,
    category: str | None = None,
    exemption: str | None = None,
    service: bool = False,
    seller: str | None = "DE",
    buyer: str | None = "DE",
    vat_id: str | None = None,
) -> Treatment:
    return treatment(
        rate=rate,
        product_category=category,
        product_exemption=exemption,
        service=service,
        seller_country=seller,
        buyer_country=buyer,
        buyer_vat_id=vat_id,
    )


# --- the category table -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # at home
        (dict(rate=RATE_19), S),
        (dict(rate=RATE_19, service=True), S),
        (dict(), Z),  # a zero rate the law does not explain
        (dict(service=True), Z),
        (dict(vat_id="DE811907980"), Z),  # a German business is domestic too
        # a business with a VAT id in another EU country
        (dict(buyer="FR", vat_id=FR_VAT), IC),
        (dict(buyer="FR", vat_id=FR_VAT, service=True), AE),
        (dict(buyer="GR", vat_id="EL094259216"), IC),  # Greece is GR, its VAT ids EL
        (dict(buyer="XI", vat_id="XI366665177"), IC),  # Northern Ireland's goods
        # a consumer in another EU country pays VAT like one at home
        (dict(buyer="FR"), Z),
        (dict(buyer="FR", vat_id=""), Z),
        (dict(buyer="FR", service=True), Z),
        # outside the EU: goods are exported, services are outside the scope of EU VAT
        (dict(buyer="US"), G),
        (dict(buyer="US", service=True), O_DEFAULT),
        (dict(buyer="CH", vat_id="CHE-116.281.710 MWST"), G),  # a VAT id changes nothing
        (dict(buyer="NO", vat_id="NO974760673MVA", service=True), O_DEFAULT),
        (dict(buyer="GB"), G),  # Great Britain has left
        # a seller outside the EU: EU law does not zero rate its sales
        (dict(seller="CH", buyer="FR", vat_id=FR_VAT), Z),
        (dict(seller="US", buyer="DE", service=True), Z),
        (dict(seller="GB", buyer="US"), Z),
        # countries not known: nothing to go by
        (dict(seller=None, buyer="FR", vat_id=FR_VAT), Z),
        (dict(seller="DE", buyer=None, vat_id=FR_VAT), Z),
        (dict(seller=None, buyer=None), Z),
        (dict(seller="", buyer="US"), Z),
        # a rate above zero is standard rated, whatever the buyer or product
        (dict(rate=RATE_19, buyer="FR", vat_id=FR_VAT), S),
        (dict(rate=RATE_19, buyer="US", service=True), S),
        (dict(rate=70000, category="E", exemption="Exempt"), S),
        (dict(rate=1, category="O", buyer="US"), S),
        (dict(rate=1, category="Z"), S),
    ],
)
def test_the_category_of_a_line(line, expected):
    assert decide(**line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # zero rated products: Z at home; a sale abroad takes the category the law gives
        (dict(category="Z"), Z),
        (dict(category="Z", buyer="FR"), Z),
        (dict(category="Z", buyer="FR", vat_id=FR_VAT), IC),
        (dict(category="Z", buyer="US"), G),
        (dict(category="Z", seller="CH", buyer="US"), Z),
        # a product marked S at a rate of 0 (a typed rate) is explained like any other
        (dict(category="S"), Z),
        (dict(category="S", buyer="FR", vat_id=FR_VAT, service=True), AE),
        # exempt products keep E, with the product's reason in words …
        (
            dict(category="E", exemption="Exempt under § 4 Nr. 14 UStG"),
            Treatment("E", "Exempt under § 4 Nr. 14 UStG", None),
        ),
        # … or as a VATEX code, which is the code and not the text
        (
            dict(category="E", exemption="VATEX-EU-132-1I"),
            Treatment("E", None, "VATEX-EU-132-1I"),
        ),
        (
            dict(category="E", exemption="vatex-eu-132-1i"),
            Treatment("E", None, "VATEX-EU-132-1I"),
        ),
        # … and a reason in words even without one
        (dict(category="E"), Treatment("E", "Exempt from VAT", None)),
        (dict(category="E", exemption=""), Treatment("E", "Exempt from VAT", None)),
        # E abroad stays E: the exemption is the product's, not the border's
        (
            dict(category="E", exemption="VATEX-EU-132-1I", buyer="FR", vat_id=FR_VAT),
            Treatment("E", None, "VATEX-EU-132-1I"),
        ),
        (
            dict(category="E", exemption="Medical care", buyer="US", service=True),
            Treatment("E", "Medical care", None),
        ),
        # not subject to VAT: the product's reason, else the standard one
        (dict(category="O"), O_DEFAULT),
        (dict(category="O", exemption=""), O_DEFAULT),
        (
            dict(category="O", exemption="Membership fee"),
            Treatment("O", "Membership fee", None),
        ),
        (
            dict(category="O", exemption="VATEX-EU-O"),
            Treatment("O", None, "VATEX-EU-O"),
        ),
        (
            dict(category="O", exemption="Membership fee", buyer="FR", vat_id=FR_VAT),
            Treatment("O", "Membership fee", None),
        ),
        (dict(category="O", buyer="US"), O_DEFAULT),
        # a product's reason never replaces what the border says for a product without O/E
        (dict(category="Z", buyer="US", exemption="ignored"), G),
    ],
)
def test_a_product_marked_zero_exempt_or_not_subject(line, expected):
    assert decide(**line) == expected


@pytest.mark.parametrize(
    ("service", "seller", "buyer", "vat_id", "expected"),
    [
        (False, "DE", "DE", "DE811907980", None),
        (False, "DE", "FR", FR_VAT, "K"),
        (True, "DE", "FR", FR_VAT, "AE"),
        (False, "DE", "FR", None, None),
        (True, "DE", "FR", "", None),
        (False, "DE", "US", None, "G"),
        (True, "DE", "US", "US-EIN", "O"),
        (False, "FR", "DE", "DE811907980", "K"),
        (False, "US", "US", None, None),  # at home outside the EU
        (False, "CH", "US", None, None),  # between two countries outside the EU
        (True, "CH", "FR", FR_VAT, None),
        (False, None, "FR", FR_VAT, None),
        (False, "DE", None, FR_VAT, None),
        (False, "", "", None, None),
    ],
)
def test_cross_border(service, seller, buyer, vat_id, expected):
    assert (
        cross_border(
            service=service, seller_country=seller, buyer_country=buyer, buyer_vat_id=vat_id
        )
        == expected
    )


@pytest.mark.parametrize(
    ("category", "service", "seller", "buyer", "vat_id", "expected"),
    [
        # the product says so, wherever the buyer is
        ("Z", False, "DE", "DE", None, True),
        ("E", True, "DE", "DE", None, True),
        ("O", True, None, None, None, True),
        ("E", False, "DE", "FR", None, True),
        # standard rated products, and products without a category, at home: taxed
        ("S", False, "DE", "DE", None, False),
        (None, False, "DE", "DE", "DE811907980", False),
        # the law zero rates the sale abroad whatever the product says (S or nothing)
        ("S", False, "DE", "FR", FR_VAT, True),
        (None, True, "DE", "FR", FR_VAT, True),
        (None, False, "DE", "US", None, True),
        ("S", True, "DE", "US", None, True),
        # a consumer in another EU country pays VAT
        (None, False, "DE", "FR", None, False),
        ("S", True, "DE", "FR", "", False),
        # a seller outside the EU, or countries not known: taxed as the product says
        (None, False, "CH", "FR", FR_VAT, False),
        (None, False, None, "US", None, False),
        (None, False, "DE", None, None, False),
    ],
)
def test_which_sales_are_priced_without_tax(category, service, seller, buyer, vat_id, expected):
    assert (
        zero_rated_sale(
            product_category=category,
            service=service,
            seller_country=seller,
            buyer_country=buyer,
            buyer_vat_id=vat_id,
        )
        is expected
    )


# --- what users type and what is stored ------------------------------------------------


@pytest.mark.parametrize(("typed", "code"), [("S", "S"), (" z ", "Z"), ("e", "E"), ("O", "O")])
def test_a_product_takes_s_z_e_or_o(typed, code):
    assert check_category(typed) == code


@pytest.mark.parametrize("typed", ["AE", "k", "G", "X", "", "  ", "SZ", "standard"])
def test_other_categories_are_refused_for_a_product(typed):
    with pytest.raises(InvalidInput) as refused:
        check_category(typed)
    assert str(refused.value) == (
        f"unknown VAT category {typed!r} for a product (use S (standard rate), "
        "Z (zero rated), E (exempt from VAT), O (not subject to VAT); reverse charge, "
        "intra-community and export follow from the customer's country and VAT id)"
    )


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (None, (None, None)),
        ("VATEX-EU-79-C", (None, "VATEX-EU-79-C")),
        ("vatex-fr-franchise", (None, "VATEX-FR-FRANCHISE")),
        ("Exempt under § 4 Nr. 14 UStG", ("Exempt under § 4 Nr. 14 UStG", None)),
        ("Not VATEX-EU-O", ("Not VATEX-EU-O", None)),  # only a reason that starts with it
    ],
)
def test_an_exemption_reason_is_words_or_a_vatex_code(reason, expected):
    assert exemption_code_of(reason) == expected


def test_vat_columns_record_the_treatment():
    assert vat_columns(Treatment("E", "Exempt", None)) == {
        "vat_category": "E",
        "vat_exemption": "Exempt",
        "vat_exemption_code": None,
    }
    assert vat_columns(S) == {
        "vat_category": "S",
        "vat_exemption": None,
        "vat_exemption_code": None,
    }


def test_the_category_lists_agree():
    assert set(CATEGORIES) == {"S", "Z", "E", "AE", "K", "G", "O"}
    assert ZERO_CATEGORIES == set(CATEGORIES) - {"S"}
    assert set(PRODUCT_CATEGORIES) == {"S", "Z", "E", "O"}
    assert len(EU_COUNTRIES) == 28  # the 27 member states and Northern Ireland's goods
    assert {"EL", "GB", "CH", "NO"}.isdisjoint(EU_COUNTRIES)


# --- for any line --------------------------------------------------------------------

COUNTRIES = st.one_of(
    st.none(), st.just(""), st.sampled_from(sorted(EU_COUNTRIES | {"US", "CH", "GB", "NO", "CN"}))
)
# Reasons as the catalog stores them: trimmed words, or a VATEX code upper-cased.
REASONS = st.one_of(
    st.none(),
    st.sampled_from(["VATEX-EU-132-1I", "VATEX-EU-O", "VATEX-EU-79-C"]),
    st.text(min_size=1, max_size=30).map(str.strip).filter(bool),
)
LINES = st.fixed_dictionaries(
    {
        "rate": st.one_of(st.just(0), st.integers(min_value=1, max_value=1_000_000)),
        "product_category": st.sampled_from([None, *PRODUCT_CATEGORIES]),
        "product_exemption": REASONS,
        "service": st.booleans(),
        "seller_country": COUNTRIES,
        "buyer_country": COUNTRIES,
        "buyer_vat_id": st.one_of(st.none(), st.just(""), st.just(FR_VAT), st.just("US-1")),
    }
)


@given(LINES)
def test_every_line_gets_a_known_category_and_a_zero_category_says_why(line):
    decided = treatment(**line)
    assert decided.category in CATEGORIES
    assert (decided.category == "S") == (line["rate"] > 0)
    if decided.category in ZERO_CATEGORIES - {"Z"}:
        assert decided.exemption or decided.exemption_code
    else:  # S and Z need no reason (BR-S-10, BR-Z-10)
        assert (decided.exemption, decided.exemption_code) == (None, None)
    if decided.exemption_code is not None:
        assert decided.exemption_code.startswith("VATEX-")


@given(LINES)
def test_what_pricing_zero_rates_the_invoice_explains(line):
    """A sale priced without tax because of the border is invoiced under the border's
    category; one the border does not explain is Z unless the product says E or O."""
    zero = zero_rated_sale(
        product_category=line["product_category"],
        service=line["service"],
        seller_country=line["seller_country"],
        buyer_country=line["buyer_country"],
        buyer_vat_id=line["buyer_vat_id"],
    )
    decided = treatment(**(line | {"rate": 0}))
    abroad = cross_border(
        service=line["service"],
        seller_country=line["seller_country"],
        buyer_country=line["buyer_country"],
        buyer_vat_id=line["buyer_vat_id"],
    )
    if line["product_category"] in ("E", "O"):
        assert zero and decided.category == line["product_category"]
    elif abroad is not None:
        assert zero and decided.category == abroad
    else:
        assert decided.category == "Z"
        assert zero is (line["product_category"] == "Z")


def test_services_to_northern_ireland_are_outside_the_eu():
    assert decide(buyer="XI", vat_id="XI366665177", service=True) == O_DEFAULT
