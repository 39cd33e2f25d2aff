"""Erasing biometrics whose law's retention has run out: one accountable run over the keys.

The retention run is a whole-register action (``Action.BULK``): an operator or an
administrator starts it, nightly in production. For every enrolment due
(``registry/retention.py``) it appends a ``biometrics_erased`` event and destroys the
enrolment's key in the same transaction, so the log says what happened and nothing can
open the templates any more. Each person concerned gets an audit entry of their own,
which their access report shows. Each person is erased under a savepoint: one record
the rules refuse is reported, and does not hold back everyone else's erasure.

The images are deleted once the transaction commits; each run also deletes again the
images of keys destroyed in the last ``SWEEP`` days, so a run that stopped between its
commit and the deletion leaves no print on disk for longer than that.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from openpesel.access.accountable import Access, Accountable, Touched
from openpesel.access.policy import Action
from openpesel.errors import OpenPeselError
from openpesel.registry import events as ev
from openpesel.registry.commands import Command
from openpesel.registry.dates import day_in_poland
from openpesel.registry.history import fold
from openpesel.registry.payloads import SEALED_BASES
from openpesel.registry.retention import due, holdings
from openpesel.registry.service import Register
from openpesel.storage import biometric_keys
from openpesel.storage.session import StoreTransaction

if TYPE_CHECKING:
    from openpesel.dedup.enrolment import FingerprintService

SWEEP = datetime.timedelta(days=7)


@dataclass(frozen=True)
class Erased:
    pesel: str
    enrolment_seq: int
    erasure_seq: int


@dataclass
class RetentionRun:
    today: datetime.date
    erased: list[Erased] = field(default_factory=list)
    failed: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    """People whose erasure the register refused, and why: for an official to look at."""
    images: list[str] = field(default_factory=list)
    """Digests of the images to delete once the erasures are committed."""


class Retention:
    def __init__(self, accountable: Accountable, register: Register,
                 fingerprints: Callable[[], FingerprintService]) -> None:
        self.tx = accountable
        self.register = register
        self._fingerprints = fingerprints

    def erase_expired(self, access: Access) -> RetentionRun:
        """Erase every enrolment past its retention on the register's today (in Poland).

        No other day can be named: a day in the future would erase prints that their
        holder may still need to collect a card.
        """
        now = self.tx.clock()
        run = RetentionRun(day_in_poland(now))

        def work(s: StoreTransaction, seen: Touched) -> RetentionRun:
            people = dict.fromkeys(row.person_id for basis in sorted(SEALED_BASES)
                                   for row in biometric_keys.held(s, basis))
            for person_id in people:
                try:
                    with s.conn.begin_nested():
                        self._erase_due(s, access, person_id, run)
                except OpenPeselError as exc:
                    run.failed.append((person_id, str(exc)))
            for row in biometric_keys.erased_since(s, now - SWEEP):
                run.images.extend(_unused_images(s.events_for(row.person_id),
                                                 row.enrolment_seq))
            seen.fields = [f"erased:{len(run.erased)}", f"failed:{len(run.failed)}",
                           f"as_of:{run.today.isoformat()}"]
            return run
        self.tx.run(access, Action.BULK, "biometrics-erase", None, work)
        images = self._fingerprints().images
        for digest in dict.fromkeys(run.images):
            images.discard(digest)
        return run

    def _erase_due(self, s: StoreTransaction, access: Access, person_id: uuid.UUID,
                   run: RetentionRun) -> None:
        log = s.events_for(person_id)
        state = fold(log)
        for holding in due(log, run.today):
            if state is None or holding.key_id is None or holding.basis is None:
                continue
            payload = {"enrolment_seq": holding.enrolment_seq, "basis": holding.basis,
                       "rule": holding.rule}
            done = self.register.record_in(s, Command(
                ev.Kind.BIOMETRICS_ERASED, payload, ev.Authority.MINISTER,
                f"retention {run.today.isoformat()}", state.pesel, run.today))
            biometric_keys.destroy(s, holding.key_id, self.tx.clock())
            enrolment = next(e for e in log if e.seq == holding.enrolment_seq)
            fingers = cast("ev.FingerprintsEnrolled", enrolment.payload).fingers
            run.erased.append(Erased(state.pesel, holding.enrolment_seq, done.seqs[0]))
            self.tx.audit_people(s, access, "biometrics-erase", [(done.person_id, state.pesel)],
                                 [f"fingers:{','.join(str(f.finger) for f in fingers)}",
                                  f"enrolment:{holding.enrolment_seq}",
                                  f"basis:{holding.basis}"])


def _images(enrolment: ev.Event) -> set[str]:
    return {f.image_sha256 for f in cast("ev.FingerprintsEnrolled", enrolment.payload).fingers}


def _unused_images(log: list[ev.Event], erased_seq: int) -> list[str]:
    """The erased enrolment's images that none of the person's other prints still held
    uses (the same scan may have been enrolled again under a lasting law)."""
    gone = {h.enrolment_seq for h in holdings(log) if h.erased}
    enrolments = [e for e in log if e.kind is ev.Kind.FINGERPRINTS_ENROLLED]
    in_use = set().union(*(_images(e) for e in enrolments if e.seq not in gone))
    erased = next((e for e in enrolments if e.seq == erased_seq), None)
    return [] if erased is None else sorted(_images(erased) - in_use)
