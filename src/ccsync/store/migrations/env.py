"""Alembic environment: runs online on the engine handed over by ``ccsync.store.migrations``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine, text

from ccsync.store.engines import make_engine
from ccsync.store.models import Base

# Arbitrary constant: serialises concurrent upgrades of one PostgreSQL database.
_PG_MIGRATION_LOCK = 0x63637379


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the configured engine."""
    engine: Engine | None = context.config.attributes.get("engine")
    if engine is None:
        url = context.config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("no engine and no sqlalchemy.url given to the migrations")
        engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
        connection.commit()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()
