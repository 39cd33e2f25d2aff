"""Settings from the environment, so one binary serves a laptop and a data centre.

``OPENPESEL_DATA_DIR`` (default ``./data``) holds the embedded SQLite register;
``OPENPESEL_DATABASE_URL`` points elsewhere, e.g. ``postgresql://user@host/db``,
and ``OPENPESEL_REPLICA_URL`` at a streaming replica of it for reads.
The audit log's signing key should live elsewhere than the data directory
(``OPENPESEL_AUDIT_KEY_FILE`` or ``OPENPESEL_AUDIT_KEY``): whoever can rewrite
the database must not also be able to re-sign it (docs/access.md).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENPESEL_")

    data_dir: Path = Path("data")
    database_url: str | None = None
    rate_per_s: float = 500.0
    """Requests per second per principal before 429 (a token bucket)."""
    rate_burst: int = 1000
    audit_key_file: Path | None = None
    """The audit signing key's PEM file; it must exist (``openpesel audit new-key``).
    Unset: ``data_dir/audit-signing-key.pem``, created on first use."""
    audit_key: SecretStr | None = None
    """The audit signing key's PEM itself (a secret store's environment variable);
    wins over ``audit_key_file``."""
    audit_sign_every: int = Field(1000, ge=0)
    """Sign a tree head at least every this many audit entries (0: never by count)."""
    audit_sign_interval_s: float = Field(60.0, ge=0)
    """...and at least this often while entries arrive (0: never by time)."""
    replica_url: str | None = None
    """A PostgreSQL streaming replica of ``database_url``: reads go there, writes and
    audit entries to the primary (docs/replication.md)."""
    pool_size: int = Field(5, ge=1)
    """PostgreSQL connections each server worker keeps open, per database."""
    pool_overflow: int = Field(5, ge=0)
    """...and how many more it may open under load (closed again when returned)."""
    pool_timeout_s: float = Field(30.0, gt=0)
    """How long a request waits for a free connection before a 503."""

    def audit_key_path(self) -> Path:
        return self.audit_key_file or self.data_dir / "audit-signing-key.pem"

    def url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.data_dir / 'register.sqlite'}"
