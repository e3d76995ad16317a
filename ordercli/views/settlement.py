"""Plain dicts of payments, refunds, credit memos, returns and billing agreements,
with SPEC's JSON keys (see ``views.py`` for the documents of the sale itself)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from ordercli.books.settings import amount_of as _money
from ordercli.books.settings import currency
from ordercli.domain.money import pct_from_db, qty_from_db
from ordercli.models import (
    Allocation,
    BillingAgreement,
    CreditMemo,
    CreditMemoLine,
    Invoice,
    InvoiceAdjustment,
    Payment,
    PaymentVoid,
    RebateSettlement,
    Refund,
    Rma,
    RmaLine,
    SalesOrder,
    Shipment,
)
from ordercli.views.reads import (
    customer_codes,
    frozen_parties,
    grouped,
    lines_by_parent,
    numbers_by_id,
)
from ordercli.views.sales import goods_line_view


def payment_views(session: Session, payments: list[Payment]) -> list[dict]:
    ids = [p.id for p in payments]
    codes = customer_codes(session, (p.customer_id for p in payments))
    allocations = grouped(
        session,
        lambda chunk: (
            select(Allocation.payment_id, Allocation)
            .where(col(Allocation.payment_id).in_(chunk))
            .order_by(col(Allocation.id))
        ),
        ids,
    )
    # Rule 20: discounts taken and differences written off with each payment.
    adjusted = grouped(
        session,
        lambda chunk: (
            select(InvoiceAdjustment.payment_id, InvoiceAdjustment)
            .where(col(InvoiceAdjustment.payment_id).in_(chunk))
            .order_by(col(InvoiceAdjustment.id))
        ),
        ids,
    )
    used = [a for rows in allocations.values() for a in rows]
    invoices = numbers_by_id(
        session,
        Invoice,
        [
            *(a.invoice_id for a in used),
            *(a.invoice_id for rows in adjusted.values() for a in rows),
        ],
    )
    refunds = numbers_by_id(session, Refund, (a.refund_id for a in used))
    voids = {
        v.payment_id: v
        for rows in grouped(
            session,
            lambda chunk: select(PaymentVoid.payment_id, PaymentVoid).where(
                col(PaymentVoid.payment_id).in_(chunk)
            ),
            ids,
        ).values()
        for v in rows
    }
    code = currency(session)
    return [
        {
            "number": p.number,
            "customer": codes[p.customer_id],
            "date": p.received_on,
            "currency": code,
            "amount": _money(session, p.amount),
            "method": p.method,
            "reference": p.reference,
            "status": "voided" if p.id in voids else "recorded",
            "voided_by": _voided_by(voids.get(p.id)),
            # What counts now; what was taken off again (unapply, reallocate, void) is
            # under ``released``.
            "allocations": [
                {"invoice": invoices[a.invoice_id], "amount": _money(session, a.amount)}
                | {"date": a.applied_on, "at_receipt": a.at_receipt}
                for a in allocations.get(p.id, [])
                if a.invoice_id is not None and a.released_on is None
            ],
            "released": [
                {
                    "invoice": invoices[a.invoice_id],
                    "amount": _money(session, a.amount),
                    "date": a.applied_on,
                    "released_on": a.released_on,
                    "released_by": a.released_by,
                }
                for a in allocations.get(p.id, [])
                if a.invoice_id is not None and a.released_on is not None
            ],
            "refunds": [
                {"refund": refunds[a.refund_id], "amount": _money(session, a.amount)}
                for a in allocations.get(p.id, [])
                if a.refund_id is not None
            ],
            "unapplied": _money(session, p.unapplied),
            **{
                key: [
                    {
                        "number": a.number,
                        "invoice": invoices[a.invoice_id],
                        "amount": _money(session, a.amount),
                        "tax": _money(session, a.tax),
                        "reason": a.reason,
                        # A void reverses what came with the payment.
                        "reversed": p.id in voids,
                    }
                    for a in adjusted.get(p.id, [])
                    if (a.kind == "early_discount") == (key == "discounts")
                ]
                for key in ("discounts", "write_offs")
            },
        }
        for p in payments
    ]


def payment_view(session: Session, payment: Payment) -> dict:
    return payment_views(session, [payment])[0]


def _voided_by(void: PaymentVoid | None) -> dict | None:
    if void is None:
        return None
    return {"number": void.number, "date": void.void_date, "reason": void.reason}


def payment_void_view(session: Session, void: PaymentVoid) -> dict:
    """A payment void: the payment it reverses and what it took off each invoice."""
    payment = session.get(Payment, void.payment_id)
    assert payment is not None  # payments are never deleted
    released = session.exec(
        select(Allocation.invoice_id, Allocation.amount)
        .where(Allocation.payment_id == void.payment_id, Allocation.released_by == void.number)
        .order_by(col(Allocation.id))
    ).all()
    reversed_ = session.exec(
        select(InvoiceAdjustment)
        .where(InvoiceAdjustment.payment_id == void.payment_id)
        .order_by(col(InvoiceAdjustment.id))
    ).all()
    invoices = numbers_by_id(
        session,
        Invoice,
        [*(invoice_id for invoice_id, _ in released), *(a.invoice_id for a in reversed_)],
    )
    per_invoice: dict[str, int] = {}
    for invoice_id, amount in released:
        if invoice_id is not None:
            key = invoices[invoice_id]
            per_invoice[key] = per_invoice.get(key, 0) + amount
    return {
        "number": void.number,
        "payment": payment.number,
        "customer": customer_codes(session, [void.customer_id])[void.customer_id],
        "date": void.void_date,
        "currency": currency(session),
        "amount": _money(session, void.amount),
        "reason": void.reason,
        "invoices": [
            {"invoice": number, "amount": _money(session, amount)}
            for number, amount in per_invoice.items()
        ],
        # The payment's credit that no invoice had taken, taken back too.
        "unapplied_taken_back": _money(session, void.amount - sum(per_invoice.values())),
        # Rule 20: the discounts and write-offs that came with the payment, reversed.
        "adjustments_reversed": [
            {
                "number": a.number,
                "kind": a.kind,
                "invoice": invoices[a.invoice_id],
                "amount": _money(session, a.amount),
            }
            for a in reversed_
        ],
    }


def refund_view(session: Session, refund: Refund) -> dict:
    memo = session.get(CreditMemo, refund.credit_memo_id) if refund.credit_memo_id else None
    return {
        "number": refund.number,
        "customer": customer_codes(session, [refund.customer_id])[refund.customer_id],
        "date": refund.refunded_on,
        "amount": _money(session, refund.amount),
        "method": refund.method,
        "reference": refund.reference,
        "credit_memo": memo.number if memo else None,
    }


# A memo line's effect (rule 14) → the kind of credit a memo of such lines is.
_KIND_OF_EFFECT = {"rebill": "rebill", "cancel": "not_delivered", "return": "returned"}


def credit_kind(effects) -> str:
    """``rebill``, ``not_delivered`` or ``returned`` when every quantity the memo credits
    did that; ``price`` when it moved no quantity (money only); ``mixed`` otherwise."""
    kinds = {_KIND_OF_EFFECT[effect] for effect in effects if effect != "none"}
    if not kinds:
        return "price"
    return kinds.pop() if len(kinds) == 1 else "mixed"


def credit_memo_views(
    session: Session, memos: list[CreditMemo], *, with_lines: bool = True
) -> list[dict]:
    ids = [m.id for m in memos]
    codes = customer_codes(session, (m.customer_id for m in memos))
    parties = frozen_parties(session, memos)
    invoices = numbers_by_id(session, Invoice, (m.invoice_id for m in memos))
    orders = numbers_by_id(session, SalesOrder, (m.order_id for m in memos))
    returns = numbers_by_id(session, Rma, (m.return_id for m in memos))
    rebates = numbers_by_id(session, RebateSettlement, (m.rebate_settlement_id for m in memos))
    refunds = grouped(
        session,
        lambda chunk: (
            select(Refund.credit_memo_id, Refund.number)
            .where(col(Refund.credit_memo_id).in_(chunk))
            .order_by(col(Refund.id))
        ),
        ids,
    )
    # Every memo's lines: its kind is what they did, even when they are not shown.
    lines_of = lines_by_parent(session, CreditMemoLine, CreditMemoLine.credit_memo_id, ids)
    code = currency(session)
    documents = []
    for m in memos:
        view: dict[str, object] = {
            "number": m.number,
            "invoice": invoices[m.invoice_id],
            "order": orders[m.order_id],
            "customer": codes[m.customer_id],
            "return": returns.get(m.return_id),
            "issue_date": m.issue_date,
            "currency": code,
            "subtotal": _money(session, m.subtotal),
            "tax": _money(session, m.tax),
            "total": _money(session, m.total),
            "settlement": m.settlement,
            "applied_to_invoice": _money(session, m.applied),
            "released": _money(session, m.released),
            "refunded": _money(session, m.released if m.settlement == "refund" else 0),
            "store_credit_left": _money(session, m.credit_left),
            "refunds": refunds.get(m.id, []),
            "restock": m.restock,
            "kind": credit_kind(ln.effect for ln in lines_of.get(m.id, [])),
            "cancels_invoice": m.cancels_invoice,
            "rebate_settlement": rebates.get(m.rebate_settlement_id),
            "reason": m.reason,
            "seller": dict(parties[m.seller_id]),
            "buyer": dict(parties[m.buyer_id]),
        }
        if with_lines:
            view["lines"] = [
                {
                    "line": ln.position,
                    "sku": ln.sku,
                    "description": ln.description,
                    "qty": qty_from_db(ln.qty),
                    "unit": ln.unit,
                    "effect": ln.effect,
                    "unit_price": _money(session, ln.unit_price),
                    "tax_rate": pct_from_db(ln.tax_rate),
                    "net": _money(session, ln.net),
                    "tax": _money(session, ln.tax),
                    "total": _money(session, ln.net + ln.tax),
                }
                for ln in lines_of.get(m.id, [])
            ]
        documents.append(view)
    return documents


def credit_memo_view(session: Session, memo: CreditMemo, *, with_lines: bool = True) -> dict:
    return credit_memo_views(session, [memo], with_lines=with_lines)[0]


def return_views(session: Session, returns: list[Rma], *, with_lines: bool = True) -> list[dict]:
    ids = [r.id for r in returns]
    codes = customer_codes(session, (r.customer_id for r in returns))
    orders = numbers_by_id(session, SalesOrder, (r.order_id for r in returns))
    memos = grouped(
        session,
        lambda chunk: (
            select(CreditMemo.return_id, CreditMemo.number)
            .where(col(CreditMemo.return_id).in_(chunk))
            .order_by(col(CreditMemo.id))
        ),
        ids,
    )
    shipments = grouped(
        session,
        lambda chunk: (
            select(Shipment.return_id, Shipment.number)
            .where(col(Shipment.return_id).in_(chunk))
            .order_by(col(Shipment.id))
        ),
        ids,
    )
    if with_lines:
        lines_of = lines_by_parent(session, RmaLine, RmaLine.rma_id, ids)
    documents = []
    for r in returns:
        view: dict[str, object] = {
            "number": r.number,
            "order": orders[r.order_id],
            "customer": codes[r.customer_id],
            "status": r.status,
            "reason": r.reason,
            "requested_on": r.requested_on,
            "restock": r.restock,
            "resolution": r.resolution,
            "credit_memos": memos.get(r.id, []),
            "replacement": (shipments.get(r.id) or [None])[0],
        }
        if with_lines:
            view["lines"] = [goods_line_view(ln) for ln in lines_of.get(r.id, [])]
        documents.append(view)
    return documents


def return_view(session: Session, rma: Rma, *, with_lines: bool = True) -> dict:
    return return_views(session, [rma], with_lines=with_lines)[0]


def agreement_views(
    session: Session, agreements: list[BillingAgreement], *, with_orders: bool = True
) -> list[dict]:
    ids = [a.id for a in agreements]
    codes = customer_codes(session, (a.customer_id for a in agreements))
    orders = grouped(
        session,
        lambda chunk: (
            select(SalesOrder.billing_agreement_id, SalesOrder.number)
            .where(col(SalesOrder.billing_agreement_id).in_(chunk))
            .order_by(col(SalesOrder.id))
        ),
        ids,
    )
    documents = []
    for a in agreements:
        view: dict[str, object] = {
            "number": a.number,
            "id": a.number,
            "customer": codes[a.customer_id],
            "method": a.method,
            "reference": a.reference,
            # The account a direct-debit mandate debits (rule 21); null for others.
            "iban": a.iban,
            "status": a.status,
            "created_at": a.created_at,
            "cancelled_at": a.cancelled_at,
        }
        view["orders"] = orders.get(a.id, []) if with_orders else len(orders.get(a.id, []))
        documents.append(view)
    return documents


def agreement_view(session: Session, agreement: BillingAgreement) -> dict:
    return agreement_views(session, [agreement])[0]


def adjustment_view(session: Session, row: InvoiceAdjustment) -> dict:
    """A discount or write-off (rule 20): what it settled, its tax part and why."""
    invoice = session.get_one(Invoice, row.invoice_id)
    payment = session.get(Payment, row.payment_id) if row.payment_id else None
    return {
        "number": row.number,
        "kind": row.kind,
        "invoice": invoice.number,
        "customer": customer_codes(session, [row.customer_id])[row.customer_id],
        "payment": payment.number if payment else None,
        "date": row.adjusted_on,
        "currency": currency(session),
        "amount": _money(session, row.amount),
        "net": _money(session, row.net),
        "tax": _money(session, row.tax),
        "reason": row.reason,
        "invoice_balance": _money(session, invoice.balance),
    }
