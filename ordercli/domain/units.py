"""Units of measure: the UN/ECE Recommendation 20 codes ordercli knows, the short
names people read for them, and the words people type for them.

A product is sold in one unit (``C62`` pieces, ``KGM`` kilograms, ``HUR`` hours);
every line of a quote, order, invoice, shipment, credit memo or return keeps
the unit its product had when the line was written, so changing a product's
unit never changes a line. The code is what is stored, exported and put in an
e-invoice; the short name ("kg", "h", "pc") is what screens and documents show.

Why a table of our own rather than a library: PyPI has no maintained, light
package that carries the Rec. 20 list. ``trytond-edocument-unece`` and the
``odoo*-addon-uom-unece`` modules hold the codes as data of the Tryton and Odoo
servers and install those servers with them; ``pint``, ``uom`` and
``units-of-measurement`` convert physical units and know no Rec. 20 codes. The
full list has some two thousand codes, nearly all of them foreign to a small
shop's catalog ("caboose mile", "hundred fifteen kg drum"); ordercli offers the
few dozen that catalogs use, each with a name a customer can read, and refuses
the rest rather than print a code nobody can read.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ordercli.domain.errors import InvalidInput
from ordercli.domain.money import normalize_qty

DEFAULT_UNIT = "C62"


@dataclass(frozen=True)
class Unit:
    code: str  # the Rec. 20 common code, as stored
    symbol: str  # the short name shown beside a quantity
    name: str  # what it is, in words
    words: tuple[str, ...] = ()  # what else users type for it (lower case)


KNOWN = (
    Unit("C62", "pc", "piece", ("pc", "pcs", "piece", "pieces", "unit", "units", "one")),
    Unit("H87", "pc", "piece (H87)"),
    Unit("EA", "ea", "each", ("each",)),
    Unit("KGM", "kg", "kilogram", ("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms")),
    Unit("GRM", "g", "gram", ("g", "gr", "gram", "grams")),
    Unit("MGM", "mg", "milligram", ("mg", "milligram", "milligrams")),
    Unit("TNE", "t", "tonne", ("t", "tonne", "tonnes")),
    Unit("LTR", "l", "litre", ("l", "litre", "litres", "liter", "liters")),
    Unit("MLT", "ml", "millilitre", ("ml", "millilitre", "millilitres", "milliliter")),
    Unit("MTQ", "m³", "cubic metre", ("m³", "m3", "cbm", "cubic metre", "cubic meter")),
    Unit("MTR", "m", "metre", ("m", "metre", "metres", "meter", "meters")),
    Unit("CMT", "cm", "centimetre", ("cm", "centimetre", "centimetres", "centimeter")),
    Unit("MMT", "mm", "millimetre", ("mm", "millimetre", "millimetres", "millimeter")),
    Unit("KMT", "km", "kilometre", ("km", "kilometre", "kilometres", "kilometer")),
    Unit("MTK", "m²", "square metre", ("m²", "m2", "sqm", "square metre", "square meter")),
    Unit("HUR", "h", "hour", ("h", "hr", "hrs", "hour", "hours")),
    Unit("MIN", "min", "minute", ("mins", "minute", "minutes")),
    Unit("DAY", "day", "day", ("d", "days")),
    Unit("WEE", "wk", "week", ("wk", "week", "weeks")),
    Unit("MON", "mo", "month", ("mo", "month", "months")),
    Unit("ANN", "yr", "year", ("yr", "year", "years")),
    Unit("SET", "set", "set", ("sets",)),
    Unit("PR", "pr", "pair", ("pair", "pairs")),
    Unit("DZN", "doz", "dozen", ("doz", "dozen", "dozens")),
    Unit("KWH", "kWh", "kilowatt hour", ("kilowatt hour", "kilowatt hours")),
    Unit("LS", "lump sum", "lump sum", ("lump sum", "lumpsum", "flat")),
    Unit("E48", "svc", "service unit", ("svc", "service", "service unit", "service units")),
    Unit("XBX", "box", "box", ("box", "boxes")),
    Unit("XBG", "bag", "bag", ("bag", "bags")),
    Unit("XBO", "btl", "bottle", ("btl", "bottle", "bottles")),
    Unit("XCT", "ctn", "carton", ("ctn", "carton", "cartons")),
    Unit("XCR", "crate", "crate", ("crate", "crates")),
    Unit("XPK", "pkg", "package", ("pkg", "pack", "packs", "package", "packages")),
    Unit("XPX", "plt", "pallet", ("plt", "pallet", "pallets")),
    Unit("XRO", "roll", "roll", ("roll", "rolls")),
)
UNITS = {unit.code: unit for unit in KNOWN}
# The words users type, each meaning exactly one code (the tests check that).
WORDS = {word: unit.code for unit in KNOWN for word in unit.words}
# Units counted in whole things: "3 × Oak desk" reads better than "3 pc of Oak desk".
COUNTED = frozenset({"C62", "H87", "EA"})
# The codes a refusal's hint names, the ones catalogs use most.
COMMON = ("C62", "KGM", "GRM", "LTR", "MTR", "MTK", "HUR", "DAY", "MON", "SET", "PR", "XBX")


def parse_unit(text: str) -> str:
    """The code of a unit a user typed: a known code in any case, or one of its words
    (``kg``, ``h``, ``hour``, ``pcs``); anything else is refused with close matches."""
    typed = (text or "").strip()
    if not typed:
        raise InvalidInput("unit must not be empty", hint=_known_hint())
    if typed.upper() in UNITS:
        return typed.upper()
    word = " ".join(typed.casefold().split())
    if word in WORDS:
        return WORDS[word]
    raise InvalidInput(f"unknown unit {typed!r}{_close_to(word)}", hint=_known_hint())


def _close_to(word: str) -> str:
    candidates = {code.casefold(): code for code in UNITS} | WORDS
    close = dict.fromkeys(
        candidates[match] for match in difflib.get_close_matches(word, candidates, n=4)
    )
    if not close:
        return ""
    return "; did you mean " + " or ".join(unit_label(code) for code in close) + "?"


def _known_hint() -> str:
    listed = ", ".join(f"{code} ({UNITS[code].symbol})" for code in COMMON)
    return f"a unit is a UN/ECE Rec. 20 code or its name: {listed}, …"


def unit_symbol(code: str) -> str:
    """The short name shown beside a quantity; a code ordercli does not know shows as it is."""
    unit = UNITS.get(code)
    return unit.symbol if unit else code


def unit_label(code: str) -> str:
    """The code with its short name, as ``kg (KGM)``."""
    symbol = unit_symbol(code)
    return code if symbol == code else f"{symbol} ({code})"


def quantity_text(qty: Decimal, code: str) -> str:
    """A quantity with its unit: ``12.5 kg``, ``3 pc``."""
    return f"{normalize_qty(qty):f} {unit_symbol(code)}"


def quantity_phrase(qty: Decimal, code: str) -> str:
    """A quantity as a sentence says it: ``12.5 kg``, but ``3`` of things counted."""
    if code in COUNTED:
        return f"{normalize_qty(qty):f}"
    return quantity_text(qty, code)


def quantity_of(qty: Decimal, code: str, what: str) -> str:
    """A quantity of something in words: ``12.5 kg of Espresso beans``, ``3 × Oak desk``."""
    if code in COUNTED:
        return f"{quantity_phrase(qty, code)} × {what}"
    return f"{quantity_text(qty, code)} of {what}"


def totals_by_unit(lines: Iterable[tuple[str, Decimal]]) -> list[dict]:
    """Lines and quantities added up per unit, in the order the units first appear:
    ten kilograms and six boxes are two totals, never sixteen of anything."""
    totals: dict[str, dict] = {}
    for code, qty in lines:
        total = totals.setdefault(code, {"unit": code, "lines": 0, "qty": Decimal(0)})
        total["lines"] += 1
        total["qty"] += qty
    for total in totals.values():
        total["qty"] = normalize_qty(total["qty"])
        total["symbol"] = unit_symbol(total["unit"])
    return list(totals.values())


def totals_text(totals: list[dict]) -> str:
    """Per-unit totals as one phrase: ``10 kg, 6 pc``."""
    return ", ".join(quantity_text(total["qty"], total["unit"]) for total in totals)
