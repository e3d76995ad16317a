"""`ordercli invoice …`: invoices issued from confirmed orders, whole or partial."""

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
    money,
)
from ordercli.cli.credit_memo import effects_said, show_credit_memo
from ordercli.cli.documents import HtmlOpt, OutputOpt, TemplateDirOpt, write
from ordercli.cli.einvoice import invoice_einvoice
from ordercli.cli.lazy import lazy_module
from ordercli.cli.mail_commands import invoice_send
from ordercli.cli.output import ProgressBar, card, fmt, output, render, table
from ordercli.cli.screens import show_invoice
from ordercli.domain.errors import InvalidInput
from ordercli.domain.lines import parse_line_specs

invoicing = lazy_module("ordercli.services.sales.invoicing")
deposits = lazy_module("ordercli.services.sales.deposits")
credit_memos = lazy_module("ordercli.services.settlement.credit_memos")
write_offs = lazy_module("ordercli.services.settlement.write_offs")
settlement_views = lazy_module("ordercli.views.settlement")
documents = lazy_module("ordercli.documents.files")
views = lazy_module("ordercli.views.sales")

app = typer.Typer(
    help="Invoices: create (whole or partial), show, list, pdf, send, cancel, write-off.",
    no_args_is_help=True,
)

InvoiceArg = Annotated[
    str, typer.Argument(metavar="INVOICE", help="Invoice number, e.g. INV-00001.")
]
COLUMNS = [
    ("number", "Invoice"),
    ("order", "Order"),
    ("customer", "Customer"),
    ("status", "Status"),
    ("issue_date", "Issued"),
    ("due_date", "Due"),
    ("total", "Total"),
    ("balance", "Balance"),
]


