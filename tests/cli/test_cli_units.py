"""Units of measure end to end: products sold in kilograms, hours and pieces, and every
line, screen, document, import and export that shows a quantity with its unit.

The sample shop sells its espresso beans (COFFEE-KG) by the kilogram (KGM), its
installation by the hour (HUR) and its furniture in pieces (C62).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.documents_support import pdf_text

TODAY = {"ORDERCLI_TODAY": "2026-03-20"}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY["ORDERCLI_TODAY"])
    monkeypatch.delenv("ORDERCLI_TEMPLATES", raising=False)


def units_of(doc: dict) -> list[tuple[str, str, str]]:
    return [(line["sku"], line["qty"], line["unit"]) for line in doc["lines"]]


def write(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def document(cli, folder: Path, *args: str, name: str) -> bytes:
    target = folder / name
    result = cli.run(*args, "-o", str(target))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return target.read_bytes()


# --- products ----------------------------------------------------------------------------


def test_a_product_sold_by_the_kilogram(cli, human):
    doc = cli.ok(
        "product", "add", "TEA-G", "Green tea", "--price", "38.00", "--unit", "kg", "--stock", "4.5"
    )
    assert (doc["unit"], doc["on_hand"]) == ("KGM", "4.5")
    assert cli.ok("product", "show", "TEA-G")["unit"] == "KGM"
    assert cli.ok("product", "add", "CUP", "Tea cup", "--price", "4")["unit"] == "C62"
    assert cli.ok("product", "add", "TASTING", "Tasting", "--price", "90", "--service",
                  "--unit", "HOUR")["unit"] == "HUR"  # fmt: skip

    out = human("product", "show", "TEA-G")
    assert "kg (KGM)" in out
    listed = human("product", "list")
    rows = {line.split("│")[1].strip(): line for line in listed.splitlines() if "│" in line}
    assert " kg " in rows["TEA-G"] and " pc " in rows["CUP"] and " h " in rows["TASTING"]
    assert [p["unit"] for p in cli.ok("product", "list")] == ["HUR", "C62", "KGM"]


def test_editing_the_unit(shop):
    doc = shop.ok("product", "edit", "CABLE-TRAY", "--unit", "box")
    assert doc["unit"] == "XBX"
    assert shop.ok("product", "show", "CABLE-TRAY")["unit"] == "XBX"
    assert shop.ok("product", "edit", "CABLE-TRAY", "--unit", "C62")["unit"] == "C62"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("product", "add", "RICE", "Rice", "--price", "3", "--unit", "kgg"),
            "error: unknown unit 'kgg'; did you mean kg (KGM)",
        ),
        (("product", "add", "RICE", "Rice", "--price", "3", "--unit", "barrel"),
         "error: unknown unit 'barrel'"),
        (("product", "edit", "COFFEE-KG", "--unit", "pound"), "error: unknown unit 'pound'"),
        (("product", "edit", "COFFEE-KG", "--unit", " "), "error: unit must not be empty"),
    ],
)  # fmt: skip
def test_an_unknown_unit_is_refused_and_nothing_changes(shop, unchanged, args, message):
    with unchanged():
        result = shop.run(*args)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    first, *rest = result.stderr.splitlines()
    assert first.startswith(message), result.stderr
    assert rest and rest[0].startswith("hint: ") and "KGM (kg)" in rest[0]
    assert shop.ok("product", "show", "COFFEE-KG")["unit"] == "KGM"


# --- lines keep the unit they were written with --------------------------------------------


@pytest.fixture
def sold(shop):
    """SO-00001 for ACME: 12.5 kg of beans and 6 chairs, shipped in part and invoiced; then
    the beans are sold by the 250 g bag, which no line already written may notice."""
    quote = shop.ok("quote", "new", "ACME")["number"]
    shop.ok("quote", "add-line", quote, "COFFEE-KG", "2.5")
    shop.ok("order", "new", "ACME")
    shop.ok("order", "add-line", "SO-00001", "COFFEE-KG", "12.5")
    shop.ok("order", "add-line", "SO-00001", "CHAIR-ERGO", "6")
    shop.ok("order", "add-line", "SO-00001", "INSTALL", "2")
    shop.ok("order", "confirm", "SO-00001")
    shop.ok("ship", "SO-00001", "--line", "COFFEE-KG=10", "--line", "CHAIR-ERGO=6")
    shop.ok("invoice", "create", "SO-00001")
    shop.ok("return", "request", "SO-00001", "--line", "COFFEE-KG=2", "--reason", "stale")
    shop.ok("return", "authorize", "RMA-00001")
    shop.ok("return", "receive", "RMA-00001")
    shop.ok("return", "resolve", "RMA-00001", "--credit-memo")
    shop.ok("product", "edit", "COFFEE-KG", "--unit", "bag")
    return shop


def test_every_line_keeps_its_unit_after_the_product_changes(sold):
    assert sold.ok("product", "show", "COFFEE-KG")["unit"] == "XBG"
    assert units_of(sold.ok("quote", "show", "Q-00001")) == [("COFFEE-KG", "2.5", "KGM")]
    assert units_of(sold.ok("order", "show", "SO-00001")) == [
        ("COFFEE-KG", "12.5", "KGM"),
        ("CHAIR-ERGO", "6", "C62"),
        ("INSTALL", "2", "HUR"),
    ]
    assert units_of(sold.ok("invoice", "show", "INV-00001")) == [
        ("COFFEE-KG", "12.5", "KGM"),
        ("CHAIR-ERGO", "6", "C62"),
        ("INSTALL", "2", "HUR"),
    ]
    assert units_of(sold.ok("shipment", "show", "SH-00001")) == [
        ("COFFEE-KG", "10", "KGM"),
        ("CHAIR-ERGO", "6", "C62"),
    ]
    assert units_of(sold.ok("return", "show", "RMA-00001")) == [("COFFEE-KG", "2", "KGM")]
    assert units_of(sold.ok("credit-memo", "show", "CM-00001")) == [("COFFEE-KG", "2", "KGM")]
    # A line written now takes the product's unit as it is now.
    sold.ok("order", "new", "BRIGHT")
    assert units_of(sold.ok("order", "add-line", "SO-00002", "COFFEE-KG", "4")) == [
        ("COFFEE-KG", "4", "XBG")
    ]


def test_screens_show_each_quantity_with_its_unit(sold, human):
    def row_of(out: str, sku: str) -> list[str]:
        line = next(ln for ln in out.splitlines() if ln.startswith("│") and f" {sku} " in ln)
        return [cell.strip() for cell in line.split("│")[1:-1]]

    invoice = human("invoice", "show", "INV-00001")
    assert row_of(invoice, "COFFEE-KG")[3:5] == ["12.5", "kg"]
    assert row_of(invoice, "INSTALL")[3:5] == ["2", "h"]
    assert row_of(human("order", "show", "SO-00001"), "CHAIR-ERGO")[3:5] == ["6", "pc"]
    assert row_of(human("shipment", "show", "SH-00001"), "COFFEE-KG")[3:5] == ["10", "kg"]
    assert row_of(human("quote", "show", "Q-00001"), "COFFEE-KG")[3:5] == ["2.5", "kg"]
    assert row_of(human("return", "show", "RMA-00001"), "COFFEE-KG")[3:5] == ["2", "kg"]
    assert row_of(human("credit-memo", "show", "CM-00001"), "COFFEE-KG")[3:5] == ["2", "kg"]
    assert row_of(human("order", "explain", "SO-00001"), "COFFEE-KG")[2:4] == ["12.5", "kg"]

    explained = sold.ok("order", "explain", "SO-00001")["lines"][0]
    assert explained["unit"] == "KGM"
    assert explained["why"].startswith("12.5 of 12.5 kg invoiced; 10 of 12.5 kg shipped")

    tracked = " ".join(human("order", "track", "SO-00001").split())
    assert "10 kg of Espresso beans (per kg); 6 × Ergonomic office chair" in tracked
    assert "Still to come: 2.5 kg of Espresso beans (per kg)" in tracked
    assert "Return RMA-00001 (2 kg of Espresso beans (per kg))" in tracked


def test_the_pick_list_and_stock_list_name_units(shop, human):
    shop.ok("order", "new", "ACME")
    shop.ok("order", "add-line", "SO-00001", "COFFEE-KG", "7.5")
    shop.ok("order", "add-line", "SO-00001", "LAMP-LED", "3")
    shop.ok("order", "confirm", "SO-00001")
    picks = shop.ok("shipment", "pick-list")
    assert sorted((p["sku"], p["qty"], p["unit"]) for p in picks["lines"]) == [
        ("COFFEE-KG", "7.5", "KGM"),
        ("LAMP-LED", "3", "C62"),
    ]
    assert {(q["unit"], q["qty"]) for q in picks["quantities"]} == {("KGM", "7.5"), ("C62", "3")}
    title = human("shipment", "pick-list").splitlines()[0]
    assert "7.5 kg" in title and "3 pc" in title and "units" not in title
    stock = human("stock", "list").splitlines()
    at = next(i for i, line in enumerate(stock) if "COFFEE-KG" in line)
    # The row, and the lines its wrapped cells continue on before the next product's.
    beans = [stock[at], *(ln for ln in stock[at + 1 : at + 4] if ln.startswith("│    "))]
    by_warehouse = " ".join(line.split("│")[-2].strip() for line in beans).split()
    assert by_warehouse == ["MAIN", "35.5", "kg"]


# --- documents ----------------------------------------------------------------------------


def test_documents_print_quantities_with_their_units(sold, tmp_path):
    invoice = " ".join(
        pdf_text(document(sold, tmp_path, "invoice", "pdf", "INV-00001", name="i.pdf")).split()
    )
    assert "Qty Unit Unit price" in invoice
    assert "Espresso beans (per kg) 12.5 kg €21.40" in invoice
    assert "Ergonomic office chair 6 pc €312.50" in invoice
    assert "Installation (per hour) 2 h €65.00" in invoice

    html = document(sold, tmp_path, "invoice", "pdf", "INV-00001", "--html", name="i.html")
    assert "<td>kg</td>" in html.decode("utf-8") and "<td>h</td>" in html.decode("utf-8")

    quote = " ".join(
        pdf_text(document(sold, tmp_path, "quote", "pdf", "Q-00001", name="q.pdf")).split()
    )
    assert "Espresso beans (per kg) 2.5 kg" in quote
    memo = " ".join(
        pdf_text(document(sold, tmp_path, "credit-memo", "pdf", "CM-00001", name="c.pdf")).split()
    )
    assert "Espresso beans (per kg) 2 kg" in memo


def test_the_packing_slip_counts_per_unit(sold, tmp_path):
    slip = " ".join(
        pdf_text(document(sold, tmp_path, "shipment", "slip", "SH-00001", name="s.pdf")).split()
    )
    assert "Espresso beans (per kg) 10 kg 2.5" in slip
    assert "Ergonomic office chair 6 pc" in slip
    assert "2 lines: 10 kg, 6 pc" in slip
    assert "items" not in slip and "16" not in slip  # never kilograms and chairs added up

    html = document(sold, tmp_path, "shipment", "slip", "SH-00001", "--html", name="s.html")
    assert "2 lines: 10 kg, 6 pc" in html.decode("utf-8")


# --- imports and exports ------------------------------------------------------------------


def test_import_products_with_units(shop, tmp_path):
    body = (
        "sku,name,unit_price,unit\nRICE,Basmati rice,3.20,kg\nTAPE,Tape,1.00,\nRENT,Rent,100,MON\n"
    )
    doc = shop.ok("import", "products", str(write(tmp_path, "p.csv", body)))
    assert (doc["created"], doc["errors"]) == (3, [])
    assert [shop.ok("product", "show", sku)["unit"] for sku in ("RICE", "TAPE", "RENT")] == [
        "KGM",
        "C62",
        "MON",
    ]
    # A later file changes a known product's unit; a row without one leaves it.
    body = "sku,name,unit_price,unit\nRICE,Basmati rice,3.20,bag\nRENT,Rent,100,\n"
    doc = shop.ok("import", "products", str(write(tmp_path, "p2.csv", body)))
    assert (doc["updated"], doc["skipped"]) == (1, 1)
    assert shop.ok("product", "show", "RICE")["unit"] == "XBG"
    assert shop.ok("product", "show", "RENT")["unit"] == "MON"

    rows = [
        {"sku": "OIL", "name": "Olive oil", "unit_price": "9.80", "unit": "litre"},
        {"sku": "TILE", "name": "Floor tiles", "unit_price": "24", "unit": "m2"},
    ]
    jsonl = "".join(json.dumps(row) + "\n" for row in rows)
    assert shop.ok("import", "products", str(write(tmp_path, "p.jsonl", jsonl)))["created"] == 2
    assert shop.ok("product", "show", "OIL")["unit"] == "LTR"
    assert shop.ok("product", "show", "TILE")["unit"] == "MTK"


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("bad.csv", "sku,name,unit_price,unit\nA1,Fine,1,kg\nA2,Bad,1,kgg\nA3,Worse,1,furlong\n"),
        (
            "bad.jsonl",
            '{"sku": "A1", "name": "Fine", "unit_price": "1", "unit": "kg"}\n'
            '{"sku": "A2", "name": "Bad", "unit_price": "1", "unit": "kgg"}\n'
            '{"sku": "A3", "name": "Worse", "unit_price": "1", "unit": "furlong"}\n',
        ),
    ],
)
def test_an_import_with_an_unknown_unit_imports_nothing(shop, tmp_path, unchanged, name, body):
    path = write(tmp_path, name, body)
    with unchanged():
        result = shop.run("import", "products", str(path))
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {name}: 2 bad rows; nothing was imported")
    # CSV line 1 is the header; a JSON Lines file has none, so its rows start at line 1.
    bad, worse = (3, 4) if name.endswith(".csv") else (2, 3)
    listing = " ".join(result.stdout.split())
    assert f"line {bad}: unknown unit 'kgg'; did you mean kg (KGM)" in listing
    assert f"line {worse}: unknown unit 'furlong'" in listing


def test_line_exports_carry_the_unit_code(sold, tmp_path):
    target = tmp_path / "lines.csv"
    result = sold.run("export", "invoice-lines", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert [(r["sku"], r["qty"], r["unit"]) for r in rows] == [
        ("COFFEE-KG", "12.5", "KGM"),
        ("CHAIR-ERGO", "6", "C62"),
        ("INSTALL", "2", "HUR"),
    ]
    target = tmp_path / "orders.jsonl"
    assert sold.run("export", "orders", "--format", "jsonl", "-o", str(target)).exit_code == 0
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [(r["sku"], r["unit"]) for r in lines] == [
        ("COFFEE-KG", "KGM"),
        ("CHAIR-ERGO", "C62"),
        ("INSTALL", "HUR"),
    ]
