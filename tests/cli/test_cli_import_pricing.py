"""`ordercli import orders FILE [--prices-include-tax|--prices-exclude-tax]`: rows
without ``unit_price`` and gross prices (SPEC rule 19), end to end on the sample ledger."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

TODAY = {"ORDERCLI_TODAY": "2026-06-15"}
HEADER = (
    "order_ref,customer_code,order_date,sku,qty,unit_price,discount_pct,tax_rate,confirm,"
    "prices_include_tax"
)


def write(folder: Path, *rows: str) -> Path:
    path = folder / "orders.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_the_flag_makes_prices_gross_and_empty_prices_come_from_the_product(shop, tmp_path):
    path = write(
        tmp_path,
        "W1,MUELLER,2026-06-01,LAMP-LED,2,59.90,0,,false,",
        "W1,MUELLER,2026-06-01,MAT-CHAIR,1,,0,,false,",
    )
    doc = shop.ok("import", "orders", str(path), "--prices-include-tax", env=TODAY)
    assert (doc["created"], doc["lines_created"], doc["errors"]) == (1, 2, [])
    number = shop.ok("order", "list", env=TODAY)[-1]["number"]
    order = shop.ok("order", "show", number, env=TODAY)
    assert order["prices_include_tax"] is True
    lamp, mat = order["lines"]
    assert (lamp["price_source"], Decimal(lamp["net"]), Decimal(lamp["tax"])) == (
        "manual",
        Decimal("100.67"),  # 119.80 ÷ 1.19
        Decimal("19.13"),
    )
    # The product's net 39.00 with tax added at the unit: 46.41, then taken out again.
    assert (mat["price_source"], Decimal(mat["unit_price"])) == ("product", Decimal("46.41"))
    assert (Decimal(mat["net"]), Decimal(mat["tax"])) == (Decimal("39.00"), Decimal("7.41"))
    assert Decimal(order["total"]) == Decimal("166.21")
    assert shop.ok("check")["ok"] is True


def test_the_column_wins_over_the_flag_and_must_agree(shop, tmp_path, unchanged):
    path = write(tmp_path, "N1,MUELLER,2026-06-01,LAMP-LED,1,50.00,0,,false,false")
    shop.ok("import", "orders", str(path), "--prices-include-tax", env=TODAY)
    number = shop.ok("order", "list", env=TODAY)[-1]["number"]
    order = shop.ok("order", "show", number, env=TODAY)
    assert order["prices_include_tax"] is False
    assert Decimal(order["total"]) == Decimal("59.50")
    path = write(
        tmp_path,
        "X1,MUELLER,2026-06-01,LAMP-LED,1,50.00,0,,false,true",
        "X1,MUELLER,2026-06-01,LAMP-LED,1,50.00,0,,false,",
    )
    with unchanged():
        result = shop.run("import", "orders", str(path), env=TODAY)
    assert result.exit_code == 1
    assert "line 3: order X1 (line 2) has prices_include_tax=true, not (empty)" in result.stdout
    assert result.stderr.startswith("error: orders.csv: 1 bad row; nothing was imported")


def test_the_flag_is_for_orders_only(shop, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("code,name\nNEW1,New One\n", encoding="utf-8")
    assert (
        "No such option"
        in shop.run("import", "customers", str(path), "--prices-include-tax").stderr
    )


def test_a_gross_web_shop_import_invoices_and_credits_to_the_cent(shop, tmp_path):
    """Issue 18's "done when": a gross-priced import invoices correctly. Each invoice line
    is its gross amount split by rule 19, the invoice adds up, a partial credit and then
    the rest credit it to exactly zero, and the ledger stays consistent."""
    path = write(
        tmp_path,
        "G1,MUELLER,2026-06-01,LAMP-LED,3,59.99,0,,true,true",
        "G1,MUELLER,2026-06-01,MAT-CHAIR,2,46.90,10,7,true,true",
    )
    shop.ok("import", "orders", str(path), env=TODAY)
    number = shop.ok("order", "list", env=TODAY)[-1]["number"]
    invoice = shop.ok("invoice", "create", number, env=TODAY)
    assert invoice["prices_include_tax"] is True
    gross = {"LAMP-LED": Decimal("179.97"), "MAT-CHAIR": Decimal("84.42")}  # 93.80 less 10 %
    for line in invoice["lines"]:
        net, tax = Decimal(line["net"]), Decimal(line["tax"])
        rate = 1 + Decimal(line["tax_rate"]) / 100
        assert net + tax == gross[line["sku"]]
        assert net == (gross[line["sku"]] / rate).quantize(Decimal("0.01"), "ROUND_HALF_UP")
    assert Decimal(invoice["total"]) == sum(gross.values())
    assert Decimal(invoice["subtotal"]) + Decimal(invoice["tax"]) == Decimal(invoice["total"])
    shop.ok("credit-memo", "create", invoice["number"], "--line", "LAMP-LED=1", env=TODAY)
    shop.ok("credit-memo", "create", invoice["number"], env=TODAY)
    after = shop.ok("invoice", "show", invoice["number"], env=TODAY)
    assert Decimal(after["credited"]) == Decimal(after["total"])
    assert Decimal(after["balance"]) == 0
    assert shop.ok("check", env=TODAY)["ok"] is True
