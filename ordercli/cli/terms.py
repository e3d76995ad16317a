"""`ordercli terms …`: payment terms templates (net days, instalments, early-payment
discount) that customers, orders and invoices take (rule 20)."""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli.cli.common import JsonOpt, ledger
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import card, fmt, render, table

payment_terms = lazy_module("ordercli.services.parties.payment_terms")
views = lazy_module("ordercli.views.terms")

app = typer.Typer(
    help="Payment terms templates (NET30, 50@0 + 50@30, 2 % in 10 days): add, list, show.",
    no_args_is_help=True,
)

CodeArg = Annotated[
    str, typer.Argument(metavar="CODE", help="Payment terms code, e.g. NET30 (any case).")
]
LIST_COLUMNS = [
    ("code", "Code"),
    ("text", "Terms"),
    ("description", "Description"),
    ("customer_count", "Customers"),
]


def _show_terms(view: dict) -> None:
    discount = (
        f"{fmt(view['discount_pct'])} % if paid within {view['discount_days']} days"
        if view["discount_pct"] is not None
        else "none"
    )
    card(
        f"Payment terms {view['code']}",
        [
            ("Description", view["description"]),
            ("Terms", view["text"]),
            ("Net days", view["days"]),
            ("Early discount", discount),
            ("Customers", view["customer_count"]),
        ],
    )
    if view["splits"]:
        table(
            None,
            [("position", "#"), ("pct", "Share %"), ("days", "Due after days")],
            [{"position": n, **s} for n, s in enumerate(view["splits"], start=1)],
            status_keys=(),
        )


@app.command("add")
def add(
    ctx: typer.Context,
    code: CodeArg,
    days: Annotated[
        str,
        typer.Option(
            "--days",
            metavar="N",
            help="Days from the issue date to the (last) due date; 0 is due on receipt.",
        ),
    ],
    split: Annotated[
        list[str] | None,
        typer.Option(
            "--split",
            metavar="PCT@DAYS",
            help="An instalment: PCT % due DAYS after issue; repeat, in due order, "
            "summing to 100; the last on --days.",
        ),
    ] = None,
    discount: Annotated[
        str | None,
        typer.Option(
            "--discount",
            metavar="PCT@DAYS",
            help="Early-payment discount: PCT % off when paid within DAYS of issue.",
        ),
    ] = None,
    description: Annotated[
        str | None, typer.Option("--description", metavar="TEXT", help="What they are for.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a payment terms template; give it to customers with customer edit --terms-code.

    Example: ordercli terms add HALF30 --days 30 --split 50@0 --split 50@30 --discount 2@10
    """
    with ledger(ctx) as session:
        head = payment_terms.add_terms(
            session=session,
            code=code,
            days=days,
            splits=split,
            discount=discount,
            description=description,
        )
        view = views.terms_view(session, head)
    render(view, as_json, _show_terms)


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the payment terms templates, with how many customers take each.

    Example: ordercli terms list
    """
    with ledger(ctx, write=False) as session:
        documents = views.terms_views(session, payment_terms.list_terms(session=session))
    render(
        documents,
        as_json,
        lambda rows: table(
            "Payment terms", LIST_COLUMNS, rows, status_keys=(), empty="no payment terms"
        ),
    )


@app.command("show")
def show(ctx: typer.Context, code: CodeArg, as_json: JsonOpt = False) -> None:
    """Show a payment terms template: its instalments, discount and customers.

    Example: ordercli terms show NET30
    """
    with ledger(ctx, write=False) as session:
        view = views.terms_view(session, payment_terms.get_terms(session=session, code=code))
    render(view, as_json, _show_terms)
