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
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer

from openpesel import bootstrap
from openpesel.cli import render
from openpesel.cli.audit import audit
from openpesel.cli.cases import cases, identify, register as register_with_fingerprints
from openpesel.cli.console import (
    PURPOSE,
    AuthorityOpt,
    DocumentOpt,
    JsonFlag,
    clear_errors,
    operator,
    parse_fields,
    sign_at_exit,
)
from openpesel.cli.fingerprints import fingerprints
from openpesel.cli.kinds import kinds
from openpesel.cli.load import load_population_cmd
from openpesel.cli.serve import serve
from openpesel.cli.users import users
from openpesel.cli.verification import certificates, verify
from openpesel.config import Settings
from openpesel.errors import (
    EXIT_MEANINGS,
    ExitCode,
    InvalidEvent,
    InvalidNumber,
)
from openpesel.number import get_birth_date, get_sex, validate
from openpesel.registry import events as ev
from openpesel.registry.search import Query
from openpesel.registry.transfer import event_to_json

EPILOG = "Exit codes:\n" + "\n".join(f"{int(c):>2}  {m}" for c, m in EXIT_MEANINGS.items())
"""Every exit code, one meaning each, from the one table in ``errors.py``."""

app = typer.Typer(help="OpenPESEL: an open population register.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False, epilog=EPILOG)

@app.callback()
def _options(ctx: typer.Context, purpose: Annotated[str, typer.Option(
        help="Why you are doing this; it goes into the audit log.")] = PURPOSE["purpose"],
             ) -> None:
    PURPOSE["purpose"] = purpose
    ctx.call_on_close(sign_at_exit)  # what the command appended ends under a signed head


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
            done = [gate.record(access, k, parse_fields(k, field or [], data), document, pesel,
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
        chunks = gate.export(access)  # the API's iterator: a chunk at a time, never the log
        with output.open("w", encoding="utf-8") if output else nullcontext(sys.stdout) as fh:
            for chunk in chunks:
                fh.writelines(event_to_json(e) + "\n" for e in chunk)


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


app.add_typer(users, name="users")
app.add_typer(audit, name="audit")
fingerprints.command("identify")(identify)
fingerprints.command("register")(register_with_fingerprints)
app.add_typer(fingerprints, name="fingerprints")
app.add_typer(cases, name="cases")
app.command("load-population")(load_population_cmd)
app.command()(serve)
app.command("verify")(verify)
app.add_typer(certificates, name="certificates")


def main() -> None:
    app()
