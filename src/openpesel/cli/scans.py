"""Finger scans named on the command line (``--scan FINGER=IMAGE``), read from their files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from openpesel.dedup.enrolment import Scan


def finger_path(text: str) -> tuple[int, Path]:
    finger, sep, path = text.partition("=")
    if not sep or not finger.isdigit() or not 1 <= int(finger) <= 10:
        raise typer.BadParameter(f"give FINGER=PATH with a finger position 1-10, not {text!r}")
    return int(finger), Path(path)


def read_bytes(path: Path) -> bytes:
    """A file's bytes, or one clear line (exit 5) if it cannot be read."""
    from openpesel.errors import InvalidEvent

    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidEvent(f"Cannot read {path}: {exc.strerror}.") from None


def read_scans(options: list[str], dpi: float | None) -> list[Scan]:
    """The scans that ``--scan FINGER=IMAGE`` options name, read from their files."""
    from openpesel.dedup.enrolment import Scan

    return [Scan(f, read_bytes(p), dpi) for f, p in map(finger_path, options)]
