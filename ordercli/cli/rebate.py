"""`ordercli rebate …`: volume rebate agreements, where customers stand, settling a period."""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli.cli.common import (
    AllOpt,
    CustomerOpt,
    JsonOpt,
    LimitOpt,
    day,
    ledger,
    list_limit,
)
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import card, fmt, output, render, table

agreements = lazy_module("ordercli.services.settlement.rebate_agreements")
rebates = lazy_module("ordercli.services.settlement.rebates")
rebate_views = lazy_module("ordercli.views.rebates")

app = typer.Typer(
    help="Volume rebates: add, end, list, show, status, settle.", no_args_is_help=True
)

AgreementArg = Annotated[
    str, typer.Argument(metavar="NUMBER", help="Rebate agreement number, e.g. RA-00001.")
]
PeriodOpt = Annotated[
    str | None,
    typer.Option("--period", metavar="PERIOD", help="2026-Q4 (quarter), 2026-11 (month), 2026."),
]


def _tiers_text(view: dict) -> str:
    return ", ".join(f"{fmt(t['rate'])}% from {fmt(t['threshold'])}" for t in view["tiers"])


def show_agreement(view: dict) -> None:
    card(
        f"Rebate agreement {view['number']}",
        [
            ("Customer", view["customer"]),
            ("Period", view["period"]),
            ("From", view["valid_from"]),
            ("To", view["valid_to"]),
            ("Status", view["status"]),
            ("Tiers", _tiers_text(view)),
        ],
    )
    if not view["settlements"]:
        return
    table(
        None,
        [
            ("number", "Settlement"),
            ("period", "Period"),
            ("settle_date", "Settled"),
            ("net_sales", "Net sales"),
            ("rate", "Rate %"),
            ("amount", "Rebate"),
            ("memos", "Credit memos"),
        ],
        [{**s, "memos": ", ".join(s["credit_memos"])} for s in view["settlements"]],
    )


