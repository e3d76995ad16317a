"""Human renderings of quotes, orders, invoices and shipments (tables for people)."""

from __future__ import annotations

from rich.text import Text

from ordercli.cli.output import card, fmt, output, status_text, table
from ordercli.domain.units import quantity_of, quantity_phrase, totals_text, unit_symbol

# The unit's short name in a column of its own beside Qty, so Qty stays a number
# the table aligns right.
UNIT = ("unit_name", "Unit")
PRICED = [
    ("line", "#"),
    ("sku", "SKU"),
    ("description", "Description"),
    ("qty", "Qty"),
    UNIT,
    ("unit_price", "Unit price"),
    ("discount_pct", "Disc %"),
    ("tax_rate", "Tax %"),
    ("net", "Net"),
    ("tax", "Tax"),
    ("total", "Total"),
]


def issued_to(view: dict, address: str) -> str | None:
    """The buyer's name and address (``billing_address`` or ``shipping_address``) as the
    document was issued, one line each."""
    buyer = view.get("buyer")
    if not buyer:
        return None
    lines = [buyer["name"], buyer.get(address) or buyer.get("billing_address")]
    return "\n".join(line for line in lines if line)


def with_units(lines: list[dict]) -> list[dict]:
    """Table rows of ``lines`` with their unit's short name (``kg``) under ``unit_name``."""
    return [{**line, "unit_name": unit_symbol(line["unit"])} for line in lines]


def _totals(view: dict) -> list[tuple[str, object]]:
    """The totals block: the document discount first, if any; a document whose prices
    include tax (rule 19) totals gross, with the net and tax it holds."""
    rows: list[tuple[str, object]] = []
    if view.get("discount"):
        pct = view.get("discount_pct")
        basis = view["total"] if view.get("prices_include_tax") else view["subtotal"]
        rows.append(("Lines total", basis + view["discount"]))
        rows.append((f"Discount {fmt(pct)}%" if pct else "Discount", -view["discount"]))
    if view.get("prices_include_tax"):
        return [
            *rows,
            ("Total (incl. tax)", view["total"]),
            ("of which net", view["subtotal"]),
            ("of which tax", view["tax"]),
        ]
    return [*rows, ("Subtotal", view["subtotal"]), ("Tax", view["tax"]), ("Total", view["total"])]


# Where a price came from, when it is worth saying (not for a product's own price): a
# one-letter marker, since a column of list names does not fit 80 columns, and a legend.
MARKERS = {"list": "L", "break": "B", "manual": "M"}
SOURCE = ("source", "Src")


def with_sources(rows: list[dict]) -> bool:
    """Give each row its ``source`` marker; true when any line's price came from a price
    list, a quantity break or was typed, so the marker column is worth its width."""
    for row in rows:
        row["source"] = MARKERS.get(row.get("price_source") or "", "")
    return any(row["source"] for row in rows)


def source_legend(rows: list[dict]) -> str | None:
    """What the ``Src`` markers of ``rows`` mean, naming the price lists."""
    lists: dict[str, list[str]] = {"list": [], "break": [], "manual": []}
    for row in rows:
        if row.get("price_source") in lists and row.get("price_list"):
            lists[row["price_source"]].append(row["price_list"])
    used = {row.get("price_source") for row in rows}
    parts = [
        f"{MARKERS[kind]} {what}"
        + (f" {', '.join(dict.fromkeys(lists[kind]))}" if lists[kind] else "")
        for kind, what in (
            ("list", "price list"),
            ("break", "quantity break on"),
            ("manual", "price typed by hand"),
        )
        if kind in used
    ]
    return f"Src: {'; '.join(parts)}" if parts else None


