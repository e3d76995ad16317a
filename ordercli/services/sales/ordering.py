"""Sales orders: from draft to confirmed, held, completed or cancelled (SPEC rules 1, 5–8, 16).

A draft order is a working paper: every line can change and it touches no
stock. Confirming it reserves stock for what is still to ship and makes it
billable and shippable. From then on a line's quantity may still change, but
never below what has already been invoiced or shipped on it. The order is
``completed`` as soon as every line is fully invoiced and its goods are fully
shipped: a service is never shipped, it is delivered by invoicing it.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, func, select

from ordercli.books.chronology import check_dated
from ordercli.books.clock import now, today
from ordercli.books.events import record_event
from ordercli.books.numbering import next_number
from ordercli.books.settings import minor_digits
from ordercli.db.queries import by_number, newest_first
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.domain.money import (
    from_minor,
    pct_to_db,
    portion_units,
    qty_from_db,
    qty_to_db,
    share_units,
    to_minor,
)
from ordercli.domain.states import (
    BillingStatus,
    FulfilmentStatus,
    OrderStatus,
    completed_because,
    fulfilled_qty,
    line_finished,
    progress_status,
    qty_to_fulfil,
    qty_to_invoice,
    qty_to_ship,
    refusal,
)
from ordercli.domain.text import clean_text, parse_status
from ordercli.models import Customer, OrderLine, Product, SalesOrder
from ordercli.services.inventory.catalog import get_product, service_ids
from ordercli.services.inventory.levels import allocate_stock, lock_product, lock_products, reserve
from ordercli.services.parties.billing_agreements import agreement_for_order
from ordercli.services.parties.customers import get_customer, lock_customer, open_invoice_total
from ordercli.services.parties.payment_terms import get_terms
from ordercli.services.sales.deposit_deductions import live_deposits
from ordercli.services.sales.line_refs import find_line
from ordercli.services.sales.pricing import (
    MANUAL,
    gross_by_default,
    price_again,
    price_new_line,
    settle_line_amounts,
    source_note,
    spread_document_discount,
    totals,
)

PAST_TENSE = {"invoice": "invoiced", "ship": "shipped"}


def get_order(*, session: Session, number: str, for_update: bool = False) -> SalesOrder:
    number = (number or "").strip()
    if not number:
        raise InvalidInput("order number is empty")
    query = select(SalesOrder)
    if for_update:
        # NO KEY UPDATE: rows that merely reference this order (events, lines of
        # other commands) must not wait for it, or PostgreSQL deadlocks.
        query = query.with_for_update(key_share=True)
    order = by_number(session, query, SalesOrder.number, number)
    if order is None:
        raise NotFound(f"no order {number!r}", hint="`ordercli order list` shows the orders")
    return order


def lock_order(session: Session, order_id: int) -> SalesOrder:
    """The order row locked for this transaction (PostgreSQL): everything that
    changes an order's line counters takes this lock first."""
    order = session.get(
        SalesOrder, order_id, with_for_update={"key_share": True}, populate_existing=True
    )
    assert order is not None  # orders are never deleted
    return order


def order_lines(*, session: Session, order: SalesOrder) -> list[OrderLine]:
    return list(
        session.exec(
            select(OrderLine)
            .where(OrderLine.order_id == order.id)
            .order_by(col(OrderLine.position))
        )
    )


def billing_status(lines: list[OrderLine]) -> BillingStatus:
    return progress_status(
        [ln.qty_invoiced for ln in lines],
        [ln.qty - ln.qty_closed for ln in lines],
        BillingStatus.NOT_INVOICED,
        BillingStatus.PARTIALLY_INVOICED,
        BillingStatus.INVOICED,
    )


def fulfilment_status(lines: list[OrderLine], services: Container[int]) -> FulfilmentStatus:
    """How far the order has reached the customer: goods by what is shipped, services
    (``services``: their product ids) by what invoicing delivered (rules 8, 12)."""
    return progress_status(
        [fulfilled_qty(ln, service=ln.product_id in services) for ln in lines],
        [qty_to_fulfil(ln, service=ln.product_id in services) for ln in lines],
        FulfilmentStatus.NOT_SHIPPED,
        FulfilmentStatus.PARTIALLY_SHIPPED,
        FulfilmentStatus.SHIPPED,
    )


