"""Order visibility: why an order has its statuses, what can happen next, what to
tell the customer, and its whole story from the event log (SPEC rules 4, 6–9, 15, 16).

The statuses of ``order show`` are summaries; ``explain_order`` names the rule
and the numbers behind each, what holds the order up, and the exact commands
that can move it on. ``track_order`` says the same to the customer in plain
words: what has shipped, what is still to come, what is owed, which returns
are under way, and nothing internal (no hold reasons, costs or rules).

Only goods are shipped (rule 12): a service line reads as delivered once it is
invoiced (less what a credit took back) and as to be delivered until then,
never as shipped or on its way.

Both only read, with a fixed number of queries per order however many lines,
invoices, shipments or returns it has (``_read``).
"""

from __future__ import annotations

import shlex
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from ordercli.books.clock import today
from ordercli.books.events import events_for
from ordercli.books.settings import amount_of, currency
from ordercli.domain.money import qty_from_db, qty_text
from ordercli.domain.states import (
    RETURN_OPEN,
    InvoiceStatus,
    OrderStatus,
    ShipmentStatus,
    allows,
    fulfilled_qty,
    line_finished,
    progress_status,
    qty_closable,
    qty_to_fulfil,
    qty_to_invoice,
    qty_to_ship,
    refusal,
)
from ordercli.domain.terms import open_parts
from ordercli.domain.units import quantity_phrase
from ordercli.models import (
    Allocation,
    CreditMemo,
    CreditMemoLine,
    Customer,
    Invoice,
    InvoiceInstalment,
    OrderLine,
    Payment,
    PaymentVoid,
    Product,
    Rma,
    RmaLine,
    SalesOrder,
    Shipment,
    ShipmentLine,
)
from ordercli.reports.price_story import price_story
from ordercli.services.sales import invoicing, ordering
from ordercli.services.sales.schedules import due_before
from ordercli.views.events import event_view

OPEN_RETURNS = tuple(status.value for status in RETURN_OPEN)


@dataclass
class _Line:
    row: OrderLine
    sku: str
    service: bool
    on_hand: int
    available: int
    stock_unit: str  # the product's unit now, which its stock is counted in

    def __getattr__(self, name):  # the order line's columns, read through
        return getattr(self.row, name)

    @property
    def fulfilled(self) -> int:
        """Goods shipped, or a service delivered by invoicing it (rule 12)."""
        return fulfilled_qty(self.row, service=self.service)

    @property
    def to_fulfil(self) -> int:
        return qty_to_fulfil(self.row, service=self.service)

    @property
    def finished(self) -> bool:
        return line_finished(self.row, service=self.service)


@dataclass
class _Facts:
    """Everything about one order that the explanations need, read once."""

    order: SalesOrder
    customer: Customer
    lines: list[_Line]
    invoices: list[Invoice]
    shipments: dict[str, Shipment] = field(default_factory=dict)
    shipment_items: dict[str, list[ShipmentLine]] = field(default_factory=dict)
    returns: dict[str, Rma] = field(default_factory=dict)
    return_items: dict[str, list[RmaLine]] = field(default_factory=dict)
    # Per credit memo line: (memo, its invoice's id, order line id, effect, qty).
    memo_items: list[tuple[str, int, int, str, int]] = field(default_factory=list)
    # Invoices taken back whole by ``invoice cancel``.
    cancelled: set[int] = field(default_factory=set)
    # Payments whose money still stands on the order's invoices: (payment, invoice).
    payments: list[tuple[str, str]] = field(default_factory=list)
    # Rule 20, per invoice with something open: its earliest instalment with something
    # open (due date, open units) and how many instalments its schedule has.
    next_due: dict[int, tuple[date, int, int]] = field(default_factory=dict)
    # Per invoice, what its schedule made due before today (its status: rule 20).
    due: dict[int, int] = field(default_factory=dict)

    @property
    def reserving(self) -> bool:
        """Whether the order holds reservations (confirmed, or held after confirming)."""
        return self.order.confirmed_at is not None and self.order.status in (
            OrderStatus.CONFIRMED,
            OrderStatus.ON_HOLD,
        )

    @property
    def services(self) -> set[int]:
        """The product ids of the order's services."""
        return {line.product_id for line in self.lines if line.service}

    @property
    def goods(self) -> list[_Line]:
        return [line for line in self.lines if not line.service]

    @property
    def draft(self) -> bool:
        """A draft, or a draft put on hold: confirming it is still ahead."""
        return self.order.status == OrderStatus.DRAFT or (
            self.order.status == OrderStatus.ON_HOLD and self.order.confirmed_at is None
        )


