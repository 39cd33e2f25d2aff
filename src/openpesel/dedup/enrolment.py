"""Fingerprints on the register: enrolment as an event, and 1:1 verification.

A register use case, not part of the matcher: ``biometrics`` turns images
into templates and scores them and knows no register; this module puts its
results into register events and reads them back, beside the de-duplication
that screens a registration with the same prints.

The pipeline (intake, quality, template) runs before anything is written: a
scan that must be retaken refuses the whole enrolment, so the register never
holds half a set. Images go to the content-addressed store first (a blob
without an event is harmless; an event without its blob would not be); the
event carries each finger's ISO/IEC 19794-2 template, its quality and the
image's hash. Verification reads the template back from the log, so it
survives projections being rebuilt and numbers being changed.
"""

from __future__ import annotations

import base64
import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpesel.biometrics import (
    FingerPosition,
    FingerprintImage,
    ImageStore,
    LowQuality,
    Verdict,
    assess_quality,
    decode_template,
    encode_template,
    extract_template,
    load_image,
    verify,
)
from openpesel.dedup.sealing import SEALED_BASES, latest_fingers, new_key, seal
from openpesel.errors import FingerNotEnrolled
from openpesel.registry import events as ev
from openpesel.registry.commands import Command, Recorded
from openpesel.registry.service import Register
from openpesel.storage import biometric_keys
from openpesel.storage.session import StoreTransaction


@dataclass(frozen=True)
class Scan:
    finger: int
    data: bytes
    dpi: float | None = None


@dataclass(frozen=True)
class FingerResult:
    finger: int
    quality: int
    minutiae: int
    needs_recapture: bool


@dataclass(frozen=True)
class Prepared:
    """A scan that passed intake: its assessment, template (base64 ISO record) and image."""

    result: FingerResult
    template: str
    image: FingerprintImage


@dataclass(frozen=True)
class Enrolment:
    recorded: Recorded
    fingers: list[FingerResult]
    case_id: uuid.UUID | None = None
    """The case screening opened: the fingers are someone else's too (``DedupService.enrol``)."""
    suspects: tuple[uuid.UUID, ...] = ()


class FingerprintService:
    def __init__(self, register: Register, images: ImageStore) -> None:
        self.register = register
        self.images = images

    @staticmethod
    def assess(scans: Sequence[Scan]) -> list[Prepared]:
        """Intake, quality and template for each scan; nothing is stored."""
        out = []
        for scan in scans:
            image = load_image(scan.data, dpi=scan.dpi, finger=FingerPosition(scan.finger))
            quality = assess_quality(image)
            template = extract_template(image)
            result = FingerResult(scan.finger, quality.score, len(template.minutiae),
                                  quality.needs_recapture)
            record = base64.b64encode(encode_template(template)).decode()
            out.append(Prepared(result, record, image))
        return out

    def usable(self, scans: Sequence[Scan], accept_low_quality: bool = False) -> list[Prepared]:
        """``assess``, refusing the set if a scan must be retaken (unless told to accept it)."""
        assessed = self.assess(scans)
        retake = [p.result.finger for p in assessed if p.result.needs_recapture]
        if retake and not accept_low_quality:
            raise LowQuality(f"Rescan finger(s) {', '.join(map(str, retake))}: the quality is "
                             "below the enrolment threshold.")
        return assessed

    def payload(self, assessed: Sequence[Prepared], missing: Sequence[tuple[int, str]]
                ) -> dict[str, Any]:
        """A ``fingerprints_enrolled`` payload; the images go to the store first."""
        fingers = [{"finger": p.result.finger, "quality": p.result.quality,
                    "template": p.template, "image_sha256": self.images.put(p.image)}
                   for p in assessed]
        return {"fingers": fingers, "missing": [{"finger": f, "reason": r} for f, r in missing]}

    def enrol(self, s: StoreTransaction, pesel: str, scans: Sequence[Scan],
              missing: Sequence[tuple[int, str]], authority: ev.Authority, document_ref: str,
              *, accept_low_quality: bool = False,
              effective: datetime.date | None = None, basis: str | None = None) -> Enrolment:
        return self.record(s, pesel, self.usable(scans, accept_low_quality), missing, authority,
                           document_ref, effective, basis)

    def record(self, s: StoreTransaction, pesel: str, assessed: Sequence[Prepared],
               missing: Sequence[tuple[int, str]], authority: ev.Authority, document_ref: str,
               effective: datetime.date | None = None, basis: str | None = None
               ) -> Enrolment:
        """Record fingers already assessed (``usable``): their images, then the event.

        Under a basis with an end (``sealing.SEALED_BASES``) the templates are sealed with
        a new key, stored in the same transaction as the event.
        """
        payload = self.payload(assessed, missing)
        key = None
        if basis is not None:
            payload["basis"] = basis
        if basis in SEALED_BASES:
            key = new_key()
            payload = seal(payload, self.register.resolve(pesel, s), *key)
        done = self.register.record_in(s, Command(ev.Kind.FINGERPRINTS_ENROLLED, payload,
                                                  authority, document_ref, pesel, effective))
        if key is not None:
            biometric_keys.put(s, key[0], done.person_id, done.seqs[0], basis, key[1])
        return Enrolment(done, [p.result for p in assessed])

    def verify(self, s: StoreTransaction, pesel: str, scan: Scan,
               false_match_rate: float = 0.001) -> Verdict:
        """Is this the finger enrolled for ``pesel`` at ``scan.finger``?"""
        enrolled = latest_fingers(s, self.register.history(pesel, session=s))
        if scan.finger not in enrolled:
            raise FingerNotEnrolled(f"No fingerprint {scan.finger} is enrolled for {pesel} (or "
                                    "it was erased when the law's retention period ended).")
        reference = enrolled[scan.finger].template  # the latest enrolment wins
        probe = extract_template(load_image(scan.data, dpi=scan.dpi,
                                            finger=FingerPosition(scan.finger)))
        return verify(probe, decode_template(base64.b64decode(reference)),
                      false_match_rate=false_match_rate)