@app.command("add")
def add(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(metavar="CUSTOMER", help="Customer code.")],
    period: Annotated[
        str, typer.Option("--period", metavar="month|quarter|year", help="How often it settles.")
    ],
    tier: Annotated[
        list[str],
        typer.Option(
            "--tier",
            metavar="THRESHOLD=PCT",
            help="From net sales of THRESHOLD on, PCT % of all of them; repeat for more tiers.",
        ),
    ],
    valid_from: Annotated[
        str | None, typer.Option("--from", help="First day it counts (default today).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a customer's volume rebate agreement (one at a time per customer).

    Example: ordercli rebate add ACME --period quarter --tier 10000=2 --tier 25000=3
    """
    start = day(valid_from, "--from")
    with ledger(ctx) as session:
        agreement = agreements.add_agreement(
            session=session, customer_code=customer, period=period, tiers=tier, valid_from=start
        )
        view = rebate_views.agreement_view(session, agreement)
    render(view, as_json, show_agreement)


@app.command("end")
def end(
    ctx: typer.Context,
    number: AgreementArg,
    valid_to: Annotated[
        str | None, typer.Option("--to", help="Last day it counts (default today).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """End a rebate agreement: sales after its last day earn nothing under it.

    Example: ordercli rebate end RA-00001 --to 2026-12-31
    """
    last = day(valid_to, "--to")
    with ledger(ctx) as session:
        agreement = agreements.end_agreement(session=session, number=number, valid_to=last)
        view = rebate_views.agreement_view(session, agreement)
    render(view, as_json, show_agreement)


@app.command("show")
def show(ctx: typer.Context, number: AgreementArg, as_json: JsonOpt = False) -> None:
    """Show a rebate agreement, its tiers and its settlements.

    Example: ordercli rebate show RA-00001
    """
    with ledger(ctx, write=False) as session:
        view = rebate_views.agreement_view(
            session, agreements.get_agreement(session=session, number=number)
        )
    render(view, as_json, show_agreement)


@app.command("list")
def list_(
    ctx: typer.Context,
    customer: CustomerOpt = None,
    limit: LimitOpt = 50,
    show_all: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """List rebate agreements, newest first.

    Example: ordercli rebate list --customer ACME
    """
    with ledger(ctx, write=False) as session:
        documents = rebate_views.agreement_views(
            session,
            agreements.list_agreements(
                session=session, customer=customer, limit=list_limit(limit, show_all)
            ),
        )
    rows = [{**d, "tiers_text": _tiers_text(d)} for d in documents]
    render(
        documents,
        as_json,
        lambda _: table(
            "Rebate agreements",
            [
                ("number", "Agreement"),
                ("customer", "Customer"),
                ("period", "Period"),
                ("valid_from", "From"),
                ("valid_to", "To"),
                ("tiers_text", "Tiers"),
            ],
            rows,
            empty="no rebate agreements",
        ),
    )


def _show_status(rows: list[dict]) -> None:
    shown = []
    for row in rows:
        upcoming = row["next_tier"]
        shown.append(
            {
                **row,
                "reached": "none"
                if row["tier"] is None
                else f"from {fmt(row['tier']['threshold'])}",
                "next": ""
                if upcoming is None
                else f"{fmt(upcoming['needed'])} more for {fmt(upcoming['rate'])}%",
                "state": f"settled {row['settlement']}" if row["settled"] else "open",
            }
        )
    table(
        "Rebates",
        [
            ("customer", "Customer"),
            ("period", "Period"),
            ("net_sales", "Net sales"),
            ("rate", "Rate %"),
            ("rebate", "Rebate"),
            ("next", "Next tier"),
            ("state", "Status"),
        ],
        shown,
        status_keys=(),
        empty="no rebate agreement runs in that period",
    )


@app.command("status")
def status(
    ctx: typer.Context,
    period: PeriodOpt = None,
    customer: CustomerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Where each customer with a rebate agreement stands: net sales, rate, next tier.

    Without --period, each agreement's current period (so far).

    Example: ordercli rebate status --period 2026-Q4
    """
    with ledger(ctx, write=False) as session:
        rows = [
            rebate_views.standing_view(session, standing)
            for standing in rebates.rebate_status(session=session, period=period, customer=customer)
        ]
    render(rows, as_json, _show_status)


def _show_settled(view: dict) -> None:
    would = view["dry_run"]
    table(
        f"Rebates {view['period']}" + (" (dry run: nothing written)" if would else ""),
        [
            ("number", "Settlement"),
            ("customer", "Customer"),
            ("net_sales", "Net sales"),
            ("rate", "Rate %"),
            ("amount", "Rebate"),
            ("total", "Incl. tax"),
            ("memos", "Credit memos"),
        ],
        [
            {**row, "memos": ", ".join(row["credit_memos"]) or "nothing due"}
            for row in view["settled"]
        ],
        status_keys=(),
        empty="nothing to settle",
    )
    for skipped in view["skipped"]:
        output.notice(f"skipped {skipped['customer']}: {skipped['reason']}")


@app.command("settle")
def settle(
    ctx: typer.Context,
    period: Annotated[
        str,
        typer.Option(
            "--period", metavar="PERIOD", help="An ended 2026-Q4 (quarter), 2026-11 or 2026."
        ),
    ],
    customer: CustomerOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be settled; write nothing.")
    ] = False,
    on: Annotated[
        str | None, typer.Option("--date", help="Date of the credit memos (default today).")
    ] = None,
    settlement: Annotated[
        str | None,
        typer.Option(
            "--settlement",
            metavar="store_credit|refund",
            help="What paid invoices' rebates become (default store_credit).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Settle an ended period: a price-only credit memo per invoice, once per customer.

    Example: ordercli rebate settle --period 2026-Q4 --dry-run
    """
    settle_date = day(on, "--date")
    choice = None if settlement is None else settlement.strip().lower().replace("-", "_")
    with ledger(ctx) as session:
        view = rebate_views.settle_view(
            session,
            rebates.settle_rebates(
                session=session,
                period=period,
                customer=customer,
                dry_run=dry_run,
                settle_date=settle_date,
                settlement=choice,
            ),
        )
    render(view, as_json, _show_settled)