def as_priced(view: dict, columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``columns`` with the price headed as gross on a document whose prices include tax."""
    if not view.get("prices_include_tax"):
        return columns
    return [(k, "Price incl. tax" if k == "unit_price" else h) for k, h in columns]


def priced_columns(rows: list[dict]) -> list[tuple[str, str]]:
    """The priced lines' columns, with Source beside the price when it is worth it."""
    if not with_sources(rows):
        return PRICED
    at = PRICED.index(("unit_price", "Unit price")) + 1
    return [*PRICED[:at], SOURCE, *PRICED[at:]]


def show_quote(view: dict) -> None:
    card(
        f"Quote {view['number']}",
        [
            ("Customer", view["customer"]),
            ("Status", view["status"]),
            ("Issued", view["issue_date"]),
            ("Valid until", view["valid_until"]),
            ("Order", view["order"]),
            ("Revision", view["revision"] if view["revision"] > 1 else None),
            ("Revision of", view["revision_of"]),
            ("Revised by", view["revised_by"]),
            ("Revisions", " → ".join(view["revisions"]) if len(view["revisions"]) > 1 else None),
            ("Copied from", view["copied_from"]),
            *_totals(view),
        ],
    )
    rows = with_units(view["lines"])
    table(None, as_priced(view, priced_columns(rows)), rows, empty="no lines yet")
    legend = source_legend(rows)
    if legend:
        output.paragraph(legend)
    if view["notes"]:
        # Which notes the customer reads on the quote; the rest stay internal.
        rows = [
            {**n, "shown": "customer" if n["customer_visible"] else "internal"}
            for n in view["notes"]
        ]
        columns = [("at", "When"), ("author", "From"), ("user", "User"), ("shown", "Shown to")]
        if len(view["revisions"]) > 1:
            columns.insert(0, ("quote", "Quote"))
        table("Notes", [*columns, ("text", "Note")], rows, status_keys=())


def show_order(view: dict) -> None:
    card(
        f"Order {view['number']}",
        [
            ("Customer", view["customer"]),
            ("Status", view["status"]),
            ("Hold reason", view["hold_reason"]),
            ("Closed", view.get("close_reason")),
            ("Billing", view["billing_status"]),
            ("Fulfilment", view["fulfilment_status"]),
            ("Order date", view["order_date"]),
            ("Quote", view["quote"]),
            ("Billing agreement", view["billing_agreement"]),
            ("Payment terms", view.get("terms") and f"{view['terms']}: {view['terms_text']}"),
            ("Buyer reference", view.get("buyer_reference")),
            ("Purchase order", view.get("purchase_order")),
            *_totals(view),
            ("Invoices", ", ".join(view["invoices"])),
            (
                "Deposits",
                ", ".join(
                    f"{d['invoice']} ({fmt(d['paid'])} paid)"
                    for d in view.get("deposits") or []
                    if not d["cancelled"]
                ),
            ),
            ("Shipments", ", ".join(view["shipments"])),
            ("Credit memos", ", ".join(view["credit_memos"])),
            ("Returns", ", ".join(view["returns"])),
        ],
        status_keys=("status", "billing", "fulfilment"),
    )
    rows = with_units(view["lines"])
    for row in rows:
        row["state"] = "backordered" if row["backordered"] else ""
        if row["backordered"]:
            row["state"] = f"backordered {fmt(row['qty_backordered'])}"
    columns = [
        ("line", "#"),
        ("sku", "SKU"),
        ("description", "Description"),
        ("qty", "Qty"),
        UNIT,
        ("unit_price", "Unit price"),
        *([SOURCE] if with_sources(rows) else []),
        ("discount_pct", "Disc %"),
        ("net", "Net"),
        ("tax", "Tax"),
        ("qty_invoiced", "Invoiced"),
        ("qty_shipped", "Shipped"),
        *(
            [("qty_closed", "Closed")]
            if any(line.get("qty_closed") for line in view["lines"])
            else []
        ),
        *(
            [("qty_credited", "Credited"), ("qty_returned", "Returned")]
            if any(line["qty_credited"] or line["qty_returned"] for line in view["lines"])
            else []
        ),
        ("state", "Stock"),
    ]
    table(None, as_priced(view, columns), rows, status_keys=(), empty="no lines yet")
    legend = source_legend(rows)
    if legend:
        output.paragraph(legend)
    for row in rows:
        if row["state"]:
            output.notice(
                f"line {row['line']} ({row['sku']}) is {row['state']}: "
                "not enough stock available when reserved"
            )


def _deposits_said(items: list[dict], key: str) -> str:
    """Deposits deducted (rule 20): ``INV-00001 389.10, …``."""
    return ", ".join(f"{item[key]} {fmt(item['amount'])}" for item in items)


def show_invoice(view: dict) -> None:
    card(
        ("Down payment invoice" if view.get("kind") == "deposit" else "Invoice")
        + f" {view['number']}",
        [
            ("Order", view["order"]),
            ("Customer", view["customer"]),
            ("Bill to", issued_to(view, "billing_address")),
            ("Tax id", (view.get("buyer") or {}).get("tax_id")),
            ("Status", view["status"]),
            ("Issued", view["issue_date"]),
            ("Due", view["due_date"]),
            # Rule 20: the terms as issued, where a template gave them.
            ("Terms", view.get("terms_text") if view.get("terms") else None),
            *_totals(view),
            ("Paid", view["paid"]),
            ("Credited", view["credited"]),
            (
                "Down payments",
                _deposits_said(view.get("deposits_deducted") or [], "deposit_invoice"),
            ),
            ("Deducted on", _deposits_said(view.get("deducted_on") or [], "invoice")),
            ("Balance", f"{fmt(view['balance'])} {view['currency']}"),
            ("Payments", ", ".join(view.get("payments", []))),
            ("Credit memos", ", ".join(view.get("credit_memos", []))),
        ],
    )
    table(None, as_priced(view, PRICED), with_units(view["lines"]))
    show_schedule(view.get("schedule") or [])


def show_schedule(schedule: list[dict]) -> None:
    """An invoice's instalments (rule 20), when there are several or one is overdue."""
    if len(schedule) > 1 or any(item["status"] == "overdue" for item in schedule):
        table(
            "Schedule",
            [("due_date", "Due"), ("amount", "Amount"), ("open", "Open"), ("status", "Status")],
            schedule,
        )


def _reversed_by(reversal: dict | None) -> str | None:
    """A reversed shipment's reversal: number, date and why (rule 12)."""
    if reversal is None:
        return None
    return f"{reversal['number']} on {reversal['date']}: {reversal['reason']}"


def show_shipment(view: dict) -> None:
    card(
        f"Shipment {view['number']}",
        [
            ("Order", view["order"]),
            ("Customer", view["customer"]),
            ("Ship to", issued_to(view, "shipping_address")),
            ("Status", view["status"]),
            ("Shipped", view["ship_date"]),
            ("From", view.get("warehouse")),
            ("Delivered", view["delivered_at"]),
            ("Carrier", view["carrier"]),
            ("Tracking", view["tracking"]),
            ("Reversed", _reversed_by(view.get("reversed_by"))),
        ],
    )
    table(
        None,
        [("line", "#"), ("sku", "SKU"), ("description", "Description"), ("qty", "Qty"), UNIT],
        with_units(view["lines"]),
    )


def show_events(title: str, events: list[dict]) -> None:
    rows = [
        {**event, "event": event.get("event") or event["action"].replace("_", " ")}
        for event in events
    ]
    table(
        title,
        [
            ("at", "When"),
            ("user", "User"),
            ("event", "Event"),
            ("subject", "Document"),
            ("message", "What"),
        ],
        rows,
        status_keys=("event",),
        empty="no events",
    )


def show_explanation(story: dict) -> None:
    """``order explain``: statuses with their rules, the lines, what blocks, what is next."""
    why = story["explanations"]
    card(
        f"Order {story['number']}",
        [
            ("Customer", story["customer"]),
            ("Status", why["status"]),
            ("Billing", why["billing_status"]),
            ("Fulfilment", why["fulfilment_status"]),
            ("Total", f"{fmt(story['total'])} {story['currency']}"),
            ("Open balance", f"{fmt(story['open_balance'])} {story['currency']}"),
        ],
        status_keys=(),
    )
    after_sale = [
        (key, header)
        for key, header in (
            ("closed", "Closed"),
            ("credited", "Credited"),
            ("returned", "Returned"),
            ("replaced", "Replaced"),
        )
        if any(line.get(key) for line in story["lines"])
    ]
    table(
        None,
        [
            ("line", "#"),
            ("sku", "SKU"),
            ("ordered", "Ordered"),
            UNIT,
            ("invoiced", "Invoiced"),
            ("shipped", "Shipped"),
            *after_sale,
            ("reserved", "Reserved"),
            ("backordered", "Backordered"),
            ("state", "State"),
            ("why", "Why"),
        ],
        with_units(story["lines"]),
        status_keys=("state",),
        empty="no lines yet",
    )
    if story["invoices"]:
        table(
            None,
            [
                ("number", "Invoice"),
                ("issue_date", "Issued"),
                ("due_date", "Due"),
                ("total", "Total"),
                ("balance", "Balance"),
                ("status", "Status"),
            ],
            story["invoices"],
        )
    pricing = story.get("pricing")
    if pricing:
        output.line("Prices:")
        for sentence in [*pricing["notes"], *(line["price_from"] for line in pricing["lines"])]:
            output.paragraph(f"  - {sentence}")
    if story["blocked_by"]:
        output.line("Blocked by:")
        for blocker in story["blocked_by"]:
            output.paragraph(f"  - {blocker['message']}")
    output.line("What can happen next:" if story["next"] else "Nothing can happen next.")
    # Aligned comments, so the list can be pasted into a shell as it is.
    width = min(max((len(step["command"]) for step in story["next"]), default=0), 60)
    for step in story["next"]:
        output.shell_step(step["command"], step["why"], width)


def _items(items: list[dict]) -> str:
    # Semicolons: product names may hold commas ("Oak desk, 160 × 80 cm").
    return "; ".join(quantity_of(item["qty"], item["unit"], item["description"]) for item in items)


def _waiting(item: dict) -> str:
    if not item["waiting_for_stock"]:
        return ""
    if item["waiting_qty"] < item["qty"]:
        return f" ({quantity_phrase(item['waiting_qty'], item['unit'])} of them waiting for stock)"
    return " (waiting for stock)"


def show_tracking(status: dict) -> None:
    """``order track``: plain sentences a shop owner can paste into an email."""
    money = status["currency"]
    output.paragraph(
        f"Order {status['order']} for {status['customer']}, placed on "
        f"{fmt(status['placed'])}: {status['status_text']}."
    )
    if not status["shipped"] and status["has_goods"]:
        output.paragraph("Nothing has shipped yet.")
    for shipment in status["shipped"]:
        via = f" with {shipment['carrier']}" if shipment["carrier"] else ""
        tracking = f" (tracking {shipment['tracking']})" if shipment["tracking"] else ""
        what = "A replacement shipped" if shipment["replacement"] else "Shipped"
        arrived = (
            f" Delivered on {fmt(shipment['delivered_on'])}."
            if shipment["delivered"]
            else " On its way."
        )
        output.paragraph(
            f"{what} on {fmt(shipment['date'])}{via}{tracking}: "
            f"{_items(shipment['items'])}.{arrived}"
        )
    if status["coming"]:
        coming = "; ".join(
            quantity_of(item["qty"], item["unit"], item["description"]) + _waiting(item)
            for item in status["coming"]
        )
        output.paragraph(f"Still to come: {coming}.")
    # Services are never shipped: invoicing one is what delivers it.
    if status["delivered"]:
        output.paragraph(f"Delivered: {_items(status['delivered'])}.")
    if status["to_deliver"]:
        output.paragraph(f"Still to be delivered: {_items(status['to_deliver'])}.")
    invoiced = status["invoiced"]
    if invoiced["invoices"]:
        listed = ", ".join(
            f"{inv['number']} of {fmt(inv['issue_date'])} ({fmt(inv['total'])} {money})"
            for inv in invoiced["invoices"]
        )
        output.paragraph(f"Invoiced: {listed}.")
    owed = status["owed"]
    if owed["invoices"]:
        listed = "; ".join(
            f"{inv['number']}: {fmt(inv['balance'])} {money} due {fmt(inv['due_date'])}"
            + (", overdue" if inv["overdue"] else "")
            for inv in owed["invoices"]
        )
        output.paragraph(f"Still owed: {fmt(owed['total'])} {money}. {listed}.")
    elif invoiced["invoices"]:
        output.paragraph("Nothing is owed on this order.")
    for rma in status["returns"]:
        output.paragraph(f"Return {rma['number']} ({_items(rma['items'])}): {rma['status_text']}.")


def done(message: str) -> None:
    output.print(Text(message, style="green"))


__all__ = [
    "show_quote",
    "show_order",
    "show_invoice",
    "show_shipment",
    "show_events",
    "show_explanation",
    "show_tracking",
    "done",
    "status_text",
]


def show_pick_list(view: dict) -> None:
    rows = [
        {
            "location": entry["location"] or "—",
            "sku": entry["sku"],
            "name": entry["name"],
            "qty": entry["qty"],
            "unit_name": unit_symbol(entry["unit"]),
            "for": ", ".join(f"{o['order']} ×{o['qty']}" for o in entry["orders"]),
        }
        for entry in view["lines"]
    ]
    table(
        f"Pick list, {view['warehouse']}: {totals_text(view['quantities']) or 'nothing'} "
        f"for {view['orders']} order(s)",
        [
            ("location", "Location"),
            ("sku", "SKU"),
            ("name", "Product"),
            ("qty", "Pick"),
            UNIT,
            ("for", "For"),
        ],
        rows,
        status_keys=(),
        empty=f"nothing to pick in {view['warehouse']}",
    )
    if view["short"]:
        table(
            f"Ready to ship but not in {view['warehouse']}",
            [("order", "Order"), ("line", "#"), ("sku", "SKU"), ("qty", "Qty"), UNIT],
            with_units(view["short"]),
            status_keys=(),
        )
