"""`ordercli collections …`: dunning levels, the worklist, dunning runs, credit holds."""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli.cli.common import CustomerOpt, JsonOpt, day, ledger, money, pct
from ordercli.cli.documents import HtmlOpt, OutputOpt, TemplateDirOpt, show_written
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import fmt, output, render, table
from ordercli.domain.errors import InvalidInput

levels_service = lazy_module("ordercli.services.settlement.dunning_levels")
credit_holds = lazy_module("ordercli.services.settlement.credit_holds")
reports = lazy_module("ordercli.reports.collections")
views = lazy_module("ordercli.views.collections")
letters = lazy_module("ordercli.documents.dunning")

app = typer.Typer(
    help="Collections: dunning levels, the overdue worklist, dunning runs, credit holds.",
    no_args_is_help=True,
)

LEVEL_COLUMNS = [
    ("level", "Level"),
    ("name", "Name"),
    ("days", "Days overdue"),
    ("fee", "Fee"),
    ("interest_pct", "Interest % a year"),
    ("hold", "Credit hold"),
    ("template", "Letter"),
]


def _show_levels(rows: list[dict]) -> None:
    table(
        "Dunning levels",
        LEVEL_COLUMNS,
        [
            {**row, "hold": "yes" if row["credit_hold"] else "", "template": row["template"] or ""}
            for row in rows
        ],
        status_keys=(),
        empty="no dunning levels set; see ordercli collections levels --help",
    )


