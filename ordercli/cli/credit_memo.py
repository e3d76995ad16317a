"""`ordercli credit-memo …`: corrections of an invoice, refunded or kept as credit."""

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
from ordercli.cli.documents import HtmlOpt, OutputOpt, TemplateDirOpt, write
from ordercli.cli.einvoice import credit_memo_einvoice
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import card, fmt, output, render, table
from ordercli.cli.screens import UNIT, issued_to, with_units
from ordercli.domain.errors import InvalidInput
from ordercli.domain.lines import parse_line_specs

credit_memos = lazy_module("ordercli.services.settlement.credit_memos")
settlement_views = lazy_module("ordercli.views.settlement")

app = typer.Typer(help="Credit memos: create, show, list, pdf.", no_args_is_help=True)

COLUMNS = [
    ("number", "Credit memo"),
    ("invoice", "Invoice"),
    ("customer", "Customer"),
    ("issue_date", "Issued"),
    ("settlement", "Settlement"),
    ("total", "Total"),
    ("refunded", "Refunded"),
    ("store_credit_left", "Credit left"),
]


def settlement_choice(refund: bool, store_credit: bool) -> str | None:
    if refund and store_credit:
        raise InvalidInput("choose --refund or --store-credit, not both")
    if refund:
        return "refund"
    if store_credit:
        return "store_credit"
    return None


RefundOpt = Annotated[
    bool,
    typer.Option("--refund", help="Pay back what the customer already paid on it (money out)."),
]
StoreCreditOpt = Annotated[
    bool,
    typer.Option(
        "--store-credit",
        help="Keep what the customer already paid as their credit for later (the default).",
    ),
]


KindOpt = Annotated[
    str | None,
    typer.Option(
        "--kind",
        metavar="rebill|not-delivered|returned",
        help="What the credited quantities do: rebill (billed in error: open to invoice "
        "again, the default), not-delivered (never shipped, now never will be) or returned "
        "(shipped goods came back; --restock also puts them into stock).",
    ),
]

# What a memo line's effect did to its order line, in words (rule 14).
_DID = {
    "rebill": "reopened for invoicing on {order}",
    "cancel": "will not be delivered: taken off {order}",
    "return": "came back from the customer on {order}",
}


def effects_said(view: dict) -> list[str]:
    """One sentence per memo line that moved a quantity, e.g. "3 × WIDGET reopened for
    invoicing on SO-00012"; a credit of money only says so."""
    said = [
        f"{fmt(line['qty'])} × {line['sku']} "
        + _DID[line["effect"]].format(order=view["order"])
        + (", restocked" if line["effect"] == "return" and view["restock"] else "")
        for line in view["lines"]
        if line["effect"] in _DID
    ]
    return said or ["money only: no quantity moved on " + view["order"]]


def show_credit_memo(view: dict) -> None:
    card(
        f"Credit memo {view['number']}",
        [
            ("Cancels invoice" if view["cancels_invoice"] else "Invoice", view["invoice"]),
            ("Order", view["order"]),
            ("Customer", view["customer"]),
            ("Bill to", issued_to(view, "billing_address")),
            ("Tax id", (view.get("buyer") or {}).get("tax_id")),
            ("Return", view["return"]),
            ("Issued", view["issue_date"]),
            ("Reason", view["reason"]),
            ("Kind", view["kind"].replace("_", " ")),
            ("Subtotal", view["subtotal"]),
            ("Tax", view["tax"]),
            ("Total", f"{fmt(view['total'])} {view['currency']}"),
            ("Off the invoice", view["applied_to_invoice"]),
            ("Settlement", view["settlement"]),
            ("Refunded", view["refunded"] or None),
            ("Refunds", ", ".join(view["refunds"])),
            ("Store credit left", view["store_credit_left"] or None),
            ("Restocked", view["restock"] or None),
        ],
    )
    table(
        None,
        [
            ("line", "#"),
            ("sku", "SKU"),
            ("description", "Description"),
            ("qty", "Qty"),
            UNIT,
            ("effect", "Effect"),
            ("unit_price", "Unit price"),
            ("tax_rate", "Tax %"),
            ("net", "Net"),
            ("tax", "Tax"),
            ("total", "Total"),
        ],
        with_units(view["lines"]),
        status_keys=(),
    )