@app.command("create")
def create(
    ctx: typer.Context,
    order: Annotated[
        str | None, typer.Argument(metavar="ORDER", help="Order number, e.g. SO-00001.")
    ] = None,
    partial: Annotated[
        bool, typer.Option("--partial", help="Invoice only the --line quantities given.")
    ] = False,
    line: LineOpt = None,
    invoice_all: Annotated[
        bool, typer.Option("--all", help="Invoice everything open on every confirmed order.")
    ] = False,
    customer: CustomerOpt = None,
    issue_date: Annotated[
        str | None, typer.Option("--date", help="Issue date (YYYY-MM-DD); default today.")
    ] = None,
    terms: Annotated[
        str | None,
        typer.Option(
            "--terms",
            metavar="CODE",
            help="Payment terms template for this invoice instead of the order's or "
            "customer's (ordercli terms list).",
        ),
    ] = None,
    deposit: Annotated[
        str | None,
        typer.Option(
            "--deposit",
            metavar="PCT%|AMOUNT",
            help="Invoice a deposit (down payment) instead: a percentage of the order's "
            "total (30%) or an amount including tax (300.00). Deducted from the order's "
            "later invoices once paid.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Issue an invoice for everything still uninvoiced on an order, or part of it.

    With --deposit, issue a deposit (down payment) invoice for part of the
    order's total before delivery; what is paid on it is deducted from the
    order's later invoices (example: --deposit 30%).

    With --all (and optionally --customer), invoice every confirmed order that
    has something left to invoice, all in one transaction.

    Example: ordercli invoice create SO-00012 --partial --line WIDGET=3
    """
    if deposit is not None and (invoice_all or line or partial):
        raise InvalidInput("--deposit invoices a down payment: give no --all, --line or --partial")
    if invoice_all:
        if order or line or partial:
            raise InvalidInput("--all invoices every order: give no ORDER, --line or --partial")
        progress = ProgressBar("invoicing")
        try:
            with ledger(ctx) as session:
                issued = invoicing.invoice_all(
                    session=session,
                    customer=customer,
                    issue_date=day(issue_date, "--date"),
                    progress=progress,
                    terms=terms,
                )
                documents = views.invoice_views(session, issued, with_lines=as_json)
        finally:
            progress.stop()
        render(
            documents,
            as_json,
            lambda rows: table(
                f"Issued {len(rows)} invoice(s)", COLUMNS, rows, empty="nothing to invoice"
            ),
        )
        return
    if not order:
        raise InvalidInput("give the ORDER to invoice, or --all")
    if customer:
        raise InvalidInput("--customer goes with --all")
    if partial and not line:
        raise InvalidInput("--partial needs at least one --line SKU=QTY")
    requests = parse_line_specs(line)
    with ledger(ctx) as session:
        if deposit is not None:
            invoice = deposits.create_deposit_invoice(
                session=session,
                order_number=order,
                deposit=deposit,
                issue_date=day(issue_date, "--date"),
                terms=terms,
            )
        else:
            invoice = invoicing.create_invoice(
                session=session,
                order_number=order,
                lines=requests,
                issue_date=day(issue_date, "--date"),
                terms=terms,
            )
        document = views.invoice_view(session, invoice)
    render(document, as_json, show_invoice)


@app.command("show")
def show(ctx: typer.Context, number: InvoiceArg, as_json: JsonOpt = False) -> None:
    """Show an invoice: lines, totals, paid, credited, balance, status.

    Example: ordercli invoice show INV-00001
    """
    with ledger(ctx, write=False) as session:
        view = views.invoice_view(session, invoicing.get_invoice(session=session, number=number))
    render(view, as_json, show_invoice)


@app.command("list")
def list_(
    ctx: typer.Context,
    unpaid: Annotated[bool, typer.Option("--unpaid", help="Only those with a balance.")] = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only those past due.")] = False,
    status: Annotated[
        str | None,
        typer.Option("--status", help="open, partially_paid, paid, overdue or cancelled."),
    ] = None,
    customer: CustomerOpt = None,
    order: Annotated[str | None, typer.Option("--order", help="Only this order's.")] = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    limit: LimitOpt = 50,
    show_all: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """List invoices, newest first.

    Example: ordercli invoice list --overdue
    """
    with ledger(ctx, write=False) as session:
        documents = views.invoice_views(
            session,
            invoicing.list_invoices(
                session=session,
                unpaid=unpaid,
                overdue=overdue,
                status=status,
                customer=customer,
                order=order,
                date_from=day(date_from, "--from"),
                date_to=day(date_to, "--to"),
                limit=list_limit(limit, show_all),
            ),
            with_lines=as_json,
        )
    render(documents, as_json, lambda rows: table("Invoices", COLUMNS, rows, empty="no invoices"))


@app.command("pdf")
def pdf(
    ctx: typer.Context,
    number: Annotated[
        str | None, typer.Argument(metavar="INVOICE", help="Invoice number, e.g. INV-00001.")
    ] = None,
    output_path: OutputOpt = None,
    html: HtmlOpt = False,
    every: Annotated[
        bool,
        typer.Option("--all", help="Every invoice (of the --from/--to period) into -o DIR."),
    ] = False,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    customer: CustomerOpt = None,
    template_dir: TemplateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write an invoice as a PDF (or --html) to send to the customer.

    With --all, every invoice issued in the --from/--to period (and of
    --customer) is written into the directory -o DIR, one file per invoice
    named by its number.

    Example: ordercli invoice pdf INV-00001 -o invoice.pdf
    """
    if not every:
        if not number:
            raise InvalidInput("give the INVOICE to write, or --all -o DIR")
        if date_from or date_to or customer:
            raise InvalidInput("--from, --to and --customer go with --all")
        with ledger(ctx, write=False) as session:
            write(
                session,
                "invoice",
                number,
                output_path=output_path,
                html=html,
                template_dir=template_dir,
                as_json=as_json,
            )
        return
    if number:
        raise InvalidInput("--all writes every invoice: give no INVOICE")
    if not output_path:
        raise InvalidInput("--all needs -o DIR: the directory the files go to")
    progress = ProgressBar("writing invoices", enabled=not as_json)
    try:
        with ledger(ctx, write=False) as session:
            batch = documents.write_invoice_batch(
                session,
                directory=output_path,
                date_from=day(date_from, "--from"),
                date_to=day(date_to, "--to"),
                customer=customer,
                fmt="html" if html else "pdf",
                template_dir=template_dir,
                progress=progress,
            )
    finally:
        progress.stop()
    render(
        batch,
        as_json,
        lambda doc: output.line(
            f"wrote {doc['count']} invoice {doc['format'].upper()} file(s) into {doc['directory']}"
        ),
    )


app.command("send")(invoice_send)
app.command("einvoice")(invoice_einvoice)


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    number: InvoiceArg,
    reason: Annotated[
        str, typer.Option("--reason", help="Why it is cancelled (required, for the record).")
    ],
    issue_date: Annotated[
        str | None,
        typer.Option(
            "--date", help="Date of the cancelling credit memo (YYYY-MM-DD); default today."
        ),
    ] = None,
    settlement: Annotated[
        str,
        typer.Option(
            "--settlement",
            metavar="store_credit|refund",
            help="What was already paid on it becomes the customer's store credit (the "
            "default) or is refunded (money out).",
        ),
    ] = "store_credit",
    method: Annotated[
        str | None, typer.Option("--method", help="How a refund is paid (default: bank transfer).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Cancel an invoice issued in error: a credit memo of all of it.

    Every quantity is credited as billed in error, so the order can be invoiced
    again (`invoice create ORDER` takes the same quantities for the same
    amounts); the invoice's status becomes cancelled. Only an invoice with no
    credit memo yet can be cancelled; credit the rest of one with `credit-memo
    create`. Prints the cancelling credit memo.

    Example: ordercli invoice cancel INV-00001 --reason "wrong customer"
    """
    choice = settlement.strip().lower().replace("-", "_")
    with ledger(ctx) as session:
        memo = credit_memos.cancel_invoice(
            session=session,
            invoice_number=number,
            reason=reason,
            issue_date=day(issue_date, "--date"),
            settlement=choice,
            method=method,
        )
        view = settlement_views.credit_memo_view(session, memo)
    render(view, as_json, show_credit_memo)
    if not as_json:
        output.line(f"{view['invoice']} cancelled by {view['number']}")
        for sentence in effects_said(view):
            output.line(sentence)


@app.command("write-off", context_settings={"ignore_unknown_options": True})
def write_off(
    ctx: typer.Context,
    number: InvoiceArg,
    reason: Annotated[
        str, typer.Option("--reason", help="Why it will not be paid (required, for the record).")
    ],
    amount: Annotated[
        str | None,
        typer.Option("--amount", help="How much (default: all of its open balance)."),
    ] = None,
    written_off: Annotated[
        str | None, typer.Option("--date", help="Date (YYYY-MM-DD); default today.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write off what a customer will never pay of an invoice, as a bad debt.

    Posts a write-off (WO-…): the net part to bad debts and the tax part back
    off sales tax, in proportion to what is left of the invoice. At most the
    bad-debt limit (`company set --bad-debt-limit`); refused on a paid or
    cancelled invoice.

    Example: ordercli invoice write-off INV-00007 --reason "customer insolvent"
    """
    with ledger(ctx) as session:
        row = write_offs.write_off_bad_debt(
            session=session,
            invoice_number=number,
            reason=reason,
            amount=money(amount, session, "--amount"),
            written_off_on=day(written_off, "--date"),
        )
        view = settlement_views.adjustment_view(session, row)
    render(
        view,
        as_json,
        lambda v: card(
            f"Write-off {v['number']}",
            [
                ("Invoice", v["invoice"]),
                ("Customer", v["customer"]),
                ("Date", v["date"]),
                ("Kind", "bad debt"),
                ("Amount", f"{fmt(v['amount'])} {v['currency']}"),
                ("Net", v["net"]),
                ("Tax corrected", v["tax"]),
                ("Reason", v["reason"]),
                ("Invoice balance", v["invoice_balance"]),
            ],
        ),
    )
