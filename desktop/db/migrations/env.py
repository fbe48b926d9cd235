"""Alembic environment. Deliberately does not call logging.config.fileConfig: that would
silence the app's own loggers."""

from __future__ import annotations

from alembic import context

from desktop.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    database = config.attributes.get("database")
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    if database is None:
        from desktop.db.engine import Database

        database = Database(config.get_main_option("sqlalchemy.url"))
    with database.engine.connect() as connection:
        _run(connection)
        connection.commit()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
