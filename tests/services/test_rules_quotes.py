"""SPEC rule 5: quotes never touch stock, expire, convert once and only when accepted."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordercli.domain.errors import RuleViolation
from ordercli.services.inventory import catalog
from ordercli.services.sales import ordering, quoting
from ordercli.views import sales as views

D = Decimal


@pytest.fixture
def quote(seeded, uow, monkeypatch):
    """Q-00001 for ACME, issued 2026-03-01 and valid ten days: two lines, still a draft."""
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-01")
    with uow() as session:
        q = quoting.new_quote(session=session, customer_code="ACME", valid_days=10)
        quoting.add_quote_line(
            session=session, number=q.number, sku="DESK-OAK", qty=D(5), discount=D("7.5")
        )
        quoting.add_quote_line(
            session=session, number=q.number, sku="CHAIR-ERGO", qty=D(3), price=D("299.99")
        )
        assert q.valid_until.isoformat() == "2026-03-11"
        return q.number


def quote_view(uow, number: str) -> dict:
    with uow(write=False) as session:
        return views.quote_view(session, quoting.get_quote(session=session, number=number))


def run(uow, action):
    with uow() as session:
        return action(session)


def test_quotes_never_touch_stock(quote, uow, fingerprint, engine):
    before = fingerprint(engine)
    run(uow, lambda s: quoting.send_quote(session=s, number=quote))
    run(uow, lambda s: quoting.accept_quote(session=s, number=quote))
    order = run(uow, lambda s: quoting.convert_quote(session=s, number=quote))
    after = fingerprint(engine)
    assert after["product"] == before["product"]
    assert after["stock_move"] == before["stock_move"]
    # The order made from it is a draft and reserves nothing until confirmed.
    with uow(write=False) as session:
        assert ordering.get_order(session=session, number=order.number).status == "draft"


def test_an_expired_quote_cannot_be_accepted(quote, uow, refused, monkeypatch):
    run(uow, lambda s: quoting.send_quote(session=s, number=quote))
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-12")
    assert quote_view(uow, quote)["status"] == "expired"
    refused(
        RuleViolation,
        "cannot accept Q-00001: it expired on 2026-03-11",
        lambda s: quoting.accept_quote(session=s, number=quote),
    )
    refused(
        RuleViolation,
        "cannot convert Q-00001: it is expired, not accepted",
        lambda s: quoting.convert_quote(session=s, number=quote),
    )


def test_a_quote_can_be_accepted_on_its_last_valid_day(quote, uow, monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-11")
    run(uow, lambda s: quoting.accept_quote(session=s, number=quote))
    assert quote_view(uow, quote)["status"] == "accepted"
    # Accepted is final: it no longer expires, and still converts later.
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-04-30")
    order = run(uow, lambda s: quoting.convert_quote(session=s, number=quote))
    assert order.number == "SO-00001"


@pytest.mark.parametrize(
    ("steps", "status"),
    [
        ([], "draft"),
        ([quoting.send_quote], "sent"),
        ([quoting.reject_quote], "rejected"),
    ],
)
def test_only_an_accepted_quote_converts(quote, uow, refused, steps, status):
    for step in steps:
        run(uow, lambda s, step=step: step(session=s, number=quote))
    refused(
        RuleViolation,
        f"cannot convert Q-00001: it is {status}, not accepted",
        lambda s: quoting.convert_quote(session=s, number=quote),
    )


def test_a_quote_converts_only_once(quote, uow, refused):
    run(uow, lambda s: quoting.accept_quote(session=s, number=quote))
    run(uow, lambda s: quoting.convert_quote(session=s, number=quote))
    refused(
        RuleViolation,
        "cannot convert Q-00001: already converted to SO-00001",
        lambda s: quoting.convert_quote(session=s, number=quote),
    )
    refused(
        RuleViolation,
        "cannot accept Q-00001: it is converted",
        lambda s: quoting.accept_quote(session=s, number=quote),
    )


def test_conversion_copies_lines_and_prices_and_remembers_the_quote(quote, uow):
    run(uow, lambda s: quoting.accept_quote(session=s, number=quote))
    # The catalog moves on; the customer keeps the quoted prices.
    run(
        uow,
        lambda s: catalog.edit_product(
            session=s, sku="DESK-OAK", changes={"price": D("555.00"), "tax_rate": D(20)}
        ),
    )
    number = run(uow, lambda s: quoting.convert_quote(session=s, number=quote)).number
    quoted = quote_view(uow, quote)
    with uow(write=False) as session:
        order = views.order_view(session, ordering.get_order(session=session, number=number))
    keys = ("sku", "qty", "unit_price", "discount_pct", "tax_rate", "net", "tax", "total")
    assert [{k: ln[k] for k in keys} for ln in order["lines"]] == [
        {k: ln[k] for k in keys} for ln in quoted["lines"]
    ]
    assert order["lines"][0]["unit_price"] == D("489.00")
    assert order["lines"][0]["net"] == D("2261.63")  # 5 × 489.00 × 0.925 = 2261.625
    assert order["lines"][1]["net"] == D("899.97")
    assert (order["subtotal"], order["tax"], order["total"]) == (
        quoted["subtotal"],
        quoted["tax"],
        quoted["total"],
    )
    assert (order["subtotal"], order["tax"]) == (D("3161.60"), D("600.70"))
    assert order["total"] == D("3762.30")
    assert order["quote"] == "Q-00001"
    assert order["status"] == "draft"
    assert quoted["status"] == "converted"
    assert quoted["order"] == number
