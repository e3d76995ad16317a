"""Alembic environment: runs on the connection ordercli hands it, or on a URL
(``alembic -x db=sqlite:///ledger.db revision --autogenerate`` for developers)."""

from alembic import context
from sqlalchemy import create_engine

from ordercli import models  # noqa: F401  (registers the tables)
from ordercli.models import metadata

config = context.config


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("db", "sqlite:///alembic-dev.db")
    with create_engine(url).connect() as conn:
        _run(conn)
        conn.commit()
