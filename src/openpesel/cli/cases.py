"""``openpesel cases``: the examiners' queue, evidence and decisions; and 1:N identification.

The console acts as the operator (audited as ``console:<OS user>``), like the
rest of ``openpesel``; ``fingerprints identify`` and ``fingerprints register``
are attached to the ``fingerprints`` commands by ``cli/app.py``.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer

from openpesel.cli import render
from openpesel.cli.console import clear_errors, operator, parse_fields
from openpesel.cli.scans import read_scans
from openpesel.errors import ExitCode
from openpesel.registry import events as ev

cases = typer.Typer(help="Suspected duplicates: the queue, the evidence, the decisions.",
                    no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _case_id(text: str) -> uuid.UUID:
    from openpesel.errors import InvalidEvent

    try:
        return uuid.UUID(text)
    except ValueError:
        raise InvalidEvent(f"A case id is a UUID, not {text!r}.") from None


@cases.command("list")
def list_cases(all_cases: Annotated[bool, typer.Option("--all", help="Decided ones too.")]
               = False, as_json: JsonFlag = False) -> None:
    """The queue: undecided cases first, oldest first."""

    with clear_errors():
        gate, access = operator()
        found = [c.summary() for c in gate.desk.queue(access, all_cases)]
    if as_json:
        render.emit_json(found)
        return
    for c in found:
        render.console.print(f"{c['case_id']}  {c['status']:<10} {c['opened_at'][:19]}  "
                             f"{c['subject']}  candidates {', '.join(c['candidates'])} "
                             f"(top score {c['top_score']:.0f})")
    if not found:
        render.console.print("no cases")


@cases.command("show")
def show(case_id: str, as_json: JsonFlag = False) -> None:
    """A case: the subject, the candidates with their scores, the decisions so far."""

    with clear_errors():
        gate, access = operator()
        detail = gate.desk.show(access, _case_id(case_id)).detail()
    if as_json:
        render.emit_json(detail)
        return
    render.console.print(f"case {detail['case_id']} ({detail['status']}): {detail['subject']}")
    for x in detail["suspects"]:
        fingers = ", ".join(f"{f['finger']}: {f['score']:.0f}" for f in x["fingers"])
        render.console.print(f"  candidate {x['pesel']}  score {x['score']:.0f}  "
                             f"[{'+'.join(x['reasons'])}]  {fingers}")
    for d in detail["decisions"]:
        render.console.print(f"  {d['at'][:19]} {d['by']}: {d['decision']} - {d['comment']}")


@cases.command("evidence")
def evidence(case_id: str, candidate: str,
             out: Annotated[Path, typer.Option("--out", "-o", help="PNG file to write")],
             finger: Annotated[int | None, typer.Option(min=1, max=10)] = None,
             as_json: JsonFlag = False) -> None:
    """Probe and candidate side by side with minutiae and paired lines, as a PNG."""

    with clear_errors():
        gate, access = operator()
        found, png = gate.desk.evidence(access, _case_id(case_id), candidate, finger)
    assert png is not None
    out.write_bytes(png)
    if as_json:
        render.emit_json(found.to_json())
    else:
        render.console.print(f"finger {found.finger}: score {found.score:.0f}, "
                             f"{len(found.pairs)} paired minutiae; wrote {out}")


@cases.command("decide")
def decide(case_id: str,
           decision: Annotated[str, typer.Argument(help="same, different or inconclusive")],
           comment: Annotated[str, typer.Option("--comment", "-c")],
           candidate: Annotated[str | None, typer.Option(
               help="The PESEL the subject is the same person as")] = None,
           evidence: Annotated[str | None, typer.Option(
               help="The document a \"same\" rests on (needed without fingers on both "
                    "sides)")] = None) -> None:
    """Decide a case; "same" and "different" are final, "inconclusive" escalates it.

    A "same" below the match threshold is a first opinion until a second
    examiner (another console user) confirms it.
    """
    from openpesel.dedup.cases import Decision, Status
    from openpesel.errors import InvalidEvent

    with clear_errors():
        try:
            chosen = Decision(decision)
        except ValueError:
            raise InvalidEvent("A decision is same, different or inconclusive.") from None
        gate, access = operator()
        done = gate.desk.decide(access, _case_id(case_id), chosen, comment, candidate,
                                evidence)
    if done.case.status is Status.PENDING:
        render.console.print(f"case {case_id}: pending - your \"same\" is a first opinion "
                             "(the score is below the match threshold); a second examiner "
                             "must confirm it before the records are linked")
        return
    number = f"; PESEL {done.pesel}" if done.pesel else ""
    render.console.print(f"case {case_id}: {done.case.status.value}{number}"
                         f" (events #{','.join(map(str, done.seqs)) or '-'})")


@cases.command("open")
def open_case(subject: str, candidate: str) -> None:
    """Open a case on two registered people suspected to be one person."""

    with clear_errors():
        gate, access = operator()
        case = gate.desk.open_case(access, subject, candidate)
    render.console.print(f"opened case {case.case_id}")


def identify(scan: Annotated[list[str], typer.Option(help="FINGER=IMAGE, e.g. 2=probe.png")],
             sex: Annotated[str | None, typer.Option(help="F or M")] = None,
             born_from: int | None = None, born_to: int | None = None,
             k: Annotated[int, typer.Option(min=1, max=100)] = 10,
             dpi: float | None = None, as_json: JsonFlag = False) -> None:
    """1:N identification: ranked candidates among everyone enrolled."""

    with clear_errors():
        gate, access = operator()
        scans = read_scans(scan, dpi)
        years = None
        if born_from is not None or born_to is not None:
            years = (born_from or 1850, born_to or 2200)
        found = gate.identify(access, scans, sex, years, k)
    rows = [{"pesel": c.key, "score": round(c.score, 1), "rank": c.rank,
             "fingers": {str(f.finger): round(f.score, 1) for f in c.fingers}} for c in found]
    if as_json:
        render.emit_json(rows)
        return
    if not rows:
        render.console.print("no candidates")
        return
    from rich.table import Table

    table = Table("rank", "PESEL", "score", "score by finger")
    for c in found:
        table.add_row(str(c.rank), c.key, f"{c.score:.0f}", ", ".join(
            f"finger {f.finger}: {f.score:.0f}" for f in c.fingers))
    render.console.print(table)


def register(kind: Annotated[str, typer.Argument(help="birth or foreigner_registered")],
             scan: Annotated[list[str], typer.Option(help="FINGER=IMAGE")],
             field: Annotated[list[str] | None, typer.Option("--field", "-f",
                                                             help="NAME=VALUE")] = None,
             data: Annotated[str | None, typer.Option(help="The payload as JSON")] = None,
             authority: Annotated[ev.Authority, typer.Option("--authority", "-a")]
             = ev.Authority.GMINA,
             document: Annotated[str, typer.Option("--document", "-d")] = "",
             dpi: float | None = None) -> None:
    """Register a person with fingerprints: recorded, or held as a case (exit 10)."""

    with clear_errors():
        chosen = ev.parse_kind(kind)
        payload = parse_fields(chosen, field or [], data)
        gate, access = operator()
        scans = read_scans(scan, dpi)
        done = gate.register_with_fingerprints(access, chosen, payload, document, scans,
                                               authority=authority)
    if done.recorded is not None:
        render.console.print(f"recorded: PESEL {done.recorded.pesel}")
        return
    render.console.print(f"held as case {done.case_id}: suspected duplicate of "
                         f"{', '.join(x.pesel for x in done.suspects)}")
    raise typer.Exit(ExitCode.HELD_FOR_EXAMINER)


__all__ = ["cases", "identify", "register"]