def _read(session: Session, number: str) -> _Facts:
    order = ordering.get_order(session=session, number=number)
    customer = session.get(Customer, order.customer_id)
    assert customer is not None  # an order's customer_id is a NOT NULL foreign key
    lines = [
        _Line(row, sku, service, on_hand, on_hand - reserved, stock_unit)
        for row, sku, service, on_hand, reserved, stock_unit in session.execute(
            sa_select(
                OrderLine,
                col(Product.sku),
                col(Product.service),
                col(Product.on_hand),
                col(Product.reserved),
                col(Product.unit),
            )
            .join(Product, col(Product.id) == OrderLine.product_id)
            .where(col(OrderLine.order_id) == order.id)
            .order_by(col(OrderLine.position))
        )
    ]
    invoices = list(
        session.exec(select(Invoice).where(Invoice.order_id == order.id).order_by(col(Invoice.id)))
    )
    facts = _Facts(order, customer, lines, invoices)
    for shipment, item in session.exec(
        select(Shipment, ShipmentLine)
        .join(ShipmentLine, col(ShipmentLine.shipment_id) == Shipment.id)
        .where(Shipment.order_id == order.id)
        .order_by(col(Shipment.id), col(ShipmentLine.position))
    ):
        facts.shipments[shipment.number] = shipment
        facts.shipment_items.setdefault(shipment.number, []).append(item)
    for rma, rma_item in session.exec(
        select(Rma, RmaLine)
        .join(RmaLine, col(RmaLine.rma_id) == Rma.id)
        .where(Rma.order_id == order.id)
        .order_by(col(Rma.id), col(RmaLine.position))
    ):
        facts.returns[rma.number] = rma
        facts.return_items.setdefault(rma.number, []).append(rma_item)
    memo_rows = session.execute(
        sa_select(
            col(CreditMemo.number),
            col(CreditMemo.invoice_id),
            col(CreditMemoLine.order_line_id),
            col(CreditMemoLine.effect),
            col(CreditMemoLine.qty),
            col(CreditMemo.cancels_invoice),
        )
        .join(CreditMemoLine, col(CreditMemoLine.credit_memo_id) == CreditMemo.id)
        .where(col(CreditMemo.order_id) == order.id)
        .order_by(col(CreditMemo.id), col(CreditMemoLine.position))
    ).all()
    facts.memo_items = [
        (memo, invoice, line, effect, qty) for memo, invoice, line, effect, qty, _ in memo_rows
    ]
    facts.cancelled = {invoice for _, invoice, _, _, _, cancels in memo_rows if cancels}
    # Rule 13: allocations a void, unapply or reallocation released count no more.
    voided = select(PaymentVoid.payment_id)
    facts.payments = [
        (payment, invoice)
        for payment, invoice in session.execute(
            sa_select(col(Payment.number), col(Invoice.number))
            .join(Allocation, col(Allocation.payment_id) == Payment.id)
            .join(Invoice, col(Invoice.id) == Allocation.invoice_id)
            .where(
                col(Invoice.order_id) == order.id,
                col(Allocation.released_on).is_(None),
                col(Payment.id).not_in(voided),
            )
            .group_by(col(Payment.id), col(Payment.number), col(Invoice.id), col(Invoice.number))
            .order_by(col(Payment.id), col(Invoice.id))
        )
    ]
    facts.next_due = _next_due(session, invoices)
    facts.due = due_before(session, (i.id for i in invoices if i.id is not None), today())
    return facts


def _next_due(session: Session, invoices: list[Invoice]) -> dict[int, tuple[date, int, int]]:
    """Per invoice, the first instalment with something open (rule 20), one query, and
    none unless an open invoice was issued on a terms template: only a template splits
    an invoice into several instalments."""
    by_id = {
        invoice.id: invoice
        for invoice in invoices
        if invoice.balance > 0 and invoice.terms_code is not None
    }
    schedules: dict[int, list[InvoiceInstalment]] = defaultdict(list)
    if by_id:
        for item in session.exec(
            select(InvoiceInstalment)
            .where(col(InvoiceInstalment.invoice_id).in_(list(by_id)))
            .order_by(col(InvoiceInstalment.invoice_id), col(InvoiceInstalment.position))
        ):
            schedules[item.invoice_id].append(item)
    found = {}
    for invoice_id, items in schedules.items():
        parts = open_parts([item.amount for item in items], by_id[invoice_id].settled)
        first = next(((i, left) for i, left in zip(items, parts, strict=True) if left > 0), None)
        if first is not None:
            found[invoice_id] = (first[0].due_date, first[1], len(items))
    return found


def _due_text(session: Session, facts: _Facts, invoice: Invoice) -> str:
    """``due 2027-01-05``, or for a split invoice its next instalment (rule 20)."""
    assert invoice.id is not None  # a stored invoice
    due = facts.next_due.get(invoice.id)
    if due is None or due[2] < 2:
        return f"due {invoice.due_date}"
    on, left, _ = due
    text = f"next {amount_of(session, left)} due {on}"
    if left < invoice.balance:
        text += f", the rest by {invoice.due_date}"
    return text


def _balance(invoice: Invoice) -> int:
    return invoice.balance


# --- explain ---------------------------------------------------------------------


