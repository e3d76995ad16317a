"""Exact money and quantities (SPEC rule 10).

Every amount is a ``Decimal`` in Python and an integer count of minor units in
the database (cents for EUR, yen for JPY). Quantities are decimals too, so
hours and kilograms work, held in the database as thousandths. Percentages
(discounts, tax rates) are held as ten-thousandths of a percent.

Rounding happens in exactly one place, ``round_money``: half-up to the minor
unit, never banker's rounding and never through a float. A line's net is
``qty × unit_price × (1 − discount/100)`` rounded; its tax is ``net × rate/100``
rounded; document totals are sums of rounded lines. A line whose price includes
tax (rule 19) rounds its gross amount the same way and takes the net out of it:
net = gross ÷ (1 + rate/100) rounded, tax = gross − net. A document discount is
spread over the lines as shares of minor units (``spread_discount``), each taken
off its line's rounded amount.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from ordercli.domain.errors import InvalidInput
from ordercli.domain.text import shown as _shown

QTY_DIGITS = 3
QTY_SCALE = 10**QTY_DIGITS
PCT_DIGITS = 4
PCT_SCALE = 10**PCT_DIGITS
DEFAULT_MINOR_DIGITS = 2

# Amounts beyond this are refused as input: 10^15 minor units is a thousand
# billion in a two-digit currency and still far inside a 64-bit integer after
# multiplying by quantities.
MAX_MINOR_UNITS = 10**15
MAX_QTY_UNITS = 10**12
ZERO = Decimal(0)
HUNDRED = Decimal(100)


def _parse_decimal(text: object, what: str) -> Decimal:
    if isinstance(text, float):
        raise InvalidInput(f"{what} must be given as a decimal string, not a float")
    raw = str(text).strip().replace("_", "")
    if not raw:
        raise InvalidInput(f"{what} is empty")
    if not raw.isascii():
        # Decimal() reads any script's digits ("１００"); a ledger takes plain ones only.
        raise InvalidInput(f"{what} {str(text)!r} is not a number (use digits 0-9)")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(f"{what} {str(text)!r} is not a number") from None
    if not value.is_finite():
        raise InvalidInput(f"{what} {str(text)!r} is not a finite number")
    # Checked before any arithmetic: a million-digit number would overflow the
    # decimal context in the comparisons below.
    if value and value.adjusted() > 30:
        raise InvalidInput(f"{what} {_shown(text)} is too large")
    if value and value.adjusted() < -30:
        raise InvalidInput(f"{what} {_shown(text)} has too many decimal places")
    return value


def _check_places(value: Decimal, digits: int, what: str, text: object) -> None:
    if abs(value) >= Decimal(10) ** 18:
        raise InvalidInput(f"{what} {str(text)!r} is too large")
    if value != value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP):
        raise InvalidInput(f"{what} {str(text)!r} has more than {digits} decimal places")


def parse_money(
    text: object,
    minor_digits: int = DEFAULT_MINOR_DIGITS,
    *,
    what: str = "amount",
    allow_negative: bool = False,
) -> Decimal:
    """Read an amount typed by a user; refuse more decimals than the currency has."""
    value = _parse_decimal(text, what)
    if value < 0 and not allow_negative:
        raise InvalidInput(f"{what} {str(text)!r} must not be negative")
    _check_places(value, minor_digits, what, text)
    if abs(value).scaleb(minor_digits) >= MAX_MINOR_UNITS:
        raise InvalidInput(f"{what} {str(text)!r} is too large")
    return quantize_money(value, minor_digits)


def parse_qty(text: object, *, what: str = "quantity", allow_zero: bool = False) -> Decimal:
    value = _parse_decimal(text, what)
    if value < 0 or (value == 0 and not allow_zero):
        raise InvalidInput(
            f"{what} {str(text)!r} must be {'zero or ' if allow_zero else ''}greater than zero"
        )
    _check_places(value, QTY_DIGITS, what, text)
    if value.scaleb(QTY_DIGITS) >= MAX_QTY_UNITS:
        raise InvalidInput(f"{what} {str(text)!r} is too large")
    return normalize_qty(value)


def parse_pct(text: object, *, what: str = "percentage", maximum: Decimal = HUNDRED) -> Decimal:
    value = _parse_decimal(str(text).strip().removesuffix("%"), what)
    if value < 0 or value > maximum:
        raise InvalidInput(f"{what} {str(text)!r} must be between 0 and {maximum}")
    _check_places(value, PCT_DIGITS, what, text)
    return normalize_qty(value)


def quantize_money(value: Decimal, minor_digits: int = DEFAULT_MINOR_DIGITS) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-minor_digits), rounding=ROUND_HALF_UP)


def round_money(value: Decimal, minor_digits: int = DEFAULT_MINOR_DIGITS) -> Decimal:
    """The one rounding rule of the ledger: half-up to the currency's minor unit."""
    return quantize_money(value, minor_digits)


