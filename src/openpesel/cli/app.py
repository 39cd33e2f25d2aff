"""Commands of ``openpesel``. Each parses, calls one service method, and presents.

Errors the register raises on purpose become one line on stderr and an exit
code per family, and since every service method runs in one transaction,
nothing of a refused command is left behind.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer

from openpesel import bootstrap
from openpesel.access.gate import Access, Gate, console
from openpesel.access.policy import Role
from openpesel.cli import render
from openpesel.cli.kinds import kinds
from openpesel.cli.witness import (
    new_key_cmd,
    opened,
    sign_at_exit,
    witness_cmd,
    witnessed_heads,
)
from openpesel.config import Settings
from openpesel.errors import (
    EXIT_MEANINGS,
    CannotServe,
    ExitCode,
    InvalidEvent,
    InvalidNumber,
    OpenPeselError,
)
from openpesel.number import get_birth_date, get_sex, validate
from openpesel.registry import events as ev
from openpesel.registry.search import Query
from openpesel.registry.service import Register
from openpesel.registry.transfer import event_to_json

EPILOG = "Exit codes:\n" + "\n".join(f"{int(c):>2}  {m}" for c, m in EXIT_MEANINGS.items())
"""Every exit code, one meaning each, from the one table in ``errors.py``."""

app = typer.Typer(help="OpenPESEL: an open population register.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False, epilog=EPILOG)

JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
AuthorityOpt = Annotated[ev.Authority, typer.Option("--authority", "-a",
                                                    help="The office recording it (Art. 10).")]
DocumentOpt = Annotated[str, typer.Option("--document", "-d",
                                          help="Reference of the certificate or decision.")]


_console = {"purpose": "console administration"}


@app.callback()
def _options(ctx: typer.Context, purpose: Annotated[str, typer.Option(
        help="Why you are doing this; it goes into the audit log.")] = _console["purpose"],
             ) -> None:
    _console["purpose"] = purpose
    ctx.call_on_close(sign_at_exit)  # what the command appended ends under a signed head


def register() -> Register:
    return bootstrap.open_register(Settings())


def operator(register_: Register | None = None) -> tuple[Gate, Access]:
    """The console operator: audited as ``console:<OS user>`` like any other principal."""
    return _gate(register_), console(_console["purpose"])


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


@app.command()
def init() -> None:
    """Create the register (or bring its schema up to date)."""
    with clear_errors():
        store = bootstrap.open_register(Settings(), create=True).store
    render.console.print(f"Register ready at {store.engine.url.render_as_string()}")


@app.command("validate")
def validate_cmd(numbers: list[str], as_json: JsonFlag = False) -> None:
    """Check PESEL numbers and decode birth date and sex; exit 3 if any is invalid."""
    results: list[dict[str, Any]] = []
    for raw in numbers:
        try:
            number = validate(raw)
            results.append({"input": raw, "valid": True, "pesel": number,
                            "birth_date": str(get_birth_date(number)),
                            "sex": get_sex(number).value})
        except InvalidNumber as exc:
            results.append({"input": raw, "valid": False, "error": str(exc)})
    if as_json:
        render.emit_json(results)
    else:
        for r in results:
            if r["valid"]:
                render.console.print(f"{r['pesel']}  valid: born {r['birth_date']}, sex {r['sex']}")
            else:
                typer.echo(f"error: {r['input']}: {r['error']}", err=True)
    if not all(r["valid"] for r in results):
        raise typer.Exit(ExitCode.BAD_NUMBER)


def _parse_fields(kind: ev.Kind, fields: list[str], data: str | None) -> dict[str, Any]:
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


JSONL_EXAMPLE = json.dumps({
    "kind": "birth", "authority": "USC", "document_ref": "USC/2026/2",
    "payload": {"first_names": ["Jan"], "family_name": "Nowak", "sex": "M",
                "birth_date": "2026-11-21", "birth_place": "Gdańsk"}}, ensure_ascii=False)
"""One line of a ``record --file``, shown in ``--help`` and (the same) in the README."""


@app.command(help=f"""Record one event, or every event of a JSONL file (all or nothing).

Each line of a --file is one JSON object: kind, authority, document_ref and
payload (the fields `openpesel kinds` lists), with pesel for an existing person;
effective_date (YYYY-MM-DD) and supersedes are optional. For example:

