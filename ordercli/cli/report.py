"""`ordercli report …`: receivables aging, customer statements, the trial balance,
sales, the order matrix and backorders."""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli.cli.common import CustomerOpt, FromOpt, JsonOpt, ToOpt, day, ledger
from ordercli.cli.documents import OutputOpt, TemplateDirOpt, write
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import card, fmt, output, render, table
from ordercli.domain.errors import InvalidInput

receivables = lazy_module("ordercli.reports.receivables")
journal = lazy_module("ordercli.books.journal")
sales_report = lazy_module("ordercli.reports.sales")
order_matrix = lazy_module("ordercli.reports.matrix")
backorders_report = lazy_module("ordercli.reports.backorders")

app = typer.Typer(
    help="Reports: aging, statement, trial-balance, sales, matrix, backorders.",
    no_args_is_help=True,
)

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
        "early_discount": "Discount",
        "early_discount_reversal": "Discount reversed",
        "write_off": "Write-off",
        "write_off_reversal": "Write-off reversed",
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
    if report.get("open_items"):
        table(
            f"Open items as of {report['to']}",
            [
                ("invoice", "Invoice"),
                ("due_date", "Due"),
                ("open", "Open"),
                ("days_overdue", "Days overdue"),
            ],
            report["open_items"],
            status_keys=(),
        )


@app.command("statement")
def statement(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(metavar="CUSTOMER", help="Customer code.")],
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    as_of: AsOfOpt = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Write the statement as a PDF to send the customer.")
    ] = False,
    html: Annotated[bool, typer.Option("--html", help="Write it as HTML instead.")] = False,
    output_path: OutputOpt = None,
    template_dir: TemplateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A customer's invoices, payments, credits and refunds with a running balance.

    --as-of is the same as --to: the statement as it stood at the end of that day.
    With --pdf (or --html) the statement is written as a document for the
    customer, to -o FILE or statement-CUSTOMER-DATE.pdf here.

    Example: ordercli report statement ACME --from 2026-01-01 --pdf
    """
    if as_of and date_to:
        raise InvalidInput("give --to or --as-of, not both")
    if pdf and html:
        raise InvalidInput("give --pdf or --html, not both")
    if (output_path or template_dir) and not (pdf or html):
        raise InvalidInput("-o and --template-dir go with --pdf or --html")
    date_from_day = day(date_from, "--from")
    date_to_day = day(as_of, "--as-of") or day(date_to, "--to")
    with ledger(ctx, write=False) as session:
        if pdf or html:
            write(
                session,
                "statement",
                customer,
                output_path=output_path,
                html=html,
                template_dir=template_dir,
                as_json=as_json,
                date_from=date_from_day,
                date_to=date_to_day,
            )
            return
        report = receivables.statement(
            session=session, customer=customer, date_from=date_from_day, date_to=date_to_day
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


SALES_KEYS = {"month": "Month", "customer": "Customer", "product": "Product"}
# Eighths of a cell, so short bars still differ in length.
BAR_EIGHTHS = " ▏▎▍▌▋▊▉█"
NEGATIVE_BAR = "▒"
# Bars longer than this read no better on a very wide terminal.
CHART_WIDTH = 120


def sales_chart(rows: list[dict], currency: str, by: str, width: int) -> list:
    """A horizontal bar per row of its net, scaled to ``width`` columns.

    Positive bars grow right in solid blocks; negative ones (a period or a
    product with more credited than invoiced) grow left of a zero axis in a
    shaded block, so they read apart even without colour.
    """
    from decimal import Decimal

    from rich.text import Text

    # Labels are months and codes: shown whole, never cut.
    labels = [str(row["key"]) for row in rows]
    amounts = [fmt(row["net"]) for row in rows]
    label_width = max(len(label) for label in labels)
    amount_width = max(len(amount) for amount in amounts)
    highest = max(max(row["net"] for row in rows), Decimal(0))
    lowest = min(min(row["net"] for row in rows), Decimal(0))
    has_axis = lowest < 0
    area = width - label_width - amount_width - 3 - has_axis
    if area < 10:
        # No room for bars that say anything; the table above has every figure.
        return []
    span = (highest - lowest) or Decimal(1)
    left = int(area * -lowest / span) if has_axis else 0
    lines = [Text(f"Net revenue by {by} ({currency})", style="bold")]
    for label, amount, row in zip(labels, amounts, rows, strict=True):
        line = Text(f"{label:<{label_width}} ")
        net = row["net"]
        cells = abs(net) * area / span
        if net < 0:
            length = max(int(cells + Decimal("0.5")), 1)
            line.append(" " * (left - min(length, left)))
            line.append(NEGATIVE_BAR * min(length, left), style="red")
        else:
            line.append(" " * left)
        if has_axis:
            line.append("│", style="dim")
        if net > 0:
            eighths = int(cells * 8 + Decimal("0.5"))
            bar = "█" * (eighths // 8) + BAR_EIGHTHS[eighths % 8].strip()
            line.append(bar or BAR_EIGHTHS[1], style="green")
            line.append(" " * (area - left - len(bar or "x")))
        else:
            line.append(" " * (area - left))
        line.append(f" {amount:>{amount_width}}")
        lines.append(line)
    return lines


def show_sales(report: dict) -> None:
    by = report["by"]
    period = ", ".join(
        f"{label} {report[key]}"
        for key, label in (("from", "from"), ("to", "to"), ("as_of", "as of"))
        if report[key]
    )
    rows = [*report["rows"]]
    if rows:
        rows.append({"key": "Total", "name": "", **report["totals"]})
    columns = [("key", SALES_KEYS[by])]
    if by != "month":
        columns.append(("name", "Name"))
    columns += [
        ("invoiced", "Invoiced"),
        ("credited", "Credited"),
        ("net", "Net"),
        ("tax", "Tax"),
        ("total", "Total"),
    ]
    table(
        f"Sales by {by}, net of credit memos ({report['currency']})"
        + (f", {period}" if period else ""),
        columns,
        rows,
        status_keys=(),
        empty="no invoices or credit memos" + (f" ({period})" if period else ""),
    )
    if report["rows"]:
        width = min(output.out.width, CHART_WIDTH)
        for line in sales_chart(report["rows"], report["currency"], by, width):
            output.print(line)


@app.command("sales")
def sales(
    ctx: typer.Context,
    by: Annotated[
        str, typer.Option("--by", metavar="month|customer|product", help="How to group.")
    ] = "month",
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revenue net of credit memos by month, customer or product, with a bar chart of net.

    An invoice counts on its issue date and a credit memo on its own, so a
    March credit lowers March. Total net equals the revenue account's credits
    minus the refunds account's debits for the same days.

    Example: ordercli report sales --by customer --from 2026-01-01
    """
    with ledger(ctx, write=False) as session:
        report = sales_report.sales_report(
            session=session,
            by=by,
            date_from=day(date_from, "--from"),
            date_to=day(date_to, "--to"),
            as_of=day(as_of, "--as-of"),
        )
    render(report, as_json, show_sales)


