"""`ordercli order …`: sales orders from draft to completed."""

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
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import output, render, table
from ordercli.cli.screens import show_events, show_explanation, show_order, show_tracking
from ordercli.domain.errors import InvalidInput

ordering = lazy_module("ordercli.services.sales.ordering")
document_pricing = lazy_module("ordercli.services.sales.document_pricing")
closing = lazy_module("ordercli.services.sales.closing")
order_terms = lazy_module("ordercli.services.sales.order_terms")
order_refs = lazy_module("ordercli.services.sales.order_refs")
order_story = lazy_module("ordercli.reports.order_story")
views = lazy_module("ordercli.views.sales")

app = typer.Typer(
    help="Sales orders: new, add-line, edit-line, remove-line, reprice, discount, confirm, hold, "
    "release, cancel, close, reopen, terms, refs, show, list, timeline, explain, track.",
    no_args_is_help=True,
)

OrderArg = Annotated[str, typer.Argument(metavar="ORDER", help="Order number, e.g. SO-00001.")]
LineArg = Annotated[str, typer.Argument(metavar="LINE", help="Line number (1, 2, …) or its SKU.")]
PriceOpt = Annotated[
    str | None, typer.Option("--price", help="Unit price; default: the catalog's.")
]
DiscountOpt = Annotated[str | None, typer.Option("--discount", help="Discount in percent.")]
OverrideOpt = Annotated[
    str | None,
    typer.Option(
        "--override-credit",
        metavar="REASON",
        help="Go past the customer's credit limit; the reason is logged.",
    ),
]
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
TermsCodeOpt = Annotated[
    str | None,
    typer.Option(
        "--terms",
        metavar="CODE",
        help="Payment terms template its invoices take instead of the customer's.",
    ),
]
# The buyer's references its invoices quote (rule 21).
BuyerRefOpt = Annotated[
    str | None,
    typer.Option(
        "--buyer-reference",
        metavar="TEXT",
        help="The buyer's reference for its invoices (a Leitweg-ID); default the customer's.",
    ),
]
PurchaseOrderOpt = Annotated[
    str | None,
    typer.Option("--po", metavar="TEXT", help="The buyer's purchase-order number."),
]
COLUMNS = [
    ("number", "Order"),
    ("customer", "Customer"),
    ("status", "Status"),
    ("billing_status", "Billing"),
    ("fulfilment_status", "Fulfilment"),
    ("order_date", "Date"),
    ("total", "Total"),
    ("quote", "Quote"),
]


def _order_action(ctx: typer.Context, action, number: str, as_json: bool, **kwargs) -> None:
    with ledger(ctx) as session:
        order = action(session=session, number=number, **kwargs)
        view = views.order_view(session, order)
    render(view, as_json, show_order)


@app.command("new")
def new(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(metavar="CUSTOMER", help="Customer code.")],
    order_date: Annotated[
        str | None, typer.Option("--date", help="Order date (YYYY-MM-DD); default today.")
    ] = None,
    billing_agreement: Annotated[
        str | None,
        typer.Option(
            "--billing-agreement",
            metavar="ID",
            help="The customer's active billing agreement this order is paid under (BA-00001).",
        ),
    ] = None,
    prices_include_tax: GrossOpt = None,
    terms: TermsCodeOpt = None,
    buyer_reference: BuyerRefOpt = None,
    purchase_order: PurchaseOrderOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a draft order for a customer.

    Its prices include tax with --prices-include-tax (B2C, web shops), exclude it with
    --prices-exclude-tax; by default they do when the customer's price list is gross.

    Example: ordercli order new ACME --billing-agreement BA-00001
    """
    with ledger(ctx) as session:
        order = ordering.new_order(
            session=session,
            customer_code=customer,
            order_date=day(order_date, "--date"),
            billing_agreement=billing_agreement,
            prices_include_tax=prices_include_tax,
            terms=terms,
            buyer_reference=buyer_reference,
            purchase_order=purchase_order,
        )
        view = views.order_view(session, order)
    render(view, as_json, show_order)


@app.command("add-line")
def add_line(
    ctx: typer.Context,
    number: OrderArg,
    sku: Annotated[str, typer.Argument(metavar="SKU", help="Product SKU.")],
    quantity: Annotated[str, typer.Argument(metavar="QTY", help="Quantity (decimals allowed).")],
    price: PriceOpt = None,
    discount: DiscountOpt = None,
    override_credit: OverrideOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a line to a draft or confirmed order (a confirmed order reserves it at once).

    Example: ordercli order add-line SO-00001 WIDGET 10 --discount 5
    """
    with ledger(ctx) as session:
        ordering.add_order_line(
            session=session,
            number=number,
            sku=sku,
            qty=qty(quantity),
            price=money(price, session, "price"),
            discount=pct(discount, "discount"),
            override_credit=override_credit,
        )
        view = views.order_view(session, ordering.get_order(session=session, number=number))
    render(view, as_json, show_order)