{JSONL_EXAMPLE}""")
def record(
    kind: Annotated[str | None, typer.Argument(help="Event kind; see `openpesel kinds`.")] = None,
    pesel: Annotated[str | None, typer.Option("--pesel", "-p", help="The person's PESEL.")] = None,
    field: Annotated[list[str] | None, typer.Option("--field", "-f", help="name=value")] = None,
    data: Annotated[str | None, typer.Option("--data", help="The payload as JSON.")] = None,
    authority: AuthorityOpt = ev.Authority.USC,
    document: DocumentOpt = "",
    effective: Annotated[datetime.datetime | None, typer.Option(
        "--effective", formats=["%Y-%m-%d"], help="When it takes effect.")] = None,
    supersedes: Annotated[int | None, typer.Option(
        help="For a correction: the seq of the event it corrects.")] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", help="A JSONL file of events, one JSON object a line (see above).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Record one event, or every event of a JSONL file (all or nothing)."""
    with clear_errors():
        gate, access = operator()
        if file is not None:
            done = gate.record_file(access, _lines(file))
        else:
            if kind is None:
                raise InvalidEvent("Give an event kind, or --file with a JSONL file of events.")
            k = ev.parse_kind(kind)
            done = [gate.record(access, k, _parse_fields(k, field or [], data), document, pesel,
                                effective.date() if effective else None, supersedes, authority)]
    if as_json:
        render.emit_json([dataclasses.asdict(d) for d in done])
    else:
        for d in done:
            render.console.print(f"recorded #{','.join(map(str, d.seqs))} for PESEL {d.pesel}")


app.command()(kinds)