def normalize_qty(value: Decimal) -> Decimal:
    """A quantity without trailing zeros but never in exponent form (``3``, ``2.5``)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


# Products of the largest quantities, prices and percentages the parsers accept
# need about 40 significant digits; the default context has 28 and would round
# before our one half-up rounding does.
EXACT_PRECISION = 80


def line_net(
    qty: Decimal,
    unit_price: Decimal,
    discount_pct: Decimal,
    minor_digits: int = DEFAULT_MINOR_DIGITS,
) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = EXACT_PRECISION
        return round_money(qty * unit_price * (1 - discount_pct / HUNDRED), minor_digits)


def line_tax(net: Decimal, tax_rate: Decimal, minor_digits: int = DEFAULT_MINOR_DIGITS) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = EXACT_PRECISION
        return round_money(net * tax_rate / HUNDRED, minor_digits)


def net_of_gross(gross: Decimal, tax_rate: Decimal, minor_digits: int = DEFAULT_MINOR_DIGITS):
    """Net and tax of an amount that includes tax (rule 19): net = gross ÷ (1 + rate),
    rounded half-up; tax = gross − net, so the two always add up to the gross."""
    with localcontext() as ctx:
        ctx.prec = EXACT_PRECISION
        net = round_money(gross * HUNDRED / (HUNDRED + tax_rate), minor_digits)
    return net, gross - net


def line_amounts(
    qty: Decimal,
    unit_price: Decimal,
    discount_pct: Decimal,
    tax_rate: Decimal,
    *,
    gross: bool = False,
    doc_discount: Decimal = ZERO,
    minor_digits: int = DEFAULT_MINOR_DIGITS,
) -> tuple[Decimal, Decimal]:
    """Net and tax of a line: rule 10, with a share of the document discount taken off
    the line's rounded amount, and rule 19 when its price includes tax.

    The line's amount is ``qty × unit_price × (1 − discount/100)`` rounded half-up,
    less ``doc_discount``. Net prices: that is the net, and tax = net × rate rounded.
    Gross prices: that is the gross, net = gross ÷ (1 + rate) rounded, tax the rest.
    """
    amount = line_net(qty, unit_price, discount_pct, minor_digits) - doc_discount
    if gross:
        return net_of_gross(amount, tax_rate, minor_digits)
    return amount, line_tax(amount, tax_rate, minor_digits)


def share_of(amount: Decimal, part: Decimal, whole: Decimal, minor_digits: int) -> Decimal:
    """``amount × part / whole`` rounded half-up: a portion's share of a line's
    document discount, in proportion to its quantity."""
    if not whole or not amount:
        return ZERO
    with localcontext() as ctx:
        ctx.prec = EXACT_PRECISION
        return round_money(amount * part / whole, minor_digits)


def spread_discount(
    amounts: list[int], *, pct: int | None = None, amount: int | None = None
) -> list[int]:
    """Each line's share (minor units) of a document discount, given the lines' own
    rounded amounts before it (minor units) and the discount as a percentage
    (ten-thousandths of a percent) or an amount (minor units).

    A percentage is taken from each line and rounded half-up there, like tax. An
    amount is spread in proportion to the lines' amounts: each share rounded down,
    and the cents left over go one each to the lines with the largest remainders
    (the earlier line first on a tie), so the shares add up to the amount exactly.
    No share is ever more than its line's amount.
    """
    if pct is not None:
        return [(2 * a * pct + PCT_WHOLE) // (2 * PCT_WHOLE) for a in amounts]
    if not amount:
        return [0] * len(amounts)
    whole = sum(amounts)
    if amount > whole:
        raise InvalidInput(f"a discount of {amount} minor units is more than the lines' {whole}")
    shares = [a * amount // whole for a in amounts]
    remainders = sorted(range(len(amounts)), key=lambda i: (-(amounts[i] * amount % whole), i))
    for i in remainders[: amount - sum(shares)]:
        shares[i] += 1
    return shares


# 100 % in the database's ten-thousandths of a percent.
PCT_WHOLE = 100 * PCT_SCALE


def line_amounts_units(
    qty: int, unit_price: int, discount: int, tax_rate: int, gross: bool = False
) -> tuple[int, int]:
    """Net and tax of a line straight from database units (thousandths of a unit,
    minor units, ten-thousandths of a percent), rounded half-up.

    Exactly ``line_amounts`` (without a document discount) in integer arithmetic,
    for bulk work (imports) where building Decimals for every line would dominate
    the time.
    """
    numerator = qty * unit_price * (PCT_WHOLE - discount)
    denominator = QTY_SCALE * PCT_WHOLE
    amount = (2 * numerator + denominator) // (2 * denominator)
    if gross:
        divisor = PCT_WHOLE + tax_rate
        net = (2 * amount * PCT_WHOLE + divisor) // (2 * divisor)
        return net, amount - net
    tax = (2 * amount * tax_rate + PCT_WHOLE) // (2 * PCT_WHOLE)
    return amount, tax


def gross_price_units(unit_price: int, tax_rate: int) -> int:
    """A net unit price (minor units) with tax added, rounded half-up: a product's
    own price on a document whose prices include tax."""
    return (2 * unit_price * (PCT_WHOLE + tax_rate) + PCT_WHOLE) // (2 * PCT_WHOLE)


def net_price_units(unit_price: int, tax_rate: int) -> int:
    """A gross unit price (minor units) with tax taken out, rounded half-up: a price
    from a gross list on a document whose prices do not include tax."""
    divisor = PCT_WHOLE + tax_rate
    return (2 * unit_price * PCT_WHOLE + divisor) // (2 * divisor)


# Conversions to and from the integer columns of the database.


def to_minor(amount: Decimal, minor_digits: int = DEFAULT_MINOR_DIGITS) -> int:
    scaled = amount.scaleb(minor_digits)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of minor units")
    return int(scaled)


def from_minor(units: int, minor_digits: int = DEFAULT_MINOR_DIGITS) -> Decimal:
    return Decimal(units).scaleb(-minor_digits).quantize(Decimal(1).scaleb(-minor_digits))


def qty_to_db(qty: Decimal) -> int:
    scaled = qty.scaleb(QTY_DIGITS)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{qty} has more than {QTY_DIGITS} decimal places")
    return int(scaled)


def qty_from_db(units: int) -> Decimal:
    return normalize_qty(Decimal(units).scaleb(-QTY_DIGITS))


def pct_to_db(pct: Decimal) -> int:
    return int(pct.scaleb(PCT_DIGITS))


def pct_from_db(units: int) -> Decimal:
    return normalize_qty(Decimal(units).scaleb(-PCT_DIGITS))


# --- decimal text of stored units ---------------------------------------------------
# Integer arithmetic alone (division and remainder by a power of ten, never a float):
# what exports write, and what messages quote.


def decimal_text(units: int, digits: int, *, trim: bool = False) -> str:
    """``units`` × 10^-digits as plain decimal text; ``trim`` drops trailing zeros."""
    if digits == 0:
        return str(units)
    sign = "-" if units < 0 else ""
    whole, fraction = divmod(abs(units), 10**digits)
    decimals = f"{fraction:0{digits}d}"
    if trim:
        decimals = decimals.rstrip("0")
        if not decimals:
            return f"{sign}{whole}"
    return f"{sign}{whole}.{decimals}"


def money_text(units: int, minor_digits: int) -> str:
    return decimal_text(units, minor_digits)


def qty_text(units: int) -> str:
    return decimal_text(units, QTY_DIGITS, trim=True)


def pct_text(units: int) -> str:
    return decimal_text(units, PCT_DIGITS, trim=True)


def money_str(amount: Decimal, minor_digits: int = DEFAULT_MINOR_DIGITS) -> str:
    """The JSON form of an amount: a plain decimal string with the minor digits."""
    return f"{quantize_money(amount, minor_digits):f}"


def qty_str(qty: Decimal) -> str:
    return f"{normalize_qty(qty):f}"


def portion_amounts(
    *,
    qty: Decimal,
    unit_price: Decimal,
    discount_pct: Decimal,
    tax_rate: Decimal,
    net_left: Decimal,
    tax_left: Decimal,
    completes: bool,
    gross: bool = False,
    doc_discount: Decimal = ZERO,
    minor_digits: int = DEFAULT_MINOR_DIGITS,
) -> tuple[Decimal, Decimal]:
    """Net and tax of invoicing ``qty`` more of an order line.

    Every portion follows rules 10 and 19 on its own (``line_amounts``), with
    ``doc_discount`` the portion's share of the line's document discount. The
    portion that completes the line takes exactly what is left of the order line's
    own rounded net and tax (``net_left``, ``tax_left``), the way the last credit
    memo of a line does (rule 14), so a line's invoices always add up to the order
    line to the cent, however it is split. No portion ever takes more than is left,
    so none is ever negative.
    """
    if completes:
        return net_left, tax_left
    net, tax = line_amounts(
        qty,
        unit_price,
        discount_pct,
        tax_rate,
        gross=gross,
        doc_discount=doc_discount,
        minor_digits=minor_digits,
    )
    net = max(min(net, net_left), ZERO)
    tax = max(min(tax, tax_left), ZERO)
    return net, tax


def portion_units(
    *,
    qty: int,
    unit_price: int,
    discount: int,
    tax_rate: int,
    net_left: int,
    tax_left: int,
    completes: bool,
    gross: bool = False,
    doc_discount: int = 0,
    minor_digits: int = DEFAULT_MINOR_DIGITS,
) -> tuple[int, int]:
    """``portion_amounts`` on the ledger's integer units (quantity, price, percentages and
    what is left as stored): the net and tax of a portion, in minor units. The portion
    that completes its line takes what is left, with no arithmetic at all.
    ``doc_discount`` is the portion's share of the document discount (``share_of``)."""
    if completes:
        return net_left, tax_left
    net, tax = portion_amounts(
        qty=qty_from_db(qty),
        unit_price=from_minor(unit_price, minor_digits),
        discount_pct=pct_from_db(discount),
        tax_rate=pct_from_db(tax_rate),
        net_left=from_minor(net_left, minor_digits),
        tax_left=from_minor(tax_left, minor_digits),
        completes=False,
        gross=gross,
        doc_discount=from_minor(doc_discount, minor_digits),
        minor_digits=minor_digits,
    )
    return to_minor(net, minor_digits), to_minor(tax, minor_digits)


def share_units(amount: int, part: int, whole: int) -> int:
    """``share_of`` on integer units: ``amount × part / whole`` rounded half-up."""
    if not whole or not amount:
        return 0
    return (2 * amount * part + whole) // (2 * whole)
