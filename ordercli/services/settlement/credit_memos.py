"""Credit memos: corrections of an issued invoice (SPEC rules 4, 14, 18).

A memo credits an invoice's lines by quantity (``--line SKU=QTY``), or money
without goods (``--amount``), or, given neither, everything not yet credited.
Each line is credited by rule 10 on its own, never above what is left of the
invoice line, and the credit that completes a line takes exactly what is left
(``domain.money.portion_amounts``), so a fully credited invoice nets to zero.

A credit whose money rounds to nothing still credits its quantity (a memo of
total zero), so every line can always be credited to the end, and goods of a
free line that came back are recorded like any other.

The memo's total first lowers the invoice's open balance (``applied``). What
the customer had already paid beyond that is ``released`` back to them: as a
refund (money out, a ``Refund``) or as store credit they can use later.

What each credited quantity does to the order line is its kind (rule 14;
``credit_effects.py``): billed in error and invoiced again (``rebill``, the
default), not to be delivered (``not_delivered``), or returned (``--restock``
puts the goods back into stock; a return's memo credits goods it received).
``invoice cancel`` is a memo of everything on an invoice not yet credited, billed
in error, that marks the invoice cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlmodel import Session, col, func, select

from ordercli.books.chronology import check_dated
from ordercli.books.clock import now, today
from ordercli.books.events import record_event
from ordercli.books.integrity import seal
from ordercli.books.journal import Posting, post_entry
from ordercli.books.numbering import next_number
from ordercli.books.settings import amount_of as _money
from ordercli.books.settings import minor_digits
from ordercli.db.queries import by_number, newest_first
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.domain.money import (
    from_minor,
    pct_from_db,
    portion_amounts,
    qty_from_db,
    qty_to_db,
    round_money,
    share_units,
    to_minor,
)
from ordercli.domain.text import clean_text
from ordercli.models import (
    Allocation,
    CreditMemo,
    CreditMemoLine,
    Customer,
    Invoice,
    InvoiceLine,
    OrderLine,
    Rma,
    RmaLine,
    SalesOrder,
)
from ordercli.services.inventory.catalog import get_product, service_ids
from ordercli.services.parties.customers import get_customer
from ordercli.services.parties.snapshots import freeze_parties_of
from ordercli.services.sales.deposits import (
    DEPOSIT,
    check_credit_request,
    credit_portions,
    credited_posting,
)
from ordercli.services.sales.invoicing import get_invoice, invoice_lines
from ordercli.services.sales.ordering import lock_order
from ordercli.services.settlement.credit_effects import apply_effects, effect_of, parse_kind
from ordercli.services.settlement.payments import refund_credit

SETTLEMENTS = ("refund", "store_credit")


@dataclass
class _Portion:
    line: InvoiceLine
    qty: int
    net: int
    tax: int


def _left(line: InvoiceLine) -> tuple[int, int, int]:
    return (
        line.qty - line.qty_credited,
        line.net - line.net_credited,
        line.tax - line.tax_credited,
    )


def _by_quantity(line: InvoiceLine, qty: int, digits: int, gross: bool) -> _Portion:
    qty_left, net_left, tax_left = _left(line)
    net, tax = portion_amounts(
        qty=qty_from_db(qty),
        unit_price=from_minor(line.unit_price, digits),
        discount_pct=pct_from_db(line.discount),
        tax_rate=pct_from_db(line.tax_rate),
        net_left=from_minor(net_left, digits),
        tax_left=from_minor(tax_left, digits),
        completes=qty == qty_left,
        gross=gross,
        doc_discount=from_minor(share_units(line.doc_discount, qty, line.qty), digits),
        minor_digits=digits,
    )
    return _Portion(line, qty, to_minor(net, digits), to_minor(tax, digits))


def _portions_for_lines(
    session: Session, invoice: Invoice, lines: list[InvoiceLine], requests, digits: int
) -> list[_Portion]:

    portions = []
    for sku, qty in requests:
        product = get_product(session=session, sku=sku)
        matching = [line for line in lines if line.product_id == product.id]
        if not matching:
            raise RuleViolation(f"invoice {invoice.number} has no line for {product.sku}")
        wanted = qty_to_db(qty)
        invoiced = sum(line.qty for line in matching)
        credited = sum(line.qty_credited for line in matching)
        if wanted > invoiced - credited:
            raise RuleViolation(
                f"cannot credit {qty} × {product.sku} on {invoice.number}: invoiced "
                f"{qty_from_db(invoiced)}, already credited {qty_from_db(credited)}, "
                f"left {qty_from_db(invoiced - credited)}"
            )
        for line in matching:
            take = min(wanted, line.qty - line.qty_credited)
            if take > 0:
                portions.append(_by_quantity(line, take, digits, invoice.prices_include_tax))
                wanted -= take
    return portions


def _portions_for_everything(lines: list[InvoiceLine], digits: int, gross: bool) -> list[_Portion]:
    portions = []
    for line in lines:
        qty_left, net_left, tax_left = _left(line)
        if qty_left > 0:
            portions.append(_by_quantity(line, qty_left, digits, gross))
        elif net_left or tax_left:
            portions.append(_Portion(line, 0, net_left, tax_left))
    return portions


def _portions_for_amount(
    invoice: Invoice, lines: list[InvoiceLine], amount: int, digits: int
) -> list[_Portion]:
    """Money without goods: spread over the lines in proportion to what each has
    left, the tax inside each share at the line's rate, never above the line."""
    lefts = [(line, *_left(line)[1:]) for line in lines]
    creditable = sum(net + tax for _, net, tax in lefts)
    if amount > creditable:
        raise RuleViolation(
            f"cannot credit {from_minor(amount, digits)} on {invoice.number}: only "
            f"{from_minor(creditable, digits)} is invoiced and not yet credited"
        )
    if amount == creditable:
        return [_Portion(line, 0, net, tax) for line, net, tax in lefts if net or tax]
    # Largest-remainder shares so they add up to the amount exactly.
    # [line, net left, tax left, whole share, remainder]
    shares: list[list[Any]] = []
    for line, net, tax in lefts:
        exact = Decimal(amount) * (net + tax) / creditable
        shares.append([line, net, tax, int(exact), exact - int(exact)])
    short = amount - sum(share[3] for share in shares)
    for share in sorted(shares, key=lambda s: s[4], reverse=True)[:short]:
        share[3] += 1
    portions = []
    for line, net_left, tax_left, gross, _ in shares:
        if gross <= 0:
            continue
        rate = pct_from_db(line.tax_rate)
        tax = int(round_money(Decimal(gross) * rate / (100 + rate), 0))
        tax = min(tax, tax_left)
        net = gross - tax
        if net > net_left:
            net, tax = net_left, gross - net_left
        portions.append(_Portion(line, 0, net, tax))
    return portions


