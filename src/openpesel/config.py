"""Settings from the environment, so one binary serves a laptop and a data centre.

``OPENPESEL_DATA_DIR`` (default ``./data``) holds the embedded SQLite register;
``OPENPESEL_DATABASE_URL`` points elsewhere, e.g. ``postgresql://user@host/db``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENPESEL_")

    data_dir: Path = Path("data")
    database_url: str | None = None
    rate_per_s: float = 500.0
    """Requests per second per principal before 429 (a token bucket)."""
    rate_burst: int = 1000

    def url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.data_dir / 'register.sqlite'}"
