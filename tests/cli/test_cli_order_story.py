"""`order explain`, `order track` and `order timeline` through the CLI, on one ledger
that went through the whole life of an order: quote, hold, confirm with a
backorder, partial invoice and shipment, delivery, payment, a return credited as
store credit, a refund, credit applied to a second invoice; beside it a draft over
its credit limit, a cancelled order and an order on hold.

Figures are compared with `order show --json` and `invoice show --json` of the
same ledger, or worked out by hand.
"""

from __future__ import annotations

import shlex
from collections import Counter

import pytest

TODAY = "2026-03-10"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


def build_story(cli) -> None:
    for args in (
        ["quote", "new", "ACME"],
        ["quote", "add-line", "Q-00001", "DESK-STAND", "7"],
        ["quote", "add-line", "Q-00001", "INSTALL", "2"],
        ["quote", "send", "Q-00001"],
        ["quote", "accept", "Q-00001"],
        ["quote", "convert", "Q-00001"],
        ["order", "hold", "SO-00001", "check the delivery address"],
        ["order", "release", "SO-00001"],
        ["order", "confirm", "SO-00001"],  # 7 desks, 5 on hand: 2 backordered
        ["invoice", "create", "SO-00001", "--partial", "--line", "DESK-STAND=3"],
        ["ship", "SO-00001", "--line", "DESK-STAND=3", "--carrier", "DHL"]
        + ["--tracking", "JD0146000038", "--date", "2026-03-10"],
        ["shipment", "deliver", "SH-00001"],
        ["payment", "record", "ACME", "2602.53", "--invoice", "INV-00001"],
        ["return", "request", "SO-00001", "--line", "DESK-STAND=1", "--reason", "scratched"],
        ["return", "authorize", "RMA-00001"],
        ["return", "receive", "RMA-00001", "--restock"],
        ["return", "resolve", "RMA-00001", "--credit-memo"],  # store credit 867.51
        ["credit-memo", "create", "INV-00001", "--amount", "10.00", "--refund"],
        ["invoice", "create", "SO-00001", "--partial", "--line", "INSTALL=2"],
        ["payment", "apply", "ACME", "--invoice", "INV-00002"],
        ["order", "new", "BRIGHT"],
        ["order", "add-line", "SO-00002", "DESK-STAND", "30"],
        ["order", "new", "ACME"],
        ["order", "add-line", "SO-00003", "LAMP-LED", "2"],
        ["order", "confirm", "SO-00003"],
        ["order", "cancel", "SO-00003", "--reason", "duplicate"],
        ["order", "new", "CAFE"],
        ["order", "add-line", "SO-00004", "CHAIR-ERGO", "2"],
        ["order", "confirm", "SO-00004"],
        ["order", "hold", "SO-00004", "customer is a fraud risk"],
    ):
        cli.ok(*args)


@pytest.fixture
def story(shop, ledger_state):
    ledger_state("order-story", build_story)
    return shop


def commands(doc: dict) -> list[str]:
    return [step["command"] for step in doc["next"]]


def test_explain_matches_order_show_and_invoice_show(story):
    for number in ("SO-00001", "SO-00002", "SO-00003", "SO-00004"):
        doc = story.ok("order", "explain", number)
        shown = story.ok("order", "show", number)
        for key in ("number", "customer", "status", "billing_status", "fulfilment_status"):
            assert doc[key] == shown[key]
            if key.endswith("status"):
                assert doc["explanations"][key].startswith(shown[key] + ": ")
        assert doc["total"] == shown["total"]
        for mine, theirs in zip(doc["lines"], shown["lines"], strict=True):
            assert (mine["line"], mine["sku"], mine["description"]) == (
                theirs["line"],
                theirs["sku"],
                theirs["description"],
            )
            for ours, show_key in (
                ("ordered", "qty"),
                ("invoiced", "qty_invoiced"),
                ("shipped", "qty_shipped"),
                ("credited", "qty_credited"),
                ("returned", "qty_returned"),
                ("replaced", "qty_replaced"),
                ("backordered", "qty_backordered"),
            ):
                assert mine[ours] == theirs[show_key], (number, ours)
        assert [inv["number"] for inv in doc["invoices"]] == shown["invoices"]
        for inv in doc["invoices"]:
            invoice = story.ok("invoice", "show", inv["number"])
            for key in ("total", "paid", "credited", "balance", "status", "due_date"):
                assert inv[key] == invoice[key], (inv["number"], key)