def explain_order(*, session: Session, number: str) -> dict:
    """Per line what is done, the rule behind each status, what blocks the order, and
    ``next``: the command lines that can move it on."""
    facts = _read(session, number)
    order, rows = facts.order, [ln.row for ln in facts.lines]
    billing = ordering.billing_status(rows).value
    fulfilment = ordering.fulfilment_status(rows, facts.services).value
    money = lambda units: amount_of(session, units)  # noqa: E731
    credit = _credit_check(session, facts)
    return {
        "number": order.number,
        "customer": facts.customer.code,
        "order_date": order.order_date,
        "status": order.status,
        "billing_status": billing,
        "fulfilment_status": fulfilment,
        "hold_reason": order.hold_reason,
        "currency": currency(session),
        "total": money(order.total),
        "open_balance": money(sum(_balance(inv) for inv in facts.invoices)),
        "explanations": {
            "status": _status_why(facts),
            "billing_status": _progress_why(facts, billing, "qty_invoiced", "invoiced"),
            "fulfilment_status": _fulfilment_why(facts, fulfilment),
        },
        "blocked_by": _blockers(facts, credit),
        "lines": [_line_story(facts, ln) for ln in facts.lines],
        "invoices": [
            {
                "number": inv.number,
                "issue_date": inv.issue_date,
                "due_date": inv.due_date,
                "total": money(inv.total),
                "paid": money(inv.paid),
                "credited": money(inv.credited),
                "balance": money(_balance(inv)),
                "status": invoicing.status_of(
                    inv, cancelled=inv.id in facts.cancelled, due=facts.due.get(inv.id or 0, 0)
                ).value,
            }
            for inv in facts.invoices
        ],
        # Rule 20: its deposit (down payment) invoices, deducted from later ones once paid.
        "deposits": [
            {
                "invoice": inv.number,
                "amount": money(inv.total),
                "paid": money(inv.paid),
                "cancelled": inv.id in facts.cancelled,
            }
            for inv in facts.invoices
            if inv.kind == "deposit"
        ],
        # Rule 19: where each line's price came from, the tax basis, the order discount.
        "pricing": price_story(session, order, rows, {ln.product_id: ln.sku for ln in facts.lines}),
        "next": _next_steps(session, facts, credit),
    }


def _reserved(facts: _Facts, line: _Line) -> int:
    return max(qty_to_ship(line.row), 0) if facts.reserving and not line.service else 0


def _amount(units: int, unit: str) -> str:
    """``12.5 kg``; things counted need no unit in a sentence (``3``)."""
    return quantity_phrase(qty_from_db(units), unit)


def _line_story(facts: _Facts, line: _Line) -> dict:
    reserved = _reserved(facts, line)
    why = [f"{qty_text(line.qty_invoiced)} of {_amount(line.qty, line.unit)} invoiced"]
    if line.service:
        why.append(
            f"{qty_text(line.fulfilled)} of {_amount(line.to_fulfil, line.unit)} delivered "
            "(a service: invoicing it delivers it)"
        )
    else:
        why.append(f"{qty_text(line.qty_shipped)} of {_amount(line.qty, line.unit)} shipped")
    for units, what in (
        (line.qty_closed, "short-closed: neither to invoice nor to ship"),
        (line.qty_credited, "credited"),
        (line.qty_reopened, "credited as billed in error, open to invoice again"),
        (line.qty_cancelled, "credited as not to be delivered"),
        (line.qty_returned, "returned"),
        (line.qty_replaced, "sent again as replacement"),
    ):
        if units:
            why.append(f"{_amount(units, line.unit)} {what}")
    if facts.order.status == OrderStatus.CANCELLED:
        state, why = "cancelled", ["the order is cancelled: nothing to invoice or ship"]
    elif facts.draft:
        state = "on_hold" if facts.order.status == OrderStatus.ON_HOLD else "draft"
        why.append("not confirmed yet, so nothing is reserved")
    elif line.finished:
        state = "done"
    else:
        if reserved:
            why.append(f"{_amount(reserved, line.unit)} reserved for it")
        if line.qty_backordered:
            why.append(
                f"{_amount(line.qty_backordered, line.unit)} backordered: {line.sku} has "
                f"{_amount(line.on_hand, line.stock_unit)} on hand, "
                f"{_amount(line.available, line.stock_unit)} available"
            )
        to_invoice = qty_to_invoice(line.row) > 0
        to_ship = not line.service and qty_to_ship(line.row) > 0
        if facts.order.status == OrderStatus.ON_HOLD:
            state = "on_hold"
        elif line.qty_backordered:
            state = "backordered"
        else:
            state = {
                (True, True): "to_invoice_and_ship",
                (True, False): "to_invoice",
                (False, True): "to_ship",
            }[(to_invoice, to_ship)]
    return {
        "line": line.position,
        "sku": line.sku,
        "description": line.description,
        "service": line.service,
        "unit": line.unit,
        "ordered": qty_from_db(line.qty),
        "invoiced": qty_from_db(line.qty_invoiced),
        "shipped": qty_from_db(line.qty_shipped),
        # What reached the customer: goods shipped, a service delivered by invoicing it.
        "fulfilled": qty_from_db(line.fulfilled),
        "closed": qty_from_db(line.qty_closed),
        "credited": qty_from_db(line.qty_credited),
        "returned": qty_from_db(line.qty_returned),
        "replaced": qty_from_db(line.qty_replaced),
        "backordered": qty_from_db(line.qty_backordered),
        "reserved": qty_from_db(reserved),
        "state": state,
        "why": "; ".join(why),
    }