def create_credit_memo(
    *,
    session: Session,
    invoice_number: str,
    lines: list[tuple[str, Decimal]] | None = None,
    amount: Decimal | None = None,
    settlement: str | None = None,
    restock: bool = False,
    reason: str | None = None,
    issue_date: date | None = None,
    method: str | None = None,
    order_line_qtys: dict[int, int] | None = None,
    return_id: int | None = None,
    kind: str | None = None,
    cancels_invoice: bool = False,
    rebate_settlement_id: int | None = None,
) -> CreditMemo:
    """Issue a credit memo on an invoice; see the module notes for what it does.

    ``kind`` (``rebill``, ``not_delivered``, ``returned``) says what the credited
    quantities do; ``restock`` and a return's ``return_id`` mean ``returned``.
    ``rebate_settlement_id`` marks a volume rebate's price-only credit
    (``rebates.py``): its net goes to the rebates account, not refunds (rule 20)."""
    digits = minor_digits(session)
    reason = clean_text(reason, what="reason", required=cancels_invoice, max_length=500)
    if settlement is not None and settlement not in SETTLEMENTS:
        raise InvalidInput(f"settlement {settlement!r} must be refund or store_credit")
    if lines is not None and amount is not None:
        raise InvalidInput("credit either --line quantities or an --amount, not both")
    if amount is not None and restock:
        raise InvalidInput("--restock needs --line quantities: an --amount credits no goods")
    kind = parse_kind(kind)
    if amount is not None and kind is not None:
        raise InvalidInput("--kind says what credited quantities do: an --amount credits no goods")
    if restock and kind not in (None, "returned"):
        raise InvalidInput(
            f"--restock means the goods came back: it goes with --kind returned, not {kind}"
        )
    asked_kind = None if cancels_invoice else kind
    kind = "returned" if restock or return_id is not None else (kind or "rebill")
    # Order first, then invoice: the order invoicing and shipping lock, so
    # order-line counters never lose an update on PostgreSQL.
    order_id = get_invoice(session=session, number=invoice_number).order_id
    lock_order(session, order_id)
    invoice = get_invoice(session=session, number=invoice_number, for_update=True)
    check_credit_request(
        invoice,
        lines=lines,
        kind=asked_kind,
        restock=restock,
        rebate=rebate_settlement_id is not None,
    )
    if cancels_invoice:
        _check_not_credited(session, invoice)
    issued = issue_date or today()
    _check_memo_date(session, invoice, issued)
    all_lines = invoice_lines(session=session, invoice=invoice)
    if invoice.kind == DEPOSIT:
        # Money alone, never more than was not deducted (services/sales/deposits.py).
        portions = [
            _Portion(*portion)
            for portion in credit_portions(
                session, invoice, all_lines, amount, cancels=cancels_invoice
            )
        ]
    elif amount is not None:
        if amount <= 0:
            raise InvalidInput(f"credit amount {amount} must be greater than zero")
        portions = _portions_for_amount(invoice, all_lines, to_minor(amount, digits), digits)
    elif order_line_qtys is not None:
        portions = _portions_for_order_lines(invoice, all_lines, order_line_qtys, digits)
    elif lines is not None:
        portions = _portions_for_lines(session, invoice, all_lines, lines, digits)
        _check_not_awaiting_return(session, invoice, portions)
    else:
        portions = _portions_for_everything(all_lines, digits, invoice.prices_include_tax)
        _check_not_awaiting_return(session, invoice, portions)
    if not portions:
        raise RuleViolation(f"nothing left to credit on {invoice.number}: it is fully credited")
    subtotal = sum(p.net for p in portions)
    tax_total = sum(p.tax for p in portions)
    total = subtotal + tax_total
    if total == 0 and not any(p.qty for p in portions):
        raise RuleViolation(f"nothing left to credit on {invoice.number}: it is fully credited")
    if total > invoice.total - invoice.credited:
        raise RuleViolation(
            f"cannot credit {from_minor(total, digits)} on {invoice.number}: only "
            f"{from_minor(invoice.total - invoice.credited, digits)} is not yet credited"
        )
    customer = session.get_one(Customer, invoice.customer_id)
    applied, from_paid, from_prepaid = _settlement_split(session, invoice, total)
    released = from_paid + from_prepaid
    settlement = settlement or "store_credit"
    moment = now()
    assert invoice.id is not None  # a stored invoice
    number = next_number(session=session, kind="credit_memo")
    check_dated(session, what="credit memo", on=issued, series="credit_memo")  # rule 4a
    # After the number: writers of one series take their turns before freezing parties.
    seller_id, buyer_id = freeze_parties_of(session, invoice.customer_id)
    memo = CreditMemo(
        number=number,
        invoice_id=invoice.id,
        order_id=invoice.order_id,
        customer_id=invoice.customer_id,
        seller_id=seller_id,
        buyer_id=buyer_id,
        return_id=return_id,
        issue_date=issued,
        subtotal=subtotal,
        tax=tax_total,
        total=total,
        settlement=settlement,
        applied=applied,
        released=released,
        credit_left=released,
        restock=restock,
        reason=reason,
        cancels_invoice=cancels_invoice,
        rebate_settlement_id=rebate_settlement_id,
        created_at=moment,
    )
    services = service_ids(
        session, (p.line.product_id for p in portions if p.line.product_id is not None)
    )
    items = [
        # credit_memo_id is set by _write_lines, once the memo is flushed and has its id.
        CreditMemoLine(  # type: ignore[call-arg]
            invoice_line_id=cast(int, p.line.id),  # a stored line: its id is set
            order_line_id=p.line.order_line_id,
            position=position,
            sku=p.line.sku,
            description=p.line.description,
            unit=p.line.unit,
            qty=p.qty,
            # A line of no order line (a deposit's) moves nothing on the order.
            effect="none"
            if p.line.order_line_id is None
            else effect_of(kind, qty=p.qty, service=p.line.product_id in services),
            unit_price=p.line.unit_price,
            tax_rate=p.line.tax_rate,
            net=p.net,
            tax=p.tax,
        )
        for position, p in enumerate(portions, start=1)
    ]
    seal(
        session,
        memo,
        refs={
            "invoice": invoice.number,
            "order": session.get_one(SalesOrder, invoice.order_id).number,
            "customer": customer.code,
            "return": session.get_one(Rma, return_id).number if return_id is not None else None,
        },
        lines=items,
    )
    session.add(memo)
    session.flush()
    invoice.credited += total
    invoice.paid -= from_paid
    invoice.prepaid -= from_prepaid
    session.add(invoice)
    _write_lines(session, memo, portions, items)
    apply_effects(
        session,
        memo_number=memo.number,
        invoice_number=invoice.number,
        items=items,
        restock=restock,
        from_return=return_id is not None,
        moment=moment,
    )
    post_entry(
        session=session,
        entry_date=issued,
        source_kind="credit_memo",
        source_number=memo.number,
        memo=f"credit memo {memo.number} on {invoice.number} for {customer.code}",
        postings=[
            # A deposit's net was an advance, never revenue (rule 20).
            credited_posting(
                invoice, subtotal, "refunds" if rebate_settlement_id is None else "rebates"
            ),
            Posting("sales_tax", debit=tax_total),
            Posting("receivable", credit=applied, customer_id=customer.id, invoice_id=invoice.id),
            Posting("customer_credit", credit=released, customer_id=customer.id),
        ],
    )
    record_event(
        session=session,
        subject_kind="credit_memo",
        subject_number=memo.number,
        action="issued",
        order_id=invoice.order_id,
        message=f"credit memo {memo.number} on {invoice.number}: {from_minor(total, digits)}"
        + (f" ({reason})" if reason else "")
        + (", goods restocked" if restock else ""),
    )
    if cancels_invoice:
        record_event(
            session=session,
            subject_kind="invoice",
            subject_number=invoice.number,
            action="cancelled",
            order_id=invoice.order_id,
            message=f"invoice {invoice.number} cancelled by credit memo {memo.number}: {reason}; "
            "its quantities are open to invoice again",
        )
    if released and settlement == "refund":
        refund_credit(
            session=session,
            customer=customer,
            amount=released,
            method=method,
            refunded_on=issued,
            sources=[memo],
            credit_memo=memo,
        )
    return memo


