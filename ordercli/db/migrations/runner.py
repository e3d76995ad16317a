"""Running Alembic from inside ordercli, on the engine the command opened."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent


def alembic_config() -> Config:
    # Alembic is imported only when a ledger's revision is read or upgraded: most
    # commands open a ledger that is already current and never need it.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


# Any fixed number: the key of the PostgreSQL advisory lock that lets one
# process at a time migrate a ledger.
MIGRATION_LOCK_KEY = 7_270_501


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the ledger to ``revision`` in one transaction, one process at a time.

    On SQLite the transaction starts with BEGIN IMMEDIATE, which already keeps
    other processes out; on PostgreSQL an advisory lock does. Alembic reads the
    current revision only after the lock is held, so a process that waited
    finds the work done and does nothing.
    """
    config = alembic_config()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite rebuilds a changed table by copy, drop and rename, which
            # foreign keys would refuse; they are off for the migration (the
            # pragma only works outside a transaction) and verified before commit.
            driver = connection.connection.driver_connection
            assert driver is not None  # a connection checked out of the pool has one
            driver.execute("PRAGMA foreign_keys=OFF")
        try:
            if not sqlite:
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            config.attributes["connection"] = connection
            from alembic import command

            command.upgrade(config, revision)
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left dangling references: {broken[:5]}")
            connection.commit()
        finally:
            if sqlite:
                connection.rollback()
                driver = connection.connection.driver_connection
                assert driver is not None  # a connection checked out of the pool has one
                driver.execute("PRAGMA foreign_keys=ON")