def _status_why(facts: _Facts) -> str:
    order = facts.order
    status = OrderStatus(order.status)
    if status == OrderStatus.DRAFT:
        return (
            "draft: not confirmed yet; a draft can be edited freely and cannot be invoiced "
            "or shipped (rule 6)" + ("; it has no lines" if not facts.lines else "")
        )
    if status == OrderStatus.ON_HOLD:
        return (
            f"on_hold: held ({order.hold_reason}) while it was {order.status_before_hold}; "
            "nothing is confirmed, invoiced or shipped until it is released (rule 7)"
        )
    if status == OrderStatus.CANCELLED:
        return (
            "cancelled: cancelled while nothing was invoiced or shipped; its reservations "
            "were released (rule 7)"
        )
    has_services, has_goods = bool(facts.services), bool(facts.goods)
    # Short-closed (``order close``): what was closed is neither invoiced nor shipped.
    closed = f"the rest was short-closed ({order.close_reason}) and " if order.close_reason else ""
    if status == OrderStatus.COMPLETED:
        if not has_services:
            return f"completed: {closed}every line is fully invoiced and fully shipped (rule 8)"
        if not has_goods:
            return (
                f"completed: {closed}every line is fully invoiced, which delivered its "
                "services (rules 8, 12)"
            )
        return (
            f"completed: {closed}every line is fully invoiced and its goods fully shipped; "
            "its services were delivered by invoicing them (rules 8, 12)"
        )
    to_invoice = sum(1 for ln in facts.lines if qty_to_invoice(ln.row) > 0)
    to_ship = sum(1 for ln in facts.goods if qty_to_ship(ln.row) > 0)
    rule = (
        "rules 8, 12: completed = every line fully invoiced and its goods shipped; "
        "invoicing a service delivers it"
        if has_services
        else "rule 8: completed = every line fully invoiced and shipped"
    )
    return (
        f"confirmed: confirmed on {order.confirmed_at:%Y-%m-%d}; "
        + (f"the rest was short-closed ({order.close_reason}); " if order.close_reason else "")
        + f"not completed while {to_invoice} of {len(facts.lines)} line(s) are still to "
        f"invoice and {to_ship} to ship ({rule})"
    )


def _progress_why(facts: _Facts, status: str, attr: str, verb: str) -> str:
    """The numbers behind a billing status (rules 8 and 9)."""
    return _progress_text(
        status,
        # Nothing short-closed is ever invoiced (rule 8).
        [(ln, getattr(ln, attr), ln.qty - ln.qty_closed, verb) for ln in facts.lines],
        verb,
        (8,),
    )


def _fulfilment_why(facts: _Facts, status: str) -> str:
    """The numbers behind a fulfilment status: goods shipped, services delivered by
    invoicing them (rules 8, 9, 12)."""
    verbs = {"delivered" if ln.service else "shipped" for ln in facts.lines}
    verb = " or ".join(sorted(verbs, reverse=True)) if verbs else "shipped"
    rules = (8, 12) if facts.services else (8,)
    return _progress_text(
        status,
        [
            (ln, ln.fulfilled, ln.to_fulfil, "delivered" if ln.service else "shipped")
            for ln in facts.lines
        ],
        verb,
        rules,
    )


def _rules(numbers) -> str:
    listed = sorted(set(numbers))
    return ("rule " if len(listed) == 1 else "rules ") + ", ".join(map(str, listed))


def _progress_text(status: str, measures: list, verb: str, rules: tuple[int, ...]) -> str:
    """``measures``: (line, done, due, its verb) per line; ``verb`` the order's."""
    rule = _rules(rules)
    if not measures:
        return f"{status}: the order has no lines (rule 8)"
    counts = [f"{qty_text(done)} of {qty_text(due)} {ln.sku}" for ln, done, due, _ in measures]
    if status.startswith("not_"):
        return f"{status}: nothing {verb} yet ({', '.join(counts)}) ({rule})"
    if status.startswith("partially_"):
        parts = [
            f"line {ln.position} ({ln.sku}) not {its_verb}, 0 of {qty_text(due)}"
            if done == 0
            else f"{count} {its_verb}"
            for (ln, done, due, its_verb), count in zip(measures, counts, strict=True)
        ]
        return f"{status}: {'; '.join(parts)} ({_rules((*rules, 9))})"
    return f"{status}: every line fully {verb} ({', '.join(counts)}) ({rule})"


def _credit_check(session: Session, facts: _Facts) -> dict | None:
    """Rule 16, as confirming this draft would apply it, without writing anything."""
    limit_units = facts.customer.credit_limit
    if not facts.draft or limit_units is None or facts.order.total <= 0:
        return None
    exposure = ordering.credit_exposure(session=session, customer=facts.customer)
    limit, total = amount_of(session, limit_units), amount_of(session, facts.order.total)
    if exposure + total <= limit:
        return None
    return {
        "kind": "credit_limit",
        "message": f"confirming would take {facts.customer.code}'s exposure to "
        f"{exposure + total} against a credit limit of {limit} (open invoices and "
        f"confirmed orders {exposure} + this order {total}) (rule 16)",
        "exposure": exposure,
        "limit": limit,
        "order_total": total,
    }


