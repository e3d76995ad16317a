"""`ordercli shipment …` (and `ordercli ship`): goods leaving, whole or partial."""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli.cli.common import (
    AllOpt,
    CustomerOpt,
    FromOpt,
    JsonOpt,
    LimitOpt,
    LineOpt,
    ToOpt,
    day,
    ledger,
    list_limit,
)
from ordercli.cli.documents import HtmlOpt, OutputOpt, TemplateDirOpt, write
from ordercli.cli.lazy import lazy_module
from ordercli.cli.mail_commands import notify_shipped, say_sent, shipment_notify
from ordercli.cli.output import render, table
from ordercli.cli.screens import show_pick_list, show_shipment
from ordercli.domain.errors import InvalidInput, OrderCliError
from ordercli.domain.lines import parse_line_specs

fulfilment = lazy_module("ordercli.services.sales.fulfilment")
reversals = lazy_module("ordercli.services.sales.shipment_reversal")
views = lazy_module("ordercli.views.sales")
picking = lazy_module("ordercli.services.sales.picking")

app = typer.Typer(
    help="Shipments: create, show, list, deliver, reverse, slip, pick-list.",
    no_args_is_help=True,
)

ShipmentArg = Annotated[
    str, typer.Argument(metavar="SHIPMENT", help="Shipment number, e.g. SH-00001.")
]
COLUMNS = [
    ("number", "Shipment"),
    ("order", "Order"),
    ("customer", "Customer"),
    ("status", "Status"),
    ("ship_date", "Shipped"),
    ("carrier", "Carrier"),
    ("tracking", "Tracking"),
]


