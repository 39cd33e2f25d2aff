"""ANSI/NIST-ITL files on the console: pack scans into a tenprint transaction, show one,
and turn one into the scans ``openpesel fingerprints enrol --nist`` enrols.

A transaction is read whole and checked before anything is written, so a refused file
(exit code 5) leaves the register as it was.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from openpesel.cli import render
from openpesel.cli.console import clear_errors
from openpesel.cli.scans import finger_path, read_bytes

if TYPE_CHECKING:
    from openpesel.biometrics.ansi_nist import Transaction
    from openpesel.dedup.enrolment import Scan

_RECORD_NAMES = {4: "Type-4 finger", 13: "Type-13 latent", 14: "Type-14 finger"}


def read_transaction(path: Path) -> Transaction:
    from openpesel.biometrics.ansi_nist import MAX_FILE_BYTES, TransactionError, decode

    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # read_bytes says why it cannot be read
    if size > MAX_FILE_BYTES:
        raise TransactionError(f"{path} is over {MAX_FILE_BYTES // 2**20} MiB.")
    return decode(read_bytes(path))


def tenprint_scans(path: Path, pesel: str) -> list[Scan]:
    """The finger images of a tenprint transaction as scans to enrol for ``pesel``.

    Plain thumbs and slaps (positions 11-15), the card's control images, are not
    enrolled. Refused whole: a transaction naming another PESEL, a latent mark, an image
    with no single finger position, or the same finger twice.
    """
    from openpesel.biometrics.ansi_nist import TransactionError
    from openpesel.dedup.enrolment import Scan

    transaction = read_transaction(path)
    named = transaction.subject.pesel if transaction.subject else ""
    if named and named != pesel:
        raise TransactionError(f"The transaction is for PESEL {named}, not {pesel}.")
    scans: list[Scan] = []
    for image in transaction.images:
        if image.latent:
            raise TransactionError("The transaction holds a latent mark (Type-13): a latent "
                                   "is searched, never enrolled.")
        if len(image.positions) == 1 and 11 <= image.positions[0] <= 15:
            continue  # plain thumbs and slaps: the card's control images, not fingers to enrol
        if len(image.positions) != 1 or not 1 <= image.positions[0] <= 10:
            raise TransactionError("Every finger image to enrol names one finger position "
                                   "1-10.")
        scans.append(Scan(image.positions[0], image.scan_bytes(), float(image.ppi)))
    fingers = [s.finger for s in scans]
    if not scans or len(set(fingers)) != len(fingers):
        raise TransactionError("The transaction holds no finger image, or one finger twice.")
    return scans


def nist_pack(
    out: Path,
    scan: Annotated[list[str], typer.Option(help="FINGER=IMAGE, e.g. 2=right-index.png")],
    pesel: Annotated[str, typer.Option(help="The subject's PESEL, written into Type-2.")] = "",
    originator: Annotated[str, typer.Option(help="ORI: the sending agency.")] = "PL0000000",
    destination: Annotated[str, typer.Option(help="DAI: the receiving agency.")] = "PL0000000",
    control_number: Annotated[str, typer.Option(help="TCN: the transaction's number.")] = "1",
    minutiae: Annotated[bool, typer.Option(help="Add Type-9 minutiae, extracted here.")] = False,
    dpi: Annotated[float | None, typer.Option(help="The scanner's resolution.")] = None,
) -> None:
    """Pack finger scans into an ANSI/NIST-ITL tenprint transaction (Type-14, WSQ)."""
    from openpesel.biometrics import extract_template, load_image
    from openpesel.biometrics.ansi_nist import FingerImage, Subject, Transaction, encode
    from openpesel.biometrics.ansi_nist_minutiae import EncodedMinutiae

    with clear_errors():
        images = []
        for finger, path in map(finger_path, scan):
            image = load_image(read_bytes(path), dpi=dpi, finger=finger)
            encoded = EncodedMinutiae(extract_template(image)) if minutiae else None
            images.append(FingerImage.from_pixels(image.pixels, positions=(finger,),
                                                  ppi=image.dpi, minutiae=encoded))
        subject = Subject(pesel=pesel) if pesel else None
        data = encode(Transaction("CAR", originator, destination, control_number,
                                  date.today(), subject, tuple(images)))
        out.write_bytes(data)
    render.console.print(f"wrote {out}: {len(images)} finger image(s), {len(data):,} bytes")


def nist_show(path: Path) -> None:
    """Check an ANSI/NIST-ITL transaction and list its records; exit 5 if it is malformed."""
    with clear_errors():
        t = read_transaction(path)
    render.console.print(f"{t.type_of_transaction} from {t.originator} to {t.destination}, "
                         f"TCN {t.control_number}, {t.day.isoformat()}")
    if t.subject is not None:
        s = t.subject
        render.console.print(f"subject: {s.pesel or '-'} {s.family_name} {s.given_names}".rstrip())
    for image in t.images:
        found = (f", {len(image.minutiae.template.minutiae)} minutiae ({image.minutiae.method})"
                 if image.minutiae else "")
        render.console.print(
            f"{_RECORD_NAMES[image.record_type]} position {'/'.join(map(str, image.positions))}: "
            f"{image.width}x{image.height} at {image.ppi} ppi, {image.compression}{found}")
