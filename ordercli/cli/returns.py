"""`ordercli return …`: goods coming back (RMA), from request to resolution."""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli.cli.common import (
    AllOpt,
    CustomerOpt,
    FromOpt,
    JsonOpt,
    LimitOpt,
    ToOpt,
    day,
    ledger,
    list_limit,
)
from ordercli.cli.credit_memo import RefundOpt, StoreCreditOpt, settlement_choice
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import card, render, table
from ordercli.cli.screens import UNIT, with_units
from ordercli.domain.lines import parse_line_specs

returns = lazy_module("ordercli.services.settlement.returns")
settlement_views = lazy_module("ordercli.views.settlement")

app = typer.Typer(
    help="Returns (RMA): request, authorize, receive, reject, resolve, list, show.",
    no_args_is_help=True,
)

ReturnArg = Annotated[str, typer.Argument(metavar="RMA", help="Return number, e.g. RMA-00001.")]
COLUMNS = [
    ("number", "Return"),
    ("order", "Order"),
    ("customer", "Customer"),
    ("status", "Status"),
    ("requested_on", "Requested"),
    ("reason", "Reason"),
    ("resolution", "Resolution"),
]


def show_return(view: dict) -> None:
    card(
        f"Return {view['number']}",
        [
            ("Order", view["order"]),
            ("Customer", view["customer"]),
            ("Status", view["status"]),
            ("Requested", view["requested_on"]),
            ("Reason", view["reason"]),
            ("Restocked", view["restock"]),
            ("Resolution", view["resolution"]),
            ("Credit memos", ", ".join(view["credit_memos"])),
            ("Replacement", view["replacement"]),
        ],
    )
    table(
        None,
        [("line", "#"), ("sku", "SKU"), ("description", "Description"), ("qty", "Qty"), UNIT],
        with_units(view["lines"]),
        status_keys=(),
    )


def _act(ctx: typer.Context, action, number: str, as_json: bool, **kwargs) -> None:
    with ledger(ctx) as session:
        rma = action(session=session, number=number, **kwargs)
        view = settlement_views.return_view(session, rma)
    render(view, as_json, show_return)


@app.command("request")
def request(
    ctx: typer.Context,
    order: Annotated[str, typer.Argument(metavar="ORDER", help="Order number, e.g. SO-00001.")],
    line: Annotated[
        list[str] | None,
        typer.Option("--line", help="SKU=QTY coming back; repeat for more lines."),
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why it comes back.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a return for goods shipped on an order (at most what was shipped and
    not yet returned).

    Example: ordercli return request SO-00001 --line CHAIR-ERGO=1 --reason "arrived damaged"
    """
    requests = parse_line_specs(line)
    with ledger(ctx) as session:
        rma = returns.request_return(
            session=session, order_number=order, lines=requests, reason=reason or ""
        )
        view = settlement_views.return_view(session, rma)
    render(view, as_json, show_return)


@app.command("authorize")
def authorize(ctx: typer.Context, number: ReturnArg, as_json: JsonOpt = False) -> None:
    """Authorize a requested return: the customer may send the goods.

    Example: ordercli return authorize RMA-00001
    """
    _act(ctx, returns.authorize_return, number, as_json)


@app.command("receive")
def receive(
    ctx: typer.Context,
    number: ReturnArg,
    restock: Annotated[
        bool, typer.Option("--restock", help="The goods are sellable: put them back into stock.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Record that the goods of an authorized return have arrived.

    Example: ordercli return receive RMA-00001 --restock
    """
    _act(ctx, returns.receive_return, number, as_json, restock=restock)


@app.command("reject")
def reject(
    ctx: typer.Context,
    number: ReturnArg,
    reason: Annotated[str | None, typer.Option("--reason", help="Why, for the record.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Reject a return that has not been received.

    Example: ordercli return reject RMA-00001 --reason "outside the return window"
    """
    _act(ctx, returns.reject_return, number, as_json, reason=reason)


@app.command("resolve")
def resolve(
    ctx: typer.Context,
    number: ReturnArg,
    credit_memo: Annotated[
        bool, typer.Option("--credit-memo", help="Credit the returned goods on their invoices.")
    ] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Send the same goods again (a new shipment).")
    ] = False,
    refund: RefundOpt = False,
    store_credit: StoreCreditOpt = False,
    carrier: Annotated[
        str | None, typer.Option("--carrier", help="Carrier of the replacement.")
    ] = None,
    tracking: Annotated[
        str | None, typer.Option("--tracking", help="Tracking number of the replacement.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Close a received return with a credit memo or a replacement shipment.

    Example: ordercli return resolve RMA-00001 --credit-memo --refund
    """
    settlement = settlement_choice(refund, store_credit)
    with ledger(ctx) as session:
        rma, _, _ = returns.resolve_return(
            session=session,
            number=number,
            credit_memo=credit_memo,
            replace=replace,
            settlement=settlement,
            carrier=carrier,
            tracking=tracking,
        )
        view = settlement_views.return_view(session, rma)
    render(view, as_json, show_return)


@app.command("show")
def show(ctx: typer.Context, number: ReturnArg, as_json: JsonOpt = False) -> None:
    """Show a return: lines, status, how it was resolved.

    Example: ordercli return show RMA-00001
    """
    with ledger(ctx, write=False) as session:
        view = settlement_views.return_view(
            session, returns.get_return(session=session, number=number)
        )
    render(view, as_json, show_return)


@app.command("list")
def list_(
    ctx: typer.Context,
    customer: CustomerOpt = None,
    order: Annotated[str | None, typer.Option("--order", help="Only this order's.")] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="requested, authorized, received, resolved or rejected."),
    ] = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    limit: LimitOpt = 50,
    show_all: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """List returns, newest first.

    Example: ordercli return list --status authorized
    """
    with ledger(ctx, write=False) as session:
        documents = settlement_views.return_views(
            session,
            returns.list_returns(
                session=session,
                customer=customer,
                order=order,
                status=status,
                date_from=day(date_from, "--from"),
                date_to=day(date_to, "--to"),
                limit=list_limit(limit, show_all),
            ),
            with_lines=as_json,
        )
    render(documents, as_json, lambda rows: table("Returns", COLUMNS, rows, empty="no returns"))
