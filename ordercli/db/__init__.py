"""The database: engine and unit of work, shared query shapes, bulk writes, migrations.

Above ``models`` and ``domain`` only; every other layer reaches the ledger
through here.
"""