def is_finished(line: OrderLine, services: Container[int]) -> bool:
    """Fully invoiced, and its goods shipped or its service delivered (rules 8, 12)."""
    return line_finished(line, service=line.product_id in services)


def reference_value(text: str | None, *, what: str) -> str | None:
    """A buyer's reference (BT-10) or purchase-order number (BT-13) as typed: one line of
    at most 200 characters; empty is none."""
    value = clean_text(text, what=what, max_length=200)
    if value is not None and ("\n" in value or "\t" in value):
        raise InvalidInput(f"{what} must be a single line")
    return value


def new_order(
    *,
    session: Session,
    customer_code: str,
    order_date: date | None = None,
    quote_id: int | None = None,
    source: str | None = None,
    billing_agreement: str | None = None,
    prices_include_tax: bool | None = None,
    terms: str | None = None,
    buyer_reference: str | None = None,
    purchase_order: str | None = None,
) -> SalesOrder:
    """Open a draft order (rule 1: an active customer's; rule 17: their active agreement).

    Its prices include tax when ``prices_include_tax`` says so, or by default when the
    customer buys from a gross price list (rule 19). ``terms`` names the payment terms
    template its invoices take instead of the customer's (rule 20). ``buyer_reference``
    and ``purchase_order`` are the buyer's references its invoices quote (rule 21; see
    ``order_refs``)."""
    buyer_reference = reference_value(buyer_reference, what="buyer reference")
    purchase_order = reference_value(purchase_order, what="purchase order number")
    customer = get_customer(session=session, code=customer_code)
    if not customer.active:
        raise RuleViolation(
            f"customer {customer.code} is inactive and gets no new orders",
            hint=f"`ordercli customer activate {customer.code}` reactivates",
        )
    agreement = None
    if billing_agreement is not None:
        agreement = agreement_for_order(
            session=session, number=billing_agreement, customer=customer
        )
    template = None if terms is None else get_terms(session=session, code=terms)
    assert customer.id is not None  # a stored customer
    order_date = order_date or today()
    # Rule 4a holds an order only to "not in the future": imports bring historical
    # orders in any order, so the series is not held to its dates (books/chronology.py).
    check_dated(session, what="order", on=order_date)
    order = SalesOrder(
        number=next_number(session=session, kind="order"),
        customer_id=customer.id,
        quote_id=quote_id,
        billing_agreement_id=agreement.id if agreement else None,
        status=OrderStatus.DRAFT,
        order_date=order_date,
        prices_include_tax=(
            gross_by_default(session, customer.price_list_id)
            if prices_include_tax is None
            else prices_include_tax
        ),
        terms_id=None if template is None else template.id,
        buyer_reference=buyer_reference,
        purchase_order=purchase_order,
        created_at=now(),
    )
    session.add(order)
    session.flush()
    record_event(
        session=session,
        subject_kind="order",
        subject_number=order.number,
        action="created",
        order_id=order.id,
        quote_id=quote_id,
        message=f"order {order.number} opened for {customer.code}"
        + (f" from {source}" if source else "")
        + (f" under billing agreement {agreement.number}" if agreement else "")
        + (f" on payment terms {template.code}" if template else "")
        + (f", buyer reference {buyer_reference}" if buyer_reference else "")
        + (f", purchase order {purchase_order}" if purchase_order else ""),
    )
    return order


def refresh_totals(session: Session, order: SalesOrder, lines: list[OrderLine]) -> None:
    """Spread the order's discount over its lines again, and add them up."""
    if order.discount_pct or order.discount_amount:
        spread_document_discount(order, lines, minor_digits=minor_digits(session))
        session.add_all(lines)
    order.subtotal, order.tax, order.total = totals(lines)
    session.add(order)


def _check_editable(order: SalesOrder, action: str) -> None:
    refused = refusal("edit", order.status, hold_reason=order.hold_reason)
    if refused:
        raise RuleViolation(f"cannot {action} on {order.number}: {refused}")