def _blockers(facts: _Facts, credit: dict | None) -> list[dict]:
    """What keeps the order from being invoiced or shipped: the reason ``invoice create``
    and ``shipment create`` would give (``domain.states``), then what else stands in the
    way (no lines, the credit limit, backorders)."""
    order = facts.order
    refused = refusal("work", order.status, hold_reason=order.hold_reason)
    if order.status == OrderStatus.CANCELLED:
        return [{"kind": "cancelled", "message": f"{refused}: nothing more happens"}]
    blocked: list[dict] = []
    if order.status == OrderStatus.ON_HOLD:
        blocked.append({"kind": "on_hold", "message": refused})
    if facts.draft:
        blocked.append({"kind": "draft", "message": refusal("work", OrderStatus.DRAFT)})
        if not facts.lines:
            blocked.append({"kind": "no_lines", "message": "it has no lines to confirm"})
        if credit:
            blocked.append(credit)
    for line in facts.lines:
        if line.qty_backordered:
            blocked.append(
                {
                    "kind": "backorder",
                    "message": f"backordered {qty_text(line.qty_backordered)} × {line.sku} "
                    f"on line {line.position}: {qty_text(line.on_hand)} on hand, "
                    f"{qty_text(line.available)} available",
                    "line": line.position,
                    "sku": line.sku,
                    "qty": qty_from_db(line.qty_backordered),
                    "on_hand": qty_from_db(line.on_hand),
                    "available": qty_from_db(line.available),
                }
            )
    if order.status == OrderStatus.COMPLETED:
        blocked.append({"kind": "nothing_left", "message": refused})
    return blocked


def _cmd(*words: str) -> str:
    return "ordercli " + " ".join(words)


def _lines_opt(per_sku: dict[str, int]) -> list[str]:
    return [f"--line {shlex.quote(f'{sku}={qty_text(units)}')}" for sku, units in per_sku.items()]


def _listing(per_sku: dict[str, int]) -> str:
    return ", ".join(f"{qty_text(units)} × {sku}" for sku, units in per_sku.items())


def _next_steps(session: Session, facts: _Facts, credit: dict | None) -> list[dict]:
    order, number = facts.order, shlex.quote(facts.order.number)
    steps: list[dict] = []

    def step(why: str, *words: str) -> None:
        steps.append({"command": _cmd(*words), "why": why})

    if order.status == OrderStatus.CANCELLED:
        return steps
    if allows("release", order.status):
        step(f"take it off hold ({order.hold_reason})", "order release", number)
    elif facts.draft:
        if not facts.lines:
            step(
                "a draft needs a line before it can be confirmed",
                "order add-line",
                number,
                "SKU QTY",
            )
        elif credit:
            step(
                "confirm past the credit limit; the reason is logged (rule 16)",
                "order confirm",
                number,
                "--override-credit REASON",
            )
        else:
            step(
                "confirm it: reserves stock, makes it invoiceable and shippable",
                "order confirm",
                number,
            )
    if allows("work", order.status):
        _work_steps(facts, step, number)
    _close_steps(facts, step, number)
    for shipment in facts.shipments.values():
        if shipment.delivered_at is None and shipment.status != ShipmentStatus.REVERSED:
            step(
                f"mark {shipment.number} delivered when it arrives",
                "shipment deliver",
                shipment.number,
            )
    _reversal_steps(facts, step)
    _money_steps(session, facts, step)
    _return_steps(facts, step, number)
    untouched = not any(ln.qty_invoiced or ln.qty_shipped for ln in facts.lines)
    # Rule 20: a deposit invoice that stands is cancelled before its order can be.
    deposit = next(
        (inv for inv in facts.invoices if inv.kind == "deposit" and inv.credited < inv.total),
        None,
    )
    if allows("cancel", order.status) and untouched and deposit is not None:
        step(
            f"cancel deposit invoice {deposit.number} first: the order cannot be cancelled "
            "while a deposit stands",
            "invoice cancel",
            deposit.number,
            "--reason REASON",
        )
    elif allows("cancel", order.status) and untouched:
        step(
            "nothing is invoiced or shipped yet, so it can still be cancelled (rule 7)",
            "order cancel",
            number,
        )
    return steps


def _work_steps(facts: _Facts, step, number: str) -> None:
    """Invoicing, shipping and the stock a backorder waits for (rules 9, 12); nothing
    short-closed is either, nothing credited as not to be delivered is shipped."""
    to_invoice: dict[str, int] = defaultdict(int)
    to_ship: dict[str, int] = defaultdict(int)
    ship_now: dict[str, int] = defaultdict(int)
    short: dict[str, int] = defaultdict(int)
    for line in facts.lines:
        if qty_to_invoice(line.row) > 0:
            to_invoice[line.sku] += qty_to_invoice(line.row)
    for line in facts.goods:  # a service is delivered by invoicing it, never shipped
        open_qty = qty_to_ship(line.row)
        if open_qty > 0:
            to_ship[line.sku] += open_qty
            covered = open_qty - line.qty_backordered
            if covered > 0:
                ship_now[line.sku] += covered
            if line.qty_backordered:
                short[line.sku] += line.qty_backordered
    if to_invoice:
        delivers = any(ln.service and qty_to_invoice(ln.row) > 0 for ln in facts.lines)
        step(
            f"invoice what is not invoiced yet: {_listing(to_invoice)}"
            + "".join(f" ({text})" for text in _rebilled(facts))
            + ("; invoicing a service delivers it" if delivers else ""),
            "invoice create",
            number,
        )
    if ship_now == to_ship and to_ship:
        step(f"ship everything still open: {_listing(to_ship)}", "ship", number)
    elif ship_now:
        step(
            f"ship what stock covers now: {_listing(ship_now)}",
            "ship",
            number,
            *_lines_opt(ship_now),
        )
    for sku, units in short.items():
        step(
            f"receive stock: {qty_text(units)} × {sku} backordered on this order",
            "stock receive",
            shlex.quote(sku),
            qty_text(units),
        )


