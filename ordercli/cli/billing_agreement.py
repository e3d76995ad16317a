"""`ordercli billing-agreement …`: a customer's standing payment arrangements."""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli.cli.common import AllOpt, CustomerOpt, JsonOpt, LimitOpt, ledger, list_limit
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import card, render, table

agreements = lazy_module("ordercli.services.parties.billing_agreements")
settlement_views = lazy_module("ordercli.views.settlement")

app = typer.Typer(
    help="Billing agreements (direct debit, card on file, PO terms): add, list, show, cancel.",
    no_args_is_help=True,
)

AgreementArg = Annotated[
    str, typer.Argument(metavar="ID", help="Billing agreement number, e.g. BA-00001.")
]


def show_agreement(view: dict) -> None:
    card(
        f"Billing agreement {view['number']}",
        [
            ("Customer", view["customer"]),
            ("Method", view["method"]),
            ("Reference", view["reference"]),
            ("IBAN", view["iban"]),
            ("Status", view["status"]),
            ("Added", view["created_at"]),
            ("Cancelled", view["cancelled_at"]),
            ("Orders", ", ".join(view["orders"]) or "none yet"),
        ],
    )


@app.command("add")
def add(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(metavar="CUSTOMER", help="Customer code.")],
    method: Annotated[
        str, typer.Option("--method", help="e.g. direct-debit, card, purchase-order.")
    ],
    reference: Annotated[
        str, typer.Option("--reference", help="Mandate id, card token or PO number.")
    ],
    iban: Annotated[
        str | None,
        typer.Option("--iban", help="The customer's account a direct-debit mandate debits."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a standing payment arrangement for a customer.

    A direct-debit mandate's --iban is checked and goes on the e-invoices of the
    orders paid under it, with your --creditor-id (ordercli company set).

    Example: ordercli billing-agreement add ACME --method direct-debit --reference MANDATE-7781
    """
    with ledger(ctx) as session:
        agreement = agreements.add_agreement(
            session=session,
            customer_code=customer,
            method=method,
            reference=reference,
            iban=iban,
        )
        view = settlement_views.agreement_view(session, agreement)
    render(view, as_json, show_agreement)


@app.command("show")
def show(ctx: typer.Context, number: AgreementArg, as_json: JsonOpt = False) -> None:
    """Show a billing agreement and the orders that used it.

    Example: ordercli billing-agreement show BA-00001
    """
    with ledger(ctx, write=False) as session:
        view = settlement_views.agreement_view(
            session, agreements.get_agreement(session=session, number=number)
        )
    render(view, as_json, show_agreement)


@app.command("cancel")
def cancel(ctx: typer.Context, number: AgreementArg, as_json: JsonOpt = False) -> None:
    """Cancel a billing agreement: no new order can use it.

    Example: ordercli billing-agreement cancel BA-00001
    """
    with ledger(ctx) as session:
        agreement = agreements.cancel_agreement(session=session, number=number)
        view = settlement_views.agreement_view(session, agreement)
    render(view, as_json, show_agreement)


@app.command("list")
def list_(
    ctx: typer.Context,
    customer: CustomerOpt = None,
    status: Annotated[str | None, typer.Option("--status", help="active or cancelled.")] = None,
    limit: LimitOpt = 50,
    show_all: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """List billing agreements, newest first.

    Example: ordercli billing-agreement list --customer ACME
    """
    with ledger(ctx, write=False) as session:
        documents = settlement_views.agreement_views(
            session,
            agreements.list_agreements(
                session=session,
                customer=customer,
                status=status,
                limit=list_limit(limit, show_all),
            ),
        )
    rows = [{**d, "orders_count": len(d["orders"])} for d in documents]
    render(
        documents,
        as_json,
        lambda _: table(
            "Billing agreements",
            [
                ("number", "Agreement"),
                ("customer", "Customer"),
                ("method", "Method"),
                ("reference", "Reference"),
                ("iban", "IBAN"),
                ("status", "Status"),
                ("orders_count", "Orders"),
            ],
            rows,
            empty="no billing agreements",
        ),
    )
