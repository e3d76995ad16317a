"""`ordercli payment …`: money in, credit used later, refunds, corrections (void,
unapply, reallocate), and every movement."""

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
corrections = lazy_module("ordercli.services.settlement.payment_corrections")
settings = lazy_module("ordercli.books.settings")
views = lazy_module("ordercli.views.sales")
settlement_views = lazy_module("ordercli.views.settlement")

app = typer.Typer(
    help="Payments: record, apply credit, refund, void, unapply, reallocate, list, show, "
    "transactions.",
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
PaymentArg = Annotated[
    str, typer.Argument(metavar="PAYMENT", help="Payment number, e.g. PAY-00001.")
]
AmountOpt = Annotated[
    str | None,
    typer.Option("--amount", help="How much (default: all of the payment's money there)."),
]
COLUMNS = [
    ("number", "Payment"),
    ("status", "Status"),
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
            ("Status", view["status"]),
            ("Voided by", _voided_text(view["voided_by"])),
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
    if view["released"]:
        table(
            "Taken off again",
            [
                ("invoice", "Invoice"),
                ("date", "Date"),
                ("amount", "Amount"),
                ("released_on", "Released"),
                ("released_by", "By"),
            ],
            view["released"],
            status_keys=(),
        )
    if view["refunds"]:
        table(None, [("refund", "Refund"), ("amount", "Refunded")], view["refunds"], status_keys=())
    for key, title in (("discounts", "Early-payment discounts"), ("write_offs", "Written off")):
        rows = [{**a, "state": "reversed" if a["reversed"] else None} for a in view[key]]
        if rows:
            columns = [("number", "Number"), ("invoice", "Invoice"), ("amount", "Amount")]
            columns += [
                (field, name)
                for field, name in (("reason", "Reason"), ("state", "State"))
                if any(row[field] for row in rows)
            ]
            table(title, columns, rows, status_keys=())


def _voided_text(voided_by: dict | None) -> str | None:
    if voided_by is None:
        return None
    return f"{voided_by['number']} on {voided_by['date']}: {voided_by['reason']}"


def show_void(view: dict) -> None:
    card(
        f"Payment void {view['number']}",
        [
            ("Payment", view["payment"]),
            ("Customer", view["customer"]),
            ("Date", view["date"]),
            ("Amount", f"{fmt(view['amount'])} {view['currency']}"),
            ("Reason", view["reason"]),
            ("Credit taken back", view["unapplied_taken_back"]),
        ],
    )
    table(
        None,
        [("invoice", "Invoice"), ("amount", "Owed again")],
        view["invoices"],
        status_keys=(),
        empty="no invoice was paid by it",
    )
    if view["adjustments_reversed"]:
        table(
            "Reversed with it",
            [("number", "Number"), ("invoice", "Invoice"), ("amount", "Amount")],
            view["adjustments_reversed"],
            status_keys=(),
        )


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
    discount: Annotated[
        bool,
        typer.Option(
            "--discount",
            help="Take each named invoice's early-payment discount; refused when it has "
            "none or the payment does not then settle it exactly.",
        ),
    ] = False,
    late_discount: Annotated[
        str | None,
        typer.Option(
            "--allow-late-discount",
            metavar="REASON",
            help="Take the discount although its window has closed (implies --discount; "
            "the reason is logged).",
        ),
    ] = None,
    write_off: Annotated[
        str | None,
        typer.Option(
            "--write-off",
            metavar="AMOUNT",
            help="Write off this much of what the one --invoice still owes after the "
            "payment (bank fees, small differences); at most the write-off limit.",
        ),
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why --write-off is written off (required).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record money received from a customer and allocate it to invoices.

    Without --invoice it settles the customer's oldest open invoices first;
    whatever is left over stays as the customer's unapplied credit, which
    `payment apply` can use later. An invoice's early-payment discount is taken
    when the payment is dated within its window and the money on the invoice
    plus the discount settles it exactly.

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
            discount=discount,
            late_discount_reason=late_discount,
            write_off=money(write_off, session, "--write-off"),
            write_off_reason=reason,
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


@app.command("void")
def void(
    ctx: typer.Context,
    number: PaymentArg,
    reason: Annotated[
        str, typer.Option("--reason", help="Why the payment is void (bounced, recorded twice…).")
    ],
    voided: DateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Void a payment recorded in error: a numbered void document (PV-…) and a reversing
    journal entry; the invoices it paid owe that money again and its unapplied credit
    is taken back. The payment itself is kept, marked voided. An early-payment
    discount taken or a difference written off with it is reversed too.

    Refused while its credit is still applied to other invoices (`payment unapply`
    it first) or was refunded (money out cannot be undone).

    Example: ordercli payment void PAY-00003 --reason "cheque bounced"
    """
    with ledger(ctx) as session:
        document = corrections.void_payment(
            session=session, number=number, reason=reason, voided_on=day(voided, "--date")
        )
        view = settlement_views.payment_void_view(session, document)
    render(view, as_json, show_void)


@app.command("unapply")
def unapply(
    ctx: typer.Context,
    number: PaymentArg,
    invoice: Annotated[
        str | None,
        typer.Option(
            "--invoice",
            metavar="INV",
            help="The invoice to take the money off (default: every invoice of the payment).",
        ),
    ] = None,
    amount: AmountOpt = None,
    unapplied: DateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take a payment's money off an invoice, back to the payment's unapplied credit.

    The invoice owes that much again; `payment apply` or `payment refund` can use the
    credit. With --amount, the newest allocations go first.

    Example: ordercli payment unapply PAY-00002 --invoice INV-00004 --amount 50
    """
    with ledger(ctx) as session:
        payment = corrections.unapply_payment(
            session=session,
            number=number,
            invoice_number=invoice,
            amount=money(amount, session, "--amount"),
            unapplied_on=day(unapplied, "--date"),
        )
        view = settlement_views.payment_view(session, payment)
    render(view, as_json, show_payment)


@app.command("reallocate")
def reallocate(
    ctx: typer.Context,
    number: PaymentArg,
    from_invoice: Annotated[
        str, typer.Option("--from", metavar="INV", help="The invoice the money is on now.")
    ],
    to_invoice: Annotated[
        str, typer.Option("--to", metavar="INV", help="The customer's invoice it should pay.")
    ],
    amount: Annotated[
        str | None,
        typer.Option(
            "--amount",
            help="How much (default: as much as is on --from and --to still owes).",
        ),
    ] = None,
    reallocated: DateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move a payment's money from one invoice of the customer to another, in one step.

    Never more than the target invoice still owes (rule 13).

    Example: ordercli payment reallocate PAY-00002 --from INV-00004 --to INV-00005
    """
    with ledger(ctx) as session:
        payment = corrections.reallocate_payment(
            session=session,
            number=number,
            from_invoice=from_invoice,
            to_invoice=to_invoice,
            amount=money(amount, session, "--amount"),
            reallocated_on=day(reallocated, "--date"),
        )
        view = settlement_views.payment_view(session, payment)
    render(view, as_json, show_payment)


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
            "--type",
            help="Only payment, refund, credit_applied, store_credit, void, unapplied, "
            "reallocated, early_discount, write_off or adjustment_reversed movements.",
        ),
    ] = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    limit: LimitOpt = 50,
    show_all: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Every money movement, newest first: payments in, refunds out, credit applied
    to invoices, store credit granted by credit memos, and payment corrections (void:
    the payment's amount out again; unapplied: taken off an invoice, negative;
    reallocated: moved to the invoice shown from the one under Source), early-payment
    discounts and write-offs (the reason under Reference) and those a void reversed.

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
                ("source", "Source"),
                ("amount", "Amount"),
            ],
            rows,
            status_keys=(),
            empty="no money movements",
        ),
    )
