"""``openpesel audit``: verify the log, sign its head, keep a witness's heads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openpesel.cli import render
from openpesel.cli.console import JsonFlag, clear_errors, operator
from openpesel.cli.witness import new_key_cmd, witness_cmd, witnessed_heads
from openpesel.errors import ExitCode

audit = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@audit.command("verify")
def audit_verify(as_json: JsonFlag = False, against: Annotated[Path | None, typer.Option(
        "--against", help="A witness's file of heads (`audit witness`): prove the log extends "
                          "each.")] = None) -> None:
    """Recompute the whole audit log and check every signed tree head; exit 11 if broken."""
    with clear_errors():
        gate, access = operator()
        report = gate.verify_audit(access, witnessed_heads(against, gate))
    if as_json:
        render.emit_json({"ok": report.ok, "size": report.size, "problems": report.problems})
    elif report.ok:
        render.console.print(f"audit log verified: {report.size} entries, every head consistent")
    for problem in report.problems:
        typer.echo(f"error: {problem}", err=True)
    if not report.ok:
        raise typer.Exit(ExitCode.AUDIT_BROKEN)


@audit.command("head")
def audit_head() -> None:
    """Sign the audit log's current tree head and print it."""
    with clear_errors():
        gate, access = operator()
        head = gate.sign_head(access)
    render.emit_json(head.to_json())


audit.command("witness")(witness_cmd)
audit.command("new-key")(new_key_cmd)
