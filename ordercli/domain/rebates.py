"""Volume rebate periods and tiers as values (SPEC ``rebate``, rule 20); no I/O.

A period is written ``2026`` (a year), ``2026-Q4`` (a quarter) or ``2026-11`` (a
month), nothing else. A tier is ``THRESHOLD=PCT``: from net sales of THRESHOLD on
(``>=``), PCT % of *all* the period's net sales is given back (a retroactive
volume rebate, as most agreements and SAP's volume rebates work).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ordercli.domain.errors import InvalidInput
from ordercli.domain.money import PCT_SCALE, parse_money, parse_pct

KINDS = ("month", "quarter", "year")
_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2])))?$")


@dataclass(frozen=True)
class Period:
    kind: str  # month, quarter or year
    label: str  # 2026-11, 2026-Q4, 2026
    start: date
    end: date  # the last day, inclusive


def parse_kind(text: str) -> str:
    kind = (text or "").strip().lower()
    if kind not in KINDS:
        raise InvalidInput(f"rebate period {text!r} must be month, quarter or year")
    return kind


def _period(kind: str, year: int, index: int) -> Period:
    """``index`` is the month (1–12) or the quarter (1–4); ignored for a year."""
    if kind == "year":
        return Period(kind, f"{year}", date(year, 1, 1), date(year, 12, 31))
    if kind == "quarter":
        first = 3 * index - 2
        last = first + 2
        return Period(
            kind,
            f"{year}-Q{index}",
            date(year, first, 1),
            date(year, last, calendar.monthrange(year, last)[1]),
        )
    return Period(
        kind,
        f"{year}-{index:02d}",
        date(year, index, 1),
        date(year, index, calendar.monthrange(year, index)[1]),
    )


def parse_period(text: str) -> Period:
    """``2026-Q4``, ``2026-11`` or ``2026`` (a lower-case ``q`` is accepted)."""
    match = _PERIOD.match((text or "").strip().upper())
    if match is None or not 1900 <= int(match["year"]) <= 2999:
        raise InvalidInput(
            f"period {text!r} is not a month, quarter or year: write 2026-11, 2026-Q4 or 2026"
        )
    year = int(match["year"])
    if match["quarter"]:
        return _period("quarter", year, int(match["quarter"]))
    if match["month"]:
        return _period("month", year, int(match["month"]))
    return _period("year", year, 1)


def period_of(kind: str, day: date) -> Period:
    """The period of ``kind`` that ``day`` falls in."""
    index = (day.month + 2) // 3 if kind == "quarter" else day.month
    return _period(kind, day.year, index)


def parse_tier(text: str, minor_digits: int) -> tuple[Decimal, Decimal]:
    """``10000=2`` → (threshold 10000, rate 2 %); the rate is above 0 and at most 100."""
    threshold_text, sep, rate_text = (text or "").partition("=")
    if not sep or not threshold_text.strip() or not rate_text.strip():
        raise InvalidInput(f"tier {text!r} must be THRESHOLD=PCT, e.g. 10000=2")
    threshold = parse_money(threshold_text.strip(), minor_digits, what="tier threshold")
    if threshold < 0:
        raise InvalidInput(f"tier threshold {threshold_text.strip()} must not be negative")
    rate = parse_pct(rate_text.strip(), what="tier rate")
    if rate <= 0:
        raise InvalidInput(f"tier rate {rate_text.strip()} must be greater than 0")
    return threshold, rate


def check_tiers(tiers: list[tuple[Decimal, Decimal]]) -> list[tuple[Decimal, Decimal]]:
    """Parsed tiers (threshold, rate %) sorted by threshold; refused when two share a
    threshold or a higher threshold gives a lower rate (it would pay less for selling
    more)."""
    if not tiers:
        raise InvalidInput("a rebate needs at least one --tier THRESHOLD=PCT")
    ordered = sorted(tiers)
    for (low, low_rate), (high, high_rate) in zip(ordered, ordered[1:], strict=False):
        if low == high:
            raise InvalidInput(f"two tiers share the threshold {low}")
        if high_rate < low_rate:
            raise InvalidInput(
                f"the tier from {high} gives {high_rate}% but the lower one from {low} "
                f"gives {low_rate}%: a higher threshold must not lower the rate"
            )
    return ordered


def tier_reached(tiers: list[tuple[int, int]], net_sales: int) -> tuple[int, int] | None:
    """The highest (threshold, rate) whose threshold ``net_sales`` reaches, or None."""
    reached = [tier for tier in tiers if net_sales >= tier[0]]
    return max(reached) if reached else None


def next_tier(tiers: list[tuple[int, int]], net_sales: int) -> tuple[int, int] | None:
    above = [tier for tier in tiers if tier[0] > net_sales]
    return min(above) if above else None


def rebate_units(amount: int, rate: int) -> int:
    """``rate`` (percent units) of ``amount`` (minor units), rounded half-up (rule 10)."""
    exact = Decimal(amount) * rate / (100 * PCT_SCALE)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
