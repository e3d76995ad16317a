"""What open returns already ask back, per order line (SPEC rules 14, 15).

Read by returns (a new return cannot ask back what another open one does) and
by credit memos (a quantity asked back is credited through its return), so it
sits below both.
"""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from ordercli.domain.states import RETURN_OPEN
from ordercli.models import Rma, RmaLine


def pending_returns(session: Session, order_line_ids, exclude: int | None = None) -> dict[int, int]:
    """Quantities already asked back by returns not yet received, per order line."""
    query = (
        select(RmaLine.order_line_id, func.sum(RmaLine.qty))
        .join(Rma, col(Rma.id) == RmaLine.rma_id)
        .where(
            col(Rma.status).in_(list(RETURN_OPEN)),
            col(RmaLine.order_line_id).in_(list(order_line_ids)),
        )
        .group_by(col(RmaLine.order_line_id))
    )
    if exclude is not None:
        query = query.where(Rma.id != exclude)
    return dict(session.exec(query).all())
