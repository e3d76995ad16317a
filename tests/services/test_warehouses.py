"""Warehouses (schema 0004): stock is held, received, moved and shipped per warehouse.

What a warehouse holds of a product is the sum of that product's stock moves there,
and never goes below zero (SPEC rule 12, per warehouse); a product's on hand is the
sum over all warehouses. Every figure expected here is read back with plain SQL from
``stock_move`` or worked out by hand, never with the warehouse services themselves.

Behaviour this file pins down (and documents):

* Backorders follow the product's stock on hand in *all* warehouses together
  (``allocate_stock`` uses ``product.on_hand``): stock received into any warehouse
  clears backorders, even where the order will then have to ship from another
  warehouse than the default one.
* Goods coming back (a return received with restock, a credit memo with
  ``--restock``) arrive in the default warehouse, and a replacement shipment leaves
  from it — whatever warehouse the original shipment left from.
"""

from __future__ import annotations

import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

import ordercli.db.engine
from ordercli.books import checks
from ordercli.db.engine import HEAD_REVISION, open_ledger, resolve_location, unit_of_work
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.services.inventory import catalog, stock, warehouses
from ordercli.services.sales import fulfilment, invoicing, ordering, picking
from ordercli.services.settlement import credit_memos, returns
from ordercli.views import sales as views

D = Decimal
FIXTURES = Path(__file__).parent.parent / "fixtures"


# --- helpers: plain SQL, independent of the services under test ------------------------


def held(engine, sku: str) -> dict[str, Decimal]:
    """What each warehouse holds of ``sku`` (warehouses holding nothing left out)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT w.code, SUM(m.qty) FROM stock_move m "
                "JOIN warehouse w ON w.id = m.warehouse_id "
                "JOIN product p ON p.id = m.product_id "
                "WHERE p.sku = :sku GROUP BY w.code"
            ),
            {"sku": sku},
        )
        return {code: D(qty) / 1000 for code, qty in rows if qty}


def move_rows(engine, sku: str) -> list[tuple[str, str, Decimal, str | None]]:
    """``(warehouse, kind, qty, reference)`` of every move of ``sku``, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT w.code, m.kind, m.qty, m.reference FROM stock_move m "
                "JOIN warehouse w ON w.id = m.warehouse_id "
                "JOIN product p ON p.id = m.product_id WHERE p.sku = :sku ORDER BY m.id"
            ),
            {"sku": sku},
        )
        return [(code, kind, D(qty) / 1000, ref) for code, kind, qty, ref in rows]


def shipment_warehouse(engine, number: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT w.code FROM shipment s LEFT JOIN warehouse w ON w.id = s.warehouse_id "
                "WHERE s.number = :number"
            ),
            {"number": number},
        ).scalar_one()


