"""Dunning levels: the steps of collections (SPEC ``collections levels``, rule 20).

A level says when an overdue instalment earns a notice (``days`` past its due
date), what the notice is called, and what it costs and does: a fee and yearly
interest charged on their own invoice, and optionally a credit hold on the
customer. Levels are numbered from 1; their days strictly increase with the
level, so a later level is always a later step. A fresh ledger has none, and
``collections run`` refuses until some are set (``NO_LEVELS_HINT`` shows the
usual three).

Changing or removing a level changes what later runs do; notices already
recorded keep what they were (their items keep the level and days they had).
Every change is an event (``dunning_level``, numbered by the level), which
``ordercli check`` reads to know which notices a level's days were in force for.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, col, select

from ordercli.books.clock import now
from ordercli.books.events import record_event
from ordercli.books.settings import minor_digits
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.domain.money import from_minor, pct_text, pct_to_db, to_minor
from ordercli.domain.terms import MAX_DAYS
from ordercli.domain.text import clean_text
from ordercli.models import DunningLevel

MAX_LEVEL = 9
DEFAULT_TEMPLATE = "dunning_notice.html"
NO_LEVELS_HINT = (
    "set the usual three: ordercli collections levels --set 1 --days 7 --name Reminder; "
    'ordercli collections levels --set 2 --days 21 --name "Second reminder" --fee 5; '
    'ordercli collections levels --set 3 --days 35 --name "Final notice" --fee 10 '
    "--interest 8 --credit-hold"
)
EVENT_KIND = "dunning_level"


@dataclass(frozen=True)
class LevelChange:
    """What ``collections levels --set`` gives; ``None`` keeps the level's value."""

    level: int
    days: int | None = None
    name: str | None = None
    fee: Decimal | None = None
    interest: Decimal | None = None
    credit_hold: bool | None = None
    template: str | None = None


def list_levels(*, session: Session) -> list[DunningLevel]:
    return list(session.exec(select(DunningLevel).order_by(col(DunningLevel.level))))


def require_levels(*, session: Session) -> list[DunningLevel]:
    """The levels, or a refusal showing how to set the usual three."""
    levels = list_levels(session=session)
    if not levels:
        raise RuleViolation("no dunning levels are set", hint=NO_LEVELS_HINT)
    return levels


def _check_level(level: int) -> None:
    if not 1 <= level <= MAX_LEVEL:
        raise InvalidInput(f"level {level} must be between 1 and {MAX_LEVEL}")


def _check_days(days: int) -> None:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(
            f"--days {days} must be between 1 and {MAX_DAYS} (days past the due date)"
        )


def template_name(text: str | None) -> str | None:
    """A letter template's file name, looked up like every document's (``--template-dir``,
    ``$ORDERCLI_TEMPLATES``, the company's directory, then the bundled ones); ``default``
    is the bundled letter (stored as None)."""
    if text is None:
        return None
    name = text.strip()
    if name.lower() == "default":
        return None
    if not name:
        raise InvalidInput(
            "--template needs a template file name, e.g. final_notice.html",
            hint="--template default goes back to the bundled letter",
        )
    if "/" in name or "\\" in name or name.startswith("."):
        raise InvalidInput(
            f"--template {name!r} must be a file name, not a path",
            hint="put the file in your templates directory (--template-dir, "
            "$ORDERCLI_TEMPLATES or ordercli company set --template-dir)",
        )
    if not name.lower().endswith((".html", ".htm")):
        raise InvalidInput(f"--template {name!r} must be an HTML template (.html)")
    return clean_text(name, what="--template", required=True, max_length=200)


def set_level(*, session: Session, change: LevelChange) -> DunningLevel:
    """Add a level, or change the values given of an existing one."""
    _check_level(change.level)
    digits = minor_digits(session)
    levels = {row.level: row for row in list_levels(session=session)}
    row = levels.get(change.level)
    if row is None:
        if change.days is None or change.name is None:
            raise InvalidInput(
                f"level {change.level} is new: give its --days and --name",
                hint=f"e.g. ordercli collections levels --set {change.level} --days 7 "
                "--name Reminder",
            )
        row = DunningLevel(level=change.level, name="", days_overdue=1, created_at=now())
    elif all(
        value is None
        for value in (
            change.days,
            change.name,
            change.fee,
            change.interest,
            change.credit_hold,
            change.template,
        )
    ):
        raise InvalidInput(
            f"nothing to change on level {change.level}",
            hint="give --days, --name, --fee, --interest, --credit-hold or --template",
        )
    if change.days is not None:
        _check_days(change.days)
        row.days_overdue = change.days
    if change.name is not None:
        row.name = clean_text(change.name, what="--name", required=True, max_length=80)
    if change.fee is not None:
        if change.fee < 0:
            raise InvalidInput(f"--fee {change.fee} must not be negative")
        row.fee = to_minor(change.fee, digits)
    if change.interest is not None:
        if not 0 <= change.interest <= 100:
            raise InvalidInput(f"--interest {change.interest} must be between 0 and 100 (% a year)")
        row.interest_pct = pct_to_db(change.interest)
    if change.credit_hold is not None:
        row.credit_hold = change.credit_hold
    if change.template is not None:
        row.template = template_name(change.template)
    levels[change.level] = row
    _check_order(levels)
    session.add(row)
    record_event(
        session=session,
        subject_kind=EVENT_KIND,
        subject_number=str(row.level),
        action="set",
        message=f"dunning level {row.level} set: {describe(row, digits)}",
    )
    return row


def _check_order(levels: dict[int, DunningLevel]) -> None:
    """Days strictly increase with the level."""
    ordered = [levels[key] for key in sorted(levels)]
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if later.days_overdue <= earlier.days_overdue:
            raise RuleViolation(
                f"level {later.level} at {later.days_overdue} days would not come after "
                f"level {earlier.level} at {earlier.days_overdue} days: a higher level needs "
                "more days",
                hint="days must strictly increase with the level",
            )


def remove_level(*, session: Session, level: int) -> DunningLevel:
    """Remove a level; notices already sent at it keep their level number."""
    _check_level(level)
    row = session.exec(select(DunningLevel).where(DunningLevel.level == level)).first()
    if row is None:
        known = ", ".join(str(r.level) for r in list_levels(session=session)) or "none"
        raise NotFound(f"no dunning level {level}", hint=f"levels set: {known}")
    session.delete(row)
    record_event(
        session=session,
        subject_kind=EVENT_KIND,
        subject_number=str(level),
        action="removed",
        message=f"dunning level {level} ({row.name}) removed",
    )
    return row


def describe(row: DunningLevel, digits: int) -> str:
    """``Reminder at 7 days, fee 5.00, interest 8 % a year, credit hold``."""
    parts = [f"{row.name} at {row.days_overdue} days"]
    if row.fee:
        parts.append(f"fee {from_minor(row.fee, digits)}")
    if row.interest_pct:
        parts.append(f"interest {pct_text(row.interest_pct)} % a year")
    if row.credit_hold:
        parts.append("credit hold")
    if row.template:
        parts.append(f"template {row.template}")
    return ", ".join(parts)
