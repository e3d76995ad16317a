"""`ordercli quote …`: offers to a customer, with validity and a negotiation thread."""

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
    pct,
    qty,
)
from ordercli.cli.documents import HtmlOpt, OutputOpt, TemplateDirOpt, write
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import output, render, table
from ordercli.cli.screens import show_order, show_quote

quoting = lazy_module("ordercli.services.sales.quoting")
document_pricing = lazy_module("ordercli.services.sales.document_pricing")
revisions = lazy_module("ordercli.services.sales.quote_revisions")
views = lazy_module("ordercli.views.sales")

app = typer.Typer(
    help="Quotes: new, add-line, edit-line, remove-line, reprice, discount, send, accept, reject, "
    "note, extend, revise, copy, convert, show, list, pdf.",
    no_args_is_help=True,
)

QuoteArg = Annotated[str, typer.Argument(metavar="QUOTE", help="Quote number, e.g. Q-00001.")]
LineArg = Annotated[str, typer.Argument(metavar="LINE", help="Line number (1, 2, …) or its SKU.")]
PriceOpt = Annotated[
    str | None, typer.Option("--price", help="Unit price; default: the catalog's.")
]
DiscountOpt = Annotated[str | None, typer.Option("--discount", help="Discount in percent.")]
GrossOpt = Annotated[
    bool | None,
    typer.Option(
        "--prices-include-tax/--prices-exclude-tax",
        help="Whether its prices include tax; default: as the customer's price list.",
        show_default=False,
    ),
]
DocPctOpt = Annotated[
    str | None, typer.Option("--pct", metavar="PCT", help="A percentage off the whole.")
]
DocAmountOpt = Annotated[
    str | None,
    typer.Option("--amount", metavar="AMOUNT", help="An amount off the whole, spread over lines."),
]
ClearOpt = Annotated[bool, typer.Option("--clear", help="Take the discount off again.")]
COLUMNS = [
    ("number", "Quote"),
    ("customer", "Customer"),
    ("status", "Status"),
    ("issue_date", "Issued"),
    ("valid_until", "Valid until"),
    ("total", "Total"),
    ("order", "Order"),
]


def _quote_action(ctx: typer.Context, action, number: str, as_json: bool, **kwargs) -> None:
    with ledger(ctx) as session:
        quote = action(session=session, number=number, **kwargs)
        view = views.quote_view(session, quote)
    render(view, as_json, show_quote)


@app.command("new")
def new(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(metavar="CUSTOMER", help="Customer code.")],
    valid_days: Annotated[int, typer.Option("--valid-days", help="Days the offer holds.")] = 30,
    prices_include_tax: GrossOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Start a draft quote for a customer.

    Its prices include tax with --prices-include-tax (B2C, web shops), exclude it with
    --prices-exclude-tax; by default they do when the customer's price list is gross.

    Example: ordercli quote new ACME --valid-days 14
    """
    with ledger(ctx) as session:
        quote = quoting.new_quote(
            session=session,
            customer_code=customer,
            valid_days=valid_days,
            prices_include_tax=prices_include_tax,
        )
        view = views.quote_view(session, quote)
    render(view, as_json, show_quote)


@app.command("add-line")
def add_line(
    ctx: typer.Context,
    number: QuoteArg,
    sku: Annotated[str, typer.Argument(metavar="SKU", help="Product SKU.")],
    quantity: Annotated[str, typer.Argument(metavar="QTY", help="Quantity (decimals allowed).")],
    price: PriceOpt = None,
    discount: DiscountOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a line to a draft quote (a sent one is revised first: `quote revise`).

    Example: ordercli quote add-line Q-00001 WIDGET 10 --discount 5
    """
    with ledger(ctx) as session:
        quoting.add_quote_line(
            session=session,
            number=number,
            sku=sku,
            qty=qty(quantity),
            price=money(price, session, "price"),
            discount=pct(discount, "discount"),
        )
        view = views.quote_view(session, quoting.get_quote(session=session, number=number))
    render(view, as_json, show_quote)


