"""The errors a user can see.

The root CLI turns every ``OrderCliError`` into one ``error: …`` line on stderr
(and ``hint: …`` when there is one) and its exit code; anything else is a bug.
"""


class OrderCliError(Exception):
    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class NotFound(OrderCliError):
    """A record the user named does not exist."""


class InvalidInput(OrderCliError):
    """The user's input cannot be understood (bad number, empty name, …)."""


class RuleViolation(OrderCliError):
    """The input is understood but a SPEC rule refuses it."""


class LedgerUnavailable(OrderCliError):
    """The ledger cannot be used: locked past the timeout, too new, not a ledger."""

    exit_code = 3
