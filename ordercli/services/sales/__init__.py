"""Selling: quotes, prices, orders, invoices, shipments and pick lists."""