@app.command("levels")
def levels(
    ctx: typer.Context,
    set_level: Annotated[
        int | None,
        typer.Option("--set", metavar="LEVEL", help="Add level LEVEL (1, 2, …) or change it."),
    ] = None,
    days: Annotated[
        int | None,
        typer.Option("--days", metavar="N", help="Days past the due date the level is reached."),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", metavar="TEXT", help="What the letter is called.")
    ] = None,
    fee: Annotated[
        str | None,
        typer.Option("--fee", metavar="AMOUNT", help="Fee charged with the notice (0: none)."),
    ] = None,
    interest: Annotated[
        str | None,
        typer.Option(
            "--interest", metavar="PCT", help="Yearly interest on the overdue amounts (0: none)."
        ),
    ] = None,
    credit_hold: Annotated[
        bool | None,
        typer.Option(
            "--credit-hold/--no-credit-hold",
            help="The notice puts the customer on credit hold (no order confirmed).",
        ),
    ] = None,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            metavar="FILE",
            help="The letter's template file in your templates directory "
            "(default: the bundled dunning_notice.html).",
        ),
    ] = None,
    remove: Annotated[
        int | None, typer.Option("--remove", metavar="LEVEL", help="Remove a level.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the dunning levels, or add, change (--set) or remove (--remove) one.

    A level is reached when an instalment is --days past its due date; days
    strictly increase with the level. A fresh ledger has none; the usual three:

      collections levels --set 1 --days 7 --name Reminder

      collections levels --set 2 --days 21 --name "Second reminder" --fee 5

      collections levels --set 3 --days 35 --name "Final notice" --fee 10
      --interest 8 --credit-hold

    Example: ordercli collections levels --set 1 --days 7 --name Reminder
    """
    given = [days, name, fee, interest, credit_hold, template]
    if set_level is not None and remove is not None:
        raise InvalidInput("give --set or --remove, not both")
    if set_level is None and any(value is not None for value in given):
        raise InvalidInput(
            "--days, --name, --fee, --interest, --credit-hold and --template go with --set LEVEL"
        )
    with ledger(ctx, write=set_level is not None or remove is not None) as session:
        if set_level is not None:
            levels_service.set_level(
                session=session,
                change=levels_service.LevelChange(
                    level=set_level,
                    days=days,
                    name=name,
                    fee=money(fee, session, "--fee"),
                    interest=pct(interest, "--interest"),
                    credit_hold=credit_hold,
                    template=template,
                ),
            )
        elif remove is not None:
            levels_service.remove_level(session=session, level=remove)
        rows = views.level_views(session, levels_service.list_levels(session=session))
    render(rows, as_json, _show_levels)


def _show_worklist(report: dict) -> None:
    rows = []
    for row in report["customers"]:
        last = row["last_notice"]
        rows.append(
            {
                **row,
                "last": "" if last is None else f"{last['number']} L{last['level']} {last['date']}",
                "hold": "on hold" if row["credit_hold"] else "",
            }
        )
    table(
        f"Collections worklist at {report['as_of']}",
        [
            ("customer", "Customer"),
            ("overdue", "Overdue"),
            ("open", "Open"),
            ("oldest_due_date", "Oldest due"),
            ("days_overdue", "Days"),
            ("last", "Last notice"),
            ("next_step", "Next step"),
            ("hold", "Credit hold"),
        ],
        rows,
        status_keys=(),
        empty="nothing overdue",
    )
    if rows:
        totals = report["totals"]
        output.line(
            f"{totals['customers']} customer(s), {fmt(totals['overdue'])} overdue of "
            f"{fmt(totals['open'])} open ({report['currency']})"
        )


@app.command("list")
def list_(
    ctx: typer.Context,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="DATE", help="As the ledger stood at the end of DATE."),
    ] = None,
    customer: CustomerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The worklist: each customer with something overdue, by the oldest due date.

    Shows what is overdue (open instalments past their due date) and open in
    all, the oldest due date and days since, the last notice, the next step
    (the level a run would send now, or the next level and its day) and any
    credit hold.

    Example: ordercli collections list --as-of 2026-11-30
    """
    with ledger(ctx, write=False) as session:
        report = reports.worklist(session=session, as_of=day(as_of, "--as-of"), customer=customer)
    render(report, as_json, _show_worklist)


def _show_run(view: dict) -> None:
    dry = view["dry_run"]
    emailed = {row["notice"]: row["to"] for row in view["emailed"]}
    rows = [
        {
            **notice,
            "number": notice["number"] or "(new)",
            "instalments": len(notice["items"]),
            "charge_invoice": notice["charge_invoice"] or "",
            "hold": "yes" if notice["credit_hold"] else "",
            "email": emailed.get(notice["number"], ""),
        }
        for notice in view["notices"]
    ]
    columns = [
        ("number", "Notice"),
        ("customer", "Customer"),
        ("level_name", "Level"),
        ("instalments", "Items"),
        ("overdue", "Overdue"),
        ("charges", "Fee + interest"),
        ("charge_invoice", "Charged on"),
        ("hold", "Credit hold"),
    ]
    if view["emailed"]:
        columns.append(("email", "Emailed to"))
    table(
        f"Collections run {view['date']}" + (" (dry run: nothing written)" if dry else ""),
        columns,
        rows,
        status_keys=(),
        empty="no notices due",
    )
    if view["letters"]:
        output.line(f"wrote {len(view['letters'])} letter(s) into {view['directory']}")
    for row in view["emailed"]:
        if row["notice"] not in {n["number"] for n in view["notices"]}:
            output.line(f"sent {row['notice']} to {row['to']}")
    for row in view["not_emailed"]:
        output.notice(f"not emailed {row['notice']} ({row['customer']}): {row['reason']}")


@app.command("run")
def run(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what each customer would get; write nothing.")
    ] = False,
    send: Annotated[
        bool,
        typer.Option(
            "--send", help="Also email each letter (and any of the day's notices not sent yet)."
        ),
    ] = False,
    customer: CustomerOpt = None,
    on: Annotated[
        str | None, typer.Option("--date", help="Date of the notices (default today).")
    ] = None,
    directory: Annotated[
        str | None,
        typer.Option(
            "-o",
            "--output",
            metavar="DIR",
            help="Directory the letters (PDF) go to; default: this directory.",
        ),
    ] = None,
    template_dir: TemplateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send dunning notices: one per customer with instalments due for a new level.

    Each overdue instalment reaches the highest level whose days it is past due
    and that it has not had (levels passed on the way are not sent). A customer
    gets one notice at the highest level among them, with a charge invoice for
    the level's fee and interest, and a credit hold if the level says so. The
    letters are written as PDF to -o DIR; --send also emails them (the company
    profile's mail server, as `invoice send`). Running again the same day sends
    nothing twice.

    Example: ordercli collections run --dry-run
    """
    if dry_run and send:
        raise InvalidInput("--dry-run writes and sends nothing: give --send without it")
    view = letters.run_collections(
        lambda write: ledger(ctx, write=write),
        on=day(on, "--date"),
        customer=customer,
        dry_run=dry_run,
        send=send,
        directory=directory,
        template_dir=template_dir,
    )
    render(view, as_json, _show_run)


@app.command("letter")
def letter(
    ctx: typer.Context,
    number: Annotated[
        str, typer.Argument(metavar="NOTICE", help="Dunning notice number, e.g. DN-00001.")
    ],
    output_path: OutputOpt = None,
    html: HtmlOpt = False,
    template_dir: TemplateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a recorded notice's letter again, as PDF (or --html).

    Example: ordercli collections letter DN-00001 -o reminder.pdf
    """
    doc = letters.write_letter(
        lambda write: ledger(ctx, write=write),
        number,
        output=output_path,
        html=html,
        template_dir=template_dir,
    )
    render(doc, as_json, show_written)


@app.command("release")
def release(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(metavar="CUSTOMER", help="Customer code.")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why the hold is lifted (required, for the record).")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Lift a customer's credit hold, so their orders can be confirmed again.

    Example: ordercli collections release ACME --reason "paid in full"
    """
    with ledger(ctx) as session:
        found = credit_holds.release_credit_hold(session=session, customer=customer, reason=reason)
        view = {"customer": found.code, "credit_hold": found.credit_hold}
    render(view, as_json, lambda v: output.line(f"credit hold of {v['customer']} released"))
