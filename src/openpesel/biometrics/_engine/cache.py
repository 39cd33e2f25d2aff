"""Where fingerprint work that outlives one process is kept: compiled kernels and the model.

A CLI command is a fresh process, so whatever it builds once (numba's machine
code, LEADER converted to ONNX) must be found on disk by the next one or every
command pays for it again (issue 13, item 10). The place is
``$OPENPESEL_CACHE_DIR``, else ``$XDG_CACHE_HOME/openpesel``, else
``~/.cache/openpesel``: a user's own directory, so it works for a package
installed read-only into site-packages. Everything in it can be deleted; it is
rebuilt on the next use.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The cache directory (not created); read from the environment on every call."""
    configured = os.environ.get("OPENPESEL_CACHE_DIR")
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "openpesel"


def writable(sub: str) -> Path | None:
    """``cache_dir()/sub``, created; None where it cannot be written (no home, read-only)."""
    try:
        path = cache_dir() / sub
        path.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # RuntimeError: Path.home() without a home
        return None
    return path if os.access(path, os.W_OK) else None
