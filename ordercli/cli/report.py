"""`ordercli report …`: receivables aging, customer statements, the trial balance."""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli.cli.common import CustomerOpt, FromOpt, JsonOpt, ToOpt, day, ledger
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import card, fmt, output, render, table
from ordercli.domain.errors import InvalidInput

receivables = lazy_module("ordercli.services.receivables")
journal = lazy_module("ordercli.services.journal")

app = typer.Typer(help="Reports: aging, statement, trial-balance.", no_args_is_help=True)

AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Show the ledger as it stood at the end of this day."),
]
BUCKET_COLUMNS = [
    ("current", "Current"),
    ("d1_30", "1-30"),
    ("d31_60", "31-60"),
    ("d61_90", "61-90"),
    ("d90_plus", "90+"),
    ("total", "Total"),
]


def show_aging(report: dict) -> None:
    rows = [*report["customers"]]
    if rows:
        rows.append({"customer": "Total", "name": "", **report["totals"]})
    table(
        f"Receivables aging as of {report['as_of']} ({report['currency']}, days past due)",
        [("customer", "Customer"), ("name", "Name"), *BUCKET_COLUMNS],
        rows,
        status_keys=(),
        empty=f"nothing owed as of {report['as_of']}",
    )


@app.command("aging")
def aging(
    ctx: typer.Context,
    as_of: AsOfOpt = None,
    customer: CustomerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open invoice balances per customer by days past due: current, 1-30,
    31-60, 61-90, 90+, with totals.

    Example: ordercli report aging --as-of 2026-12-31
    """
    with ledger(ctx, write=False) as session:
        report = receivables.aging(session=session, as_of=day(as_of, "--as-of"), customer=customer)
    render(report, as_json, show_aging)


def show_statement(report: dict) -> None:
    card(
        f"Statement {report['customer']}",
        [
            ("Customer", report["name"]),
            ("Address", report["billing_address"]),
            ("From", report["from"]),
            ("To", report["to"]),
            ("Opening balance", report["opening_balance"] if report["from"] else None),
        ],
    )
    labels = {
        "invoice": "Invoice",
        "payment": "Payment",
        "credit_memo": "Credit memo",
        "refund": "Refund",
    }
    rows = [{**line, "type": labels.get(line["type"], line["type"])} for line in report["lines"]]
    table(
        None,
        [
            ("date", "Date"),
            ("type", "Type"),
            ("number", "Document"),
            ("description", "Description"),
            ("debit", "Charges"),
            ("credit", "Credits"),
            ("balance", "Balance"),
        ],
        rows,
        status_keys=(),
        empty="no transactions in this period",
    )
    output.print(
        f"Balance due {fmt(report['closing_balance'])} {report['currency']} as of {report['to']}"
    )


@app.command("statement")
def statement(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(metavar="CUSTOMER", help="Customer code.")],
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A customer's invoices, payments, credits and refunds with a running balance.

    --as-of is the same as --to: the statement as it stood at the end of that day.

    Example: ordercli report statement ACME --from 2026-01-01
    """
    if as_of and date_to:
        raise InvalidInput("give --to or --as-of, not both")
    with ledger(ctx, write=False) as session:
        report = receivables.statement(
            session=session,
            customer=customer,
            date_from=day(date_from, "--from"),
            date_to=day(as_of, "--as-of") or day(date_to, "--to"),
        )
    render(report, as_json, show_statement)


def show_trial_balance(report: dict) -> None:
    rows = [
        *report["accounts"],
        {
            "code": "",
            "name": "Total",
            "debit": report["total_debit"],
            "credit": report["total_credit"],
            "balance": report["balance"],
        },
    ]
    title = "Trial balance" + (f" as of {report['as_of']}" if report["as_of"] else "")
    table(
        title,
        [
            ("code", "Account"),
            ("name", "Name"),
            ("debit", "Debit"),
            ("credit", "Credit"),
            ("balance", "Balance"),
        ],
        rows,
        status_keys=(),
    )


@app.command("trial-balance")
def trial_balance(ctx: typer.Context, as_of: AsOfOpt = None, as_json: JsonOpt = False) -> None:
    """Debits, credits and balance per account of the journal; they sum to zero.

    Example: ordercli report trial-balance --as-of 2026-12-31
    """
    with ledger(ctx, write=False) as session:
        report = journal.trial_balance(session=session, as_of=day(as_of, "--as-of"))
    render(report, as_json, show_trial_balance)