@app.command("edit-line")
def edit_line(
    ctx: typer.Context,
    number: QuoteArg,
    line: LineArg,
    quantity: Annotated[str | None, typer.Option("--qty", help="New quantity.")] = None,
    price: Annotated[str | None, typer.Option("--price", help="New unit price.")] = None,
    discount: DiscountOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a line's quantity, price or discount on a draft quote.

    A sent quote is what the customer has: revise it first (`quote revise`).

    Example: ordercli quote edit-line Q-00001 1 --qty 12 --discount 5
    """
    with ledger(ctx) as session:
        revisions.edit_quote_line(
            session=session,
            number=number,
            line_ref=line,
            qty=None if quantity is None else qty(quantity),
            price=money(price, session, "price"),
            discount=pct(discount, "discount"),
        )
        view = views.quote_view(session, quoting.get_quote(session=session, number=number))
    render(view, as_json, show_quote)


@app.command("remove-line")
def remove_line(
    ctx: typer.Context, number: QuoteArg, line: LineArg, as_json: JsonOpt = False
) -> None:
    """Remove a line from a draft quote; the other lines keep their numbers.

    Example: ordercli quote remove-line Q-00001 2
    """
    with ledger(ctx) as session:
        revisions.remove_quote_line(session=session, number=number, line_ref=line)
        view = views.quote_view(session, quoting.get_quote(session=session, number=number))
    render(view, as_json, show_quote)


@app.command("reprice")
def reprice(ctx: typer.Context, number: QuoteArg, as_json: JsonOpt = False) -> None:
    """Look a draft quote's prices up again from the customer's price list, at its
    issue date and each line's quantity; prices typed on a line stay. A sent quote is
    what the customer holds: revise it first (`quote revise`).

    Example: ordercli quote reprice Q-00001
    """
    with ledger(ctx) as session:
        changed = document_pricing.reprice_quote(session=session, number=number)
        view = views.quote_view(session, changed.document)
    _changed(view, changed.changes, as_json)


@app.command("discount")
def discount(
    ctx: typer.Context,
    number: QuoteArg,
    percent: DocPctOpt = None,
    amount: DocAmountOpt = None,
    clear: ClearOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Give a draft quote a discount on the whole: a percentage off every line, or an
    amount spread over the lines in proportion to them. Its order keeps it. Exactly
    one of --pct, --amount or --clear.

    Example: ordercli quote discount Q-00001 --amount 50
    """
    with ledger(ctx) as session:
        changed = document_pricing.set_quote_discount(
            session=session,
            number=number,
            pct=pct(percent, "--pct"),
            amount=money(amount, session, "--amount"),
            clear=clear,
        )
        view = views.quote_view(session, changed.document)
    _changed(view, changed.changes, as_json)


def _changed(view: dict, changes: list[str], as_json: bool) -> None:
    """The quote as `quote show` prints it, then what changed (``changes`` in JSON)."""
    render({**view, "changes": changes}, as_json, show_quote)
    if not as_json:
        output.line("; ".join(changes) if changes else "nothing changed")


@app.command("send")
def send(ctx: typer.Context, number: QuoteArg, as_json: JsonOpt = False) -> None:
    """Mark a quote as sent to the customer.

    Example: ordercli quote send Q-00001
    """
    _quote_action(ctx, quoting.send_quote, number, as_json)


@app.command("accept")
def accept(ctx: typer.Context, number: QuoteArg, as_json: JsonOpt = False) -> None:
    """Record that the customer accepted (refused once the quote expired).

    Example: ordercli quote accept Q-00001
    """
    _quote_action(ctx, quoting.accept_quote, number, as_json)


@app.command("reject")
def reject(
    ctx: typer.Context,
    number: QuoteArg,
    reason: Annotated[str | None, typer.Option("--reason", help="Why, kept in the thread.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record that the customer turned the quote down.

    Example: ordercli quote reject Q-00001 --reason "went with a cheaper offer"
    """
    _quote_action(ctx, quoting.reject_quote, number, as_json, reason=reason)


@app.command("note")
def note(
    ctx: typer.Context,
    number: QuoteArg,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="What was said.")],
    author: Annotated[str, typer.Option("--from", help="Who said it: seller or buyer.")] = "seller",
    customer_visible: Annotated[
        bool,
        typer.Option(
            "--customer-visible",
            help="Print it on the quote the customer gets; notes are internal otherwise.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add a note to the quote's negotiation thread (internal unless --customer-visible).

    Example: ordercli quote note Q-00001 "Delivery within two weeks" --customer-visible
    """
    with ledger(ctx) as session:
        quoting.add_quote_note(
            session=session,
            number=number,
            text=text,
            author=author,
            customer_visible=customer_visible,
        )
        view = views.quote_view(session, quoting.get_quote(session=session, number=number))
    render(view, as_json, show_quote)


@app.command("extend")
def extend(
    ctx: typer.Context,
    number: QuoteArg,
    valid_days: Annotated[
        int, typer.Option("--valid-days", help="Valid for N more days, counted from today.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Give a draft or sent quote, also an expired one, more days.

    Example: ordercli quote extend Q-00001 --valid-days 14
    """
    _quote_action(ctx, revisions.extend_quote, number, as_json, valid_days=valid_days)


@app.command("revise")
def revise(
    ctx: typer.Context,
    number: QuoteArg,
    valid_days: Annotated[
        int | None,
        typer.Option("--valid-days", help="Days the revision holds; default: as the one before."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Start a new revision of a sent, rejected or expired quote, as a draft to edit.

    The revision is numbered after the first one (Q-00001-R2, Q-00001-R3 …) and
    copies the lines and prices; the one it replaces is kept, marked revised.

    Example: ordercli quote revise Q-00001
    """
    _quote_action(ctx, revisions.revise_quote, number, as_json, valid_days=valid_days)


@app.command("copy")
def copy(
    ctx: typer.Context,
    number: QuoteArg,
    customer: Annotated[
        str | None, typer.Option("--customer", help="For this customer; default: the same.")
    ] = None,
    valid_days: Annotated[
        int | None,
        typer.Option("--valid-days", help="Days the copy holds; default: as the original."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Start a new draft quote with the lines and prices of any quote.

    Example: ordercli quote copy Q-00001 --customer BRIGHT
    """
    _quote_action(
        ctx, revisions.copy_quote, number, as_json, customer_code=customer, valid_days=valid_days
    )


@app.command("convert")
def convert(ctx: typer.Context, number: QuoteArg, as_json: JsonOpt = False) -> None:
    """Turn an accepted quote into a draft order (once), copying lines and prices.

    Example: ordercli quote convert Q-00001
    """
    with ledger(ctx) as session:
        order = quoting.convert_quote(session=session, number=number)
        view = views.order_view(session, order)
    render(view, as_json, show_order)


@app.command("show")
def show(ctx: typer.Context, number: QuoteArg, as_json: JsonOpt = False) -> None:
    """Show a quote with its lines and notes.

    Example: ordercli quote show Q-00001
    """
    with ledger(ctx, write=False) as session:
        view = views.quote_view(session, quoting.get_quote(session=session, number=number))
    render(view, as_json, show_quote)


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help="draft, sent, accepted, rejected, converted, revised or expired."
        ),
    ] = None,
    customer: CustomerOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    limit: LimitOpt = 50,
    show_all: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """List quotes, newest first (each revision on its own row).

    Example: ordercli quote list --status sent
    """
    with ledger(ctx, write=False) as session:
        documents = [
            views.quote_view(session, q, with_lines=as_json)
            for q in quoting.list_quotes(
                session=session,
                status=status,
                customer=customer,
                date_from=day(date_from, "--from"),
                date_to=day(date_to, "--to"),
                limit=list_limit(limit, show_all),
            )
        ]
    render(documents, as_json, lambda rows: table("Quotes", COLUMNS, rows, empty="no quotes"))


@app.command("pdf")
def pdf(
    ctx: typer.Context,
    number: QuoteArg,
    output_path: OutputOpt = None,
    html: HtmlOpt = False,
    template_dir: TemplateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a quote as a PDF (or --html) to send to the customer.

    Example: ordercli quote pdf Q-00001
    """
    with ledger(ctx, write=False) as session:
        write(
            session,
            "quote",
            number,
            output_path=output_path,
            html=html,
            template_dir=template_dir,
            as_json=as_json,
        )