def add_order_line(
    *,
    session: Session,
    number: str,
    sku: str,
    qty: Decimal,
    price: Decimal | None = None,
    discount: Decimal | None = None,
    tax_rate: Decimal | None = None,
    override_credit: str | None = None,
) -> OrderLine:
    order = get_order(session=session, number=number, for_update=True)
    _check_editable(order, "add a line")
    override_credit = clean_text(override_credit, what="override reason")
    product = get_product(session=session, sku=sku, for_update=True)
    customer = session.get(Customer, order.customer_id)
    assert customer is not None and product.id is not None  # stored rows
    priced = price_new_line(
        session,
        product=product,
        qty=qty,
        unit_price=price,
        discount_pct=discount,
        tax_rate=tax_rate,
        customer=customer,
        on=order.order_date,
        gross=order.prices_include_tax,
    )
    lines = order_lines(session=session, order=order)
    assert order.id is not None  # a stored row
    line = OrderLine(
        order_id=order.id,
        position=max((ln.position for ln in lines), default=0) + 1,
        product_id=product.id,
        description=product.name,
        unit=product.unit,
        **priced.columns(),
        last_state_change=now(),
    )
    if order.discount_pct or order.discount_amount:
        spread_document_discount(order, [*lines, line], minor_digits=minor_digits(session))
    if order.status == OrderStatus.CONFIRMED:
        check_credit(
            session=session,
            order=order,
            customer=customer,
            added=from_minor(
                sum(ln.net + ln.tax for ln in [*lines, line]) - order.total,
                minor_digits(session),
            ),
            what="this line",
            verb="add a line to",
            override=override_credit,
        )
    session.add(line)
    if order.status == OrderStatus.CONFIRMED:
        _reserve_line(session, product, line, priced.qty)
    refresh_totals(session, order, [*lines, line])
    session.flush()
    record_event(
        session=session,
        subject_kind="order",
        subject_number=order.number,
        action="line_added",
        order_id=order.id,
        message=f"line {line.position}: {qty_from_db(line.qty)} × {product.sku} "
        f"at {from_minor(line.unit_price, minor_digits(session))}{source_note(session, line)}",
    )
    return line


def _reserve_line(session: Session, product: Product, line: OrderLine, delta: int) -> None:
    """Reserve ``delta`` more of a line (or release, if negative); backorders follow."""
    if product.service:
        return
    reserve(session=session, product=product, qty=delta)
    allocate_stock(session=session, product=product)


def edit_order_line(
    *,
    session: Session,
    number: str,
    line_ref: str,
    qty: Decimal | None = None,
    price: Decimal | None = None,
    discount: Decimal | None = None,
    override_credit: str | None = None,
) -> OrderLine:
    """Change a line (rule 7: never below what is invoiced or shipped on it; rule 16
    when a confirmed order grows)."""
    order = get_order(session=session, number=number, for_update=True)
    _check_editable(order, "edit a line")
    override_credit = clean_text(override_credit, what="override reason")
    if qty is None and price is None and discount is None:
        raise InvalidInput("nothing to change: give --qty, --price or --discount")
    lines = order_lines(session=session, order=order)
    line = find_line(session, order.number, lines, line_ref)
    total_before = order.total
    product = lock_product(session, line.product_id)
    digits = minor_digits(session)
    changes = []
    if (price is not None or discount is not None) and (line.qty_invoiced or line.qty_shipped):
        raise RuleViolation(
            f"cannot change the price of line {line.position} ({product.sku}) on {order.number}: "
            f"{qty_from_db(line.qty_invoiced)} already invoiced, "
            f"{qty_from_db(line.qty_shipped)} already shipped"
        )
    if price is not None:
        line.unit_price = to_minor(price, digits)
        line.price_source, line.price_list_id = MANUAL, None
        changes.append(f"price {price}")
    if discount is not None:
        line.discount = pct_to_db(discount)
        changes.append(f"discount {discount}%")
    if qty is not None:
        new_qty = qty_to_db(qty)
        # Rule 7, in quantities: never below what stands invoiced or was shipped, and
        # what a credit took off as not to be delivered or a short-close closed stays off.
        floor = max(line.qty_invoiced, line.qty_shipped + line.qty_cancelled) + line.qty_closed
        if new_qty < floor:
            off = [
                f", {label} {qty_from_db(done)}"
                for label, done in (("cancelled", line.qty_cancelled), ("closed", line.qty_closed))
                if done
            ]
            raise RuleViolation(
                f"cannot set line {line.position} ({product.sku}) on {order.number} to "
                f"{qty}: already invoiced {qty_from_db(line.qty_invoiced)}, "
                f"shipped {qty_from_db(line.qty_shipped)}" + "".join(off)
            )
        delta = new_qty - line.qty
        line.qty = new_qty
        if order.status == OrderStatus.CONFIRMED and delta:
            _reserve_line(session, product, line, delta)
        changes.append(f"qty {qty}")
        if order.status == OrderStatus.DRAFT and price is None:
            customer = session.get(Customer, order.customer_id)
            assert customer is not None  # customers are never deleted
            changed = price_again(
                session,
                line,
                price_list_id=customer.price_list_id,
                on=order.order_date,
                gross=order.prices_include_tax,
                minor_digits=digits,
            )
            changes.extend([changed] if changed else [])
    settle_line_amounts(line, gross=order.prices_include_tax, minor_digits=digits)
    if order.discount_pct or order.discount_amount:
        spread_document_discount(order, lines, minor_digits=digits)
    if order.status == OrderStatus.CONFIRMED:
        session.add(line)
        customer = session.get(Customer, order.customer_id)
        assert customer is not None  # customers are never deleted
        check_credit(
            session=session,
            order=order,
            customer=customer,
            added=from_minor(
                sum(ln.net + ln.tax for ln in lines) - total_before, minor_digits(session)
            ),
            what="this change",
            verb="change a line on",
            override=override_credit,
            included=True,
        )
    line.last_state_change = now()
    session.add(line)
    refresh_totals(session, order, lines)
    record_event(
        session=session,
        subject_kind="order",
        subject_number=order.number,
        action="line_edited",
        order_id=order.id,
        message=f"line {line.position} ({product.sku}): {', '.join(changes)}",
    )
    refresh_order_status(session=session, order=order, lines=lines)
    return line


