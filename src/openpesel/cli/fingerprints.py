"""``openpesel fingerprints``: enrol, verify, and make synthetic scans for trying it out."""

from __future__ import annotations

import enum
import io
from pathlib import Path
from typing import Annotated

import typer

from openpesel.cli import render
from openpesel.cli.console import clear_errors, operator
from openpesel.cli.fingerprint_exchange import nist_pack, nist_show, tenprint_scans
from openpesel.cli.scans import read_bytes, read_scans
from openpesel.errors import ExitCode
from openpesel.registry import events as ev


class Basis(enum.StrEnum):
    ID_CARD = "id_card"
    UKR_2022 = "ukr_2022"


fingerprints = typer.Typer(help="Fingerprints: enrolment and 1:1 verification.",
                           no_args_is_help=True)


@fingerprints.command("enrol")
def enrol(
    pesel: str,
    scan: Annotated[list[str] | None, typer.Option(
        help="FINGER=IMAGE, e.g. 2=right-index.png")] = None,
    nist: Annotated[Path | None, typer.Option(
        help="An ANSI/NIST-ITL tenprint transaction: every finger image in it.")] = None,
    missing: Annotated[list[str] | None, typer.Option(
        help="FINGER=REASON for a finger that cannot be taken (amputated, injured, ...)")] = None,
    authority: Annotated[ev.Authority, typer.Option("--authority", "-a")] = ev.Authority.GMINA,
    document: Annotated[str, typer.Option("--document", "-d")] = "",
    dpi: Annotated[float | None, typer.Option(help="The scanner's resolution.")] = None,
    accept_low_quality: bool = False,
    basis: Annotated[Basis | None, typer.Option(
        help="The law the prints are held under: id_card prints are sealed and erased 90 "
             "days after the card's issue (docs/retention.md).")] = None,
) -> None:
    """Enrol fingerprints (PNG, TIFF, BMP, JPEG, WSQ, or an ANSI/NIST-ITL transaction) as an
    event on the person's record."""
    if bool(scan) == (nist is not None):
        raise typer.BadParameter("give either --scan FINGER=IMAGE options or one --nist file")
    with clear_errors():
        scans = tenprint_scans(nist, pesel) if nist is not None else read_scans(scan or [], dpi)
        gate, access = operator()
        gone = [(int(f), r) for f, _, r in (m.partition("=") for m in missing or [])]
        done = gate.enrol_fingerprints(access, pesel, scans, gone, document, authority,
                                       accept_low_quality, basis.value if basis else None)
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
        verdict = gate.verify_fingerprint(access, pesel, Scan(finger, read_bytes(image), dpi),
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


@fingerprints.command("retention")
def retention() -> None:
    """Erase the fingerprints whose law's retention has ended today (ID cards: 90 days
    after issue): destroy each enrolment's key and images, and record the erasure."""
    with clear_errors():
        gate, access = operator()
        run = gate.erase_expired_biometrics(access)
    for e in run.erased:
        render.console.print(f"erased enrolment #{e.enrolment_seq} of PESEL {e.pesel} "
                             f"(#{e.erasure_seq})")
    render.console.print(f"{len(run.erased)} enrolment(s) erased as of {run.today.isoformat()}")


fingerprints.command("nist-pack")(nist_pack)
fingerprints.command("nist-show")(nist_show)
