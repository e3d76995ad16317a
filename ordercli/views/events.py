"""Event log entries as ``order timeline`` and ``--json`` show them.

Values are ``Decimal`` (money already at the currency's minor digits,
quantities normalised), ``date``/``datetime`` or plain types; the CLI renders
them as JSON or tables without doing any arithmetic of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


def event_view(event) -> dict:
    return {
        "at": event.at,
        "user": event.os_user,
        "subject": event.subject_number,
        "kind": event.subject_kind,
        "action": event.action,
        "message": event.message,
    }