def remove_order_line(*, session: Session, number: str, line_ref: str) -> OrderLine:
    order = get_order(session=session, number=number, for_update=True)
    _check_editable(order, "remove a line")
    lines = order_lines(session=session, order=order)
    line = find_line(session, order.number, lines, line_ref)
    product = lock_product(session, line.product_id)
    if line.qty_invoiced or line.qty_shipped:
        raise RuleViolation(
            f"cannot remove line {line.position} ({product.sku}) from {order.number}: "
            f"{qty_from_db(line.qty_invoiced)} invoiced, {qty_from_db(line.qty_shipped)} shipped"
        )
    if order.status == OrderStatus.CONFIRMED and len(lines) == 1:
        raise RuleViolation(
            f"cannot remove the last line of confirmed order {order.number}",
            hint=f"`ordercli order cancel {order.number}` cancels it",
        )
    session.delete(line)
    if order.status == OrderStatus.CONFIRMED:
        _reserve_line(session, product, line, -qty_to_ship(line))
    remaining = [ln for ln in lines if ln.id != line.id]
    refresh_totals(session, order, remaining)
    record_event(
        session=session,
        subject_kind="order",
        subject_number=order.number,
        action="line_removed",
        order_id=order.id,
        message=f"line {line.position} ({product.sku}) removed",
    )
    refresh_order_status(session=session, order=order, lines=remaining)
    return line


def unbilled_units(line: OrderLine, digits: int, *, gross: bool) -> tuple[int, int]:
    """Net and tax of what is still to invoice on a line, as invoicing it would price it.

    A whole line's rest is what is left of its rounded net and tax; a short-closed
    line's rest is priced by rule 10 on its own (``portion_units``), the way
    ``issue_invoices`` prices it, so exposure and the invoices agree to the cent."""
    net_left, tax_left = line.net - line.net_invoiced, line.tax - line.tax_invoiced
    if not line.qty_closed:
        return net_left, tax_left
    open_qty = qty_to_invoice(line)
    if open_qty <= 0:
        return 0, 0
    return portion_units(
        qty=open_qty,
        unit_price=line.unit_price,
        discount=line.discount,
        tax_rate=line.tax_rate,
        net_left=net_left,
        tax_left=tax_left,
        completes=False,
        gross=gross,
        doc_discount=share_units(line.doc_discount, open_qty, line.qty),
        minor_digits=digits,
    )