def test_explain_the_order_that_lived(story):
    doc = story.ok("order", "explain", "SO-00001")
    desk, install = doc["lines"]
    # 7 ordered, 3 shipped: 4 reserved; on hand 5 − 3 shipped + 1 restocked = 3: 1 short
    assert (desk["reserved"], desk["backordered"], desk["state"]) == ("4", "1", "backordered")
    assert (desk["credited"], desk["returned"]) == ("1", "1")
    # invoiced in full: invoicing the installation delivered it (rule 12)
    assert (install["reserved"], install["state"]) == ("0", "done")
    assert (install["service"], install["shipped"], install["fulfilled"]) == (True, "0", "2")
    assert doc["explanations"]["billing_status"] == (
        "partially_invoiced: 3 of 7 DESK-STAND invoiced; 2 of 2 INSTALL invoiced (rules 8, 9)"
    )
    assert doc["blocked_by"] == [
        {
            "kind": "backorder",
            "message": "backordered 1 × DESK-STAND on line 1: 3 on hand, -1 available",
            "line": 1,
            "sku": "DESK-STAND",
            "qty": "1",
            "on_hand": "3",
            "available": "-1",
        }
    ]
    assert story.ok("product", "show", "DESK-STAND")["on_hand"] == "3"
    assert commands(doc) == [
        "ordercli invoice create SO-00001",
        "ordercli ship SO-00001 --line DESK-STAND=3",
        "ordercli stock receive DESK-STAND 1",
        # the corrections that apply (INV-00001 already has a credit memo: not cancelled whole)
        "ordercli order close SO-00001 --reason REASON",
        "ordercli payment void PAY-00001 --reason REASON",
        "ordercli credit-memo create INV-00001",
        "ordercli credit-memo create INV-00002",
        "ordercli invoice cancel INV-00002 --reason REASON",
        "ordercli return request SO-00001 --line DESK-STAND=2 --reason REASON",
    ]
    assert all(step["why"] for step in doc["next"])


def test_explain_a_draft_over_its_limit_a_cancelled_and_a_held_order(story):
    draft = story.ok("order", "explain", "SO-00002")
    assert [b["kind"] for b in draft["blocked_by"]] == ["draft", "credit_limit"]
    # 30 × 729.00 × 1.19 = 26025.30 against BRIGHT's 15000.00
    credit = draft["blocked_by"][1]
    assert (credit["order_total"], credit["limit"]) == ("26025.30", "15000.00")
    assert commands(draft) == [
        "ordercli order confirm SO-00002 --override-credit REASON",
        "ordercli order cancel SO-00002",
    ]
    cancelled = story.ok("order", "explain", "SO-00003")
    assert (cancelled["next"], [b["kind"] for b in cancelled["blocked_by"]]) == ([], ["cancelled"])
    held = story.ok("order", "explain", "SO-00004")
    assert held["hold_reason"] == "customer is a fraud risk"
    assert commands(held) == ["ordercli order release SO-00004", "ordercli order cancel SO-00004"]


def test_the_next_commands_run_as_printed(story):
    """Run what explain proposes for invoicing, shipping and stock until the order is done."""
    for _ in range(4):
        doc = story.ok("order", "explain", "SO-00001")
        # The work that moves the order on, not the corrections it also offers.
        work = [
            command
            for command in commands(doc)
            if command.split()[1] in ("ship", "stock")
            or command.split()[1:3] == ["invoice", "create"]
        ]
        if not work:
            break
        for command in work:
            story.ok(*shlex.split(command)[1:])
    final = story.ok("order", "show", "SO-00001")
    assert (final["status"], final["billing_status"], final["fulfilment_status"]) == (
        "completed",
        "invoiced",
        "shipped",
    )
    assert [b["kind"] for b in story.ok("order", "explain", "SO-00001")["blocked_by"]] == [
        "nothing_left"
    ]


def test_explain_human(story, human):
    out = human("order", "explain", "SO-00001")
    for fact in (
        "Order SO-00001",
        "partially_shipped: 3 of 7 DESK-STAND shipped; 2 of 2 INSTALL delivered (rules 8, 9, 12)",
        "backordered 1 × DESK-STAND on line 1: 3 on hand, -1 available",
        "What can happen next:",
        "ordercli ship SO-00001 --line DESK-STAND=3  ",
        "INV-00002",
    ):
        assert fact in out, fact
    assert "Nothing can happen next." in human("order", "explain", "SO-00003")


def test_track(story):
    doc = story.ok("order", "track", "SO-00001")
    assert (doc["order"], doc["customer"], doc["placed"]) == (
        "SO-00001",
        "Acme Office Supplies Ltd",
        TODAY,
    )
    assert doc["status_text"] == "partly shipped; the rest is on its way"
    shipment = story.ok("shipment", "show", "SH-00001")
    assert doc["shipped"] == [
        {
            "shipment": "SH-00001",
            "date": shipment["ship_date"],
            "carrier": "DHL",
            "tracking": "JD0146000038",
            "delivered": True,
            "delivered_on": shipment["delivered_at"][:10],
            "replacement": False,
            "items": [
                {
                    "sku": line["sku"],
                    "description": line["description"],
                    "qty": line["qty"],
                    "unit": line["unit"],
                }
                for line in shipment["lines"]
            ],
        }
    ]
    assert [(c["sku"], c["qty"], c["waiting_for_stock"]) for c in doc["coming"]] == [
        ("DESK-STAND", "4", True),
    ]
    # the installation is invoiced, so delivered: never "on its way"
    assert [(d["sku"], d["qty"]) for d in doc["delivered"]] == [("INSTALL", "2")]
    assert (doc["to_deliver"], doc["has_goods"]) == ([], True)
    invoices = [story.ok("invoice", "show", n) for n in ("INV-00001", "INV-00002")]
    assert doc["invoiced"]["invoices"] == [
        {"number": i["number"], "issue_date": i["issue_date"], "total": i["total"]}
        for i in invoices
    ]
    assert doc["owed"] == {"total": "0.00", "invoices": []}
    assert [(r["number"], r["status_text"]) for r in doc["returns"]] == [
        ("RMA-00001", "done: credited")
    ]
    held = story.ok("order", "track", "SO-00004")
    assert held["status_text"] == "on hold; we will be in touch"
    assert "fraud" not in story.run("order", "track", "SO-00004").stdout


