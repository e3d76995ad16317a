"""The event log (SPEC rule 4): one appended row per state change.

Rows are only ever inserted. ``order timeline`` reads them back; later reports
(the order matrix, "as of" views) rebuild history from them.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from ordercli.books.clock import now, os_user
from ordercli.db.bulk import bulk_insert
from ordercli.models import Event


def record_event(
    *,
    session: Session,
    subject_kind: str,
    subject_number: str,
    action: str,
    message: str,
    order_id: int | None = None,
    quote_id: int | None = None,
) -> Event:
    event = Event(
        at=now(),
        os_user=os_user(),
        subject_kind=subject_kind,
        subject_number=subject_number,
        action=action,
        message=message,
        order_id=order_id,
        quote_id=quote_id,
    )
    session.add(event)
    return event


def record_events(*, session: Session, events: list[dict]) -> None:
    """Append many events in one statement (bulk work); each dict holds
    ``subject_kind, subject_number, action, message`` and optionally ``order_id``.

    Pending ORM changes are flushed first, so the log keeps the order in which
    things happened."""
    if not events:
        return

    session.flush()
    bulk_insert(
        session,
        # The mapping sets __table__, but SQLModel does not declare it to type checkers.
        Event.__table__,  # type: ignore[attr-defined]
        {
            "at": now(),
            "os_user": os_user(),
            "subject_kind": [e["subject_kind"] for e in events],
            "subject_number": [e["subject_number"] for e in events],
            "action": [e["action"] for e in events],
            "message": [e["message"] for e in events],
            "order_id": [e.get("order_id") for e in events],
            "quote_id": None,
        },
    )


def events_for(*, session: Session, order_id: int, quote_id: int | None) -> list[Event]:
    condition = col(Event.order_id) == order_id
    if quote_id is not None:
        condition = condition | (col(Event.quote_id) == quote_id)
    return list(session.exec(select(Event).where(condition).order_by(col(Event.id))))
