"""Human renderings of quotes, orders, invoices and shipments (tables for people)."""

from __future__ import annotations

from rich.text import Text

from ordercli.cli.output import card, fmt, output, status_text, table

PRICED = [
    ("line", "#"),
    ("sku", "SKU"),
    ("description", "Description"),
    ("qty", "Qty"),
    ("unit_price", "Unit price"),
    ("discount_pct", "Disc %"),
    ("tax_rate", "Tax %"),
    ("net", "Net"),
    ("tax", "Tax"),
    ("total", "Total"),
]


def _totals(view: dict) -> list[tuple[str, object]]:
    return [("Subtotal", view["subtotal"]), ("Tax", view["tax"]), ("Total", view["total"])]


def show_quote(view: dict) -> None:
    card(
        f"Quote {view['number']}",
        [
            ("Customer", view["customer"]),
            ("Status", view["status"]),
            ("Issued", view["issue_date"]),
            ("Valid until", view["valid_until"]),
            ("Order", view["order"]),
            *_totals(view),
        ],
    )
    table(None, PRICED, view["lines"], empty="no lines yet")
    if view["notes"]:
        table(
            "Notes",
            [("at", "When"), ("author", "From"), ("user", "User"), ("text", "Note")],
            view["notes"],
            status_keys=(),
        )


def show_order(view: dict) -> None:
    card(
        f"Order {view['number']}",
        [
            ("Customer", view["customer"]),
            ("Status", view["status"]),
            ("Hold reason", view["hold_reason"]),
            ("Billing", view["billing_status"]),
            ("Fulfilment", view["fulfilment_status"]),
            ("Order date", view["order_date"]),
            ("Quote", view["quote"]),
            ("Billing agreement", view["billing_agreement"]),
            *_totals(view),
            ("Invoices", ", ".join(view["invoices"])),
            ("Shipments", ", ".join(view["shipments"])),
            ("Credit memos", ", ".join(view["credit_memos"])),
            ("Returns", ", ".join(view["returns"])),
        ],
        status_keys=("status", "billing", "fulfilment"),
    )
    rows = []
    for line in view["lines"]:
        row = dict(line)
        row["state"] = "backordered" if line["backordered"] else ""
        if line["backordered"]:
            row["state"] = f"backordered {fmt(line['qty_backordered'])}"
        rows.append(row)
    columns = [
        ("line", "#"),
        ("sku", "SKU"),
        ("description", "Description"),
        ("qty", "Qty"),
        ("unit_price", "Unit price"),
        ("discount_pct", "Disc %"),
        ("net", "Net"),
        ("tax", "Tax"),
        ("qty_invoiced", "Invoiced"),
        ("qty_shipped", "Shipped"),
        *(
            [("qty_credited", "Credited"), ("qty_returned", "Returned")]
            if any(line["qty_credited"] or line["qty_returned"] for line in view["lines"])
            else []
        ),
        ("state", "Stock"),
    ]
    table(None, columns, rows, status_keys=(), empty="no lines yet")
    for row in rows:
        if row["state"]:
            output.notice(
                f"line {row['line']} ({row['sku']}) is {row['state']}: "
                "not enough stock available when reserved"
            )


def show_invoice(view: dict) -> None:
    card(
        f"Invoice {view['number']}",
        [
            ("Order", view["order"]),
            ("Customer", view["customer"]),
            ("Status", view["status"]),
            ("Issued", view["issue_date"]),
            ("Due", view["due_date"]),
            *_totals(view),
            ("Paid", view["paid"]),
            ("Credited", view["credited"]),
            ("Balance", f"{fmt(view['balance'])} {view['currency']}"),
            ("Payments", ", ".join(view.get("payments", []))),
            ("Credit memos", ", ".join(view.get("credit_memos", []))),
        ],
    )
    table(None, PRICED, view["lines"])


def show_shipment(view: dict) -> None:
    card(
        f"Shipment {view['number']}",
        [
            ("Order", view["order"]),
            ("Customer", view["customer"]),
            ("Status", view["status"]),
            ("Shipped", view["ship_date"]),
            ("Delivered", view["delivered_at"]),
            ("Carrier", view["carrier"]),
            ("Tracking", view["tracking"]),
        ],
    )
    table(
        None,
        [("line", "#"), ("sku", "SKU"), ("description", "Description"), ("qty", "Qty")],
        view["lines"],
    )


def show_events(title: str, events: list[dict]) -> None:
    table(
        title,
        [
            ("at", "When"),
            ("user", "User"),
            ("subject", "Document"),
            ("action", "Action"),
            ("message", "What"),
        ],
        events,
        status_keys=(),
        empty="no events",
    )


def done(message: str) -> None:
    output.print(Text(message, style="green"))


__all__ = [
    "show_quote",
    "show_order",
    "show_invoice",
    "show_shipment",
    "show_events",
    "done",
    "status_text",
]