MATRIX_COLUMNS = [
    ("state", "Line state"),
    ("under_1_day", "Today"),
    ("d1_7", "1-7 days"),
    ("over_7_days", "Older"),
    ("total", "Total"),
]


def show_matrix(report: dict) -> None:
    rows = [row for row in report["rows"] if row["total"]]
    rows.append({"state": "Total", **report["totals"]})
    title = f"Order matrix, {report['day']}" + ("" if report.get("as_of_exact", True) else " *")
    table(title, MATRIX_COLUMNS, rows, status_keys=(), empty="no order lines")


@app.command("matrix")
def matrix(ctx: typer.Context, as_of: AsOfOpt = None, as_json: JsonOpt = False) -> None:
    """Order lines counted by state (draft, on hold, backordered, to ship, to invoice,
    completed, cancelled) and by time since their last state change.

    Example: ordercli report matrix --as-of 2026-11-30
    """
    with ledger(ctx, write=False) as session:
        report = order_matrix.order_matrix(session=session, as_of=day(as_of, "--as-of"))
    render(report, as_json, show_matrix)


def show_backorders(report: dict) -> None:
    rows = [
        {
            **product,
            "waiting": ", ".join(
                f"{o['order']} ({o['customer']}) ×{o['qty']}" for o in product["orders"]
            ),
        }
        for product in report["products"]
    ]
    totals = report["totals"]
    table(
        f"Backorders: {totals['units']} units on {totals['lines']} line(s) of "
        f"{totals['products']} product(s)",
        [
            ("sku", "SKU"),
            ("name", "Product"),
            ("on_hand", "On hand"),
            ("reserved", "Reserved"),
            ("available", "Available"),
            ("to_receive", "To receive"),
            ("waiting", "Waiting orders"),
        ],
        rows,
        status_keys=(),
        empty="no backorders: every confirmed line is covered by stock",
    )
    if report["customers"]:
        table(
            "By customer",
            [("customer", "Customer"), ("lines", "Lines"), ("backordered", "Units")],
            report["customers"],
            status_keys=(),
        )


@app.command("backorders")
def backorders(ctx: typer.Context, as_of: AsOfOpt = None, as_json: JsonOpt = False) -> None:
    """Confirmed lines waiting for stock, by product (with what must be received) and
    by customer.

    Example: ordercli report backorders
    """
    with ledger(ctx, write=False) as session:
        report = backorders_report.backorder_report(session=session, as_of=day(as_of, "--as-of"))
    render(report, as_json, show_backorders)
