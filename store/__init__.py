"""The store: SQLAlchemy 2 over SQLite (default) or PostgreSQL (several instances).

``open_store(url)`` creates the database if needed and applies the Alembic
migrations, so every start runs on the current schema.
"""

from store.db import Store, open_store, redact_url

__all__ = ["Store", "open_store", "redact_url"]