def _settlement_split(session: Session, invoice: Invoice, total: int) -> tuple[int, int, int]:
    """How a memo of ``total`` settles (rules 14, 20): ``applied`` off the open balance
    first; the rest is released back to the customer out of what was paid, then out of
    the deposits deducted on it (``prepaid``: the customer's down payment comes back as
    their credit). A part discounted or written off was never paid: refused.
    Returns (applied, released from paid, released from prepaid)."""
    applied = min(total, invoice.balance)
    from_paid = min(total - applied, invoice.paid)
    from_prepaid = min(total - applied - from_paid, invoice.prepaid)
    rest = total - applied - from_paid - from_prepaid
    if rest:
        raise RuleViolation(
            f"cannot credit {_money(session, total)} on {invoice.number}: "
            f"{_money(session, applied)} is open, {_money(session, invoice.paid)} paid and "
            f"{_money(session, invoice.prepaid)} covered by down payments can be given back, "
            f"but {_money(session, rest)} more was settled by "
            f"{_money(session, invoice.discounted)} discounted and "
            f"{_money(session, invoice.written_off)} written off, which were never paid",
            hint=f"credit at most {_money(session, applied + from_paid + from_prepaid)}",
        )
    return applied, from_paid, from_prepaid


def _check_memo_date(session: Session, invoice: Invoice, issued: date) -> None:
    """A memo splits into what it takes off the balance and what it gives back by
    the invoice as it stands now, so it cannot be dated before anything that
    already settled the invoice (nor before the invoice, nor in the future)."""

    check_dated(
        session,
        what="credit memo",
        on=issued,
        sources=[(f"invoice {invoice.number}", invoice.issue_date)],
    )
    latest = session.exec(
        # Money taken off the invoice again (payment unapply, void) changed it that day.
        select(func.max(func.coalesce(Allocation.released_on, Allocation.applied_on))).where(
            Allocation.invoice_id == invoice.id
        )
    ).one()
    memo_latest = session.exec(
        select(func.max(CreditMemo.issue_date)).where(CreditMemo.invoice_id == invoice.id)
    ).one()
    settled = max((d for d in (latest, memo_latest) if d is not None), default=None)
    if settled is not None and issued < settled:
        raise RuleViolation(
            f"a credit memo dated {issued} cannot come before {invoice.number}'s "
            f"last payment or credit on {settled}"
        )