@app.command("edit-line")
def edit_line(
    ctx: typer.Context,
    number: OrderArg,
    line: LineArg,
    quantity: Annotated[str | None, typer.Option("--qty", help="New quantity.")] = None,
    price: PriceOpt = None,
    discount: DiscountOpt = None,
    override_credit: OverrideOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a line's quantity, price or discount.

    On a confirmed order the quantity never goes below what is already
    invoiced or shipped, and prices are fixed once anything is.

    Example: ordercli order edit-line SO-00001 1 --qty 12
    """
    with ledger(ctx) as session:
        ordering.edit_order_line(
            session=session,
            number=number,
            line_ref=line,
            qty=None if quantity is None else qty(quantity),
            price=money(price, session, "price"),
            discount=pct(discount, "discount"),
            override_credit=override_credit,
        )
        view = views.order_view(session, ordering.get_order(session=session, number=number))
    render(view, as_json, show_order)


@app.command("remove-line")
def remove_line(
    ctx: typer.Context, number: OrderArg, line: LineArg, as_json: JsonOpt = False
) -> None:
    """Remove a line that has nothing invoiced or shipped.

    Example: ordercli order remove-line SO-00001 2
    """
    with ledger(ctx) as session:
        ordering.remove_order_line(session=session, number=number, line_ref=line)
        view = views.order_view(session, ordering.get_order(session=session, number=number))
    render(view, as_json, show_order)


@app.command("reprice")
def reprice(ctx: typer.Context, number: OrderArg, as_json: JsonOpt = False) -> None:
    """Look a draft order's prices up again from the customer's price list, at the
    order's date and each line's quantity. Prices typed on a line stay; a confirmed
    order's prices are agreed and never change. Changing a price list changes no
    order by itself: this is the one way.

    Example: ordercli order reprice SO-00001
    """
    with ledger(ctx) as session:
        changed = document_pricing.reprice_order(session=session, number=number)
        view = views.order_view(session, changed.document)
    _changed(view, changed.changes, as_json)


@app.command("discount")
def discount(
    ctx: typer.Context,
    number: OrderArg,
    percent: DocPctOpt = None,
    amount: DocAmountOpt = None,
    clear: ClearOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Give a draft order a discount on the whole: a percentage off every line, or an
    amount spread over the lines in proportion to them (the cents to the largest
    remainders). Invoices and credit memos take their share. Exactly one of --pct,
    --amount or --clear.

    Example: ordercli order discount SO-00001 --pct 5
    """
    with ledger(ctx) as session:
        changed = document_pricing.set_order_discount(
            session=session,
            number=number,
            pct=pct(percent, "--pct"),
            amount=money(amount, session, "--amount"),
            clear=clear,
        )
        view = views.order_view(session, changed.document)
    _changed(view, changed.changes, as_json)


def _changed(view: dict, changes: list[str], as_json: bool) -> None:
    """The order as `order show` prints it, then what changed (``changes`` in JSON)."""
    render({**view, "changes": changes}, as_json, show_order)
    if not as_json:
        output.line("; ".join(changes) if changes else "nothing changed")


@app.command("confirm")
def confirm(
    ctx: typer.Context,
    number: OrderArg,
    override_credit: Annotated[
        str | None,
        typer.Option(
            "--override-credit",
            metavar="REASON",
            help="Confirm past the credit limit; the reason is logged.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Confirm a draft order: reserves stock, makes it invoiceable and shippable.

    Example: ordercli order confirm SO-00001
    """
    _order_action(ctx, ordering.confirm_order, number, as_json, override_credit=override_credit)


@app.command("hold")
def hold(
    ctx: typer.Context,
    number: OrderArg,
    reason: Annotated[str, typer.Argument(metavar="REASON", help="Why it is held.")],
    as_json: JsonOpt = False,
) -> None:
    """Put an order on hold: no invoicing, shipping or confirming until released.

    Example: ordercli order hold SO-00001 "awaiting prepayment"
    """
    _order_action(ctx, ordering.hold_order, number, as_json, reason=reason)


@app.command("release")
def release(ctx: typer.Context, number: OrderArg, as_json: JsonOpt = False) -> None:
    """Release an order from hold, back to where it was.

    Example: ordercli order release SO-00001
    """
    _order_action(ctx, ordering.release_order, number, as_json)


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    number: OrderArg,
    reason: Annotated[str | None, typer.Option("--reason", help="Why, for the log.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Cancel an order with nothing invoiced or shipped; releases its reservations.

    Example: ordercli order cancel SO-00001 --reason "customer changed their mind"
    """
    _order_action(ctx, ordering.cancel_order, number, as_json, reason=reason)


@app.command("terms")
def terms(
    ctx: typer.Context,
    number: OrderArg,
    code: Annotated[
        str | None,
        typer.Argument(metavar="CODE", help="Payment terms code (ordercli terms list)."),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Take the order's own terms off: the customer's hold.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Set the payment terms this order's invoices take, instead of the customer's
    (or --clear them). Invoices already issued keep theirs; any order not completed
    or cancelled.

    Example: ordercli order terms SO-00001 HALF30
    """
    if clear == (code is not None):
        raise InvalidInput("give a payment terms CODE or --clear, one of them")
    with ledger(ctx) as session:
        order = order_terms.set_order_terms(session=session, number=number, code=code)
        view = views.order_view(session, order)
    render(view, as_json, show_order)


@app.command("refs")
def refs(
    ctx: typer.Context,
    number: OrderArg,
    buyer_reference: BuyerRefOpt = None,
    purchase_order: PurchaseOrderOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set the buyer's references its invoices quote: --buyer-reference and --po (an
    empty value clears one). Invoices already issued keep theirs; any order with
    invoices to come.

    Example: ordercli order refs SO-00001 --buyer-reference 04011000-12345-03 --po PO-7781
    """
    with ledger(ctx) as session:
        order = order_refs.set_order_refs(
            session=session,
            number=number,
            buyer_reference=buyer_reference,
            purchase_order=purchase_order,
        )
        view = views.order_view(session, order)
    render(view, as_json, show_order)


@app.command("close")
def close(
    ctx: typer.Context,
    number: OrderArg,
    reason: Annotated[
        str | None,
        typer.Option("--reason", metavar="TEXT", help="Why the rest is closed; required."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Short-close the rest of a confirmed order: what is neither invoiced nor shipped
    will be neither. Its reservations are released and it no longer counts against the
    credit limit. What is shipped but not invoiced must still be invoiced, what is
    invoiced but not shipped still shipped; with nothing else open the order is
    completed. An order with nothing invoiced or shipped is cancelled instead;
    `order reopen` undoes a close.

    Example: ordercli order close SO-00001 --reason "customer needs no more"
    """
    with ledger(ctx) as session:
        order = closing.close_order(session=session, number=number, reason=reason)
        view = views.order_view(session, order)
    render(view, as_json, show_order)


@app.command("reopen")
def reopen(
    ctx: typer.Context,
    number: OrderArg,
    override_credit: Annotated[
        str | None,
        typer.Option(
            "--override-credit",
            metavar="REASON",
            help="Reopen past the credit limit; the reason is logged.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Reopen a short-closed order: its closed quantities are back to invoice and ship,
    reserved again and checked against the credit limit as confirming is; a completed
    order is confirmed again.

    Example: ordercli order reopen SO-00001
    """
    with ledger(ctx) as session:
        order = closing.reopen_order(
            session=session, number=number, override_credit=override_credit
        )
        view = views.order_view(session, order)
    render(view, as_json, show_order)


@app.command("show")
def show(ctx: typer.Context, number: OrderArg, as_json: JsonOpt = False) -> None:
    """Show an order: statuses, lines with invoiced/shipped quantities, backorders.

    Example: ordercli order show SO-00001
    """
    with ledger(ctx, write=False) as session:
        view = views.order_view(session, ordering.get_order(session=session, number=number))
    render(view, as_json, show_order)


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option("--status", help="draft, confirmed, on_hold, completed or cancelled."),
    ] = None,
    customer: CustomerOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    limit: LimitOpt = 50,
    show_all: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """List orders, newest first.

    Example: ordercli order list --status confirmed --customer ACME
    """
    with ledger(ctx, write=False) as session:
        documents = views.order_views(
            session,
            ordering.list_orders(
                session=session,
                status=status,
                customer=customer,
                date_from=day(date_from, "--from"),
                date_to=day(date_to, "--to"),
                limit=list_limit(limit, show_all),
            ),
            with_lines=as_json,
        )
    render(
        documents,
        as_json,
        lambda rows: table(
            "Orders",
            COLUMNS,
            rows,
            status_keys=("status", "billing_status", "fulfilment_status"),
            empty="no orders",
        ),
    )


@app.command("timeline")
def timeline(ctx: typer.Context, number: OrderArg, as_json: JsonOpt = False) -> None:
    """Show everything that happened to an order, its quote, invoices, payments,
    shipments, returns and credit memos: when, by which user, what.

    Example: ordercli order timeline SO-00001
    """
    with ledger(ctx, write=False) as session:
        order_number, rows = order_story.order_timeline(session=session, number=number)
    render(rows, as_json, lambda events_: show_events(f"Timeline of {order_number}", events_))


@app.command("explain")
def explain(ctx: typer.Context, number: OrderArg, as_json: JsonOpt = False) -> None:
    """Explain an order: per line what is ordered, invoiced, shipped, credited,
    returned and reserved; the rule behind each status; what holds it up; and the
    commands that can happen next.

    Example: ordercli order explain SO-00001
    """
    with ledger(ctx, write=False) as session:
        story = order_story.explain_order(session=session, number=number)
    render(story, as_json, show_explanation)


@app.command("track")
def track(ctx: typer.Context, number: OrderArg, as_json: JsonOpt = False) -> None:
    """A short status for the customer: what has shipped (carrier, tracking), what is
    still to come, what is owed, and returns under way. Nothing internal.

    Example: ordercli order track SO-00001
    """
    with ledger(ctx, write=False) as session:
        status = order_story.track_order(session=session, number=number)
    render(status, as_json, show_tracking)