def _rebilled(facts: _Facts) -> list[str]:
    """``2 × WIDGET credited on CM-00003 as billed in error``, per credit memo, for the
    lines that still have something to invoice (rule 14: invoice it again)."""
    open_lines = {line.id: line for line in facts.lines if qty_to_invoice(line.row) > 0}
    per_memo: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for memo, _, order_line_id, effect, qty in facts.memo_items:
        if effect == "rebill" and qty > 0 and order_line_id in open_lines:
            per_memo[memo][open_lines[order_line_id].sku] += qty
    return [
        f"{_listing(per_sku)} credited on {memo} as billed in error"
        for memo, per_sku in per_memo.items()
    ]


def _close_steps(facts: _Facts, step, number: str) -> None:
    """Short-close what is still open once part is invoiced or shipped (an untouched
    order is cancelled instead), or reopen what was closed (rules 7, 8, 16)."""
    order = facts.order
    closable: dict[str, int] = defaultdict(int)
    closed: dict[str, int] = defaultdict(int)
    for line in facts.lines:
        units = qty_closable(line.row, service=line.service)
        if units > 0:
            closable[line.sku] += units
        if line.qty_closed:
            closed[line.sku] += line.qty_closed
    touched = any(ln.qty_invoiced or ln.qty_shipped for ln in facts.lines)
    if allows("close", order.status) and touched and closable:
        step(
            f"short-close the rest: {_listing(closable)} would be neither shipped nor invoiced",
            "order close",
            number,
            "--reason REASON",
        )
    if allows("reopen", order.status) and (order.close_reason or closed):
        step(
            f"reopen it: {_listing(closed) or 'what was closed'} back to invoice and ship"
            + (f" (closed: {order.close_reason})" if order.close_reason else ""),
            "order reopen",
            number,
        )


def _reversal_steps(facts: _Facts, step) -> None:
    """A shipment recorded in error is reversed, its goods back to stock and open to
    ship again (rule 12), while no return asks for the goods it sent (rule 15); a
    replacement shipment is part of its return."""
    if not allows("reverse", facts.order.status):
        return
    on_returns = {
        item.order_line_id
        for rma_number, rma in facts.returns.items()
        if rma.status != "rejected"
        for item in facts.return_items[rma_number]
    }
    for number, shipment in facts.shipments.items():
        if shipment.status == ShipmentStatus.REVERSED or shipment.return_id is not None:
            continue
        if any(item.order_line_id in on_returns for item in facts.shipment_items[number]):
            continue
        step(
            f"if {number} was recorded in error: its goods back to stock, open to ship again",
            "shipment reverse",
            number,
            "--reason REASON",
        )


def _money_steps(session: Session, facts: _Facts, step) -> None:
    """Payments, customer credit and credit memos on the order's invoices (rules 13, 14)."""
    owing = [inv for inv in facts.invoices if _balance(inv) > 0]
    customer = shlex.quote(facts.customer.code)
    credit = _customer_credit(session, facts.customer) if owing else 0
    for invoice in owing:
        balance = amount_of(session, _balance(invoice))
        step(
            f"{invoice.number} has {balance} open, {_due_text(session, facts, invoice)}",
            "payment record",
            customer,
            f"{balance:f}",
            "--invoice",
            invoice.number,
        )
        if credit > 0:
            step(
                f"{facts.customer.code} has {amount_of(session, credit)} of unused credit",
                "payment apply",
                customer,
                "--invoice",
                invoice.number,
            )
    voidable: dict[str, list[str]] = defaultdict(list)
    for payment, paid in facts.payments:
        voidable[payment].append(paid)
    for payment, paid_invoices in voidable.items():
        step(
            f"payment {payment} (on {', '.join(paid_invoices)}) can be voided if it was "
            "recorded in error: its money comes off the invoices again (rule 13)",
            "payment void",
            payment,
            "--reason REASON",
        )
    credited = {invoice_id for _, invoice_id, _, _, _ in facts.memo_items}
    for invoice in facts.invoices:
        if invoice.credited < invoice.total:
            left = amount_of(session, invoice.total - invoice.credited)
            step(
                f"correct {invoice.number}: {left} of it is not credited yet",
                "credit-memo create",
                invoice.number,
            )
        if invoice.credited == 0 and invoice.id not in credited:
            step(
                f"{invoice.number} billed in error? cancelling it credits it whole and "
                "reopens its quantities for invoicing (rule 14)",
                "invoice cancel",
                invoice.number,
                "--reason REASON",
            )


def _customer_credit(session: Session, customer: Customer) -> int:
    """Unapplied payments plus unused store credit: what ``payment apply`` can use."""
    unapplied = (
        select(func.coalesce(func.sum(Payment.unapplied), 0))
        .where(Payment.customer_id == customer.id)
        .scalar_subquery()
    )
    store = (
        select(func.coalesce(func.sum(CreditMemo.credit_left), 0))
        .where(CreditMemo.customer_id == customer.id)
        .scalar_subquery()
    )
    return int(session.exec(select(unapplied + store)).one())