def _check_not_awaiting_return(session: Session, invoice: Invoice, portions) -> None:
    """Goods on a received return are credited by resolving that return; crediting
    them by hand first would leave the return unresolvable."""

    order_line_ids = {p.line.order_line_id for p in portions if p.qty}
    if not order_line_ids:
        return
    awaiting = dict(
        session.exec(
            select(RmaLine.order_line_id, func.sum(RmaLine.qty))
            .join(Rma, col(Rma.id) == RmaLine.rma_id)
            .where(Rma.status == "received", col(RmaLine.order_line_id).in_(order_line_ids))
            .group_by(col(RmaLine.order_line_id))
        ).all()
    )
    if not awaiting:
        return
    lines = {
        line.id: line
        for line in session.exec(select(OrderLine).where(col(OrderLine.id).in_(list(awaiting))))
    }
    asked: dict[int, int] = {}
    for p in portions:
        asked[p.line.order_line_id] = asked.get(p.line.order_line_id, 0) + p.qty
    for order_line_id, waiting in awaiting.items():
        line = lines[order_line_id]
        # Invoiced once (standing or reopened by a rebill credit), less credited.
        free = line.qty_invoiced + line.qty_reopened - line.qty_credited - waiting
        if asked.get(order_line_id, 0) > free:
            rma = session.exec(
                select(Rma.number)
                .join(RmaLine, col(RmaLine.rma_id) == Rma.id)
                .where(Rma.status == "received", RmaLine.order_line_id == order_line_id)
            ).first()
            raise RuleViolation(
                f"{qty_from_db(waiting)} of that on {invoice.number} came back on return "
                f"{rma}, which is received and not yet resolved",
                hint=f"`ordercli return resolve {rma} --credit-memo` credits it",
            )


