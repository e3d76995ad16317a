"""Alembic migrations of the ledger schema, applied on first use (see ``db/engine.py``)."""