def _return_steps(facts: _Facts, step, number: str) -> None:
    """Goods shipped can come back; open returns move on (rule 15). A service is never
    shipped again: a return holding one is resolved by a credit memo."""
    service_lines = {line.id for line in facts.lines if line.service}
    asked: dict[int, int] = defaultdict(int)
    for rma_number, rma in facts.returns.items():
        if rma.status in OPEN_RETURNS:
            for item in facts.return_items[rma_number]:
                asked[item.order_line_id] += item.qty
    returnable: dict[str, int] = defaultdict(int)
    for line in facts.goods:  # a service is never returned
        left = line.qty_shipped + line.qty_replaced - line.qty_returned - asked[line.id]
        if left > 0:
            returnable[line.sku] += left
    for rma_number, rma in facts.returns.items():
        if rma.status == "requested":
            step(f"{rma_number} waits for approval", "return authorize", rma_number)
            step(f"or refuse {rma_number}", "return reject", rma_number)
        elif rma.status == "authorized":
            step(
                f"the goods of {rma_number} arrived (and can be sold again)",
                "return receive",
                rma_number,
                "--restock",
            )
        elif rma.status == "received":
            step(f"credit the goods of {rma_number}", "return resolve", rma_number, "--credit-memo")
            items = facts.return_items[rma_number]
            if not any(item.order_line_id in service_lines for item in items):
                step("or send them again", "return resolve", rma_number, "--replace")
    if returnable:
        step(
            f"goods shipped and not returned: {_listing(returnable)}",
            "return request",
            number,
            *_lines_opt(returnable),
            "--reason REASON",
        )


# --- track -----------------------------------------------------------------------


RETURN_TEXT = {
    "requested": "requested; we will confirm it shortly",
    "authorized": "approved; please send the goods back",
    "received": "received; we are processing it",
    "rejected": "not accepted",
}


def track_order(*, session: Session, number: str) -> dict:
    """What the customer may be told: shipped, still to come, owed, returns under way."""
    facts = _read(session, number)
    order = facts.order
    money = lambda units: amount_of(session, units)  # noqa: E731
    shipped = [
        {
            "shipment": shipment.number,
            "date": shipment.ship_date,
            "carrier": shipment.carrier,
            "tracking": shipment.tracking,
            "delivered": shipment.delivered_at is not None,
            "delivered_on": shipment.delivered_at.date() if shipment.delivered_at else None,
            "replacement": shipment.return_id is not None,
            "items": [_item(item) for item in items],
        }
        for shipment, items in _goods_shipped(facts)
    ]
    coming = []
    if order.status != OrderStatus.CANCELLED:
        # Nothing short-closed or credited as not to be delivered is still to come.
        coming = [
            {
                "sku": line.sku,
                "description": line.description,
                "qty": qty_from_db(qty_to_ship(line.row)),
                "unit": line.unit,
                "waiting_for_stock": line.qty_backordered > 0,
                "waiting_qty": qty_from_db(line.qty_backordered),
            }
            for line in facts.goods
            if qty_to_ship(line.row) > 0
        ]
    owing = [inv for inv in facts.invoices if _balance(inv) > 0]
    return {
        "order": order.number,
        "customer": facts.customer.name,
        "customer_code": facts.customer.code,
        "placed": order.order_date,
        "status_text": _status_text(facts, shipped),
        # Short-closed: the rest will not be delivered (the reason stays internal).
        "closed": facts.order.close_reason is not None,
        "currency": currency(session),
        "shipped": shipped,
        "coming": coming,
        **_services_delivered(facts),
        "invoiced": {
            "total": money(sum(inv.total for inv in facts.invoices)),
            "invoices": [
                {"number": inv.number, "issue_date": inv.issue_date, "total": money(inv.total)}
                for inv in facts.invoices
            ],
        },
        "owed": {
            "total": money(sum(_balance(inv) for inv in owing)),
            "invoices": [
                {
                    "number": inv.number,
                    "due_date": inv.due_date,
                    "balance": money(_balance(inv)),
                    "overdue": invoicing.status_of(inv, due=facts.due.get(inv.id or 0, 0))
                    == InvoiceStatus.OVERDUE,
                }
                for inv in owing
            ],
        },
        "returns": [
            {
                "number": rma.number,
                "requested_on": rma.requested_on,
                "status": rma.status,
                "status_text": _return_text(rma),
                "in_progress": rma.status in (*OPEN_RETURNS, "received"),
                "items": [_item(item) for item in facts.return_items[rma.number]],
            }
            for rma in facts.returns.values()
        ],
    }


def _goods_shipped(facts: _Facts) -> list[tuple[Shipment, list[ShipmentLine]]]:
    """Each shipment with its goods. Only goods are shipped (rule 12): a service line
    on a shipment was delivered by invoicing it and is told as such, and a shipment of
    nothing else is no shipment to the customer."""
    service_lines = {line.id for line in facts.lines if line.service}
    shipped = []
    for number, shipment in facts.shipments.items():
        if shipment.status == ShipmentStatus.REVERSED:
            continue  # recorded in error and taken back (rule 12): nothing went out
        items = [
            item for item in facts.shipment_items[number] if item.order_line_id not in service_lines
        ]
        if items:
            shipped.append((shipment, items))
    return shipped


def _services_delivered(facts: _Facts) -> dict:
    """``has_goods``; ``delivered``: the services invoicing delivered (less what a credit
    took back); ``to_deliver``: what is not invoiced yet, so not yet delivered."""
    services = [line for line in facts.lines if line.service]
    open_order = facts.order.status != OrderStatus.CANCELLED
    return {
        "has_goods": bool(facts.goods),
        "delivered": [
            _service_item(line, line.fulfilled) for line in services if line.fulfilled > 0
        ],
        "to_deliver": [
            _service_item(line, qty_to_invoice(line.row))
            for line in services
            if open_order and qty_to_invoice(line.row) > 0
        ],
    }