def credit_exposure(*, session: Session, customer: Customer) -> Decimal:
    """Open invoice balances plus confirmed orders' value still to invoice (rule 16).

    What was short-closed will never be invoiced, so it is no exposure: the few lines
    with a closed quantity are priced one by one (``unbilled_units``), every other
    line's rest is summed in the database."""
    assert customer.id is not None  # a stored customer
    balance = open_invoice_total(session=session, customer_id=customer.id)
    digits = minor_digits(session)
    open_orders = (
        SalesOrder.customer_id == customer.id,
        col(SalesOrder.confirmed_at).is_not(None),
        col(SalesOrder.status).in_([OrderStatus.CONFIRMED, OrderStatus.ON_HOLD]),
    )
    unbilled = session.exec(
        select(
            func.coalesce(
                func.sum(
                    OrderLine.net + OrderLine.tax - OrderLine.net_invoiced - OrderLine.tax_invoiced
                ),
                0,
            )
        )
        .join(SalesOrder, col(SalesOrder.id) == OrderLine.order_id)
        .where(*open_orders, OrderLine.qty_closed == 0)
    ).one()
    for line, gross in session.exec(
        select(OrderLine, SalesOrder.prices_include_tax)
        .join(SalesOrder, col(SalesOrder.id) == OrderLine.order_id)
        .where(*open_orders, OrderLine.qty_closed > 0)
    ):
        unbilled += sum(unbilled_units(line, digits, gross=gross))
    return balance + from_minor(unbilled, digits)


def check_credit(
    *,
    session: Session,
    order: SalesOrder,
    customer: Customer,
    added: Decimal,
    what: str,
    verb: str,
    override: str | None,
    included: bool = False,
) -> None:
    """Rule 16: refuse what would lift the customer's exposure past the limit, unless
    overridden with a reason, which is logged. ``included``: the exposure already
    counts ``added`` (a changed line of a confirmed order)."""
    if customer.credit_limit is None or added <= 0:
        return

    # Two confirmations for one customer must not both pass on the same exposure.
    customer = lock_customer(session, customer)
    # The row was read again under the lock: on PostgreSQL another command may have
    # removed the limit meanwhile, and then there is nothing to keep.
    if customer.credit_limit is None:
        return
    limit = from_minor(customer.credit_limit, minor_digits(session))
    exposure = credit_exposure(session=session, customer=customer)
    before = exposure - added if included else exposure
    if before + added <= limit:
        return
    message = (
        f"{customer.code} would owe {before + added} against a credit limit of {limit} "
        f"(exposure {before} + {what} {added})"
    )
    _refuse_unless_overridden(
        session,
        order,
        refusal=f"cannot {verb} {order.number}: {message}",
        hint="--override-credit REASON does it anyway; the reason is logged",
        logged=f"credit limit overridden: {message}",
        override=override,
    )


def check_credit_hold(
    *, session: Session, order: SalesOrder, customer: Customer, override: str | None
) -> None:
    """A customer on credit hold (a final dunning notice, rule 20) gets no order confirmed
    unless overridden with a reason, which is logged as a credit limit override is."""
    if not customer.credit_hold:
        return
    message = f"customer {customer.code} is on credit hold: {customer.credit_hold}"
    _refuse_unless_overridden(
        session,
        order,
        refusal=f"cannot confirm {order.number}: {message}",
        hint="--override-credit REASON confirms it anyway (logged); "
        f"`ordercli collections release {customer.code} --reason …` lifts the hold",
        logged=f"credit hold overridden: {message}",
        override=override,
    )


def _refuse_unless_overridden(
    session: Session,
    order: SalesOrder,
    *,
    refusal: str,
    hint: str,
    logged: str,
    override: str | None,
) -> None:
    """Rule 16's way with credit: refused, unless ``--override-credit REASON``, which
    the order's event log keeps with the reason."""
    if not override:
        raise RuleViolation(refusal, hint=hint)
    record_event(
        session=session,
        subject_kind="order",
        subject_number=order.number,
        action="credit_override",
        order_id=order.id,
        message=f"{logged}; reason: {override}",
    )