def _moment(text: str | None) -> datetime.datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidEvent(f"--known-at takes an ISO date and time, not {text!r}.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


@app.command()
def show(
    pesel: str,
    as_of: Annotated[datetime.datetime | None, typer.Option(
        "--as-of", formats=["%Y-%m-%d"], help="The record as it was on this date.")] = None,
    known_at: Annotated[str | None, typer.Option(
        "--known-at", help="As the register knew it at this moment (ISO, UTC default).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show a person's record, now or as of a date and as known at a moment."""
    with clear_errors():
        gate, access = operator()
        record_ = gate.show(access, pesel, as_of.date() if as_of else None, _moment(known_at))
    if as_json:
        render.emit_json(record_)
    else:
        render.person(record_)


@app.command()
def history(pesel: str, as_json: JsonFlag = False) -> None:
    """A person's timeline: every event, corrections and corrected entries included."""
    with clear_errors():
        gate, access = operator()
        events = gate.history(access, pesel)
    if as_json:
        render.emit_json([json.loads(event_to_json(e)) for e in events])
    else:
        render.timeline(events)


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="Names (any order, diacritics optional) or a PESEL.")],
    born: Annotated[datetime.datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    year: Annotated[int | None, typer.Option(help="Birth year.")] = None,
    sex: Annotated[str | None, typer.Option(help="F or M.")] = None,
    teryt: Annotated[str | None, typer.Option(help="TERYT code prefix of the residence.")] = None,
    limit: int = 20,
    as_json: JsonFlag = False,
) -> None:
    """Find people by name, tolerating typos and missing Polish letters."""
    with clear_errors():
        gate, access = operator()
        found = gate.search(access, Query(text, born.date() if born else None, year,
                                          sex.upper() if sex else None, teryt, limit))
    if as_json:
        render.emit_json([dataclasses.asdict(h) for h in found])
    else:
        render.hits(found)


@app.command()
def export(output: Annotated[Path | None, typer.Option("--output", "-o")] = None) -> None:
    """Write the whole event log as JSON Lines (to stdout by default)."""
    with clear_errors():
        gate, access = operator()
        events = gate.export(access)
        with output.open("w", encoding="utf-8") if output else nullcontext(sys.stdout) as fh:
            for e in events:
                fh.write(event_to_json(e) + "\n")


def _lines(file: Path) -> list[str]:
    try:
        return file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise InvalidEvent(f"Cannot read {file}: {why}.") from None


@app.command("import")
def import_cmd(file: Path) -> None:
    """Replay an exported event log into this register (all or nothing)."""
    with clear_errors():
        gate, access = operator()
        count = gate.import_events(access, _lines(file))
    render.console.print(f"imported {count} events")


@app.command("rebuild-projections")
def rebuild_projections() -> None:
    """Throw the current-state tables away and replay them from the event log."""
    with clear_errors():
        gate, access = operator()
        people = gate.rebuild_projections(access)
    render.console.print(f"rebuilt the projections of {people} people from the log")


@app.command("backup")
def backup_cmd(target: Path) -> None:
    """Write a consistent backup while the register stays in use (SQLite or pg_dump)."""
    from openpesel.storage import backup

    with clear_errors():
        gate, access = operator()

        def copy() -> None:  # the backup's own entry is signed first: it ends on a signed head
            gate.sign_pending()
            backup.backup(gate.store, target)
        gate.bulk(access, "backup", copy)
    render.console.print(f"backup written to {target} ({target.stat().st_size} bytes)")


@app.command("restore")
def restore_cmd(source: Path) -> None:
    """Restore a backup into an empty register (a new file, or an empty database)."""
    from openpesel.storage import backup

    with clear_errors():
        store = bootstrap.open_store(Settings())
        backup.restore(source, store)
        render.console.print(f"restored from {source}; digest {backup.digest(store)}")


@app.command()
def populate(size: int = 1000, seed: int = 1) -> None:
    """Add a synthetic population, generated through the real event path."""
    import time

    from openpesel.cli.progress import progress_bar
    from openpesel.population.build import build

    with clear_errors():
        gate, access = operator(bootstrap.open_register(Settings(), create=True))
        started = time.perf_counter()
        with progress_bar("recording life events", transient=True) as on_batch:
            done = gate.bulk(access, "populate", lambda: build(gate.register, size, seed,
                                                               on_batch=on_batch),
                             [f"size:{size}", f"seed:{seed}"])
    render.built(done, time.perf_counter() - started)


@app.command()
def demo(size: int = 10_000, seed: int = 2026,
         serve_after: Annotated[bool, typer.Option("--serve/--no-serve",
                                                   help="Serve the API afterwards.")] = True,
         port: int = 8000) -> None:
    """Build a synthetic register, take a short tour of it, and serve it."""
    from openpesel.cli.tour import run_demo

    with clear_errors():
        run_demo(Settings(), size, seed)
    if serve_after:
        render.console.print(f"Serving the web interface on http://127.0.0.1:{port}/ and the API "
                             f"under /api/v1 (Ctrl-C stops it); OpenAPI at "
                             f"http://127.0.0.1:{port}/docs")
        serve(port=port)


users = typer.Typer(help="Principals: officials, machine clients and residents.",
                    no_args_is_help=True)
audit = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(users, name="users")
app.add_typer(audit, name="audit")


def _add_fingerprints() -> None:
    from openpesel.cli.cases import cases, identify, register
    from openpesel.cli.fingerprints import fingerprints

    fingerprints.command("identify")(identify)
    fingerprints.command("register")(register)
    app.add_typer(fingerprints, name="fingerprints")
    app.add_typer(cases, name="cases")


_add_fingerprints()


def _gate(register_: Register | None = None) -> Gate:
    return opened(bootstrap.build_gate(Settings(), register_ or register()))


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the HTTP API (OpenAPI document at /openapi.json)."""
    import uvicorn

    with clear_errors():
        _gate()  # fail here, with a clear line, if the register is not ready
        _check_port(host, port)
        try:
            uvicorn.run("openpesel.bootstrap.asgi:app_from_environment", factory=True, host=host,
                        port=port, workers=workers, log_level="info")
        except SystemExit as exc:  # uvicorn's own "startup failed" is 3, our "bad number"
            if exc.code not in (None, 0):
                raise CannotServe(f"The server on {host}:{port} failed to start.") from None


def _check_port(host: str, port: int) -> None:
    """Refuse a taken port up front: uvicorn would log a traceback and exit 3."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CannotServe(
                f"Cannot serve on {host}:{port}: {exc.strerror}. Is another server (the demo?) "
                "running? Stop it, or pick another port with --port.") from None


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


def _add_bulk_load() -> None:
    from openpesel.cli.load import load_population_cmd

    app.command("load-population")(load_population_cmd)
    audit.command("witness")(witness_cmd)
    audit.command("new-key")(new_key_cmd)


_add_bulk_load()


def main() -> None:
    app()
