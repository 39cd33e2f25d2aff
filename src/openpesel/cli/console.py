"""What every console command shares: the operator's access, the register, one-line errors.

A command runs as ``console:<OS user>`` in the role ``operator`` with the
``--purpose`` given before it, like any principal; an error the register
raises on purpose becomes one line on stderr and the exit code its class
carries. Sub-command modules import these from here, so none of them imports
``cli.app``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from openpesel import bootstrap
from openpesel.access.gate import Access, Gate, console
from openpesel.config import Settings
from openpesel.errors import InvalidEvent, OpenPeselError
from openpesel.registry import events as ev
from openpesel.registry.service import Register

JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
AuthorityOpt = Annotated[ev.Authority, typer.Option("--authority", "-a",
                                                    help="The office recording it (Art. 10).")]
DocumentOpt = Annotated[str, typer.Option("--document", "-d",
                                          help="Reference of the certificate or decision.")]


PURPOSE = {"purpose": "console administration"}
"""The ``--purpose`` of this run, set by the app's callback before any command."""


def register() -> Register:
    return bootstrap.open_register(Settings())


def operator(register_: Register | None = None) -> tuple[Gate, Access]:
    """The console operator: audited as ``console:<OS user>`` like any other principal."""
    return gate_for(register_), console(PURPOSE["purpose"])


def fail(exc: OpenPeselError) -> None:
    """One line on stderr, and the exit code the error's class carries."""
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(exc.exit_code)


@contextmanager
def clear_errors() -> Iterator[None]:
    try:
        yield
    except OpenPeselError as exc:
        fail(exc)


def gate_for(register_: Register | None = None) -> Gate:
    return opened(bootstrap.build_gate(Settings(), register_ or register()))


def parse_fields(kind: ev.Kind, fields: list[str], data: str | None) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    if data:
        try:
            payload = json.loads(data)
        except json.JSONDecodeError as exc:
            raise InvalidEvent(f"--data is not valid JSON ({exc.msg}).") from None
        except RecursionError:
            raise InvalidEvent("--data is nested too deeply to be a payload.") from None
    model = ev.PAYLOADS[kind].model_fields
    for item in fields:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidEvent(f"A field is given as name=value, not {item!r}.")
        if key not in model:
            raise InvalidEvent(f"{kind.value} has no field {key!r}; fields: {', '.join(model)}.")
        is_list = "list" in str(model[key].annotation)
        payload[key] = [v.strip() for v in value.split(",")] if is_list else value
    return payload


_opened: list[Gate] = []
"""Gates this command built: their logs get a signed head when the command ends."""


def opened(gate: Gate) -> Gate:
    _opened.append(gate)
    return gate


def sign_at_exit() -> None:
    """Sign a head over what this command appended, so no console action ends unsigned.

    Runs as the command's context closes, after success or failure; a head
    that cannot be signed (the database gone) is reported but changes nothing
    else: the next append or the server's timer signs it.
    """
    while _opened:
        gate = _opened.pop()
        try:
            gate.sign_pending()
        except OpenPeselError as exc:
            typer.echo(f"warning: no tree head signed at exit: {exc}", err=True)
