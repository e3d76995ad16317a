"""`ordercli payment …`: money in, credit used later, refunds, and every movement."""

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
    money,
)
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import card, fmt, output, render, table
from ordercli.cli.screens import show_invoice

invoicing = lazy_module("ordercli.services.sales.invoicing")
payments = lazy_module("ordercli.services.settlement.payments")
settings = lazy_module("ordercli.books.settings")
views = lazy_module("ordercli.views.sales")
settlement_views = lazy_module("ordercli.views.settlement")

app = typer.Typer(
    help="Payments: record, apply credit, refund, list, show, transactions.",
    no_args_is_help=True,
)

CustomerArg = Annotated[str, typer.Argument(metavar="CUSTOMER", help="Customer code.")]
MethodOpt = Annotated[
    str | None, typer.Option("--method", help="How the money moved (default: bank transfer).")
]
ReferenceOpt = Annotated[
    str | None, typer.Option("--reference", help="Bank reference, cheque or card receipt number.")
]
DateOpt = Annotated[str | None, typer.Option("--date", help="Date (YYYY-MM-DD); default today.")]
COLUMNS = [
    ("number", "Payment"),
    ("customer", "Customer"),
    ("date", "Date"),
    ("method", "Method"),
    ("reference", "Reference"),
    ("amount", "Amount"),
    ("applied", "Applied to"),
    ("unapplied", "Unapplied"),
]


def show_payment(view: dict) -> None:
    card(
        f"Payment {view['number']}",
        [
            ("Customer", view["customer"]),
            ("Date", view["date"]),
            ("Amount", f"{fmt(view['amount'])} {view['currency']}"),
            ("Method", view["method"]),
            ("Reference", view["reference"]),
            ("Unapplied", view["unapplied"]),
        ],
    )
    table(
        None,
        [("invoice", "Invoice"), ("date", "Date"), ("amount", "Allocated")],
        view["allocations"],
        status_keys=(),
        empty="not allocated to any invoice",
    )
    if view["refunds"]:
        table(None, [("refund", "Refund"), ("amount", "Refunded")], view["refunds"], status_keys=())


def _rows(views: list[dict]) -> list[dict]:
    return [{**v, "applied": ", ".join(a["invoice"] for a in v["allocations"])} for v in views]


# "-5" is an amount to refuse with a clear error, not an unknown option.
AMOUNT_ARGS = {"ignore_unknown_options": True}


