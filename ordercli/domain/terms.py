"""Payment terms and schedules (SPEC rule 20), on integer units and dates alone.

A template gives net days, optionally a split into instalments (``50@0,50@30``:
half due on the issue date, half 30 days later) and optionally an early-payment
discount (``2@10``: 2 % off when paid within 10 days). An invoice's schedule is
its total spread over the instalments: each takes its percentage of the total,
rounded half-up, and the last takes what is left, so the amounts always sum to
the total to the cent.

Settlements (payments, credits, discounts, write-offs, deducted deposits)
cover the instalments in due order, so what is open of each instalment is
derived from what the invoice has settled, never stored: instalment *i* is
open for ``clamp(due_through_i - settled, 0, amount_i)``. An invoice is overdue
when what fell due before the day is more than what it has settled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ordercli.domain.errors import InvalidInput
from ordercli.domain.money import PCT_WHOLE, parse_pct, pct_text, pct_to_db, share_units

MAX_DAYS = 3660  # ten years: beyond any payment term a business grants


@dataclass(frozen=True)
class Split:
    """One instalment of a template: ``pct`` (ten-thousandths of a percent) due ``days``
    after the issue date."""

    pct: int
    days: int


@dataclass(frozen=True)
class Terms:
    """A payment terms template, as the schedule needs it."""

    code: str
    days: int
    splits: tuple[Split, ...] = ()
    discount_pct: int | None = None
    discount_days: int | None = None

    @property
    def instalments(self) -> tuple[Split, ...]:
        """The splits in due order, or the whole total due after ``days``."""
        return self.splits or (Split(PCT_WHOLE, self.days),)


@dataclass(frozen=True)
class Instalment:
    position: int
    due_date: date
    amount: int


def parse_days(text: object, *, what: str = "days") -> int:
    raw = str(text).strip()
    if not raw.isdigit():
        raise InvalidInput(f"{what} {raw!r} must be a whole number of days (0 or more)")
    days = int(raw)
    if days > MAX_DAYS:
        raise InvalidInput(f"{what} {raw!r} is more than {MAX_DAYS} days")
    return days


def _pct_at_days(text: str, what: str) -> tuple[Decimal, int]:
    pct, sep, days = text.strip().partition("@")
    if not sep or not pct.strip() or not days.strip():
        raise InvalidInput(f"{what} {text!r} must look like PCT@DAYS, e.g. 50@30")
    return parse_pct(pct, what=f"{what} percentage"), parse_days(days, what=f"{what} days")


def parse_splits(texts: list[str] | None) -> tuple[Split, ...]:
    """``--split 50@0 --split 50@30`` (or ``50@0,50@30``): instalments summing to 100 %,
    in due order, no two due the same day."""
    items = [part for text in texts or () for part in text.split(",")]
    splits = []
    for item in items:
        pct, days = _pct_at_days(item, "--split")
        if pct <= 0:
            raise InvalidInput(
                f"--split {item.strip()!r}: an instalment's percentage must be above 0"
            )
        splits.append(Split(pct_to_db(pct), days))
    if not splits:
        return ()
    total = sum(s.pct for s in splits)
    if total != PCT_WHOLE:
        raise InvalidInput(
            f"--split percentages add up to {pct_text(total)} %, not 100 %",
            hint="e.g. --split 50@0 --split 50@30",
        )
    due_days = [s.days for s in splits]
    if due_days != sorted(due_days) or len(set(due_days)) != len(due_days):
        raise InvalidInput(
            "--split instalments must be given in due order, each on a later day "
            f"(got days {', '.join(map(str, due_days))})"
        )
    return tuple(splits)


def parse_discount(text: str | None) -> tuple[int, int] | None:
    """``--discount 2@10``: 2 % off when paid within 10 days of the issue date."""
    if text is None:
        return None
    pct, days = _pct_at_days(text, "--discount")
    if pct <= 0 or pct >= 100:
        raise InvalidInput(
            f"--discount {text.strip()!r}: the percentage must be above 0 and below 100"
        )
    return pct_to_db(pct), days


def check_terms(terms: Terms) -> None:
    """A template's parts agree: the last instalment falls on the net days, and the
    discount window closes no later."""
    if terms.splits and terms.splits[-1].days != terms.days:
        raise InvalidInput(
            f"the last --split is due after {terms.splits[-1].days} days but --days is "
            f"{terms.days}",
            hint="the last instalment is due on the net days: make them the same",
        )
    if terms.discount_days is not None and terms.discount_days > terms.days:
        raise InvalidInput(
            f"--discount window of {terms.discount_days} days is longer than the "
            f"{terms.days} days to pay"
        )


def schedule(total: int, issued: date, terms: Terms) -> list[Instalment]:
    """The invoice's due amounts and dates; they sum to ``total`` exactly."""
    parts = terms.instalments
    rows = []
    left = total
    for position, split in enumerate(parts, start=1):
        amount = left if position == len(parts) else share_units(total, split.pct, PCT_WHOLE)
        amount = min(amount, left)
        left -= amount
        rows.append(Instalment(position, issued + timedelta(days=split.days), amount))
    return rows


def discount_until(issued: date, terms: Terms) -> date | None:
    if terms.discount_days is None:
        return None
    return issued + timedelta(days=terms.discount_days)


def describe(terms: Terms) -> str:
    """``2 % within 10 days, net 30 days`` or ``50 % at 0 days, 50 % at 30 days``."""
    parts = []
    if terms.discount_pct is not None:
        parts.append(f"{pct_text(terms.discount_pct)} % within {terms.discount_days} days")
    if terms.splits:
        parts.append(", ".join(f"{pct_text(s.pct)} % at {s.days} days" for s in terms.splits))
    else:
        parts.append(f"net {terms.days} days")
    return ", ".join(parts)


def terms_text(terms: Terms, issued: date, instalments: list[Instalment], money) -> str:
    """What the invoice says of its terms: its schedule and any discount, with dates.

    ``money`` renders an amount in minor units (the currency's digits)."""
    if len(instalments) == 1:
        due = instalments[0].due_date
        text = "due on receipt" if due == issued else f"net {terms.days} days, due {due}"
    else:
        text = "; ".join(f"{money(i.amount)} due {i.due_date}" for i in instalments)
    until = discount_until(issued, terms)
    if until is not None and terms.discount_pct is not None:
        text = f"{pct_text(terms.discount_pct)} % discount if paid by {until}; {text}"
    return text


def open_parts(amounts: list[int], settled: int) -> list[int]:
    """What is open of each instalment once ``settled`` covered them in due order."""
    parts = []
    through = 0
    for amount in amounts:
        through += amount
        parts.append(max(0, min(amount, through - settled)))
    return parts


def early_discount(total: int, pct: int) -> int:
    """The early-payment discount on ``total``: ``pct`` of it, rounded half-up."""
    return share_units(total, pct, PCT_WHOLE)
