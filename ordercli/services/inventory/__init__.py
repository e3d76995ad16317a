"""What the business sells and holds: the catalog, stock levels and moves, warehouses."""
