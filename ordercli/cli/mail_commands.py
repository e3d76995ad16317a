"""`ordercli invoice send` and `ordercli shipment notify`: documents by email.

Registered on their nouns' apps (``invoice.app.command("send")(invoice_send)``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli.cli.common import JsonOpt, ledger
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import output as console
from ordercli.cli.output import render
from ordercli.domain.errors import OrderCliError, RuleViolation

mail = lazy_module("ordercli.documents.mail")

ToOpt = Annotated[
    str | None,
    typer.Option("--to", metavar="EMAIL", help="Send here instead of the customer's address."),
]
DryRunOpt = Annotated[
    bool,
    typer.Option("--dry-run", help="Write the message to an .eml file instead of sending it."),
]
EmlOpt = Annotated[
    str | None,
    typer.Option(
        "-o",
        "--output",
        metavar="FILE",
        help="With --dry-run: the .eml file to write; default NUMBER.eml here.",
    ),
]


def _size(count: int) -> str:
    return f"{max(1, round(count / 1024))} KB"


def say_sent(result: dict) -> None:
    """One line: what went where (or which file holds it)."""
    attached = ""
    if result["attachment"]:
        attached = f" ({result['attachment']}, {_size(result['attachment_size'])})"
    if result["sent"]:
        console.line(f"sent {result['document']} to {result['to']}{attached}")
    else:
        console.line(
            f"wrote {result['eml']}: {result['document']} for {result['to']}{attached}; "
            "nothing was sent"
        )


def _scope(ctx: typer.Context):
    return lambda write: ledger(ctx, write=write)


def invoice_send(
    ctx: typer.Context,
    invoice: Annotated[
        str, typer.Argument(metavar="INVOICE", help="Invoice number, e.g. INV-00001.")
    ],
    to: ToOpt = None,
    dry_run: DryRunOpt = False,
    output: EmlOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Email an invoice with its PDF attached, to the customer's address or --to.

    The mail server is the company profile's (ordercli company set --email-from …
    --smtp-host …); the password comes from ORDERCLI_SMTP_PASSWORD. Each send is
    recorded in the order's timeline. --dry-run writes the message to an .eml
    file instead and records nothing.

    Example: ordercli invoice send INV-00001 --to ap@acme.example
    """
    result = mail.send_document(
        "invoice", invoice, unit_of_work=_scope(ctx), to=to, dry_run=dry_run, output=output
    )
    render(result, as_json, say_sent)


def shipment_notify(
    ctx: typer.Context,
    shipment: Annotated[
        str, typer.Argument(metavar="SHIPMENT", help="Shipment number, e.g. SH-00001.")
    ],
    to: ToOpt = None,
    dry_run: DryRunOpt = False,
    output: EmlOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Email the customer that a shipment left: carrier, tracking number, what is in it.

    Sent like `invoice send` (company profile's mail server, ORDERCLI_SMTP_PASSWORD)
    and recorded in the order's timeline; --dry-run writes an .eml file instead.

    Example: ordercli shipment notify SH-00001
    """
    result = mail.send_document(
        "shipment", shipment, unit_of_work=_scope(ctx), to=to, dry_run=dry_run, output=output
    )
    render(result, as_json, say_sent)


def notify_shipped(ctx: typer.Context, number: str) -> dict:
    """`shipment create --notify`, after the shipment is committed: email the customer.

    The shipment stands whatever happens here; a notice that cannot be sent is
    reported with the command that sends it again."""
    try:
        return mail.send_document("shipment", number, unit_of_work=_scope(ctx))
    except OrderCliError as exc:
        again = f"send it again with: ordercli shipment notify {number}"
        raise RuleViolation(
            f"shipment {number} was recorded, but the notification was not sent: {exc.message}",
            hint=f"{again} ({exc.hint})" if exc.hint else again,
        ) from None
