"""Screening against the held applications: fingers that are in no gallery yet.

A held application has no number, so the register's gallery does not hold its
fingers; yet a second application with the same fingers, while the first waits
for an examiner, is the very duplicate de-duplication is for. Each screening
therefore also searches the undecided applications' fingers. There are few of
them (an examiner's queue), so a throw-away gallery of the matcher's own kind
is built for each search rather than kept current, and it is read under the
gallery lock like the register's gallery: a case opened by a screening that
committed before this one took the lock is always seen.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from openpesel.dedup import cases as c
from openpesel.dedup.gallery import decode

if TYPE_CHECKING:
    from openpesel.biometrics import FingerprintTemplate
    from openpesel.biometrics.identification import Gallery


def held_matches(cases: Iterable[c.Case], probe: Mapping[int, FingerprintTemplate],
                 threshold: float, new_gallery: Callable[[], Gallery], depth: int,
                 ) -> list[c.HeldMatch]:
    """The undecided applications among ``cases`` whose fingers reach ``threshold``."""
    from openpesel.biometrics.identification import SubjectInfo

    gallery = new_gallery()
    for case in cases:
        if case.origin is c.Origin.APPLICATION and case.status in c.UNDECIDED:
            fingers = case.subject["enrolment"]["fingers"]
            if fingers:
                gallery.add(str(case.case_id),
                            decode({f["finger"]: f["template"] for f in fingers}),
                            SubjectInfo(sex=None, birth_year=None))
    if not probe or not len(gallery):
        return []
    return [c.HeldMatch(uuid.UUID(hit.key), float(hit.score),
                        tuple((f.finger, float(f.score)) for f in hit.fingers))
            for hit in gallery.search(probe, depth)
            if c.reaches(threshold, hit.score, (f.score for f in hit.fingers))]
