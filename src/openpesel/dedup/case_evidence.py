"""What an examiner is shown for a case: the prints both sides gave, compared finger by
finger (``dedup/evidence.py`` draws them)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from openpesel.dedup import cases as c
from openpesel.dedup.evidence import Evidence, Side
from openpesel.dedup.gallery import decode
from openpesel.dedup.sealing import latest_fingers
from openpesel.errors import FingerNotEnrolled
from openpesel.registry import events as ev
from openpesel.storage.store import StoreTransaction

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from openpesel.biometrics import FingerprintTemplate
    from openpesel.dedup.service import DedupService

Page = tuple[Evidence, "npt.NDArray[np.uint8]", "npt.NDArray[np.uint8]"]
"""One finger's evidence, with the probe's and the candidate's pixels."""


def evidence(service: DedupService, s: StoreTransaction, case_id: uuid.UUID, candidate: str,
             finger: int | None) -> Page:
    """One finger of one candidate (by default the best-scoring one both sides gave)."""
    from openpesel.biometrics import verify
    from openpesel.biometrics.identification import paired_minutiae

    case = service.case(s, case_id)
    suspect = case.suspect(candidate)
    probe, theirs, common = common_fingers(s, case, candidate)
    if not common:
        raise FingerNotEnrolled(f"{candidate} has no finger enrolled that the case's subject "
                                "also gave.")
    if finger is None:
        best = sorted(suspect.fingers, key=lambda f: -f[1])
        finger = next((f for f, _ in best if f in common), common[0])
    elif finger not in common:
        raise FingerNotEnrolled(f"Finger {finger} is not on both sides; fingers on both: "
                                f"{', '.join(map(str, common))}.")
    t = decode({0: probe[finger].template, 1: theirs[finger].template})
    pairs = tuple((int(i), int(j), float(v)) for i, j, v in paired_minutiae(t[0], t[1]))
    found = Evidence(finger, verify(t[0], t[1]).score, suspect.score,
                     _side(probe[finger].image_sha256, t[0]),
                     _side(theirs[finger].image_sha256, t[1]), pairs)
    images = service.fingerprints.images
    return (found, images.get(probe[finger].image_sha256).pixels,
            images.get(theirs[finger].image_sha256).pixels)

def evidence_pages(service: DedupService, s: StoreTransaction, case_id: uuid.UUID,
                   candidate: str) -> list[Page]:
    """``evidence`` for every finger both sides gave."""
    _, _, common = common_fingers(s, service.case(s, case_id), candidate)
    return [evidence(service, s, case_id, candidate, f) for f in common] if common else [
        evidence(service, s, case_id, candidate, None)]  # raises: nothing in common

def common_fingers(s: StoreTransaction, case: c.Case, candidate: str
                    ) -> tuple[dict[int, ev.EnrolledFinger], dict[int, ev.EnrolledFinger],
                               list[int]]:
    """The subject's fingers, the candidate's, and the positions both gave."""
    probe = _probe_fingers(s, case)
    theirs = latest_fingers(s, s.events_for(case.suspect(candidate).person_id))
    return probe, theirs, sorted(set(probe) & set(theirs))

def _probe_fingers(s: StoreTransaction, case: c.Case) -> dict[int, ev.EnrolledFinger]:
    if case.origin is c.Origin.APPLICATION:
        given = case.subject["enrolment"]["fingers"]
        return {f["finger"]: ev.EnrolledFinger.model_validate(f) for f in given}
    return latest_fingers(s, s.events_for(uuid.UUID(case.subject["person_id"])))


def _side(digest: str, t: FingerprintTemplate) -> Side:
    return Side(digest, t.width, t.height,
                tuple((m.x, m.y, m.angle, m.kind.name.lower()) for m in t.minutiae))