def confirm_order(
    *, session: Session, number: str, override_credit: str | None = None
) -> SalesOrder:
    """Confirm a draft: needs a line (rule 6), keeps the credit limit (rule 16), reserves stock."""
    order = get_order(session=session, number=number, for_update=True)
    refused = refusal("confirm", order.status, hold_reason=order.hold_reason)
    if refused:
        held = order.status == OrderStatus.ON_HOLD
        raise RuleViolation(
            f"cannot confirm {order.number}: {refused}",
            hint=f"`ordercli order release {order.number}` first" if held else None,
        )
    lines = order_lines(session=session, order=order)
    if not lines:
        raise RuleViolation(
            f"cannot confirm {order.number}: it has no lines",
            hint=f"`ordercli order add-line {order.number} SKU QTY`",
        )
    customer = session.get(Customer, order.customer_id)
    assert customer is not None  # customers are never deleted
    if not customer.active:
        raise RuleViolation(f"cannot confirm {order.number}: customer {customer.code} is inactive")
    override_credit = clean_text(override_credit, what="override reason")
    check_credit_hold(session=session, order=order, customer=customer, override=override_credit)
    digits = minor_digits(session)
    check_credit(
        session=session,
        order=order,
        customer=customer,
        added=from_minor(order.total, digits),
        what="this order",
        verb="confirm",
        override=override_credit,
    )
    moment = now()
    order.status = OrderStatus.CONFIRMED
    order.confirmed_at = moment
    session.add(order)
    products = lock_products(session, (line.product_id for line in lines))
    for line in lines:
        line.last_state_change = moment
        _reserve_line(session, products[line.product_id], line, line.qty - line.qty_shipped)
    backordered = [ln for ln in lines if ln.qty_backordered]
    record_event(
        session=session,
        subject_kind="order",
        subject_number=order.number,
        action="confirmed",
        order_id=order.id,
        message=f"order {order.number} confirmed, total {from_minor(order.total, digits)}"
        + (f"; {len(backordered)} line(s) backordered" if backordered else ""),
    )
    return order


def hold_order(*, session: Session, number: str, reason: str) -> SalesOrder:
    """Put an order on hold (rule 7): no invoicing, shipping or confirming until released."""
    reason = clean_text(reason, what="hold reason", required=True, max_length=500)
    order = get_order(session=session, number=number, for_update=True)
    refused = refusal("hold", order.status)
    if refused:
        raise RuleViolation(f"cannot hold {order.number}: {refused}")
    order.status_before_hold = order.status
    order.status = OrderStatus.ON_HOLD
    order.hold_reason = reason
    session.add(order)
    record_event(
        session=session,
        subject_kind="order",
        subject_number=order.number,
        action="held",
        order_id=order.id,
        message=f"put on hold: {reason}",
    )
    return order


def release_order(*, session: Session, number: str) -> SalesOrder:
    order = get_order(session=session, number=number, for_update=True)
    refused = refusal("release", order.status)
    if refused:
        raise RuleViolation(f"cannot release {order.number}: {refused}")
    order.status = order.status_before_hold or OrderStatus.CONFIRMED
    reason, order.hold_reason, order.status_before_hold = order.hold_reason, None, None
    session.add(order)
    record_event(
        session=session,
        subject_kind="order",
        subject_number=order.number,
        action="released",
        order_id=order.id,
        message=f"released from hold ({reason}); back to {order.status}",
    )
    return order


def cancel_order(*, session: Session, number: str, reason: str | None = None) -> SalesOrder:
    """Cancel while nothing is invoiced or shipped (rule 7); releases reservations."""
    reason = clean_text(reason, what="cancel reason", max_length=500)
    order = get_order(session=session, number=number, for_update=True)
    refused = refusal("cancel", order.status)
    if refused:
        raise RuleViolation(f"cannot cancel {order.number}: {refused}")
    lines = order_lines(session=session, order=order)
    invoiced = sum(ln.qty_invoiced for ln in lines)
    shipped = sum(ln.qty_shipped for ln in lines)
    if invoiced or shipped:
        raise RuleViolation(
            f"cannot cancel {order.number}: {qty_from_db(invoiced)} invoiced and "
            f"{qty_from_db(shipped)} shipped already",
            hint="issued invoices and shipments are corrected with credit memos and returns",
        )
    assert order.id is not None  # a stored order
    deposits = live_deposits(session, order.id)
    if deposits:
        # Rule 7's spirit: an issued deposit invoice stays until it is cancelled itself.
        raise RuleViolation(
            f"cannot cancel {order.number}: deposit invoice "
            f"{', '.join(d.number for d in deposits)} is not cancelled",
            hint=f"`ordercli invoice cancel {deposits[0].number} --reason …` cancels it first",
        )
    was_confirmed = order.confirmed_at is not None
    order.status = OrderStatus.CANCELLED
    order.hold_reason = None
    session.add(order)
    moment = now()
    products = lock_products(session, (line.product_id for line in lines)) if was_confirmed else {}
    for line in lines:
        line.last_state_change = moment
        line.qty_backordered = 0
        session.add(line)
        if was_confirmed:
            # What it still had to ship is what it held: nothing short-closed or
            # credited as not to be delivered is reserved.
            _reserve_line(session, products[line.product_id], line, -qty_to_ship(line))
    record_event(
        session=session,
        subject_kind="order",
        subject_number=order.number,
        action="cancelled",
        order_id=order.id,
        message=f"order {order.number} cancelled" + (f": {reason}" if reason else ""),
    )
    return order


