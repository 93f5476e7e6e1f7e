"""Alembic environment for the state store.

The store runs migrations itself on open and hands over its own connection through
``config.attributes["connection"]``, so no alembic.ini (and no database URL with a password in
it) is needed at run time. A developer writing a migration can instead set ``sqlalchemy.url`` on
a Config from ``roadmap_sync.state.store.migration_config()`` and call ``alembic.command.revision``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from roadmap_sync.state.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    config = context.config
    if context.is_offline_mode():
        # `alembic upgrade --sql`: print the DDL for a DBA instead of running it.
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url set")
    engine = create_engine(url)
    try:
        with engine.begin() as own:
            _run(own)
    finally:
        engine.dispose()


_main()