def _portions_for_order_lines(
    invoice: Invoice, lines: list[InvoiceLine], wanted: dict[int, int], digits: int
) -> list[_Portion]:
    """Quantities of order lines (a return being credited), on this invoice's lines."""
    portions = []
    for line in lines:
        if line.order_line_id is None:
            continue  # a deposit or charge line: no order line, never returned
        want = wanted.get(line.order_line_id, 0)
        take = min(want, line.qty - line.qty_credited)
        if take > 0:
            portions.append(_by_quantity(line, take, digits, invoice.prices_include_tax))
            wanted[line.order_line_id] = want - take
    return portions


def _write_lines(
    session: Session, memo: CreditMemo, portions: list[_Portion], items: list[CreditMemoLine]
) -> None:
    """The memo's lines, and what they credit on the invoice's lines."""
    assert memo.id is not None  # flushed by create_credit_memo
    for p, item in zip(portions, items, strict=True):
        item.credit_memo_id = memo.id
        session.add(item)
        p.line.qty_credited += p.qty
        p.line.net_credited += p.net
        p.line.tax_credited += p.tax
        session.add(p.line)


def _check_not_credited(session: Session, invoice: Invoice) -> None:
    """``invoice cancel`` takes back a whole invoice, so only one nothing was credited on."""
    memos = session.exec(
        select(CreditMemo.number)
        .where(CreditMemo.invoice_id == invoice.id)
        .order_by(col(CreditMemo.id))
    ).all()
    if memos:
        left = invoice.credited < invoice.total
        raise RuleViolation(
            f"cannot cancel {invoice.number}: it is already "
            + ("" if left else "fully ")
            + f"credited by {', '.join(memos)}",
            hint=f"`ordercli credit-memo create {invoice.number}` credits what is left"
            if left
            else None,
        )


def cancel_invoice(
    *,
    session: Session,
    invoice_number: str,
    reason: str,
    issue_date: date | None = None,
    settlement: str | None = None,
    method: str | None = None,
) -> CreditMemo:
    """``invoice cancel``: a credit memo of the whole invoice, every quantity billed in
    error (``rebill``), so the order can be invoiced again for the same quantities and
    amounts (rules 4, 14). What was paid is released as store credit or refunded.
    Refused once anything on the invoice is credited."""
    return create_credit_memo(
        session=session,
        invoice_number=invoice_number,
        settlement=settlement,
        reason=reason,
        issue_date=issue_date,
        method=method,
        kind="rebill",
        cancels_invoice=True,
    )


def get_credit_memo(*, session: Session, number: str) -> CreditMemo:
    number = (number or "").strip()
    if not number:
        raise InvalidInput("credit memo number is empty")
    memo = by_number(session, select(CreditMemo), CreditMemo.number, number)
    if memo is None:
        raise NotFound(
            f"no credit memo {number!r}", hint="`ordercli credit-memo list` shows the credit memos"
        )
    return memo


def list_credit_memos(
    *,
    session: Session,
    customer: str | None = None,
    invoice: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int | None = 50,
) -> list[CreditMemo]:
    query = select(CreditMemo)
    if customer:
        query = query.where(
            CreditMemo.customer_id == get_customer(session=session, code=customer).id
        )
    if invoice:
        query = query.where(
            CreditMemo.invoice_id == get_invoice(session=session, number=invoice).id
        )
    query = newest_first(
        query,
        model=CreditMemo,
        date_column=CreditMemo.issue_date,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
    )
    return list(session.exec(query))