def refresh_order_status(
    *, session: Session, order: SalesOrder, lines: list[OrderLine] | None = None
) -> None:
    """A confirmed order whose goods are shipped and every line invoiced is completed
    (rules 8, 12): a service is delivered by invoicing it."""
    if order.status != OrderStatus.CONFIRMED:
        return
    lines = lines if lines is not None else order_lines(session=session, order=order)
    services = service_ids(session, (ln.product_id for ln in lines))
    if lines and all(is_finished(ln, services) for ln in lines):
        order.status = OrderStatus.COMPLETED
        session.add(order)
        record_event(
            session=session,
            subject_kind="order",
            subject_number=order.number,
            action="completed",
            order_id=order.id,
            message=f"order {order.number} completed: "
            + completed_because(has_goods=any(ln.product_id not in services for ln in lines)),
        )


def list_orders(
    *,
    session: Session,
    status: str | None = None,
    customer: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int | None = 50,
) -> list[SalesOrder]:
    query = select(SalesOrder)
    if status:
        query = query.where(SalesOrder.status == parse_status(OrderStatus, status, what="order"))
    if customer:
        query = query.where(
            SalesOrder.customer_id == get_customer(session=session, code=customer).id
        )
    query = newest_first(
        query,
        model=SalesOrder,
        date_column=SalesOrder.order_date,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
    )
    return list(session.exec(query))


def allocate_lines(
    *,
    session: Session,
    order: SalesOrder,
    lines: list[OrderLine],
    requests: list[tuple[str, Decimal]] | None,
    done_attr: str,
    verb: str,
) -> list[tuple[OrderLine, int]]:
    """Which order lines a partial invoice or shipment takes, and how much of each.

    Without requests, every line's open quantity (ordered − done). With
    ``SKU=QTY`` requests, each SKU's quantity fills its lines in order. Asking
    for more than is open is refused with the numbers (rule 9).
    """
    past = PAST_TENSE.get(verb, f"{verb}ed")

    def open_qty(line: OrderLine) -> int:
        # Nothing short-closed is invoiced or shipped, nothing cancelled is shipped.
        return qty_to_invoice(line) if done_attr == "qty_invoiced" else qty_to_ship(line)

    if requests is None:
        taken: list[tuple[OrderLine, int]] = [
            (line, open_qty(line)) for line in lines if open_qty(line) > 0
        ]
        if not taken:
            raise RuleViolation(
                f"nothing left to {verb} on {order.number}: every line is fully {past}"
            )
        return taken
    merged: dict[int, tuple[Product, Decimal]] = {}
    for sku, qty in requests:
        product = get_product(session=session, sku=sku)
        assert product.id is not None  # a stored product
        _, before = merged.get(product.id, (product, Decimal(0)))
        merged[product.id] = (product, before + qty)
    taken = []
    for product, qty in merged.values():
        matching = [line for line in lines if line.product_id == product.id]
        if not matching:
            raise RuleViolation(
                f"cannot {verb} {product.sku} on {order.number}: the order has no line for it"
            )
        wanted = qty_to_db(qty)
        ordered = sum(line.qty for line in matching)
        done = sum(getattr(line, done_attr) for line in matching)
        left = sum(max(open_qty(line), 0) for line in matching)
        if wanted > left:
            off = ordered - done - left
            raise RuleViolation(
                f"cannot {verb} {qty} × {product.sku} on {order.number}: ordered "
                f"{qty_from_db(ordered)}, already {past} {qty_from_db(done)}, "
                + (f"off the order {qty_from_db(off)}, " if off > 0 else "")
                + f"left {qty_from_db(left)}"
            )
        for line in matching:
            portion = min(wanted, open_qty(line))
            if portion > 0:
                taken.append((line, portion))
                wanted -= portion
    taken.sort(key=lambda pair: pair[0].position)
    return taken


def check_workable(order: SalesOrder, verb: str) -> None:
    """Only a confirmed order can be invoiced or shipped (rules 6, 7)."""
    refused = refusal("work", order.status, hold_reason=order.hold_reason)
    if refused:
        raise RuleViolation(f"cannot {verb} {order.number}: {refused}")
