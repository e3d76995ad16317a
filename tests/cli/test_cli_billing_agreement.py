"""`ordercli billing-agreement add/list/show/cancel` and `order new --billing-agreement`
end to end (rule 17)."""

from __future__ import annotations

import pytest

AGREEMENT_KEYS = {"number", "customer", "method", "reference", "status", "orders"}


def build_agreements(cli) -> None:
    cli.ok("billing-agreement", "add", "ACME", "--method", "direct-debit", "--reference", "MD-7781")
    cli.ok("billing-agreement", "add", "BRIGHT", "--method", "card", "--reference", "tok_42")
    cli.ok("billing-agreement", "add", "ACME", "--method", "purchase-order", "--reference", "PO-9")
    cli.ok("order", "new", "ACME", "--billing-agreement", "BA-00001")


@pytest.fixture
def agreements(shop, ledger_state):
    """BA-00001 ACME direct-debit MD-7781 (used by SO-00001), BA-00002 BRIGHT card tok_42,
    BA-00003 ACME purchase-order PO-9."""
    ledger_state("billing-agreements", build_agreements)
    return shop


def test_add_agreement(shop, human):
    doc = shop.ok(
        "billing-agreement", "add", "acme", "--method", "direct-debit", "--reference", "MD-7781"
    )
    assert AGREEMENT_KEYS <= doc.keys()
    expected = {
        "number": "BA-00001",
        "customer": "ACME",
        "method": "direct-debit",
        "reference": "MD-7781",
        "status": "active",
        "orders": [],
        "cancelled_at": None,
    }
    assert {k: doc[k] for k in expected} == expected
    out = human("billing-agreement", "add", "BRIGHT", "--method", "card", "--reference", "tok_42")
    for fact in ("Billing agreement BA-00002", "BRIGHT", "card", "tok_42", "active", "none yet"):
        assert fact in out


def test_orders_use_an_agreement_and_it_lists_them(agreements, human):
    order = agreements.ok("order", "new", "ACME", "--billing-agreement", "ba-00001")
    assert (order["number"], order["billing_agreement"]) == ("SO-00002", "BA-00001")
    assert agreements.ok("order", "show", "SO-00001")["billing_agreement"] == "BA-00001"
    assert agreements.ok("order", "new", "ACME")["billing_agreement"] is None
    doc = agreements.ok("billing-agreement", "show", "BA-00001")
    assert doc["orders"] == ["SO-00001", "SO-00002"]
    assert agreements.ok("billing-agreement", "show", "BA-00003")["orders"] == []
    out = human("billing-agreement", "show", "BA-00001")
    for fact in ("Billing agreement BA-00001", "ACME", "direct-debit", "MD-7781", "SO-00002"):
        assert fact in out
    out = human("order", "new", "ACME", "--billing-agreement", "BA-00003")
    assert "Order SO-00004" in out and "BA-00003" in out
    out = human("order", "show", "SO-00001")
    assert "Billing agreement" in out and "BA-00001" in out


def test_cancel_agreement(agreements, human, unchanged):
    doc = agreements.ok("billing-agreement", "cancel", "BA-00001")
    assert (doc["status"], doc["orders"]) == ("cancelled", ["SO-00001"])
    assert doc["cancelled_at"] is not None
    # The order that used it keeps it.
    assert agreements.ok("order", "show", "SO-00001")["billing_agreement"] == "BA-00001"
    with unchanged():
        assert agreements.fails("billing-agreement", "cancel", "BA-00001") == (
            "error: billing agreement BA-00001 is already cancelled"
        )
        assert agreements.fails("order", "new", "ACME", "--billing-agreement", "BA-00001") == (
            "error: billing agreement BA-00001 is cancelled and cannot be attached"
        )
    # The same arrangement can be set up again once the old one is cancelled.
    again = agreements.ok(
        "billing-agreement", "add", "ACME", "--method", "direct-debit", "--reference", "MD-7781"
    )
    assert (again["number"], again["status"]) == ("BA-00004", "active")
    out = human("billing-agreement", "cancel", "BA-00003")
    assert "Billing agreement BA-00003" in out and "cancelled" in out