@app.command("record", context_settings=AMOUNT_ARGS)
def record(
    ctx: typer.Context,
    customer: CustomerArg,
    amount: Annotated[str, typer.Argument(metavar="AMOUNT", help="Amount received, e.g. 250.00.")],
    invoice: Annotated[
        list[str] | None,
        typer.Option(
            "--invoice",
            metavar="INV[=AMOUNT]",
            help="Invoice to pay, in this order (repeat); INV=AMOUNT pays that much of it. "
            "Default: the oldest open invoices first.",
        ),
    ] = None,
    method: MethodOpt = None,
    reference: ReferenceOpt = None,
    received: DateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record money received from a customer and allocate it to invoices.

    Without --invoice it settles the customer's oldest open invoices first;
    whatever is left over stays as the customer's unapplied credit, which
    `payment apply` can use later.

    Example: ordercli payment record ACME 250.00 --invoice INV-00001 --reference TRX-881
    """
    with ledger(ctx) as session:
        payment = payments.record_payment(
            session=session,
            customer_code=customer,
            amount=money(amount, session, "amount"),
            invoices=payments.parse_invoice_specs(invoice, settings.minor_digits(session)),
            method=method,
            reference=reference,
            received_on=day(received, "--date"),
        )
        view = settlement_views.payment_view(session, payment)
    render(view, as_json, show_payment)
    if not as_json and view["unapplied"] > 0:
        output.notice(
            f"{fmt(view['unapplied'])} kept as {view['customer']}'s unapplied credit; "
            f"`ordercli payment apply {view['customer']} --invoice INV` uses it"
        )


@app.command("apply")
def apply(
    ctx: typer.Context,
    customer: CustomerArg,
    invoice: Annotated[
        str, typer.Option("--invoice", metavar="INV", help="The invoice to put the credit on.")
    ],
    amount: Annotated[
        str | None,
        typer.Option(
            "--amount", help="How much (default: as much as the credit and balance allow)."
        ),
    ] = None,
    applied: DateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Use a customer's unapplied credit (overpayments, store credit) on an invoice.

    Example: ordercli payment apply ACME --invoice INV-00004 --amount 50
    """
    with ledger(ctx) as session:
        payments.apply_credit(
            session=session,
            customer_code=customer,
            invoice_number=invoice,
            amount=money(amount, session, "--amount"),
            applied_on=day(applied, "--date"),
        )
        view = views.invoice_view(session, invoicing.get_invoice(session=session, number=invoice))
    render(view, as_json, show_invoice)


@app.command("refund", context_settings=AMOUNT_ARGS)
def refund(
    ctx: typer.Context,
    customer: CustomerArg,
    amount: Annotated[
        str | None,
        typer.Argument(metavar="[AMOUNT]", help="How much (default: all unapplied credit)."),
    ] = None,
    method: MethodOpt = None,
    reference: ReferenceOpt = None,
    refunded: DateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Pay a customer's unapplied credit back to them (money out).

    Example: ordercli payment refund ACME 40.00 --method "bank transfer"
    """
    with ledger(ctx) as session:
        refund_ = payments.refund_customer(
            session=session,
            customer_code=customer,
            amount=money(amount, session, "amount"),
            method=method,
            reference=reference,
            refunded_on=day(refunded, "--date"),
        )
        view = settlement_views.refund_view(session, refund_)
    render(
        view,
        as_json,
        lambda v: card(
            f"Refund {v['number']}",
            [
                ("Customer", v["customer"]),
                ("Date", v["date"]),
                ("Amount", v["amount"]),
                ("Method", v["method"]),
                ("Reference", v["reference"]),
            ],
        ),
    )


@app.command("show")
def show(
    ctx: typer.Context,
    number: Annotated[
        str, typer.Argument(metavar="PAYMENT", help="Payment number, e.g. PAY-00001.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Show a payment: amount, allocations to invoices, unapplied credit.

    Example: ordercli payment show PAY-00001
    """
    with ledger(ctx, write=False) as session:
        view = settlement_views.payment_view(
            session, payments.get_payment(session=session, number=number)
        )
    render(view, as_json, show_payment)


@app.command("list")
def list_(
    ctx: typer.Context,
    customer: CustomerOpt = None,
    unapplied: Annotated[
        bool, typer.Option("--unapplied", help="Only payments with credit left.")
    ] = False,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    limit: LimitOpt = 50,
    show_all: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """List payments, newest first.

    Example: ordercli payment list --customer ACME
    """
    with ledger(ctx, write=False) as session:
        documents = settlement_views.payment_views(
            session,
            payments.list_payments(
                session=session,
                customer=customer,
                unapplied=unapplied,
                date_from=day(date_from, "--from"),
                date_to=day(date_to, "--to"),
                limit=list_limit(limit, show_all),
            ),
        )
    render(
        documents,
        as_json,
        lambda rows: table("Payments", COLUMNS, _rows(rows), status_keys=(), empty="no payments"),
    )


@app.command("transactions")
def transactions(
    ctx: typer.Context,
    customer: CustomerOpt = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--type", help="Only payment, refund, credit_applied or store_credit movements."
        ),
    ] = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    limit: LimitOpt = 50,
    show_all: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Every money movement, newest first: payments in, refunds out, credit applied
    to invoices and store credit granted by credit memos.

    Example: ordercli payment transactions --customer ACME --from 2026-01-01
    """
    with ledger(ctx, write=False) as session:
        rows = payments.transactions(
            session=session,
            customer=customer,
            kind=kind,
            date_from=day(date_from, "--from"),
            date_to=day(date_to, "--to"),
            limit=list_limit(limit, show_all),
        )
    render(
        rows,
        as_json,
        lambda rows: table(
            "Transactions",
            [
                ("date", "Date"),
                ("type", "Type"),
                ("number", "Document"),
                ("customer", "Customer"),
                ("invoice", "Invoice"),
                ("method", "Method"),
                ("reference", "Reference"),
                ("amount", "Amount"),
            ],
            rows,
            status_keys=(),
            empty="no money movements",
        ),
    )
