"""The register's gallery: everyone enrolled, derived from the event log, kept current.

The gallery is a projection like any other: each person's latest template per
finger (corrections applied), keyed by their current PESEL, with sex and birth
year for the demographic filters. It is built on first use in a process and
then caught up before each search from the events appended since, so writes
made by another process (another API worker, the console) are seen too, and
a number change, a correction or a link moves or drops the person's entry.
People found to be someone's duplicate leave it: their fingers are the
survivor's, and one person should be one candidate.

It follows commits, not just event numbers. Catching up means "the events
numbered after the last one read", which is only sound if those events commit
in the order of their numbers. On PostgreSQL numbers are taken at insert and a
transaction may commit after a later-numbered one; so every transaction that
appends a gallery event holds the gallery lock until it commits
(``ev.GALLERY_KINDS``, ``storage/event_log.py``), and what any reader sees of
those events is always a prefix of their numbers. Of the designs in issue 18
this one was chosen over a snapshot watermark (``pg_snapshot_xmin`` with each
row's ``xmin``: no index can serve it on the log, and a sequence value taken
before its transaction has an id escapes it) and over a commit-ordered feed
table (a migration, a trigger and a second write per event, for the same
ordering). Screening takes the same lock before it searches
(``DedupService``), so of two registrations of one finger the second always
searches a gallery that holds the first.
"""

from __future__ import annotations

import base64
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from openpesel.dedup.sealing import latest_fingers
from openpesel.registry import events as ev
from openpesel.registry.history import fold
from openpesel.storage import cases as store_cases
from openpesel.storage.store import StoreTransaction

if TYPE_CHECKING:
    from openpesel.biometrics import FingerprintTemplate
    from openpesel.biometrics.identification import Candidate, Gallery, SubjectInfo

WATCHED = ev.GALLERY_KINDS
"""Events that can add, move or drop a gallery entry."""


def decode(templates: Mapping[int, str]) -> dict[int, FingerprintTemplate]:
    from openpesel.biometrics import decode_template

    return {finger: decode_template(base64.b64decode(t)) for finger, t in templates.items()}


class RegisterGallery:
    """One per process; ``refresh`` under the caller's transaction, then ``search``."""

    def __init__(self, factory: Callable[[], Gallery] | None = None) -> None:
        self._factory = factory
        self._gallery: Gallery | None = None
        self._keys: dict[uuid.UUID, str] = {}
        self._seen = -1
        self._lock = threading.RLock()

    def new_gallery(self) -> Gallery:
        """An empty gallery of this one's kind (the held applications' of a screening)."""
        return self._new()

    def _new(self) -> Gallery:
        if self._factory is not None:
            return self._factory()
        from openpesel.biometrics.identification import InProcessGallery

        return InProcessGallery()

    def rebuild(self) -> None:
        """Forget everything; the next ``refresh`` reads the whole log again."""
        with self._lock:
            self._gallery, self._keys, self._seen = None, {}, -1

    def refresh(self, s: StoreTransaction) -> Gallery:
        """Catch up with the log as this transaction sees it; returns the gallery."""
        with self._lock:
            if self._gallery is None:
                self._gallery, self._keys, self._seen = self._new(), {}, 0
            gallery = self._gallery
            changed = store_cases.events_after(s, self._seen, WATCHED)
            if changed:
                for person_id in dict.fromkeys(e.person_id for e in changed):
                    self._update(s, gallery, person_id)
                self._seen = max(e.seq for e in changed)
            return gallery

    def _update(self, s: StoreTransaction, gallery: Gallery, person_id: uuid.UUID) -> None:
        from openpesel.biometrics.identification import SubjectInfo

        old = self._keys.pop(person_id, None)
        if old is not None:
            gallery.remove(old)
        log = s.events_for(person_id)
        state = fold(log)
        fingers = latest_fingers(s, log, lasting_only=True, state=state)
        if state is None or state.duplicate_of is not None or not fingers:
            return
        info: SubjectInfo = SubjectInfo(sex=state.sex.value,
                                        birth_year=state.birth_date.year)
        gallery.add(state.pesel, decode({n: f.template for n, f in fingers.items()}), info)
        self._keys[person_id] = state.pesel

    def search(self, s: StoreTransaction, probe: Mapping[int, FingerprintTemplate], k: int = 10,
               sex: str | None = None, birth_years: tuple[int, int] | None = None,
               ) -> list[Candidate]:
        with self._lock:
            gallery = self.refresh(s)
            return list(gallery.search(probe, k, sex=sex, birth_years=birth_years))

    def __len__(self) -> int:
        with self._lock:
            return 0 if self._gallery is None else len(self._gallery)