def test_track_owed_and_overdue(story):
    story.ok("invoice", "create", "SO-00001", "--partial", "--line", "DESK-STAND=1")
    invoice = story.ok("invoice", "show", "INV-00003")
    owed = story.ok("order", "track", "SO-00001", env={"ORDERCLI_TODAY": "2026-05-01"})["owed"]
    assert invoice["due_date"] == "2026-04-09"
    assert owed == {
        "total": invoice["balance"],
        "invoices": [
            {
                "number": "INV-00003",
                "due_date": "2026-04-09",
                "balance": invoice["balance"],
                "overdue": True,
            }
        ],
    }
    assert invoice["balance"] == "867.51"


def test_track_human(story, human):
    out = human("order", "track", "SO-00001")
    assert out.splitlines() == [
        "Order SO-00001 for Acme Office Supplies Ltd, placed on 2026-03-10: partly shipped; "
        "the rest is on its way.",
        "Shipped on 2026-03-10 with DHL (tracking JD0146000038): 3 × Electric standing desk. "
        "Delivered on 2026-03-10.",
        "Still to come: 4 × Electric standing desk (1 of them waiting for stock).",
        "Delivered: 2 h of Installation (per hour).",
        "Invoiced: INV-00001 of 2026-03-10 (2602.53 EUR), INV-00002 of 2026-03-10 (154.70 EUR).",
        "Nothing is owed on this order.",
        "Return RMA-00001 (1 × Electric standing desk): done: credited.",
    ]
    draft = human("order", "track", "SO-00002")
    assert "received, not yet confirmed" in draft and "Nothing has shipped yet." in draft


# The steps of an order's life the issue lists, as `order timeline` names them.
ISSUE_STEPS = {
    "created",
    "quoted",
    "confirmed",
    "held",
    "released",
    "invoiced",
    "paid",
    "shipped",
    "delivered",
    "returned",
    "credited",
    "refunded",
    "backorder",
}


def test_timeline_shows_every_step_with_time_and_user(story):
    events = story.ok("order", "timeline", "SO-00001")
    steps = Counter(e["event"] for e in events)
    assert ISSUE_STEPS <= set(steps), ISSUE_STEPS - set(steps)
    # paid twice: the payment, then the store credit applied to INV-00002
    assert steps["paid"] == 2 and steps["credited"] == 2 and steps["invoiced"] == 2
    assert all(e["at"].startswith(TODAY) and e["user"] for e in events)
    assert {e["kind"] for e in events} == {
        "quote",
        "order",
        "invoice",
        "shipment",
        "return",
        "credit_memo",
        "refund",
    }
    shipped = next(e for e in events if e["event"] == "shipped")
    assert (shipped["subject"], shipped["carrier"], shipped["tracking"]) == (
        "SH-00001",
        "DHL",
        "JD0146000038",
    )
    assert shipped["document"] == "shipment SH-00001"
    refunded = next(e for e in events if e["event"] == "refunded")
    assert "10.00" in refunded["message"]
    assert [e["event"] for e in events][:6] == [
        "quoted",
        "quote line added",
        "quote line added",
        "quote sent",
        "quote accepted",
        "created",
    ]
    cancelled = story.ok("order", "timeline", "SO-00003")
    assert [e["event"] for e in cancelled][-1] == "cancelled"
    assert "duplicate" in cancelled[-1]["message"]


def test_timeline_human(story, human):
    out = human("order", "timeline", "SO-00001")
    for fact in ("Timeline of SO-00001", "Event", "JD0146000038", "RMA-00001", "CM-00002"):
        assert fact in out, fact


@pytest.mark.parametrize("verb", ["explain", "track", "timeline"])
def test_unknown_order(story, unchanged, verb):
    with unchanged():
        assert story.fails("order", verb, "SO-09999") == "error: no order 'SO-09999'"


def test_explain_track_and_timeline_change_nothing(story, unchanged):
    with unchanged():
        for number in ("SO-00001", "SO-00002", "SO-00003", "SO-00004"):
            for verb in ("explain", "track", "timeline"):
                story.ok("order", verb, number)
                story.run("order", verb, number)