def create(
    ctx: typer.Context,
    order: Annotated[str, typer.Argument(metavar="ORDER", help="Order number, e.g. SO-00001.")],
    line: LineOpt = None,
    carrier: Annotated[str | None, typer.Option("--carrier", help="Who carries it.")] = None,
    tracking: Annotated[str | None, typer.Option("--tracking", help="Tracking number.")] = None,
    ship_date: Annotated[
        str | None, typer.Option("--date", help="Ship date (YYYY-MM-DD); default today.")
    ] = None,
    warehouse: Annotated[
        str | None,
        typer.Option(
            "--warehouse", metavar="W", help="Ship from this warehouse; default: the default one."
        ),
    ] = None,
    notify: Annotated[
        bool,
        typer.Option(
            "--notify", help="Then email the customer the carrier, tracking number and lines."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Ship everything still unshipped on an order, or the --line quantities given.

    The goods leave the --warehouse named (the default one otherwise), which must
    hold them. With --notify the customer is emailed once the shipment is recorded
    (as `shipment notify` does); if that email fails the shipment still stands.

    Example: ordercli shipment create SO-00001 --line WIDGET=2 --carrier DHL --tracking 00340434
    """
    requests = parse_line_specs(line)
    with ledger(ctx) as session:
        shipment = fulfilment.create_shipment(
            session=session,
            order_number=order,
            lines=requests,
            carrier=carrier,
            tracking=tracking,
            ship_date=day(ship_date, "--date"),
            warehouse=warehouse,
        )
        view = views.shipment_view(session, shipment)
    if notify:
        # The shipment is committed; the email goes out after, in its own steps.
        try:
            view["notification"] = notify_shipped(ctx, view["number"])
        except OrderCliError:
            view["notification"] = None
            render(view, as_json, show_shipment)  # it stands: show it, then the error
            raise
    render(view, as_json, show_shipment)
    if notify and not as_json:
        say_sent(view["notification"])


app.command("create")(create)


@app.command("show")
def show(ctx: typer.Context, number: ShipmentArg, as_json: JsonOpt = False) -> None:
    """Show a shipment: lines, carrier, tracking, delivery.

    Example: ordercli shipment show SH-00001
    """
    with ledger(ctx, write=False) as session:
        view = views.shipment_view(session, fulfilment.get_shipment(session=session, number=number))
    render(view, as_json, show_shipment)


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", help="shipped, delivered or reversed.")
    ] = None,
    customer: CustomerOpt = None,
    order: Annotated[str | None, typer.Option("--order", help="Only this order's.")] = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    limit: LimitOpt = 50,
    show_all: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """List shipments, newest first.

    Example: ordercli shipment list --status shipped
    """
    with ledger(ctx, write=False) as session:
        documents = views.shipment_views(
            session,
            fulfilment.list_shipments(
                session=session,
                status=status,
                customer=customer,
                order=order,
                date_from=day(date_from, "--from"),
                date_to=day(date_to, "--to"),
                limit=list_limit(limit, show_all),
            ),
            with_lines=as_json,
        )
    render(documents, as_json, lambda rows: table("Shipments", COLUMNS, rows, empty="no shipments"))


@app.command("deliver")
def deliver(ctx: typer.Context, number: ShipmentArg, as_json: JsonOpt = False) -> None:
    """Mark a shipment as delivered.

    Example: ordercli shipment deliver SH-00001
    """
    with ledger(ctx) as session:
        view = views.shipment_view(
            session, fulfilment.deliver_shipment(session=session, number=number)
        )
    render(view, as_json, show_shipment)


@app.command("reverse")
def reverse(
    ctx: typer.Context,
    number: ShipmentArg,
    reason: Annotated[
        str, typer.Option("--reason", help="Why it was recorded in error (kept on the reversal).")
    ],
    reversal_date: Annotated[
        str | None,
        typer.Option("--date", help="Reversal date (YYYY-MM-DD); default today."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Reverse a shipment recorded in error: the goods go back, the quantities reopen.

    A shipment reversal (SR-00001) is a document of its own; the shipment keeps
    what it said and its status becomes reversed. Its goods go back into the
    warehouse they left, the order lines count them unshipped and reserved again,
    and a completed order is confirmed again, to ship anew. A delivered shipment
    can be reversed too (its delivery was recorded in error as well). Refused for
    a replacement shipment of a return, while a return counts on its goods, or
    while the order is on hold. The date may not be before the ship date.

    Example: ordercli shipment reverse SH-00001 --reason "scanned twice, never left"
    """
    with ledger(ctx) as session:
        reversals.reverse_shipment(
            session=session,
            number=number,
            reason=reason,
            reversal_date=day(reversal_date, "--date"),
        )
        view = views.shipment_view(session, fulfilment.get_shipment(session=session, number=number))
    render(view, as_json, show_shipment)


@app.command("pick-list")
def pick_list(
    ctx: typer.Context,
    warehouse: Annotated[
        str | None,
        typer.Option(
            "--warehouse", metavar="W", help="Pick from this warehouse; default: the default one."
        ),
    ] = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Write it as a PDF to print for the warehouse.")
    ] = False,
    html: Annotated[bool, typer.Option("--html", help="Write it as HTML instead.")] = False,
    output_path: OutputOpt = None,
    template_dir: TemplateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What to pick for every order that can ship now, by bin location and product.

    Earliest confirmed orders are served first; lines the warehouse cannot cover
    are listed as short. With --pdf (or --html) the list is written as a document
    to print, to -o FILE or pick-list-WAREHOUSE-DATE.pdf here.

    Example: ordercli shipment pick-list --warehouse MAIN --pdf
    """
    if pdf and html:
        raise InvalidInput("give --pdf or --html, not both")
    if (output_path or template_dir) and not (pdf or html):
        raise InvalidInput("-o and --template-dir go with --pdf or --html")
    with ledger(ctx, write=False) as session:
        if pdf or html:
            write(
                session,
                "pick-list",
                warehouse or "",
                output_path=output_path,
                html=html,
                template_dir=template_dir,
                as_json=as_json,
            )
            return
        document = picking.pick_list(session=session, warehouse=warehouse)
    render(document, as_json, show_pick_list)


app.command("notify")(shipment_notify)


@app.command("slip")
def slip(
    ctx: typer.Context,
    number: ShipmentArg,
    output_path: OutputOpt = None,
    html: HtmlOpt = False,
    template_dir: TemplateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a shipment's packing slip as a PDF (or --html): the goods, no prices.

    Example: ordercli shipment slip SH-00001 -o slip.pdf
    """
    with ledger(ctx, write=False) as session:
        write(
            session,
            "packing-slip",
            number,
            output_path=output_path,
            html=html,
            template_dir=template_dir,
            as_json=as_json,
        )
