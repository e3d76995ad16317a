"""``ordercli check``: verify the ledger's invariants from its own records.

Each check is one set-based query that returns the rows breaking a rule, so
a clean ledger returns nothing and a broken one names every offending
document. The counters the services keep (quantities invoiced, shipped,
credited, returned; amounts paid and credited; unapplied credit; stock on
hand) are recomputed from the documents that make them up, and the journal
is tied to the documents invoice by invoice and customer by customer. Every
issued document's hash chain is recomputed (rule 4: none was edited or
deleted behind ordercli's back).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from ordercli.books.integrity import chain_problems
from ordercli.books.journal_seal import journal_problems
from ordercli.books.settings import minor_digits
from ordercli.domain.money import from_minor, pct_text, qty_text


@dataclass(frozen=True)
class Check:
    rule: str
    title: str
    sql: str
    describe: Callable[..., str]


CHECKS = [
    Check(
        "5",
        "a quote with a newer revision is revised, and only then",
        "SELECT q.number, q.status, q.revision, r.number, r.revision FROM quote q "
        "LEFT JOIN quote r ON r.revision_of_id = q.id "
        "WHERE (r.id IS NULL AND q.status = 'revised') "
        "OR (r.id IS NOT NULL AND (q.status <> 'revised' OR r.revision <> q.revision + 1))",
        lambda m, number, status, revision, newer, newer_revision: (
            f"quote {number} is revised but has no newer revision"
            if newer is None
            else f"quote {number} (revision {revision}) is {status}, "
            f"{newer} (revision {newer_revision}) replaces it"
        ),
    ),
    Check(
        "9",
        "order lines within their quantities",
        "SELECT o.number, l.position, l.qty, l.qty_invoiced, l.qty_shipped FROM order_line l "
        "JOIN sales_order o ON o.id = l.order_id "
        "WHERE l.qty_invoiced > l.qty OR l.qty_shipped > l.qty "
        "OR l.qty_invoiced < 0 OR l.qty_shipped < 0",
        lambda m, number, pos, qty, inv, ship: (
            f"{number} line {pos}: ordered {qty_text(qty)}, invoiced {qty_text(inv)}, "
            f"shipped {qty_text(ship)}"
        ),
    ),
    Check(
        "9",
        "invoiced quantities and amounts match the invoices",
        # What stands invoiced: the invoices, less what credits of quantities billed in
        # error (effect rebill, rule 14) took off again to be invoiced anew.
        "SELECT o.number, l.position, l.qty_invoiced, COALESCE(i.q, 0) - COALESCE(r.q, 0), "
        "l.net_invoiced + l.tax_invoiced, "
        "COALESCE(i.n, 0) + COALESCE(i.t, 0) - COALESCE(r.n, 0) - COALESCE(r.t, 0) "
        "FROM order_line l JOIN sales_order o ON o.id = l.order_id "
        "LEFT JOIN (SELECT order_line_id, SUM(qty) AS q, SUM(net) AS n, SUM(tax) AS t "
        "FROM invoice_line GROUP BY order_line_id) i ON i.order_line_id = l.id "
        "LEFT JOIN (SELECT order_line_id, SUM(qty) AS q, SUM(net) AS n, SUM(tax) AS t "
        "FROM credit_memo_line WHERE effect = 'rebill' GROUP BY order_line_id) r "
        "ON r.order_line_id = l.id "
        "WHERE l.qty_invoiced <> COALESCE(i.q, 0) - COALESCE(r.q, 0) "
        "OR l.net_invoiced <> COALESCE(i.n, 0) - COALESCE(r.n, 0) "
        "OR l.tax_invoiced <> COALESCE(i.t, 0) - COALESCE(r.t, 0)",
        lambda m, number, pos, kept, found, amount, found_amount: (
            f"{number} line {pos}: says invoiced {qty_text(kept)} for {m(amount)}, "
            f"its invoices hold {qty_text(found)} for {m(found_amount)}"
        ),
    ),
    Check(
        "9",
        "an order line's invoices add up to it when fully invoiced",
        "SELECT o.number, l.position, l.net + l.tax, l.net_invoiced + l.tax_invoiced "
        "FROM order_line l JOIN sales_order o ON o.id = l.order_id "
        "WHERE l.qty_invoiced = l.qty AND (l.net_invoiced <> l.net OR l.tax_invoiced <> l.tax)",
        lambda m, number, pos, amount, invoiced: (
            f"{number} line {pos}: fully invoiced for {m(invoiced)}, the line is {m(amount)}"
        ),
    ),
    Check(
        "9",
        "shipped quantities match the shipments",
        "SELECT o.number, l.position, l.qty_shipped, COALESCE(s.shipped, 0), l.qty_replaced, "
        "COALESCE(s.replaced, 0) FROM order_line l JOIN sales_order o ON o.id = l.order_id "
        # A reversed shipment (recorded in error, rule 12) no longer counts as shipped.
        "LEFT JOIN (SELECT sl.order_line_id, "
        "SUM(CASE WHEN sh.return_id IS NULL THEN sl.qty ELSE 0 END) AS shipped, "
        "SUM(CASE WHEN sh.return_id IS NULL THEN 0 ELSE sl.qty END) AS replaced "
        "FROM shipment_line sl JOIN shipment sh ON sh.id = sl.shipment_id "
        "WHERE sh.status <> 'reversed' "
        "GROUP BY sl.order_line_id) s ON s.order_line_id = l.id "
        "WHERE l.qty_shipped <> COALESCE(s.shipped, 0) "
        "OR l.qty_replaced <> COALESCE(s.replaced, 0)",
        lambda m, number, pos, kept, found, kept_r, found_r: (
            f"{number} line {pos}: says shipped {qty_text(kept)} (replaced {qty_text(kept_r)}), "
            f"its shipments hold {qty_text(found)} (replacements {qty_text(found_r)})"
        ),
    ),
    Check(
        "8",
        "a completed order has every line invoiced and its goods shipped",
        # A service is never shipped (rule 12): invoicing it is what delivers it. Nothing
        # short-closed is invoiced or shipped, nothing credited as not to be delivered
        # shipped (domain.states.line_finished).
        "SELECT o.number, l.position, l.qty, l.qty_invoiced, l.qty_shipped, p.service "
        "FROM sales_order o JOIN order_line l ON l.order_id = o.id "
        "JOIN product p ON p.id = l.product_id WHERE o.status = 'completed' "
        "AND (l.qty_invoiced < l.qty - l.qty_closed OR (p.service = :no "
        "AND l.qty_shipped < l.qty - l.qty_cancelled - l.qty_closed))",
        lambda m, number, pos, qty, inv, ship, service: (
            f"{number} is completed, line {pos}: ordered {qty_text(qty)}, invoiced "
            f"{qty_text(inv)}" + ("" if service else f", shipped {qty_text(ship)}")
        ),
    ),
    Check(
        "10",
        "invoice totals are the sums of their lines",
        "SELECT v.number, v.subtotal, v.tax, v.total, COALESCE(l.n, 0), COALESCE(l.t, 0) "
        "FROM invoice v LEFT JOIN (SELECT invoice_id, SUM(net) AS n, SUM(tax) AS t "
        "FROM invoice_line GROUP BY invoice_id) l ON l.invoice_id = v.id "
        "WHERE v.subtotal <> COALESCE(l.n, 0) OR v.tax <> COALESCE(l.t, 0) "
        "OR v.total <> v.subtotal + v.tax",
        lambda m, number, sub, tax, total, n, t: (
            f"{number}: subtotal {m(sub)} + tax {m(tax)} = total {m(total)}, "
            f"its lines sum to {m(n)} + {m(t)}"
        ),
    ),
    Check(
        "10",
        "order totals are the sums of their lines",
        "SELECT o.number, o.subtotal, o.tax, COALESCE(l.n, 0), COALESCE(l.t, 0) "
        "FROM sales_order o LEFT JOIN (SELECT order_id, SUM(net) AS n, SUM(tax) AS t "
        "FROM order_line GROUP BY order_id) l ON l.order_id = o.id "
        "WHERE o.subtotal <> COALESCE(l.n, 0) OR o.tax <> COALESCE(l.t, 0) "
        "OR o.total <> o.subtotal + o.tax",
        lambda m, number, sub, tax, n, t: (
            f"{number}: totals {m(sub)} + {m(tax)}, its lines sum to {m(n)} + {m(t)}"
        ),
    ),
    Check(
        "11",
        "invoice balances are not negative",
        "SELECT number, total, paid, credited FROM invoice "
        "WHERE paid < 0 OR credited < 0 OR paid + credited > total",
        lambda m, number, total, paid, credited: (
            f"{number}: total {m(total)}, paid {m(paid)}, credited {m(credited)}"
        ),
    ),
    Check(
        "13",
        "amounts paid match the allocations",
        "SELECT v.number, v.paid, COALESCE(a.amount, 0) - COALESCE(c.released, 0) "
        "+ COALESCE(d.amount, 0) - v.prepaid FROM invoice v "
        # What counts now: an allocation taken off again (released_on) no longer pays.
        "LEFT JOIN (SELECT invoice_id, SUM(amount) AS amount FROM allocation "
        "WHERE invoice_id IS NOT NULL AND released_on IS NULL "
        "GROUP BY invoice_id) a ON a.invoice_id = v.id "
        "LEFT JOIN (SELECT invoice_id, SUM(released) AS released FROM credit_memo "
        "GROUP BY invoice_id) c ON c.invoice_id = v.id "
        # A credit memo releases what was paid first, then the deposits deducted on the
        # invoice (what of them is no longer prepaid): rule 20.
        "LEFT JOIN (SELECT invoice_id, SUM(amount) AS amount FROM invoice_adjustment "
        "WHERE kind = 'deposit' GROUP BY invoice_id) d ON d.invoice_id = v.id "
        "WHERE v.paid <> COALESCE(a.amount, 0) - COALESCE(c.released, 0) "
        "+ COALESCE(d.amount, 0) - v.prepaid",
        lambda m, number, paid, found: (
            f"{number}: says paid {m(paid)}, its allocations less credits released give {m(found)}"
        ),
    ),
    Check(
        "13",
        "unapplied payment amounts match their allocations",
        # A voided payment's whole amount left the books again (payment_void).
        "SELECT p.number, p.amount, p.unapplied, COALESCE(a.used, 0) + COALESCE(x.amount, 0) "
        "FROM payment p "
        "LEFT JOIN (SELECT payment_id, SUM(amount) AS used FROM allocation "
        "WHERE payment_id IS NOT NULL AND released_on IS NULL "
        "GROUP BY payment_id) a ON a.payment_id = p.id "
        "LEFT JOIN payment_void x ON x.payment_id = p.id "
        "WHERE p.amount <= 0 OR p.unapplied < 0 "
        "OR p.unapplied <> p.amount - COALESCE(a.used, 0) - COALESCE(x.amount, 0)",
        lambda m, number, amount, unapplied, used: (
            f"{number}: amount {m(amount)}, allocated {m(used)}, says unapplied {m(unapplied)}"
        ),
    ),
    Check(
        "14",
        "store credit left on credit memos matches its uses",
        "SELECT c.number, c.released, c.credit_left, COALESCE(a.used, 0) FROM credit_memo c "
        "LEFT JOIN (SELECT credit_memo_id, SUM(amount) AS used FROM allocation "
        "WHERE credit_memo_id IS NOT NULL AND released_on IS NULL "
        "GROUP BY credit_memo_id) a ON a.credit_memo_id = c.id "
        "WHERE c.credit_left < 0 OR c.credit_left <> c.released - COALESCE(a.used, 0)",
        lambda m, number, released, left, used: (
            f"{number}: released {m(released)}, used {m(used)}, says left {m(left)}"
        ),
    ),
    Check(
        "13",
        "refunds match the credit they drew on",
        "SELECT r.number, r.amount, COALESCE(a.drawn, 0) FROM refund r "
        "LEFT JOIN (SELECT refund_id, SUM(amount) AS drawn FROM allocation "
        "WHERE refund_id IS NOT NULL GROUP BY refund_id) a ON a.refund_id = r.id "
        "WHERE r.amount <= 0 OR r.amount <> COALESCE(a.drawn, 0)",
        lambda m, number, amount, drawn: f"{number}: amount {m(amount)}, drawn {m(drawn)}",
    ),
    Check(
        "13",
        "a voided payment pays nothing and leaves no credit",
        "SELECT p.number, x.number, p.amount, x.amount, p.unapplied, COALESCE(a.used, 0) "
        "FROM payment_void x JOIN payment p ON p.id = x.payment_id "
        "LEFT JOIN (SELECT payment_id, SUM(amount) AS used FROM allocation "
        "WHERE released_on IS NULL GROUP BY payment_id) a ON a.payment_id = p.id "
        "WHERE x.amount <> p.amount OR x.customer_id <> p.customer_id OR p.unapplied <> 0 "
        "OR COALESCE(a.used, 0) <> 0",
        lambda m, number, void, amount, voided, unapplied, used: (
            f"{number} (amount {m(amount)}) is voided by {void} for {m(voided)} but still "
            f"has {m(used)} allocated and {m(unapplied)} unapplied"
        ),
    ),
    Check(
        "13",
        "a released allocation says when and by what, never before it was applied",
        "SELECT COALESCE(p.number, c.number), v.number, a.amount, a.applied_on, a.released_on, "
        "a.released_by FROM allocation a "
        "LEFT JOIN payment p ON p.id = a.payment_id "
        "LEFT JOIN credit_memo c ON c.id = a.credit_memo_id "
        "LEFT JOIN invoice v ON v.id = a.invoice_id "
        "WHERE (a.released_on IS NULL) <> (a.released_by IS NULL) "
        "OR a.released_on < a.applied_on OR (a.released_on IS NOT NULL AND a.invoice_id IS NULL)",
        lambda m, source, invoice, amount, applied, released, by: (
            f"{m(amount)} of {source} to {invoice or 'a refund'}, applied {applied}: "
            f"released on {released} by {by}"
        ),
    ),
    Check(
        "14",
        "credits stay within what was invoiced, per line",
        "SELECT v.number, il.position, il.sku, il.qty, il.qty_credited, COALESCE(c.q, 0), "
        "il.net + il.tax, il.net_credited + il.tax_credited, COALESCE(c.n, 0) + COALESCE(c.t, 0) "
        "FROM invoice_line il JOIN invoice v ON v.id = il.invoice_id "
        "LEFT JOIN (SELECT invoice_line_id, SUM(qty) AS q, SUM(net) AS n, SUM(tax) AS t "
        "FROM credit_memo_line GROUP BY invoice_line_id) c ON c.invoice_line_id = il.id "
        "WHERE il.qty_credited <> COALESCE(c.q, 0) OR il.net_credited <> COALESCE(c.n, 0) "
        "OR il.tax_credited <> COALESCE(c.t, 0) OR il.qty_credited > il.qty "
        "OR il.net_credited > il.net OR il.tax_credited > il.tax",
        lambda m, number, pos, sku, qty, kept, found, amount, credited, found_amount: (
            f"{number} line {pos} ({sku}): invoiced {qty_text(qty)} for {m(amount)}, says credited "
            f"{qty_text(kept)} for {m(credited)}, its credit memos hold {qty_text(found)} "
            f"for {m(found_amount)}"
        ),
    ),
    Check(
        "14",
        "amounts credited match the credit memos",
        "SELECT v.number, v.credited, COALESCE(c.total, 0) FROM invoice v "
        "LEFT JOIN (SELECT invoice_id, SUM(total) AS total FROM credit_memo GROUP BY invoice_id) c "
        "ON c.invoice_id = v.id WHERE v.credited <> COALESCE(c.total, 0)",
        lambda m, number, kept, found: (
            f"{number}: says credited {m(kept)}, its credit memos total {m(found)}"
        ),
    ),
    Check(
        "14",
        "credit memo totals are the sums of their lines",
        "SELECT c.number, c.subtotal, c.tax, COALESCE(l.n, 0), COALESCE(l.t, 0) FROM credit_memo c "
        "LEFT JOIN (SELECT credit_memo_id, SUM(net) AS n, SUM(tax) AS t FROM credit_memo_line "
        "GROUP BY credit_memo_id) l ON l.credit_memo_id = c.id "
        "WHERE c.subtotal <> COALESCE(l.n, 0) OR c.tax <> COALESCE(l.t, 0) "
        "OR c.total <> c.subtotal + c.tax OR c.applied + c.released <> c.total",
        lambda m, number, sub, tax, n, t: (
            f"{number}: {m(sub)} + {m(tax)}, its lines sum to {m(n)} + {m(t)}"
        ),
    ),
    Check(
        "14",
        "order lines' credited quantities match the credit memos",
        "SELECT o.number, l.position, l.qty_credited, COALESCE(c.q, 0) FROM order_line l "
        "JOIN sales_order o ON o.id = l.order_id "
        "LEFT JOIN (SELECT order_line_id, SUM(qty) AS q FROM credit_memo_line "
        "GROUP BY order_line_id) c ON c.order_line_id = l.id "
        "WHERE l.qty_credited <> COALESCE(c.q, 0) "
        "OR l.qty_credited > l.qty_invoiced + l.qty_reopened",
        lambda m, number, pos, kept, found: (
            f"{number} line {pos}: says credited {qty_text(kept)}, "
            f"its credit memos hold {qty_text(found)}"
        ),
    ),
    Check(
        "14",
        "each credited quantity did what its credit memo line says",
        # Billed in error: reopened for invoicing; not to be delivered: cancelled, and
        # then never shipped (shipped + cancelled + short-closed within the line).
        "SELECT o.number, l.position, l.qty_reopened, COALESCE(c.rebill, 0), l.qty_cancelled, "
        "COALESCE(c.cancel, 0), l.qty, l.qty_shipped, l.qty_closed "
        "FROM order_line l JOIN sales_order o ON o.id = l.order_id "
        "LEFT JOIN (SELECT order_line_id, "
        "SUM(CASE WHEN effect = 'rebill' THEN qty ELSE 0 END) AS rebill, "
        "SUM(CASE WHEN effect = 'cancel' THEN qty ELSE 0 END) AS cancel "
        "FROM credit_memo_line GROUP BY order_line_id) c ON c.order_line_id = l.id "
        "WHERE l.qty_reopened <> COALESCE(c.rebill, 0) OR l.qty_cancelled <> COALESCE(c.cancel, 0) "
        "OR l.qty_shipped + l.qty_cancelled + l.qty_closed > l.qty",
        lambda m, number, pos, reopened, rebill, cancelled, cancel, qty, shipped, closed: (
            f"{number} line {pos}: says reopened {qty_text(reopened)} and cancelled "
            f"{qty_text(cancelled)}, its credit memos hold {qty_text(rebill)} billed in error "
            f"and {qty_text(cancel)} not to be delivered; ordered {qty_text(qty)}, shipped "
            f"{qty_text(shipped)}, closed {qty_text(closed)}"
        ),
    ),
    Check(
        "15",
        "returned quantities match returns received and goods credited as returned",
        "SELECT o.number, l.position, l.qty_returned, COALESCE(r.q, 0) + COALESCE(c.q, 0), "
        "l.qty_shipped + l.qty_replaced FROM order_line l "
        "JOIN sales_order o ON o.id = l.order_id "
        "JOIN product p ON p.id = l.product_id "
        "LEFT JOIN (SELECT rl.order_line_id, SUM(rl.qty) AS q FROM rma_line rl "
        "JOIN rma ON rma.id = rl.rma_id WHERE rma.status IN ('received', 'resolved') "
        "GROUP BY rl.order_line_id) r ON r.order_line_id = l.id "
        # Goods credited as returned without a return (--restock, --kind returned); a
        # return's own memo counts nothing again, receiving it did.
        "LEFT JOIN (SELECT cl.order_line_id, SUM(cl.qty) AS q FROM credit_memo_line cl "
        "JOIN credit_memo cm ON cm.id = cl.credit_memo_id "
        "WHERE cl.effect = 'return' AND cm.return_id IS NULL "
        "GROUP BY cl.order_line_id) c ON c.order_line_id = l.id AND p.service = :no "
        "WHERE l.qty_returned <> COALESCE(r.q, 0) + COALESCE(c.q, 0) "
        "OR l.qty_returned > l.qty_shipped + l.qty_replaced",
        lambda m, number, pos, kept, found, shipped: (
            f"{number} line {pos}: says returned {qty_text(kept)}, returns and restocks hold "
            f"{qty_text(found)}, shipped {qty_text(shipped)}"
        ),
    ),
    Check(
        "8",
        "short-closed quantities are on closed orders and neither invoiced nor shipped",
        "SELECT o.number, l.position, l.qty, l.qty_closed, l.qty_invoiced, l.qty_shipped, "
        "o.close_reason FROM order_line l JOIN sales_order o ON o.id = l.order_id "
        # A short-closed order can still be cancelled once nothing on it stands invoiced
        # or shipped (its shipments reversed, its invoices cancelled): the closed rest
        # stays on record.
        "WHERE l.qty_closed < 0 OR (l.qty_closed > 0 AND (o.close_reason IS NULL "
        "OR o.status NOT IN ('confirmed', 'on_hold', 'completed', 'cancelled') "
        "OR l.qty_closed + l.qty_invoiced > l.qty "
        "OR l.qty_closed + l.qty_cancelled + l.qty_shipped > l.qty))",
        lambda m, number, pos, qty, closed, inv, ship, reason: (
            f"{number} line {pos}: ordered {qty_text(qty)}, closed {qty_text(closed)}, "
            f"invoiced {qty_text(inv)}, shipped {qty_text(ship)}"
            + ("" if reason else ", but the order is not short-closed")
        ),
    ),
    Check(
        "12",
        "stock on hand is the sum of its moves",
        "SELECT p.sku, p.on_hand, COALESCE(s.q, 0) FROM product p "
        "LEFT JOIN (SELECT product_id, SUM(qty) AS q FROM stock_move GROUP BY product_id) s "
        "ON s.product_id = p.id WHERE p.on_hand <> COALESCE(s.q, 0) OR p.on_hand < 0 "
        "OR p.reserved < 0",
        lambda m, sku, on_hand, moved: (
            f"{sku}: on hand {qty_text(on_hand)}, its moves sum to {qty_text(moved)}"
        ),
    ),
    Check(
        "6",
        "reserved stock is what confirmed orders still have to ship",
        # What is left to ship: never what was short-closed or credited as not to be
        # delivered (domain.states.qty_to_ship).
        "SELECT p.sku, p.reserved, COALESCE(o.q, 0) FROM product p LEFT JOIN ("
        "SELECT l.product_id, SUM(l.qty - l.qty_cancelled - l.qty_closed - l.qty_shipped) AS q "
        "FROM order_line l "
        "JOIN sales_order so ON so.id = l.order_id "
        "WHERE so.status IN ('confirmed', 'on_hold', 'completed') "
        "AND so.confirmed_at IS NOT NULL GROUP BY l.product_id) o ON o.product_id = p.id "
        "WHERE p.service = :no AND p.reserved <> COALESCE(o.q, 0)",
        lambda m, sku, reserved, open_qty: (
            f"{sku}: reserved {qty_text(reserved)}, "
            f"confirmed orders still have to ship {qty_text(open_qty)}"
        ),
    ),
    Check(
        "12",
        "no warehouse holds less than nothing",
        "SELECT p.sku, w.code, SUM(m.qty) FROM stock_move m "
        "JOIN product p ON p.id = m.product_id JOIN warehouse w ON w.id = m.warehouse_id "
        "GROUP BY p.sku, w.code HAVING SUM(m.qty) < 0",
        lambda m, sku, code, held: f"{sku}: {qty_text(held)} on hand in {code}",
    ),
    Check(
        "12",
        "a shipment is reversed exactly when a shipment reversal took it back",
        "SELECT s.number, s.status, x.number FROM shipment s "
        "LEFT JOIN shipment_reversal x ON x.shipment_id = s.id "
        "WHERE (s.status = 'reversed') <> (x.id IS NOT NULL) "
        "OR (x.id IS NOT NULL AND (x.order_id <> s.order_id OR s.return_id IS NOT NULL))",
        lambda m, number, status, reversal: (
            f"{number} is {status}, reversed by {reversal}"
            if reversal
            else f"{number} is {status} but no shipment reversal took it back"
        ),
    ),
    Check(
        "12",
        "every shipment of goods names the warehouse they left",
        "SELECT s.number FROM shipment s WHERE s.warehouse_id IS NULL AND EXISTS ("
        "SELECT 1 FROM shipment_line sl JOIN product p ON p.id = sl.product_id "
        "WHERE sl.shipment_id = s.id AND p.service = :no)",
        lambda m, number: f"{number} ships goods but names no warehouse",
    ),
    Check(
        "19",
        "no two prices of a list, product and break hold on the same day",
        "SELECT l.name, p.sku, a.min_qty, a.valid_from, a.valid_to, b.valid_from, b.valid_to "
        "FROM price_list_price a JOIN price_list_price b ON b.price_list_id = a.price_list_id "
        "AND b.product_id = a.product_id AND b.min_qty = a.min_qty AND b.id > a.id "
        "JOIN price_list l ON l.id = a.price_list_id JOIN product p ON p.id = a.product_id "
        "WHERE (a.valid_from IS NULL OR b.valid_to IS NULL OR a.valid_from <= b.valid_to) "
        "AND (b.valid_from IS NULL OR a.valid_to IS NULL OR b.valid_from <= a.valid_to)",
        lambda m, name, sku, min_qty, a_from, a_to, b_from, b_to: (
            f"{name} {sku} from {qty_text(min_qty)}: a price {a_from or 'always'}–"
            f"{a_to or 'open'} shares days with one {b_from or 'always'}–{b_to or 'open'}"
        ),
    ),
    Check(
        "10",
        "an order's or quote's discount of an amount is spread over its lines to the cent",
        "SELECT 'order', o.number, o.discount_amount, COALESCE(SUM(l.doc_discount), 0) "
        "FROM sales_order o LEFT JOIN order_line l ON l.order_id = o.id "
        "WHERE o.discount_amount IS NOT NULL GROUP BY o.id, o.number, o.discount_amount "
        "HAVING COALESCE(SUM(l.doc_discount), 0) <> o.discount_amount "
        "UNION ALL SELECT 'quote', q.number, q.discount_amount, COALESCE(SUM(l.doc_discount), 0) "
        "FROM quote q LEFT JOIN quote_line l ON l.quote_id = q.id "
        "WHERE q.discount_amount IS NOT NULL GROUP BY q.id, q.number, q.discount_amount "
        "HAVING COALESCE(SUM(l.doc_discount), 0) <> q.discount_amount",
        lambda m, kind, number, amount, spread: (
            f"{kind} {number}: a discount of {m(amount)}, its lines' shares come to {m(spread)}"
        ),
    ),
    Check(
        "18",
        "every journal entry balances",
        "SELECT e.source_kind, e.source_number, SUM(l.debit), SUM(l.credit) FROM journal_entry e "
        "JOIN journal_line l ON l.entry_id = e.id GROUP BY e.id, e.source_kind, e.source_number "
        "HAVING SUM(l.debit) <> SUM(l.credit)",
        lambda m, kind, number, debit, credit: (
            f"entry for {kind} {number}: debits {m(debit)}, credits {m(credit)}"
        ),
    ),
    Check(
        "18",
        "every invoice, payment, credit memo and refund has its journal entry",
        "SELECT 'invoice', number FROM invoice v WHERE NOT EXISTS (SELECT 1 FROM journal_entry e "
        "WHERE e.source_kind = 'invoice' AND e.source_number = v.number) "
        "UNION ALL SELECT 'payment', number FROM payment p WHERE NOT EXISTS (SELECT 1 FROM "
        "journal_entry e WHERE e.source_kind = 'payment' AND e.source_number = p.number) "
        "UNION ALL SELECT 'credit memo', number FROM credit_memo c WHERE NOT EXISTS (SELECT 1 "
        "FROM journal_entry e WHERE e.source_kind = 'credit_memo' "
        "AND e.source_number = c.number) "
        "UNION ALL SELECT 'refund', number FROM refund r WHERE NOT EXISTS (SELECT 1 FROM "
        "journal_entry e WHERE e.source_kind = 'refund' AND e.source_number = r.number) "
        "UNION ALL SELECT 'payment void', number FROM payment_void x WHERE NOT EXISTS (SELECT 1 "
        "FROM journal_entry e WHERE e.source_kind = 'payment_void' "
        "AND e.source_number = x.number)",
        lambda m, kind, number: f"{kind} {number} has no journal entry",
    ),
    Check(
        "18",
        "receivables equal each invoice's open balance",
        "SELECT v.number, v.total - v.paid - v.credited - v.discounted - v.written_off "
        "- v.prepaid, COALESCE(j.balance, 0) FROM invoice v "
        "LEFT JOIN (SELECT l.invoice_id, SUM(l.debit - l.credit) AS balance FROM journal_line l "
        "JOIN account a ON a.id = l.account_id WHERE a.role = 'receivable' "
        "GROUP BY l.invoice_id) j ON j.invoice_id = v.id "
        "WHERE v.total - v.paid - v.credited - v.discounted - v.written_off - v.prepaid "
        "<> COALESCE(j.balance, 0)",
        lambda m, number, balance, journal: (
            f"{number}: open balance {m(balance)}, receivable account holds {m(journal)}"
        ),
    ),
    Check(
        "18",
        "every receivable posting names its invoice",
        "SELECT COUNT(*), SUM(l.debit - l.credit) FROM journal_line l "
        "JOIN account a ON a.id = l.account_id WHERE a.role = 'receivable' "
        "AND l.invoice_id IS NULL HAVING COUNT(*) > 0",
        lambda m, count, amount: f"{count} receivable posting(s) for {m(amount)} name no invoice",
    ),
    Check(
        "18",
        "customer credit equals unapplied payments and store credit",
        "SELECT c.code, COALESCE(j.credit, 0), COALESCE(p.unapplied, 0) + COALESCE(s.left_, 0) "
        "FROM customer c "
        "LEFT JOIN (SELECT l.customer_id, SUM(l.credit - l.debit) AS credit FROM journal_line l "
        "JOIN account a ON a.id = l.account_id WHERE a.role = 'customer_credit' "
        "GROUP BY l.customer_id) j ON j.customer_id = c.id "
        "LEFT JOIN (SELECT customer_id, SUM(unapplied) AS unapplied FROM payment "
        "GROUP BY customer_id) p ON p.customer_id = c.id "
        "LEFT JOIN (SELECT customer_id, SUM(credit_left) AS left_ FROM credit_memo "
        "GROUP BY customer_id) s ON s.customer_id = c.id "
        "WHERE COALESCE(j.credit, 0) <> COALESCE(p.unapplied, 0) + COALESCE(s.left_, 0)",
        lambda m, code, journal, kept: (
            f"customer {code}: credit account holds {m(journal)}, "
            f"unapplied payments and store credit are {m(kept)}"
        ),
    ),
    Check(
        "18",
        "the trial balance sums to zero",
        "SELECT SUM(debit), SUM(credit) FROM journal_line HAVING SUM(debit) <> SUM(credit)",
        lambda m, debit, credit: f"total debits {m(debit)} differ from total credits {m(credit)}",
    ),
    Check(
        "20",
        "each rebate settlement's credit memos add up to its amount",
        "SELECT s.number, s.amount, COALESCE(c.net, 0) FROM rebate_settlement s "
        "LEFT JOIN (SELECT rebate_settlement_id, SUM(subtotal) AS net FROM credit_memo "
        "WHERE rebate_settlement_id IS NOT NULL GROUP BY rebate_settlement_id) c "
        "ON c.rebate_settlement_id = s.id WHERE s.amount <> COALESCE(c.net, 0)",
        lambda m, number, amount, memos: (
            f"rebate settlement {number} is {m(amount)}, its credit memos credit {m(memos)}"
        ),
    ),
    Check(
        "20",
        "each invoice's schedule sums to its total",
        "SELECT v.number, v.total, COALESCE(s.amount, 0), COALESCE(s.n, 0) FROM invoice v "
        "LEFT JOIN (SELECT invoice_id, SUM(amount) AS amount, COUNT(*) AS n "
        "FROM invoice_instalment GROUP BY invoice_id) s ON s.invoice_id = v.id "
        "WHERE COALESCE(s.n, 0) = 0 OR v.total <> s.amount",
        lambda m, number, total, scheduled, count: (
            f"{number}: total {m(total)}, its {count} instalment(s) sum to {m(scheduled)}"
        ),
    ),
    Check(
        "20",
        "each invoice's discounted, written off and prepaid amounts match its adjustments",
        # An adjustment that came with a payment counts while the payment is not voided
        # (a void reverses it: services/settlement/adjustments.py).
        "SELECT v.number, v.discounted, COALESCE(a.d, 0), v.written_off, COALESCE(a.w, 0), "
        "v.prepaid, COALESCE(a.p, 0) FROM invoice v "
        "LEFT JOIN (SELECT x.invoice_id, "
        "SUM(CASE WHEN x.kind = 'early_discount' THEN x.amount ELSE 0 END) AS d, "
        "SUM(CASE WHEN x.kind IN ('payment_difference', 'bad_debt') THEN x.amount ELSE 0 END) "
        "AS w, SUM(CASE WHEN x.kind = 'deposit' THEN x.amount ELSE 0 END) AS p "
        "FROM invoice_adjustment x WHERE NOT EXISTS (SELECT 1 FROM payment_void pv "
        "WHERE pv.payment_id = x.payment_id) GROUP BY x.invoice_id) a ON a.invoice_id = v.id "
        "WHERE v.discounted <> COALESCE(a.d, 0) OR v.written_off <> COALESCE(a.w, 0) "
        # A credit memo gives deducted deposits back once the money paid is given back
        # (prepaid goes down, the deductions stay): "amounts paid match the allocations"
        # ties paid and prepaid to the deductions and the credit memos' releases.
        "OR v.prepaid > COALESCE(a.p, 0)",
        lambda m, number, discounted, d, written_off, w, prepaid, p: (
            f"{number}: says discounted {m(discounted)}, written off {m(written_off)}, "
            f"prepaid {m(prepaid)}; its adjustments hold {m(d)}, {m(w)}, {m(p)}"
        ),
    ),
    Check(
        "20",
        "each discount, write-off and deposit deducted credits the receivable by its amount",
        # Its entry (source kind of its series, its number) credits its invoice's
        # receivable by its amount; a reversing entry (``…_reversal``) debits it back
        # exactly when its payment is voided.
        "SELECT x.number, v.number, x.amount, COALESCE(j.credited, 0), "
        "COALESCE(r.debited, 0), CASE WHEN pv.id IS NULL THEN 0 ELSE 1 END "
        "FROM invoice_adjustment x JOIN invoice v ON v.id = x.invoice_id "
        "LEFT JOIN payment_void pv ON pv.payment_id = x.payment_id "
        "LEFT JOIN (SELECT e.source_kind, e.source_number, l.invoice_id, "
        "SUM(l.credit - l.debit) AS credited FROM journal_entry e "
        "JOIN journal_line l ON l.entry_id = e.id JOIN account a ON a.id = l.account_id "
        "WHERE a.role = 'receivable' "
        "AND e.source_kind IN ('early_discount', 'write_off', 'deposit_applied') "
        "GROUP BY e.source_kind, e.source_number, l.invoice_id) j "
        "ON j.source_number = x.number AND j.invoice_id = x.invoice_id "
        "AND j.source_kind = CASE x.kind WHEN 'early_discount' THEN 'early_discount' "
        "WHEN 'deposit' THEN 'deposit_applied' ELSE 'write_off' END "
        "LEFT JOIN (SELECT e.source_number, l.invoice_id, SUM(l.debit - l.credit) AS debited "
        "FROM journal_entry e JOIN journal_line l ON l.entry_id = e.id "
        "JOIN account a ON a.id = l.account_id WHERE a.role = 'receivable' "
        "AND e.source_kind IN ('early_discount_reversal', 'write_off_reversal') "
        "GROUP BY e.source_number, l.invoice_id) r "
        "ON r.source_number = x.number AND r.invoice_id = x.invoice_id "
        "WHERE COALESCE(j.credited, 0) <> x.amount "
        "OR COALESCE(r.debited, 0) <> CASE WHEN pv.id IS NULL THEN 0 ELSE x.amount END",
        lambda m, number, invoice, amount, credited, debited, voided: (
            f"{number} on {invoice} is {m(amount)}: its entry credits the receivable "
            f"{m(credited)}"
            + (
                f", its reversal debits {m(debited)} (its payment is voided)"
                if voided
                else f", a reversal debits {m(debited)}"
                if debited
                else ""
            )
        ),
    ),
    Check(
        "20",
        "an invoice's early-payment discounts stay within its discount rate of its total",
        "SELECT v.number, v.total, v.discount_pct, SUM(x.amount) FROM invoice_adjustment x "
        "JOIN invoice v ON v.id = x.invoice_id WHERE x.kind = 'early_discount' "
        "AND NOT EXISTS (SELECT 1 FROM payment_void pv WHERE pv.payment_id = x.payment_id) "
        "GROUP BY v.id, v.number, v.total, v.discount_pct "
        # early_discount(total, pct), half-up: amount <= (total * pct + 500000) / 1000000.
        "HAVING v.discount_pct IS NULL OR CAST(SUM(x.amount) AS NUMERIC) * 1000000 "
        "> CAST(v.total AS NUMERIC) * v.discount_pct + 500000",
        lambda m, number, total, pct, amount: (
            f"{number}: discounts of {m(amount)} taken, "
            + (
                "but it has no early-payment discount"
                if pct is None
                else f"more than {pct_text(pct)} % of its total {m(total)}"
            )
        ),
    ),
    # Deposits (services/sales/deposits.py, deposit_deductions.py) ----------------------
    Check(
        "20",
        "a deposit's deductions never exceed what was paid on it, nor with its credits its total",
        "SELECT v.number, v.kind, v.total, v.paid, v.credited, COALESCE(d.amount, 0), "
        "v.subtotal, v.tax, COALESCE(c.net, 0) + COALESCE(d.net, 0), "
        "COALESCE(c.tax, 0) + COALESCE(d.tax, 0) FROM invoice v "
        "JOIN (SELECT deposit_invoice_id, SUM(amount) AS amount, SUM(net) AS net, "
        "SUM(tax) AS tax FROM invoice_adjustment WHERE kind = 'deposit' "
        "GROUP BY deposit_invoice_id) d ON d.deposit_invoice_id = v.id "
        "LEFT JOIN (SELECT invoice_id, SUM(subtotal) AS net, SUM(tax) AS tax FROM credit_memo "
        "GROUP BY invoice_id) c ON c.invoice_id = v.id "
        "WHERE v.kind <> 'deposit' OR d.amount > v.paid OR d.amount + v.credited > v.total "
        "OR COALESCE(c.net, 0) + COALESCE(d.net, 0) > v.subtotal "
        "OR COALESCE(c.tax, 0) + COALESCE(d.tax, 0) > v.tax",
        lambda m, number, kind, total, paid, credited, deducted, net, tax, used_net, used_tax: (
            f"{number} is a {kind} invoice, not a deposit, yet {m(deducted)} of it was deducted"
            if kind != "deposit"
            else f"deposit {number}: total {m(total)} ({m(net)} + {m(tax)}), paid {m(paid)}, "
            f"credited {m(credited)}, deducted {m(deducted)}; credits and deductions take "
            f"{m(used_net)} + {m(used_tax)}"
        ),
    ),
    Check(
        "20",
        "a deposit is deducted only from a standard invoice of its own order",
        "SELECT x.number, dv.number, v.number, v.kind FROM invoice_adjustment x "
        "JOIN invoice v ON v.id = x.invoice_id JOIN invoice dv ON dv.id = x.deposit_invoice_id "
        "WHERE x.kind = 'deposit' AND (v.kind <> 'standard' OR dv.order_id <> v.order_id "
        "OR dv.customer_id <> v.customer_id OR x.customer_id <> v.customer_id)",
        lambda m, number, deposit, invoice, kind: (
            f"{number} deducts deposit {deposit} from {kind} invoice {invoice} of another "
            "order or customer"
            if kind == "standard"
            else f"{number} deducts deposit {deposit} from {kind} invoice {invoice}"
        ),
    ),
    Check(
        "20",
        "a deposit invoice's lines have no order line, a standard invoice's lines have one",
        "SELECT v.number, v.kind, l.position, l.sku FROM invoice_line l "
        "JOIN invoice v ON v.id = l.invoice_id "
        "WHERE (v.kind = 'deposit' AND (l.order_line_id IS NOT NULL "
        "OR l.product_id IS NOT NULL)) "
        "OR (v.kind = 'standard' AND l.order_line_id IS NULL)",
        lambda m, number, kind, position, sku: (
            f"{kind} invoice {number} line {position} ({sku}) "
            + ("is a portion of an order line" if kind == "deposit" else "has no order line")
        ),
    ),
    Check(
        "20",
        "customer advances equal each deposit's net less what was credited and deducted",
        "SELECT v.number, v.subtotal - COALESCE(c.net, 0) - COALESCE(d.net, 0), "
        "COALESCE(j.held, 0) FROM invoice v "
        "LEFT JOIN (SELECT invoice_id, SUM(subtotal) AS net FROM credit_memo "
        "GROUP BY invoice_id) c ON c.invoice_id = v.id "
        "LEFT JOIN (SELECT deposit_invoice_id, SUM(net) AS net FROM invoice_adjustment "
        "WHERE kind = 'deposit' GROUP BY deposit_invoice_id) d ON d.deposit_invoice_id = v.id "
        "LEFT JOIN (SELECT l.invoice_id, SUM(l.credit - l.debit) AS held FROM journal_line l "
        "JOIN account a ON a.id = l.account_id WHERE a.role = 'customer_advances' "
        "GROUP BY l.invoice_id) j ON j.invoice_id = v.id "
        "WHERE v.kind = 'deposit' AND (COALESCE(j.held, 0) "
        "<> v.subtotal - COALESCE(c.net, 0) - COALESCE(d.net, 0) "
        "OR v.subtotal - COALESCE(c.net, 0) - COALESCE(d.net, 0) < 0) "
        # Every advance posting names its deposit invoice.
        "UNION ALL SELECT NULL, 0, SUM(l.credit - l.debit) FROM journal_line l "
        "JOIN account a ON a.id = l.account_id LEFT JOIN invoice v ON v.id = l.invoice_id "
        "WHERE a.role = 'customer_advances' AND (v.id IS NULL OR v.kind <> 'deposit') "
        "HAVING COUNT(*) > 0",
        lambda m, number, left, held: (
            f"deposit {number}: net {m(left)} not yet credited or deducted, the customer "
            f"advances account holds {m(held)} for it"
            if number is not None
            else f"customer advances postings for {m(held)} name no deposit invoice"
        ),
    ),
    # Dunning (services/settlement/dunning.py) -----------------------------------------
    Check(
        "20",
        "no dunning notice comes ahead of its instalment's due date and its level's days",
        # An item is what its instalment said, on a notice of its customer dated after the
        # due date, at no higher level than its notice, and at least its level's days
        # overdue: as the level stands now, unless the level was changed (an event) after
        # the notice was issued.
        "SELECT n.number, v.number, s.position, s.due_date, n.notice_date, i.level, "
        "i.days_overdue, l.days_overdue FROM dunning_notice_item i "
        "JOIN dunning_notice n ON n.id = i.notice_id "
        "JOIN invoice_instalment s ON s.id = i.instalment_id "
        "JOIN invoice v ON v.id = i.invoice_id "
        "LEFT JOIN dunning_level l ON l.level = i.level "
        "WHERE s.invoice_id <> i.invoice_id OR v.customer_id <> n.customer_id "
        "OR i.due_date <> s.due_date OR n.notice_date <= s.due_date "
        "OR i.level < 1 OR i.level > n.level OR i.days_overdue < 1 "
        "OR (l.id IS NOT NULL AND i.days_overdue < l.days_overdue AND NOT EXISTS ("
        "SELECT 1 FROM event e WHERE e.subject_kind = 'dunning_level' "
        "AND e.subject_number = CAST(i.level AS VARCHAR(12)) AND e.id > (SELECT MIN(x.id) "
        "FROM event x WHERE x.subject_kind = 'dunning_notice' "
        "AND x.subject_number = n.number)))",
        lambda m, notice, invoice, position, due, dated, level, days, level_days: (
            f"{notice} of {dated} reminds of {invoice} instalment {position} (due {due}) at "
            f"level {level} after {days} day(s)"
            + (f"; the level needs {level_days}" if level_days is not None else "")
        ),
    ),
    Check(
        "20",
        "each dunning charge invoice is its notice's fee and interest, in lines of its own",
        "SELECT v.number, n.number, v.total, n.fee + n.interest, COALESCE(l.amount, 0), "
        "COALESCE(l.tied, 0) FROM invoice v "
        "LEFT JOIN dunning_notice n ON n.charge_invoice_id = v.id "
        "LEFT JOIN (SELECT invoice_id, SUM(net + tax) AS amount, SUM(CASE WHEN "
        "order_line_id IS NOT NULL OR product_id IS NOT NULL THEN 1 ELSE 0 END) AS tied "
        "FROM invoice_line GROUP BY invoice_id) l ON l.invoice_id = v.id "
        "WHERE v.kind = 'charge' AND (n.id IS NULL OR n.customer_id <> v.customer_id "
        "OR v.total <> n.fee + n.interest OR COALESCE(l.amount, 0) <> v.total "
        "OR COALESCE(l.tied, 0) > 0) "
        "UNION ALL SELECT v.number, n.number, v.total, n.fee + n.interest, 0, 0 "
        "FROM dunning_notice n LEFT JOIN invoice v ON v.id = n.charge_invoice_id "
        "WHERE (n.fee + n.interest > 0) <> (n.charge_invoice_id IS NOT NULL) "
        "OR (v.id IS NOT NULL AND v.kind <> 'charge')",
        lambda m, invoice, notice, total, charged, lines, tied: (
            f"charge invoice {invoice} belongs to no dunning notice"
            if notice is None
            else f"{notice} charges {m(charged)} but has no charge invoice"
            if invoice is None
            else f"charge invoice {invoice} of {notice}: total {m(total)}, the notice charges "
            f"{m(charged)}, its lines sum to {m(lines)}"
            + (f", {tied} line(s) name an order line or product" if tied else "")
        ),
    ),
    Check(
        "20",
        "a dunning notice's overdue amount is what its items had open",
        "SELECT n.number, n.overdue, COALESCE(i.amount, 0), COALESCE(i.n, 0) "
        "FROM dunning_notice n LEFT JOIN (SELECT notice_id, SUM(open_amount) AS amount, "
        "COUNT(*) AS n FROM dunning_notice_item GROUP BY notice_id) i ON i.notice_id = n.id "
        "WHERE COALESCE(i.n, 0) = 0 OR n.overdue <> i.amount",
        lambda m, notice, overdue, amount, count: (
            f"{notice} says {m(overdue)} overdue, its {count} item(s) had {m(amount)} open"
        ),
    ),
]


def run_checks(*, session: Session) -> dict:
    """Every check, and every problem found; ``ok`` is True when there is none."""
    digits = minor_digits(session)

    def money(units) -> str:
        return str(from_minor(int(units or 0), digits))

    problems = []
    connection = session.connection()
    for check in CHECKS:
        for row in connection.execute(text(check.sql), {"yes": True, "no": False}):
            # PostgreSQL sums integer columns as numeric; the ledger's units are integers.
            values = [int(v) if isinstance(v, Decimal) and v % 1 == 0 else v for v in row]
            problems.append(
                {
                    "rule": check.rule,
                    "check": check.title,
                    "problem": check.describe(money, *values),
                }
            )
    problems.extend(_chain_problems(session))
    problems.extend(_storage_problems(session))
    return {"ok": not problems, "checks": len(CHECKS) + 2, "problems": problems}


def _chain_problems(session: Session) -> list[dict]:
    """Rule 4: issued documents are never edited. Each kind's hash chain is
    recomputed in one streamed pass (``books/integrity.py``), and the journal's
    seals, source by source, in another."""

    found = [
        {"rule": "4", "check": "issued documents are never edited", "problem": problem}
        for problem in chain_problems(session.connection())
    ]
    # Rules 4 and 18: the journal entries they posted neither (books/journal_seal.py).
    found += [
        {"rule": "4", "check": "posted journal entries are never edited", "problem": problem}
        for problem in journal_problems(session.connection())
    ]
    return found


def _storage_problems(session: Session) -> list[dict]:
    """The database's own verdict on the file (SQLite only)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return []
    problems = []
    for (verdict,) in connection.execute(text("PRAGMA integrity_check")):
        if verdict != "ok":
            problems.append({"rule": "storage", "check": "integrity_check", "problem": verdict})
    for row in connection.execute(text("PRAGMA foreign_key_check")):
        problems.append(
            {
                "rule": "storage",
                "check": "foreign keys",
                "problem": f"{row[0]} row {row[1]} refers to a missing {row[2]}",
            }
        )
    return problems