def _service_item(line: _Line, units: int) -> dict:
    return {
        "sku": line.sku,
        "description": line.description,
        "qty": qty_from_db(units),
        "unit": line.unit,
    }


def _item(item) -> dict:
    return {
        "sku": item.sku,
        "description": item.description,
        "qty": qty_from_db(item.qty),
        "unit": item.unit,
    }


def _return_text(rma: Rma) -> str:
    if rma.status == "resolved":
        return "done: " + (
            "a replacement was sent" if rma.resolution == "replacement" else "credited"
        )
    return RETURN_TEXT.get(rma.status, rma.status)


def _status_text(facts: _Facts, shipped: list[dict]) -> str:
    order = facts.order
    if order.status == OrderStatus.CANCELLED:
        return "cancelled"
    if order.status == OrderStatus.ON_HOLD:
        return "on hold; we will be in touch"
    if order.status == OrderStatus.DRAFT:
        return "received, not yet confirmed"
    # Goods by their shipments, services by what invoicing delivered (rule 12); what was
    # short-closed or credited as not to be delivered is not to come at all.
    due = [ln for ln in facts.lines if ln.to_fulfil > 0]
    goods = _progress(
        [ln for ln in due if not ln.service], lambda ln: ln.qty_shipped, lambda ln: ln.to_fulfil
    )
    services = _progress(
        [ln for ln in due if ln.service], lambda ln: ln.fulfilled, lambda ln: ln.to_fulfil
    )
    if order.close_reason and not due:
        return "closed: the rest will not be delivered"
    text = _progress_phrase(facts, shipped, goods, services)
    if order.close_reason:
        text += "; closed: the rest will not be delivered"
    return text


def _progress_phrase(facts: _Facts, shipped: list[dict], goods, services) -> str:
    """How far the goods and services still due have come, in the customer's words."""
    if goods == "fully":
        text = "delivered" if all(s["delivered"] for s in shipped) else "shipped"
        if services in ("none", "partly"):
            text += "; services still to be delivered"
        return text
    if goods == "partly":
        return "partly shipped; the rest is on its way"
    if services == "fully" and goods is None:
        return "delivered"
    if services in ("partly", "fully"):
        return "partly delivered; the rest is still to come"
    if any(ln.qty_backordered for ln in facts.lines):
        return "confirmed; waiting for stock"
    return "confirmed; being prepared"


def _progress(lines: list[_Line], done, due) -> str | None:
    """``none``, ``partly`` or ``fully`` done over ``lines``; None without lines."""
    if not lines:
        return None
    return progress_status(
        [done(ln) for ln in lines], [due(ln) for ln in lines], "none", "partly", "fully"
    )


# --- timeline --------------------------------------------------------------------

EVENT_NAMES = {
    ("invoice", "sent"): "invoice emailed",
    ("shipment", "notified"): "customer notified",
    ("quote", "created"): "quoted",
    ("order", "created"): "created",
    ("order", "line_added"): "line changed",
    ("order", "line_edited"): "line changed",
    ("order", "line_removed"): "line changed",
    ("order", "credit_override"): "credit override",
    ("order", "closed"): "short-closed",
    ("shipment", "reversed"): "shipment reversed",
    ("order", "reopened"): "reopened",
    ("invoice", "issued"): "invoiced",
    ("invoice", "partially_paid"): "paid",
    ("invoice", "paid"): "paid",
    ("return", "requested"): "return requested",
    ("return", "authorized"): "return authorized",
    ("return", "received"): "returned",
    ("return", "rejected"): "return rejected",
    ("return", "resolved"): "return resolved",
    ("credit_memo", "issued"): "credited",
    ("refund", "refunded"): "refunded",
}


def event_name(kind: str, action: str) -> str:
    """The step of the order's life an event is, in the issue's words (quoted, paid…)."""
    name = EVENT_NAMES.get((kind, action))
    if name:
        return name
    if kind == "quote":
        return f"quote {action.replace('_', ' ')}"
    return action.replace("_", " ")


def order_timeline(*, session: Session, number: str) -> tuple[str, list[dict]]:
    """Every event of the order, its quote and its documents, oldest first, each with
    its step (``event``) and, for shipments, carrier and tracking."""

    order = ordering.get_order(session=session, number=number)
    assert order.id is not None  # read from the ledger, so it has its id
    carriers = {
        row[0]: (row[1], row[2])
        for row in session.exec(
            select(Shipment.number, Shipment.carrier, Shipment.tracking).where(
                Shipment.order_id == order.id
            )
        )
    }
    rows = []
    for event in events_for(session=session, order_id=order.id, quote_id=order.quote_id):
        row = event_view(event)
        carrier, tracking = (
            carriers.get(event.subject_number, (None, None))
            if event.subject_kind == "shipment"
            else (None, None)
        )
        row.update(
            {
                "event": event_name(event.subject_kind, event.action),
                "document": f"{event.subject_kind.replace('_', ' ')} {event.subject_number}",
                "carrier": carrier,
                "tracking": tracking,
            }
        )
        rows.append(row)
    return order.number, rows
