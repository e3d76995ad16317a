"""VAT categories of EN 16931 (UNTDID 5305) and which one a line falls in.

Every invoice line carries one category; the e-invoice groups the lines by
category and rate for its VAT breakdown. The ledger decides the category when it
issues the invoice, from the line's rate, the product and the buyer:

- a rate above zero is standard rated (``S``): the tax is charged;
- a product marked exempt or not subject (``E``, ``O``) keeps its category; one
  marked zero rated (``Z``) keeps it at home;
- a sale across a border is zero rated by the law, not by the product: goods to
  a business with a VAT id in another EU country are an intra-community supply
  (``K``), services to one are reverse charged (``AE``: the buyer accounts for
  the tax); goods leaving the EU are an export (``G``), services to a buyer
  outside the EU are outside the scope of EU VAT (``O``). Northern Ireland (XI)
  is in the EU's VAT area for goods only: services to it are outside it;
- any other zero rate is ``Z``.

Pricing asks the same function whether a line should carry tax at all
(``zero_rated_sale``), so an order for a customer abroad is priced without tax
and invoiced under the category that says why.
"""

from __future__ import annotations

from dataclasses import dataclass

from ordercli.domain.errors import InvalidInput

CATEGORIES = {
    "S": "standard rate",
    "Z": "zero rated",
    "E": "exempt from VAT",
    "AE": "reverse charge",
    "K": "intra-community supply",
    "G": "export outside the EU",
    "O": "not subject to VAT",
}
# Categories a product may carry: the others follow from the buyer, not the product.
PRODUCT_CATEGORIES = ("S", "Z", "E", "O")
ZERO_CATEGORIES = frozenset(CATEGORIES) - {"S"}

# The default exemption reason (text, VATEX code) of each category that needs one
# (EN 16931 BR-AE-10, BR-IC-10, BR-G-10, BR-O-10); ``E`` takes the product's reason.
EXEMPTIONS = {
    "AE": ("Reverse charge", "VATEX-EU-AE"),
    "K": ("Intra-Community supply", "VATEX-EU-IC"),
    "G": ("Export outside the EU", "VATEX-EU-G"),
    "O": ("Not subject to VAT", "VATEX-EU-O"),
}

# Northern Ireland is in the EU's VAT area for goods, not for services.
GOODS_ONLY = frozenset({"XI"})
# The VAT area: the EU member states by ISO 3166 code (Greece is GR here, EL in VAT
# ids) and Northern Ireland's goods (XI).
EU_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK XI".split()
)


@dataclass(frozen=True)
class Treatment:
    """The category of one line and, for the zero categories, why no tax is charged."""

    category: str
    exemption: str | None = None  # the reason in words (BT-120)
    exemption_code: str | None = None  # VATEX code (BT-121)


def check_category(text: str) -> str:
    """A category typed by the user for a product, upper-cased."""
    code = text.strip().upper()
    if code not in PRODUCT_CATEGORIES:
        known = ", ".join(f"{c} ({CATEGORIES[c]})" for c in PRODUCT_CATEGORIES)
        raise InvalidInput(
            f"unknown VAT category {text!r} for a product (use {known}; reverse charge, "
            "intra-community and export follow from the customer's country and VAT id)"
        )
    return code


def exemption_code_of(reason: str | None) -> tuple[str | None, str | None]:
    """(text, VATEX code) of a product's exemption reason: a reason that is a VATEX
    code (``VATEX-EU-132-1I``) is the code, anything else is the text."""
    if reason is None:
        return None, None
    if reason.upper().startswith("VATEX-"):
        return None, reason.upper()
    return reason, None


def cross_border(
    *, service: bool, seller_country: str | None, buyer_country: str | None, buyer_vat_id
) -> str | None:
    """The zero category the law gives a sale abroad (``K``, ``AE``, ``G``, ``O``), or
    None when the sale is domestic or the countries are not known."""
    if not seller_country or not buyer_country or seller_country == buyer_country:
        return None
    if seller_country not in EU_COUNTRIES:
        return None
    in_eu = buyer_country in EU_COUNTRIES and not (service and buyer_country in GOODS_ONLY)
    if in_eu:
        if not buyer_vat_id:
            return None  # a consumer in another EU country pays VAT like one at home
        return "AE" if service else "K"
    return "O" if service else "G"


def zero_rated_sale(
    *,
    product_category: str | None,
    service: bool,
    seller_country: str | None,
    buyer_country: str | None,
    buyer_vat_id: str | None,
) -> bool:
    """Whether a new line of this product for this buyer is priced without tax."""
    if product_category in ZERO_CATEGORIES:
        return True
    return (
        cross_border(
            service=service,
            seller_country=seller_country,
            buyer_country=buyer_country,
            buyer_vat_id=buyer_vat_id,
        )
        is not None
    )


def treatment(
    *,
    rate: int,
    product_category: str | None,
    product_exemption: str | None,
    service: bool,
    seller_country: str | None,
    buyer_country: str | None,
    buyer_vat_id: str | None,
) -> Treatment:
    """The category of an invoice line with tax ``rate`` (hundredths of a percent)."""
    if rate > 0:
        return Treatment("S")
    abroad = cross_border(
        service=service,
        seller_country=seller_country,
        buyer_country=buyer_country,
        buyer_vat_id=buyer_vat_id,
    )
    if product_category in ("E", "O") or (abroad is None and product_category == "Z"):
        category = product_category
    else:
        category = abroad or "Z"
    if category == "E" or (category == "O" and product_category == "O"):
        text, code = exemption_code_of(product_exemption)
        if text or code:
            return Treatment(category, text, code)
    if category in EXEMPTIONS:
        text, code = EXEMPTIONS[category]
        return Treatment(category, text, code)
    if category == "E":
        return Treatment("E", "Exempt from VAT", None)
    return Treatment(category)


def vat_columns(decided: Treatment) -> dict[str, str | None]:
    """The invoice line columns that record ``decided``."""
    return {
        "vat_category": decided.category,
        "vat_exemption": decided.exemption,
        "vat_exemption_code": decided.exemption_code,
    }