def backordered(engine, number: str) -> list[Decimal]:
    """The backordered quantity of each line of an order, by position."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT l.qty_backordered FROM order_line l "
                "JOIN sales_order o ON o.id = l.order_id "
                "WHERE o.number = :number ORDER BY l.position"
            ),
            {"number": number},
        )
        return [D(q) / 1000 for (q,) in rows]


def deactivate(uow, code: str) -> None:
    """No command deactivates a warehouse yet; a test does it the way a future one would."""
    with uow() as session:
        session.connection().execute(
            text("UPDATE warehouse SET active = :no WHERE code = :code"),
            {"no": False, "code": code},
        )


def add(uow, code: str, name: str = "A warehouse") -> None:
    with uow() as session:
        warehouses.add_warehouse(session=session, code=code, name=name)


def receive(uow, sku: str, qty: str, warehouse: str | None = None) -> None:
    with uow() as session:
        stock.receive_stock(session=session, sku=sku, qty=D(qty), warehouse=warehouse)


def transfer(uow, sku: str, qty: str, source: str, target: str) -> None:
    with uow() as session:
        stock.transfer_stock(session=session, sku=sku, qty=D(qty), source=source, target=target)


def ship(uow, number: str, lines: dict | None = None, warehouse: str | None = None) -> str:
    requests = [(sku, D(q)) for sku, q in lines.items()] if lines else None
    with uow() as session:
        return fulfilment.create_shipment(
            session=session, order_number=number, lines=requests, warehouse=warehouse
        ).number


def check_report(engine) -> dict:
    with unit_of_work(engine, write=False) as session:
        return checks.run_checks(session=session)


# --- the warehouses themselves ----------------------------------------------------------


def test_a_ledger_starts_with_main_as_default_holding_the_opening_stock(seeded, uow):
    with uow(write=False) as session:
        assert [w.code for w in warehouses.list_warehouses(session=session)] == ["MAIN"]
        assert warehouses.default_warehouse(session).code == "MAIN"
        assert warehouses.get_warehouse(session=session, code=None).code == "MAIN"
    assert held(seeded, "DESK-OAK") == {"MAIN": D(12)}
    assert held(seeded, "COFFEE-KG") == {"MAIN": D("35.5")}
    assert held(seeded, "INSTALL") == {}


def test_warehouse_codes_are_unique_and_found_case_insensitively(seeded, uow, refused):
    add(uow, "SHOP", "Shop floor")
    with uow(write=False) as session:
        assert warehouses.get_warehouse(session=session, code=" shop ").code == "SHOP"
        assert [w.code for w in warehouses.list_warehouses(session=session)] == ["MAIN", "SHOP"]
    refused(
        RuleViolation,
        "warehouse shop already exists",
        lambda s: warehouses.add_warehouse(session=s, code="shop", name="Again"),
    )
    refused(
        RuleViolation,
        "warehouse Main already exists",
        lambda s: warehouses.add_warehouse(session=s, code="Main", name="Again"),
    )
    refused(
        InvalidInput,
        "warehouse code 'S P' must not contain spaces",
        lambda s: warehouses.add_warehouse(session=s, code="S P", name="Spaced"),
    )
    refused(
        InvalidInput,
        "warehouse name must not be empty",
        lambda s: warehouses.add_warehouse(session=s, code="DEPOT", name="  "),
    )
    error = refused(
        NotFound,
        "no warehouse 'NOPE'",
        lambda s: warehouses.get_warehouse(session=s, code="NOPE"),
    )
    assert error.hint == "warehouses: MAIN, SHOP"
    refused(
        InvalidInput,
        "warehouse code is empty",
        lambda s: warehouses.get_warehouse(session=s, code=" "),
    )


def test_the_default_warehouse_takes_receipts_and_shipments_and_an_inactive_one_nothing(
    make_order, uow, refused, engine
):
    add(uow, "SHOP")
    add(uow, "DEPOT")
    with uow() as session:
        assert warehouses.set_default_warehouse(session=session, code="shop").code == "SHOP"
    receive(uow, "DESK-OAK", "2")
    assert held(engine, "DESK-OAK") == {"MAIN": D(12), "SHOP": D(2)}
    number = make_order(lines=[("DESK-OAK", "2")])
    assert shipment_warehouse(engine, ship(uow, number)) == "SHOP"
    assert held(engine, "DESK-OAK") == {"MAIN": D(12)}

    deactivate(uow, "DEPOT")
    refused(
        RuleViolation,
        "warehouse DEPOT is inactive",
        lambda s: warehouses.set_default_warehouse(session=s, code="depot"),
    )
    refused(
        RuleViolation,
        "warehouse DEPOT is inactive",
        lambda s: stock.receive_stock(session=s, sku="DESK-OAK", qty=D(1), warehouse="DEPOT"),
    )
    refused(
        RuleViolation,
        "warehouse DEPOT is inactive",
        lambda s: stock.transfer_stock(
            session=s, sku="DESK-OAK", qty=D(1), source="MAIN", target="DEPOT"
        ),
    )
    other = make_order(lines=[("DESK-OAK", "1")])
    refused(
        RuleViolation,
        "warehouse DEPOT is inactive",
        lambda s: fulfilment.create_shipment(session=s, order_number=other, warehouse="DEPOT"),
    )
    # The default itself made inactive: commands that fall back on it refuse.
    deactivate(uow, "SHOP")
    refused(
        RuleViolation,
        "warehouse SHOP is inactive",
        lambda s: stock.receive_stock(session=s, sku="DESK-OAK", qty=D(1)),
    )
    refused(
        RuleViolation,
        "warehouse SHOP is inactive",
        lambda s: stock.adjust_stock(session=s, sku="DESK-OAK", qty=D(1), reason="count"),
    )


# --- stock per warehouse ----------------------------------------------------------------


def test_receive_and_adjust_keep_each_warehouse_at_zero_or_more(seeded, uow, refused, stock_of):
    add(uow, "SHOP")
    receive(uow, "DESK-OAK", "3", "shop")
    assert held(seeded, "DESK-OAK") == {"MAIN": D(12), "SHOP": D(3)}
    assert stock_of("DESK-OAK") == (D(15), D(0))
    # 15 on hand in all, but SHOP holds 3: taking 4 out of SHOP is refused.
    refused(
        RuleViolation,
        "not enough DESK-OAK on hand in SHOP: 3 on hand, 4 needed",
        lambda s: stock.adjust_stock(
            session=s, sku="DESK-OAK", qty=D(-4), reason="broken", warehouse="SHOP"
        ),
    )
    refused(
        InvalidInput,
        "adjustment quantity must not be zero",
        lambda s: stock.adjust_stock(
            session=s, sku="DESK-OAK", qty=D(0), reason="count", warehouse="SHOP"
        ),
    )
    refused(
        NotFound,
        "no warehouse 'NOPE'",
        lambda s: stock.receive_stock(session=s, sku="DESK-OAK", qty=D(1), warehouse="NOPE"),
    )
    refused(
        RuleViolation,
        "INSTALL is a service and holds no stock",
        lambda s: stock.receive_stock(session=s, sku="INSTALL", qty=D(1), warehouse="SHOP"),
    )
    with uow() as session:
        stock.adjust_stock(
            session=session, sku="DESK-OAK", qty=D("-3"), reason="stocktake", warehouse="SHOP"
        )
        stock.adjust_stock(session=session, sku="DESK-OAK", qty=D("0.5"), reason="found half")
    assert held(seeded, "DESK-OAK") == {"MAIN": D("12.5")}
    assert move_rows(seeded, "DESK-OAK") == [
        ("MAIN", "receive", D(12), "opening stock"),
        ("SHOP", "receive", D(3), None),
        ("SHOP", "adjust", D(-3), "stocktake"),
        ("MAIN", "adjust", D("0.5"), "found half"),
    ]
    assert check_report(seeded)["ok"]


def test_stock_views_agree_with_the_moves(seeded, uow):
    add(uow, "SHOP")
    add(uow, "EMPTY")
    transfer(uow, "DESK-OAK", "5", "MAIN", "SHOP")
    transfer(uow, "COFFEE-KG", "35.5", "MAIN", "SHOP")
    with uow(write=False) as session:
        desk = catalog.get_product(session=session, sku="DESK-OAK")
        coffee = catalog.get_product(session=session, sku="COFFEE-KG")
        shop = warehouses.get_warehouse(session=session, code="SHOP")
        main = warehouses.get_warehouse(session=session, code="MAIN")
        assert warehouses.on_hand_in(session, desk.id, shop.id) == 5000
        assert warehouses.on_hand_in(session, desk.id, main.id) == 7000
        assert warehouses.on_hand_in(session, coffee.id, main.id) == 0
        levels = warehouses.stock_by_warehouse(session, [desk.id, coffee.id, desk.id])
        assert levels == {desk.id: {"MAIN": 7000, "SHOP": 5000}, coffee.id: {"SHOP": 35500}}
        holdings = warehouses.holdings(session)
        empty = warehouses.get_warehouse(session=session, code="EMPTY")
    # 13 stocked products in the sample catalog; MAIN gave all its coffee away.
    with seeded.connect() as conn:
        total = conn.execute(text("SELECT SUM(qty) FROM stock_move")).scalar_one()
    assert holdings[shop.id] == {"products": 2, "units": D("40.5")}
    assert holdings[main.id] == {"products": 12, "units": D(total) / 1000 - D("40.5")}
    assert empty.id not in holdings


def test_transfer_moves_goods_and_leaves_totals_reservations_and_backorders(
    make_order, uow, refused, engine, stock_of
):
    add(uow, "SHOP")
    number = make_order(lines=[("DESK-STAND", "7")])  # 5 on hand: 2 backordered
    assert backordered(engine, number) == [D(2)]
    transfer(uow, "DESK-STAND", "3", "main", "shop")
    assert held(engine, "DESK-STAND") == {"MAIN": D(2), "SHOP": D(3)}
    assert stock_of("DESK-STAND") == (D(5), D(7))
    assert backordered(engine, number) == [D(2)]
    assert move_rows(engine, "DESK-STAND")[-2:] == [
        ("MAIN", "transfer", D(-3), "MAIN → SHOP"),
        ("SHOP", "transfer", D(3), "MAIN → SHOP"),
    ]
    refused(
        InvalidInput,
        "--from and --to are both SHOP",
        lambda s: stock.transfer_stock(
            session=s, sku="DESK-STAND", qty=D(1), source="SHOP", target="shop"
        ),
    )
    # 5 on hand in all, SHOP holds 3: moving 4 out of SHOP is refused.
    refused(
        RuleViolation,
        "not enough DESK-STAND on hand in SHOP: 3 on hand, 4 needed",
        lambda s: stock.transfer_stock(
            session=s, sku="DESK-STAND", qty=D(4), source="SHOP", target="MAIN"
        ),
    )
    refused(
        NotFound,
        "no warehouse 'NOPE'",
        lambda s: stock.transfer_stock(
            session=s, sku="DESK-STAND", qty=D(1), source="MAIN", target="NOPE"
        ),
    )
    assert check_report(engine)["ok"]


# --- shipping from a warehouse ----------------------------------------------------------


def test_shipping_takes_the_goods_from_the_named_warehouse(
    make_order, uow, refused, engine, stock_of, order_state
):
    add(uow, "SHOP")
    number = make_order(lines=[("DESK-OAK", "4"), ("INSTALL", "2")])
    transfer(uow, "DESK-OAK", "3", "MAIN", "SHOP")
    # 12 on hand, SHOP holds 3 of the 4 ordered.
    error = refused(
        RuleViolation,
        f"cannot ship 4 × DESK-OAK on {number} from SHOP: only 3 on hand there",
        lambda s: fulfilment.create_shipment(session=s, order_number=number, warehouse="SHOP"),
    )
    assert "9 in other warehouses" in error.hint
    first = ship(uow, number, {"DESK-OAK": "3"}, warehouse="shop")
    assert shipment_warehouse(engine, first) == "SHOP"
    assert held(engine, "DESK-OAK") == {"MAIN": D(9)}
    refused(
        RuleViolation,
        f"cannot ship 1 × DESK-OAK on {number} from SHOP: only 0 on hand there",
        lambda s: fulfilment.create_shipment(session=s, order_number=number, warehouse="SHOP"),
    )
    second = ship(uow, number)
    assert shipment_warehouse(engine, second) == "MAIN"
    assert move_rows(engine, "DESK-OAK")[-2:] == [
        ("SHOP", "ship", D(-3), first),
        ("MAIN", "ship", D(-1), second),
    ]
    assert stock_of("DESK-OAK") == (D(8), D(0))
    with uow(write=False) as session:
        view = views.shipment_view(session, fulfilment.get_shipment(session=session, number=first))
    assert view["warehouse"] == "SHOP"
    state = order_state(number)
    # The installation never leaves a warehouse: invoicing it delivers it (rule 12).
    assert [ln["qty_shipped"] for ln in state["lines"]] == [D(4), D(0)]
    assert state["fulfilment_status"] == "partially_shipped"
    assert check_report(engine)["ok"]


def test_services_never_leave_a_warehouse(make_order, refused, engine):
    number = make_order(lines=[("INSTALL", "3")])
    refused(
        RuleViolation,
        f"nothing to ship on {number}: it holds only services, which are delivered by "
        "invoicing them, never shipped",
        lambda s: fulfilment.create_shipment(session=s, order_number=number, warehouse="MAIN"),
    )
    assert check_report(engine)["ok"]


def test_backorders_clear_when_stock_arrives_in_any_warehouse(make_order, uow, refused, engine):
    """Allocation is on the product's total on hand, not per warehouse: goods received
    into SHOP cover an order at once, although the default warehouse (MAIN) cannot ship
    it. The order then ships from both, or after a transfer."""
    add(uow, "SHOP")
    number = make_order(lines=[("DESK-STAND", "8")])  # 5 on hand in MAIN: 3 backordered
    assert backordered(engine, number) == [D(3)]
    receive(uow, "DESK-STAND", "3", "SHOP")
    assert backordered(engine, number) == [D(0)]
    refused(
        RuleViolation,
        f"cannot ship 8 × DESK-STAND on {number} from MAIN: only 5 on hand there",
        lambda s: fulfilment.create_shipment(session=s, order_number=number),
    )
    ship(uow, number, {"DESK-STAND": "5"})
    ship(uow, number, warehouse="SHOP")
    assert held(engine, "DESK-STAND") == {}
    assert check_report(engine)["ok"]


# --- goods coming back ------------------------------------------------------------------


def test_restocked_goods_arrive_in_the_default_warehouse_and_replacements_leave_it(
    make_order, uow, refused, engine
):
    add(uow, "SHOP")
    number = make_order(lines=[("DESK-OAK", "3")])
    transfer(uow, "DESK-OAK", "3", "MAIN", "SHOP")
    ship(uow, number, warehouse="SHOP")  # left SHOP
    assert held(engine, "DESK-OAK") == {"MAIN": D(9)}
    with uow() as session:
        rma = returns.request_return(
            session=session, order_number=number, lines=[("DESK-OAK", D(1))], reason="scratched"
        ).number
        returns.authorize_return(session=session, number=rma)
        returns.receive_return(session=session, number=rma, restock=True)
    assert held(engine, "DESK-OAK") == {"MAIN": D(10)}  # back into MAIN, the default

    # A replacement leaves the default warehouse; it needs the goods there.
    transfer(uow, "DESK-OAK", "10", "MAIN", "SHOP")
    refused(
        RuleViolation,
        "not enough DESK-OAK on hand in MAIN: 0 on hand, 1 needed",
        lambda s: returns.resolve_return(session=s, number=rma, replace=True),
    )
    transfer(uow, "DESK-OAK", "1", "SHOP", "MAIN")
    with uow() as session:
        _, _, replacement = returns.resolve_return(session=session, number=rma, replace=True)
        replacement = replacement.number
    assert shipment_warehouse(engine, replacement) == "MAIN"
    assert move_rows(engine, "DESK-OAK")[-1] == ("MAIN", "replace", D(-1), replacement)

    # With SHOP the default, a credit memo's restock arrives in SHOP.
    with uow() as session:
        warehouses.set_default_warehouse(session=session, code="SHOP")
        invoice = invoicing.create_invoice(session=session, order_number=number).number
        memo = credit_memos.create_credit_memo(
            session=session,
            invoice_number=invoice,
            lines=[("DESK-OAK", D(1))],
            restock=True,
            settlement="store_credit",
        ).number
    assert move_rows(engine, "DESK-OAK")[-1] == ("SHOP", "credit_restock", D(1), memo)
    assert held(engine, "DESK-OAK") == {"SHOP": D(10)}
    assert check_report(engine)["ok"]


# --- ordercli check ----------------------------------------------------------------------


def test_check_finds_a_warehouse_below_zero_and_a_shipment_without_warehouse(
    make_order, uow, engine
):
    add(uow, "SHOP")
    number = make_order(lines=[("DESK-OAK", "1"), ("INSTALL", "1")])
    shipment = ship(uow, number)
    assert check_report(engine)["ok"]
    with engine.begin() as conn:
        # Two units "moved" from SHOP to MAIN that SHOP never had: the totals still agree.
        conn.execute(
            text(
                "INSERT INTO stock_move (product_id, warehouse_id, at, qty, kind, reference) "
                "SELECT p.id, w.id, '2026-01-01 00:00:00', :qty, 'transfer', 'forged' "
                "FROM product p, warehouse w WHERE p.sku = 'DESK-OAK' AND w.code = :code"
            ),
            [{"qty": -2000, "code": "SHOP"}, {"qty": 2000, "code": "MAIN"}],
        )
        conn.execute(
            text("UPDATE shipment SET warehouse_id = NULL WHERE number = :a"), {"a": shipment}
        )
    report = check_report(engine)
    assert report["ok"] is False
    assert [(p["rule"], p["problem"]) for p in report["problems"]] == [
        ("12", "DESK-OAK: -2 on hand in SHOP"),
        ("12", f"{shipment} ships goods but names no warehouse"),
        (
            "4",
            f"shipment {shipment} does not match its recorded hash: it was changed after "
            "it was issued (or a document before it was)",
        ),
    ]


# --- upgrading a ledger of release 0.1/0.2 ------------------------------------------------


@pytest.mark.parametrize("release", ["ledger-0001", "ledger-0002"])
def test_an_upgraded_ledger_holds_everything_in_main(release, tmp_path):
    path = tmp_path / "ledger.db"
    shutil.copyfile(FIXTURES / f"{release}.db", path)
    old = sqlite3.connect(path)
    try:
        on_hand = dict(old.execute("SELECT sku, on_hand FROM product WHERE service = 0"))
        moves = old.execute("SELECT COUNT(*) FROM stock_move").fetchone()[0]
        shipments = old.execute("SELECT number FROM shipment ORDER BY number").fetchall()
    finally:
        old.close()
    assert moves and shipments and any(on_hand.values())
    url = resolve_location(str(path))
    try:
        engine = open_ledger(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
                HEAD_REVISION
            )
            assert conn.execute(text("SELECT code, active FROM warehouse")).all() == [("MAIN", 1)]
            by_warehouse = conn.execute(
                text(
                    "SELECT w.code, COUNT(*) FROM stock_move m "
                    "LEFT JOIN warehouse w ON w.id = m.warehouse_id GROUP BY w.code"
                )
            ).all()
            shipped_from = conn.execute(
                text(
                    "SELECT s.number, w.code FROM shipment s "
                    "LEFT JOIN warehouse w ON w.id = s.warehouse_id ORDER BY s.number"
                )
            ).all()
        assert by_warehouse == [("MAIN", moves)]
        assert shipped_from == [(number, "MAIN") for (number,) in shipments]
        for sku, units in on_hand.items():
            assert held(engine, sku) == ({"MAIN": D(units) / 1000} if units else {}), sku
        with unit_of_work(engine, write=False) as session:
            assert warehouses.default_warehouse(session).code == "MAIN"
            report = checks.run_checks(session=session)
        assert (report["ok"], report["problems"]) == (True, [])
        # The upgraded ledger takes a new warehouse and moves stock into it.
        with unit_of_work(engine) as session:
            warehouses.add_warehouse(session=session, code="SHOP", name="Shop")
            stock.transfer_stock(
                session=session, sku="LAMP-LED", qty=D(1), source="MAIN", target="SHOP"
            )
        assert held(engine, "LAMP-LED") == {
            "MAIN": D(on_hand["LAMP-LED"]) / 1000 - 1,
            "SHOP": D(1),
        }
    finally:
        ordercli.db.engine.forget_ledger(url)


# --- PostgreSQL ---------------------------------------------------------------------------


def _pg_catalog(engine) -> None:
    from ordercli.services.parties import customers

    with unit_of_work(engine) as session:
        customers.add_customer(session=session, name="Acme", code="ACME", terms_days=14)
        catalog.add_product(
            session=session, sku="DESK", name="Desk", price=D("348.35"), tax_rate=D(19)
        )
        catalog.add_product(
            session=session, sku="INSTALL", name="Installation", price=D(65), service=True
        )


@pytest.mark.postgres
def test_two_warehouses_receive_transfer_and_ship_on_postgres(pg_engine):
    def pg_uow(write: bool = True):
        return unit_of_work(pg_engine, write=write)

    _pg_catalog(pg_engine)
    with pg_uow() as session:  # MAIN came with the schema; the sequence goes on from it
        assert warehouses.add_warehouse(session=session, code="SHOP", name="Shop").id == 2
    with unit_of_work(pg_engine) as session:
        stock.receive_stock(session=session, sku="DESK", qty=D(6), warehouse="MAIN")
        stock.receive_stock(session=session, sku="DESK", qty=D("2.5"), warehouse="shop")
        order = ordering.new_order(session=session, customer_code="ACME").number
        ordering.add_order_line(session=session, number=order, sku="DESK", qty=D(9))
        ordering.add_order_line(session=session, number=order, sku="INSTALL", qty=D(1))
        ordering.confirm_order(session=session, number=order, override_credit="test")
    assert backordered(pg_engine, order) == [D("0.5"), D(0)]
    with pytest.raises(RuleViolation, match="only 2.5 on hand there"):
        with unit_of_work(pg_engine) as session:
            fulfilment.create_shipment(session=session, order_number=order, warehouse="SHOP")
    transfer(pg_uow, "DESK", "1.5", "MAIN", "SHOP")
    assert held(pg_engine, "DESK") == {"MAIN": D("4.5"), "SHOP": D(4)}
    with unit_of_work(pg_engine, write=False) as session:
        picks = picking.pick_list(session=session, warehouse="SHOP")
    assert [(ln["sku"], ln["qty"]) for ln in picks["lines"]] == [("DESK", D(4))]
    first = ship(pg_uow, order, {"DESK": "4"}, warehouse="SHOP")  # the service is not shipped
    second = ship(pg_uow, order, {"DESK": "4.5"}, warehouse="MAIN")
    assert (shipment_warehouse(pg_engine, first), shipment_warehouse(pg_engine, second)) == (
        "SHOP",
        "MAIN",
    )
    assert held(pg_engine, "DESK") == {}
    assert move_rows(pg_engine, "DESK")[-2:] == [
        ("SHOP", "ship", D(-4), first),
        ("MAIN", "ship", D("-4.5"), second),
    ]
    with unit_of_work(pg_engine) as session:
        stock.receive_stock(session=session, sku="DESK", qty=D(1), warehouse="SHOP")
    assert backordered(pg_engine, order) == [D(0), D(0)]
    report = check_report(pg_engine)
    assert (report["ok"], report["problems"]) == (True, [])
