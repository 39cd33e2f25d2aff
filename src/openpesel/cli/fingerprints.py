"""``openpesel fingerprints``: enrol, verify, and make synthetic scans for trying it out."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from openpesel.cli import render
from openpesel.cli.console import clear_errors, operator
from openpesel.errors import ExitCode
from openpesel.registry import events as ev

if TYPE_CHECKING:
    from openpesel.dedup.enrolment import Scan

fingerprints = typer.Typer(help="Fingerprints: enrolment and 1:1 verification.",
                           no_args_is_help=True)


def _finger_path(text: str) -> tuple[int, Path]:
    finger, sep, path = text.partition("=")
    if not sep or not finger.isdigit() or not 1 <= int(finger) <= 10:
        raise typer.BadParameter(f"give FINGER=PATH with a finger position 1-10, not {text!r}")
    return int(finger), Path(path)


def _read(path: Path) -> bytes:
    from openpesel.errors import InvalidEvent

    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidEvent(f"Cannot read {path}: {exc.strerror}.") from None


def read_scans(options: list[str], dpi: float | None) -> list[Scan]:
    """The scans that ``--scan FINGER=IMAGE`` options name, read from their files."""
    from openpesel.dedup.enrolment import Scan

    return [Scan(f, _read(p), dpi) for f, p in map(_finger_path, options)]


@fingerprints.command("enrol")
def enrol(
    pesel: str,
    scan: Annotated[list[str], typer.Option(help="FINGER=IMAGE, e.g. 2=right-index.png")],
    missing: Annotated[list[str] | None, typer.Option(
        help="FINGER=REASON for a finger that cannot be taken (amputated, injured, ...)")] = None,
    authority: Annotated[ev.Authority, typer.Option("--authority", "-a")] = ev.Authority.GMINA,
    document: Annotated[str, typer.Option("--document", "-d")] = "",
    dpi: Annotated[float | None, typer.Option(help="The scanner's resolution.")] = None,
    accept_low_quality: bool = False,
) -> None:
    """Enrol fingerprints (PNG, TIFF, BMP, JPEG or WSQ) as an event on the person's record."""

    with clear_errors():
        gate, access = operator()
        scans = read_scans(scan, dpi)
        gone = [(int(f), r) for f, _, r in (m.partition("=") for m in missing or [])]
        done = gate.enrol_fingerprints(access, pesel, scans, gone, document, authority,
                                       accept_low_quality)
    for f in done.fingers:
        note = " (rescan advised)" if f.needs_recapture else ""
        render.console.print(f"finger {f.finger}: quality {f.quality}, {f.minutiae} minutiae"
                             f"{note}")
    render.console.print(f"recorded #{','.join(map(str, done.recorded.seqs))} for PESEL "
                         f"{done.recorded.pesel}")


@fingerprints.command("verify")
def verify_cmd(pesel: str, finger: Annotated[int, typer.Option(min=1, max=10)], image: Path,
               dpi: float | None = None, false_match_rate: float = 0.001) -> None:
    """1:1 verification of a scan against the enrolled finger; exit 12 if it does not match."""
    from openpesel.dedup.enrolment import Scan

    with clear_errors():
        gate, access = operator()
        verdict = gate.verify_fingerprint(access, pesel, Scan(finger, _read(image), dpi),
                                          false_match_rate)
    word = "MATCH" if verdict.is_match else "NO MATCH"
    render.console.print(f"{word}: score {verdict.score:.0f}, threshold {verdict.threshold:.0f} "
                         f"at a false-match rate of {verdict.false_match_rate}")
    if not verdict.is_match:
        raise typer.Exit(ExitCode.NO_MATCH)


@fingerprints.command("synth")
def synth(out: Path, seed: int = 1, impressions: int = 2) -> None:
    """Write impressions of a synthetic finger as PNG files (for demos and tests)."""
    from PIL import Image

    from openpesel.biometrics.synthetic import SyntheticFinger

    out.mkdir(parents=True, exist_ok=True)
    finger = SyntheticFinger.create(seed)
    for i in range(impressions):
        buffer = io.BytesIO()
        Image.fromarray(finger.impression(i).pixels, "L").save(buffer, "PNG", dpi=(500, 500))
        (out / f"finger-{seed}-{i}.png").write_bytes(buffer.getvalue())
    render.console.print(f"wrote {impressions} impressions of synthetic finger {seed} to {out}")
