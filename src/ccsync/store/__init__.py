"""Persistence: SQLAlchemy 2 models, Alembic migrations, encryption, repos, lease, tokens, budget.

Other packages use ``store.db`` (engines, sessions, ``init_db``), ``store.repos`` (query
functions returning frozen rows), ``store.lease.RunLease``, ``store.tokens.DbTokenStore`` and
``store.budget.DbDailyBudget``; ORM models never leave this package.
"""
