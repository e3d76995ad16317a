"""`ordercli pricelist …`: named lists of prices customers buy from (rule 19)."""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli.cli.common import JsonOpt, day, ledger, money, qty
from ordercli.cli.imports import DryRunOpt, FileArg, FormatOpt, report_result
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import ProgressBar, card, render, table

price_lists = lazy_module("ordercli.services.sales.price_lists")
price_imports = lazy_module("ordercli.io.imports.price_lists")
views = lazy_module("ordercli.views.price_lists")

app = typer.Typer(
    help="Price lists (RETAIL, TRADE …) with quantity breaks and dates: add, set-price, "
    "remove-price, show, list, import.",
    no_args_is_help=True,
)

ListArg = Annotated[str, typer.Argument(metavar="LIST", help="Price list name, e.g. TRADE.")]
SkuArg = Annotated[str, typer.Argument(metavar="SKU", help="The product's SKU.")]
MinQtyOpt = Annotated[
    str, typer.Option("--min-qty", metavar="N", help="Quantity break: the price holds from N on.")
]
ValidFromOpt = Annotated[
    str | None,
    typer.Option("--from", help="First day the price holds (YYYY-MM-DD); default always."),
]
PRICE_COLUMNS = [
    ("sku", "SKU"),
    ("min_qty", "From qty"),
    ("unit_price", "Price"),
    ("valid_from", "From"),
    ("valid_to", "To"),
    ("state", "Holds"),
]


def _show_card(view: dict) -> None:
    card(
        f"Price list {view['name']}",
        [
            ("Prices", "including tax (gross)" if view["gross"] else "before tax (net)"),
            ("Customers", ", ".join(view["customers"]) or "none yet"),
        ],
    )


def _show_list(view: dict) -> None:
    _show_card(view)
    rows = [
        {
            **p,
            "state": "yes" if p["holds"] else "no",
            "valid_from": p["valid_from"] or "—",
            "valid_to": p["valid_to"] or "—",
        }
        for p in view["prices"]
    ]
    table(f"Prices on {view['on']}", PRICE_COLUMNS, rows, status_keys=(), empty="no prices yet")


def _show_price(view: dict) -> None:
    card(
        f"Price list {view['price_list']}: {view['sku']} ({view['action']})",
        [
            ("Product", view["name"]),
            ("From quantity", view["min_qty"]),
            ("Price", f"{view['unit_price']}{' incl. tax' if view['gross'] else ''}"),
            ("Valid from", view["valid_from"] or "always"),
            ("Valid to", view["valid_to"] or "open"),
        ],
    )


@app.command("add")
def add(
    ctx: typer.Context,
    name: ListArg,
    gross: Annotated[
        bool, typer.Option("--gross", help="Its prices include tax (retail shelf prices).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add an empty price list; give customers it with customer edit --price-list.

    Example: ordercli pricelist add TRADE
    """
    with ledger(ctx) as session:
        price_list = price_lists.add_price_list(session=session, name=name, gross=gross)
        view = views.price_list_view(session, price_list)
    render(view, as_json, _show_card)


@app.command("set-price")
def set_price(
    ctx: typer.Context,
    name: ListArg,
    sku: SkuArg,
    price: Annotated[str, typer.Argument(metavar="PRICE", help="Unit price on this list.")],
    min_qty: MinQtyOpt = "1",
    valid_from: ValidFromOpt = None,
    valid_to: Annotated[
        str | None, typer.Option("--to", help="Last day the price holds; default open.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Set a product's price on a list; the same --from again changes it or ends it (--to).

    Example: ordercli pricelist set-price TRADE DESK-OAK 440.00 --min-qty 5 --from 2027-01-01
    """
    with ledger(ctx) as session:
        row, action = price_lists.set_price(
            session=session,
            list_name=name,
            sku=sku,
            price=money(price, session, "price"),
            min_qty=qty(min_qty, "--min-qty", allow_zero=True),
            valid_from=day(valid_from, "--from"),
            valid_to=day(valid_to, "--to"),
        )
        price_list = price_lists.get_price_list(session=session, name=name)
        view = views.price_set_view(session, price_list, row, action)
    render(view, as_json, _show_price)


@app.command("remove-price")
def remove_price(
    ctx: typer.Context,
    name: ListArg,
    sku: SkuArg,
    min_qty: MinQtyOpt = "1",
    valid_from: ValidFromOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove a price from a list (--from says which when the break has several).

    Example: ordercli pricelist remove-price TRADE DESK-OAK --min-qty 5
    """
    with ledger(ctx) as session:
        row = price_lists.remove_price(
            session=session,
            list_name=name,
            sku=sku,
            min_qty=qty(min_qty, "--min-qty"),
            valid_from=day(valid_from, "--from"),
        )
        price_list = price_lists.get_price_list(session=session, name=name)
        view = views.price_set_view(session, price_list, row, "removed")
    render(view, as_json, _show_price)


@app.command("show")
def show(
    ctx: typer.Context,
    name: ListArg,
    sku: Annotated[str | None, typer.Option("--sku", help="Only this product's prices.")] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="Which prices hold on this day; default today.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a price list: its customers and prices, and which hold on a day.

    Example: ordercli pricelist show TRADE --sku DESK-OAK --on 2027-01-01
    """
    with ledger(ctx, write=False) as session:
        price_list = price_lists.get_price_list(session=session, name=name)
        view = views.price_list_view(session, price_list, sku=sku, on=day(on, "--on"))
    render(view, as_json, _show_list)


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the price lists with their number of prices and customers.

    Example: ordercli pricelist list
    """
    with ledger(ctx, write=False) as session:
        documents = views.price_list_summaries(session)
    rows = [{**d, "kind": "gross" if d["gross"] else "net"} for d in documents]
    render(
        documents,
        as_json,
        lambda _: table(
            "Price lists",
            [
                ("name", "Name"),
                ("kind", "Basis"),
                ("price_count", "Prices"),
                ("customer_count", "Customers"),
            ],
            rows,
            status_keys=(),
            empty="no price lists",
        ),
    )


@app.command("import")
def import_(
    ctx: typer.Context,
    file: FileArg,
    dry_run: DryRunOpt = False,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import prices: price_list, sku, unit_price [, min_qty, valid_from, valid_to].
    All-or-nothing; a price already there is updated or skipped, so re-running is safe.

    Example: ordercli pricelist import trade-2027.csv
    """
    progress = ProgressBar("importing prices", enabled=not as_json)
    try:
        with ledger(ctx) as session:
            result = price_imports.import_price_lists(
                session=session, path=file, fmt=fmt, dry_run=dry_run, progress=progress
            )
    finally:
        progress.stop()
    document = report_result(result, file=file, command="pricelist import", as_json=as_json)
    if not as_json:
        fields = [
            ("file", document["file"]),
            ("rows", document["rows"]),
            ("prices to create" if dry_run else "prices created", document["created"]),
            ("to update" if dry_run else "updated", document["updated"]),
            ("unchanged", document["skipped"]),
        ]
        if dry_run:
            fields.append(("dry run", "nothing written"))
        card("Import prices", [(label, str(value)) for label, value in fields])
