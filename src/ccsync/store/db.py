"""The migrated store and its sessions (engines themselves: ``store/engines.py``)::

engine = init_db(settings.database_url)      # migrated to head
sessions = session_factory(engine)
with sessions.begin() as session:
    ...
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ccsync.store.engines import make_engine
from ccsync.store.migrations import upgrade_engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def init_db(url: str) -> Engine:
    """Migrate the database at ``url`` to the newest revision and return an engine for it.

    Args:
        url: the database URL.

    Returns:
        An engine made by ``make_engine``.
    """
    engine = make_engine(url)
    upgrade_engine(engine)
    return engine
