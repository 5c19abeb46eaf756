"""Alembic migrations of the district server's schema (run by server.db.migrate)."""