@app.command("create")
def create(
    ctx: typer.Context,
    invoice: Annotated[
        str, typer.Argument(metavar="INVOICE", help="Invoice to credit, e.g. INV-00001.")
    ],
    line: Annotated[
        list[str] | None,
        typer.Option("--line", help="SKU=QTY to credit; repeat for more lines."),
    ] = None,
    amount: Annotated[
        str | None,
        typer.Option("--amount", help="Credit this much money (tax included), no goods."),
    ] = None,
    refund: RefundOpt = False,
    store_credit: StoreCreditOpt = False,
    restock: Annotated[
        bool,
        typer.Option("--restock", help="The goods came back: put them into stock (returned)."),
    ] = False,
    kind: KindOpt = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why, for the record.")] = None,
    method: Annotated[
        str | None, typer.Option("--method", help="How a refund is paid (default: bank transfer).")
    ] = None,
    issue_date: Annotated[
        str | None, typer.Option("--date", help="Issue date (YYYY-MM-DD); default today.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Credit an invoice: --line quantities, an --amount, or (given neither) all
    that is not yet credited.

    Every credited quantity says what it corrects (--kind): billed in error
    (rebill, the default: the order can invoice it again), not to be delivered
    (not-delivered: only what is invoiced and not shipped; it leaves the order),
    or returned (--restock, or --kind returned to record goods back without
    restocking them). An --amount credits money only. A credit whose money
    rounds to nothing still credits its quantity.

    The credit first lowers what is still owed on the invoice; what the
    customer had already paid beyond that is refunded (--refund) or kept as
    their store credit (--store-credit, the default).

    Example: ordercli credit-memo create INV-00001 --line CHAIR-ERGO=1 --refund --restock
    """
    settlement = settlement_choice(refund, store_credit)
    requests = parse_line_specs(line)
    with ledger(ctx) as session:
        memo = credit_memos.create_credit_memo(
            session=session,
            invoice_number=invoice,
            lines=requests,
            amount=money(amount, session, "--amount"),
            settlement=settlement,
            restock=restock,
            kind=kind,
            reason=reason,
            method=method,
            issue_date=day(issue_date, "--date"),
        )
        view = settlement_views.credit_memo_view(session, memo)
    render(view, as_json, show_credit_memo)
    if not as_json:
        for sentence in effects_said(view):
            output.line(sentence)
    if not as_json and view["store_credit_left"] > 0:
        output.notice(
            f"{fmt(view['store_credit_left'])} kept as {view['customer']}'s store credit; "
            f"`ordercli payment refund {view['customer']}` pays it out"
        )


@app.command("show")
def show(
    ctx: typer.Context,
    number: Annotated[
        str, typer.Argument(metavar="CREDIT_MEMO", help="Credit memo number, e.g. CM-00001.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Show a credit memo: lines, total, how it was settled.

    Example: ordercli credit-memo show CM-00001
    """
    with ledger(ctx, write=False) as session:
        view = settlement_views.credit_memo_view(
            session, credit_memos.get_credit_memo(session=session, number=number)
        )
    render(view, as_json, show_credit_memo)


@app.command("list")
def list_(
    ctx: typer.Context,
    customer: CustomerOpt = None,
    invoice: Annotated[str | None, typer.Option("--invoice", help="Only this invoice's.")] = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    limit: LimitOpt = 50,
    show_all: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """List credit memos, newest first.

    Example: ordercli credit-memo list --customer ACME
    """
    with ledger(ctx, write=False) as session:
        documents = settlement_views.credit_memo_views(
            session,
            credit_memos.list_credit_memos(
                session=session,
                customer=customer,
                invoice=invoice,
                date_from=day(date_from, "--from"),
                date_to=day(date_to, "--to"),
                limit=list_limit(limit, show_all),
            ),
            with_lines=as_json,
        )
    render(
        documents,
        as_json,
        lambda rows: table("Credit memos", COLUMNS, rows, status_keys=(), empty="no credit memos"),
    )


@app.command("pdf")
def pdf(
    ctx: typer.Context,
    number: Annotated[
        str, typer.Argument(metavar="CREDIT_MEMO", help="Credit memo number, e.g. CM-00001.")
    ],
    output_path: OutputOpt = None,
    html: HtmlOpt = False,
    template_dir: TemplateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a credit memo as a PDF (or --html) for the customer.

    Example: ordercli credit-memo pdf CM-00001
    """
    with ledger(ctx, write=False) as session:
        write(
            session,
            "credit-memo",
            number,
            output_path=output_path,
            html=html,
            template_dir=template_dir,
            as_json=as_json,
        )


app.command("einvoice")(credit_memo_einvoice)
