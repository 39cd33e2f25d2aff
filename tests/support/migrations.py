"""Moving a test's register to an older revision: "an older register" without old code."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config

from openpesel.storage.store import Store


def downgrade(store: Store, revision: str) -> None:
    """Run the migrations' own downgrades down to ``revision``."""
    with store.engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option(
            "script_location", str(resources.files("openpesel.storage") / "migrations"))
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
