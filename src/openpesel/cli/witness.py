"""``openpesel audit witness`` and ``audit new-key``, and a witness's file of heads.

``cli/audit.py`` registers these commands on its ``audit`` group; see
``access.witness`` for what a witness proves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openpesel.access.gate import Gate
from openpesel.access.signing import SignedTreeHead, key_id, new_key_file
from openpesel.access.witness import (
    HeadsFile,
    WitnessError,
    http_fetch,
    observe,
)
from openpesel.cli.console import clear_errors


def witnessed_heads(path: Path | None, gate: Gate) -> list[SignedTreeHead]:
    """The heads in a witness's file, refused if it pinned another key than the register's."""
    if path is None:
        return []
    kept = HeadsFile.load(path)
    if key_id(kept.public()) != gate.audit.key_id:
        raise WitnessError(f"{path} holds heads of key {kept.key_id}, not this register's key "
                           f"{gate.audit.key_id.hex()}.")
    return kept.signed_heads()


def witness_cmd(
    url: Annotated[str, typer.Argument(help="The register's API, e.g. https://host/api/v1.")],
    keep: Annotated[Path, typer.Option("--keep", help="The file of heads this witness keeps.")],
) -> None:
    """Fetch the register's latest signed head, check that its log extends the last head
    kept (an RFC 6962 consistency proof), and keep it; exit 11 if it does not."""

    with clear_errors():
        seen = observe(http_fetch(url), keep)
    state = "kept" if seen.new else "already kept"
    typer.echo(f"{state} head of size {seen.head.size} ({seen.head.timestamp.isoformat()}); "
               f"{seen.kept} heads in {keep}")


def new_key_cmd(
    path: Annotated[Path, typer.Argument(help="Where to write it, outside the data directory.")],
) -> None:
    """Make a new audit signing key (mode 0600) for OPENPESEL_AUDIT_KEY_FILE."""

    with clear_errors():
        public = new_key_file(path)
    typer.echo(f"signing key written to {path} (key id {key_id(public).hex()})")
