"""``openpesel users``: principals, managed through the gate and audited like any access."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from openpesel.access.policy import Role
from openpesel.cli import render
from openpesel.cli.console import JsonFlag, clear_errors, operator

users = typer.Typer(help="Principals: officials, machine clients and residents.",
                    no_args_is_help=True)


@users.command("add")
def users_add(
    name: str,
    role: Annotated[Role, typer.Option(help="What the principal may do.")],
    secret: Annotated[str | None, typer.Option(
        envvar="OPENPESEL_SECRET", show_default=False,
        help="Password or client key (12+ characters); prompted for (twice, at a terminal) "
             "or read as one line from standard input if not given.")] = None,
    display_name: str = "",
    pesel: Annotated[str | None, typer.Option(help="A resident's own PESEL.")] = None,
) -> None:
    """Create a principal; a resident also gets a TOTP secret for their authenticator.

    A resident logs in with the secret and a one-time code from an authenticator
    app (RFC 6238) set up with the printed TOTP secret.
    """
    secret = secret if secret is not None else _ask_secret()
    with clear_errors():
        gate, access = operator()
        totp = gate.add_principal(access, name, role, secret, display_name, pesel)
    render.console.print(f"created {role.value} {name}")
    if totp:
        render.console.print(f"TOTP secret (add it to an authenticator app): {totp}")


def _ask_secret() -> str:
    """At a terminal, ask twice (a typo is invisible); from a pipe, read one line once."""
    if sys.stdin.isatty():
        return str(typer.prompt("Secret", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@users.command("list")
def users_list(as_json: JsonFlag = False) -> None:
    """List principals."""
    with clear_errors():
        gate, access = operator()
        found = [{"name": a.name, "role": a.role, "display_name": a.display_name,
                  "active": a.active} for a in gate.principals(access)]
    if as_json:
        render.emit_json(found)
    for a in [] if as_json else found:
        render.console.print(f"{a['name']}  {a['role']}  {'active' if a['active'] else 'off'}")


@users.command("deactivate")
def users_deactivate(name: str) -> None:
    """Deactivate a principal; their tokens stop working at once."""
    with clear_errors():
        gate, access = operator()
        gate.deactivate(access, name)
    render.console.print(f"deactivated {name}")