def test_list_agreements(agreements, human):
    rows = agreements.ok("billing-agreement", "list")
    assert [r["number"] for r in rows] == ["BA-00003", "BA-00002", "BA-00001"]
    assert all(AGREEMENT_KEYS <= r.keys() for r in rows)
    assert [(r["customer"], r["method"], r["reference"], r["orders"]) for r in rows] == [
        ("ACME", "purchase-order", "PO-9", []),
        ("BRIGHT", "card", "tok_42", []),
        ("ACME", "direct-debit", "MD-7781", ["SO-00001"]),
    ]
    out = human("billing-agreement", "list")
    for fact in ("Billing agreements", "BA-00003", "PO-9", "tok_42", "MD-7781", "active"):
        assert fact in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--customer", "ACME"], ["BA-00003", "BA-00001"]),
        (["--customer", "bright"], ["BA-00002"]),
        (["--status", "active"], ["BA-00003", "BA-00002"]),
        (["--status", "cancelled"], ["BA-00001"]),
        (["--limit", "1"], ["BA-00003"]),
        (["--all"], ["BA-00003", "BA-00002", "BA-00001"]),
    ],
)
def test_list_agreements_filters(agreements, args, expected):
    agreements.ok("billing-agreement", "cancel", "BA-00001")
    assert [r["number"] for r in agreements.ok("billing-agreement", "list", *args)] == expected


def test_list_empty(shop):
    assert shop.ok("billing-agreement", "list") == []
    assert "no billing agreements" in shop.run("billing-agreement", "list").stderr


# --- refusals --------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["ACME", "--method", "direct-debit", "--reference", "MD-7781"],
            "ACME already has active agreement BA-00001 for direct-debit MD-7781",
        ),
        (["ACME", "--method", "", "--reference", "R"], "method must not be empty"),
        (["ACME", "--method", "  ", "--reference", "R"], "method must not be empty"),
        (["ACME", "--method", "card", "--reference", ""], "reference must not be empty"),
        (["NOPE", "--method", "card", "--reference", "R"], "no customer 'NOPE'"),
        (["", "--method", "card", "--reference", "R"], "customer code is empty"),
    ],
)
def test_add_refused(agreements, unchanged, args, message):
    with unchanged():
        assert agreements.fails("billing-agreement", "add", *args) == f"error: {message}"


def test_add_for_an_inactive_customer_is_refused(shop, unchanged):
    shop.ok("customer", "deactivate", "CAFE")
    with unchanged():
        assert shop.fails(
            "billing-agreement", "add", "CAFE", "--method", "card", "--reference", "R"
        ) == ("error: customer CAFE is inactive")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["ACME", "--billing-agreement", "BA-00002"],
            "billing agreement BA-00002 belongs to another customer, not ACME",
        ),
        (
            ["BRIGHT", "--billing-agreement", "BA-00001"],
            "billing agreement BA-00001 belongs to another customer, not BRIGHT",
        ),
        (["ACME", "--billing-agreement", "BA-00404"], "no billing agreement 'BA-00404'"),
        (["ACME", "--billing-agreement", ""], "billing agreement is empty"),
        (["NOPE", "--billing-agreement", "BA-00001"], "no customer 'NOPE'"),
    ],
)
def test_attach_refused(agreements, unchanged, args, message):
    with unchanged():
        assert agreements.fails("order", "new", *args) == f"error: {message}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "BA-00404"], "no billing agreement 'BA-00404'"),
        (["show", ""], "billing agreement is empty"),
        (["cancel", "BA-00404"], "no billing agreement 'BA-00404'"),
        (["cancel", ""], "billing agreement is empty"),
        (["list", "--customer", "NOPE"], "no customer 'NOPE'"),
        (
            ["list", "--status", "paused"],
            "unknown billing agreement status 'paused' (active or cancelled)",
        ),
        (["list", "--limit=0"], "--limit 0 must be at least 1"),
    ],
)
def test_show_cancel_list_refused(agreements, unchanged, args, message):
    with unchanged():
        assert agreements.fails("billing-agreement", *args) == f"error: {message}"


def test_refusals_leave_no_gap_in_numbers(agreements):
    agreements.fails("billing-agreement", "add", "ACME", "--method", "", "--reference", "R")
    agreements.fails("order", "new", "ACME", "--billing-agreement", "BA-00002")
    doc = agreements.ok("billing-agreement", "add", "ACME", "--method", "card", "--reference", "R")
    assert doc["number"] == "BA-00004"
    assert agreements.ok("order", "new", "ACME", "--billing-agreement", "BA-00004")["number"] == (
        "SO-00002"
    )
