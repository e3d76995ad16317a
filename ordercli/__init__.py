"""ordercli: an order-to-cash ledger for a small business, run from the terminal."""

__version__ = "0.5.0"
