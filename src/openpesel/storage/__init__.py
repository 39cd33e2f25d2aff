"""Storage: the register's tables, migrations and engines (SQLite by default, PostgreSQL)."""
