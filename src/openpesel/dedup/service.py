"""De-duplication at enrolment and the examiners' decisions: one method per use case.

Every method works inside the caller's transaction (the gate's audited one),
so a held application, its case entry and its audit entry, or a decision,
its register events, its case entry and its audit entries, commit together
or not at all.

The screening follows MOSIP's order: a demographic check (close name, same
birth date and sex, through the register's own search), then a 1:N search
of everyone enrolled and of the held applications (``dedup/held.py``). It
runs under the gallery lock, held until the registration commits
(``dedup/gallery.py`` says why): two registrations of one finger at the same
moment are screened one after the other, so the second finds the first. An
enrolment on a registered person is screened the same way, and a hit opens a
case between the two records. A biometric hit at or above ``threshold`` is a
suspect; so is a demographic hit that cannot be cleared by fingerprints
(nobody enrolled them). A demographic hit whose enrolled fingers did not
come near the probe is cleared without an examiner.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from openpesel.biometrics import parameters as bp
from openpesel.dedup import cases as c
from openpesel.dedup.evidence import Evidence, Side
from openpesel.dedup.gallery import RegisterGallery, decode
from openpesel.dedup.held import held_matches
from openpesel.dedup.sealing import SEALED_BASES, latest_fingers
from openpesel.errors import FingerNotEnrolled, InvalidEvent, RegisterError
from openpesel.registry import events as ev
from openpesel.registry.checks import check_authority
from openpesel.registry.commands import Command, Recorded
from openpesel.registry.history import fold
from openpesel.registry.rules import MIN_FINGERPRINT_AGE, age_on, date_range
from openpesel.registry.search import Query
from openpesel.registry.service import Register
from openpesel.storage import cases as log
from openpesel.storage.store import StoreTransaction

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from openpesel.biometrics import FingerprintTemplate
    from openpesel.biometrics.identification import Candidate
    from openpesel.dedup.enrolment import (
        Enrolment,
        FingerprintService,
        FingerResult,
        Prepared,
        Scan,
    )

DEDUP_THRESHOLD = bp.THRESHOLDS_BY_FMR[0.0001]
"""A finger (or the fused score) at or above this makes a suspect: the strictest calibrated
threshold, because every enrolment is compared with everyone and false alarms cost an
examiner's time (docs/adjudication.md)."""
SEARCH_DEPTH = 10
"""Candidates the 1:N search returns per probe."""
ADJUDICATION_OFFICE = ev.Authority.MINISTER


@dataclass(frozen=True)
class RegistrationRequest:
    """A registration (birth or foreigner) that comes with fingerprints, before screening."""

    kind: ev.Kind
    payload: dict[str, Any]
    authority: ev.Authority
    document_ref: str
    effective_date: datetime.date | None = None


@dataclass(frozen=True)
class Screened:
    """Recorded (a number assigned) or held (a case opened): never both."""

    recorded: Recorded | None
    case_id: uuid.UUID | None
    suspects: tuple[c.Suspect, ...]
    fingers: tuple[FingerResult, ...]
    held: tuple[c.HeldMatch, ...] = ()
    """Held applications with the same fingers (they hold this one too)."""


@dataclass(frozen=True)
class Decided:
    case: c.Case
    seqs: tuple[int, ...]
    pesel: str | None
    """The number the applicant holds after the decision (assigned, or found), if any."""
    people: tuple[uuid.UUID, ...]


class DedupService:
    def __init__(self, register: Register, fingerprints: FingerprintService,
                 gallery: RegisterGallery, threshold: float = DEDUP_THRESHOLD) -> None:
        self.register = register
        self.fingerprints = fingerprints
        self.gallery = gallery
        self.threshold = threshold
        self.clock: Callable[[], datetime.datetime] = register.clock

    # -- screening at enrolment -------------------------------------------

    def register_with_fingerprints(self, s: StoreTransaction, app: RegistrationRequest,
                                   scans: Sequence[Scan], missing: Sequence[tuple[int, str]],
                                   by: str, accept_low_quality: bool = False) -> Screened:
        birth = self._check(app)
        assessed = self.fingerprints.usable(scans, accept_low_quality)
        probe = decode({p.result.finger: p.template for p in assessed})
        s.lock_gallery()  # until commit: a registration of the same finger waits, then finds us
        suspects = self._screen(s, birth, probe)
        held = self._held(s, probe)
        fingers = tuple(p.result for p in assessed)
        enrolment = self.fingerprints.payload(assessed, missing)
        if not suspects and not held:
            return Screened(self._record(s, app, enrolment), None, (), fingers)
        subject = {"kind": app.kind.value, "payload": birth.model_dump(mode="json",
                                                                     exclude_none=True),
                   "authority": app.authority.value, "document_ref": app.document_ref,
                   "effective_date": (app.effective_date.isoformat()
                                      if app.effective_date else None),
                   "enrolment": enrolment}
        case_id = uuid.uuid4()
        log.append_entry(s, case_id, "opened", self.clock(), by,
                         c.opened_body(c.Origin.APPLICATION, subject, suspects, held))
        return Screened(None, case_id, tuple(suspects), fingers, tuple(held))

    def enrol(self, s: StoreTransaction, pesel: str, scans: Sequence[Scan],
              missing: Sequence[tuple[int, str]], authority: ev.Authority, document_ref: str,
              by: str, accept_low_quality: bool = False, basis: str | None = None
              ) -> Enrolment:
        """Fingers taken from a registered person, screened like a registration.

        Prints under a basis with an end (ID cards) are recorded without a search: the
        law that lets them be taken gives no basis for comparing them with a database.
        Others are recorded whatever is found: the person is in the register already,
        and holding their card would not undo that. Fingers that reach the threshold
        against another record, or a held application, open a case between the two,
        for an examiner to decide as any other.
        """
        assessed = self.fingerprints.usable(scans, accept_low_quality)
        if basis in SEALED_BASES:  # no 1:N search with prints the law keeps out of it
            return self.fingerprints.record(s, pesel, assessed, missing, authority,
                                            document_ref, basis=basis)
        probe = decode({p.result.finger: p.template for p in assessed})
        s.lock_gallery()
        me = self.register.resolve(pesel, s)
        hits = [h for h in self.gallery.search(s, probe, SEARCH_DEPTH)
                if self._hit(h) and self.register.resolve(h.key, s) != me]
        suspects = [self._suspect(s, h, ("biometric",)) for h in hits]
        held = self._held(s, probe)
        done = self.fingerprints.record(s, pesel, assessed, missing, authority, document_ref,
                                        basis=basis)
        if not suspects and not held:
            return done
        case_id = uuid.uuid4()
        subject = {"pesel": done.recorded.pesel, "person_id": str(me)}
        log.append_entry(s, case_id, "opened", self.clock(), by,
                         c.opened_body(c.Origin.REGISTERED, subject, suspects, held))
        return replace(done, case_id=case_id, suspects=tuple(x.person_id for x in suspects))

    def _held(self, s: StoreTransaction, probe: Mapping[int, FingerprintTemplate]
              ) -> list[c.HeldMatch]:
        return held_matches(c.fold_all(log.entries(s)), probe, self.threshold,
                            self.gallery.new_gallery, SEARCH_DEPTH)

    def _check(self, app: RegistrationRequest) -> ev.Birth:
        """Refuse what could never be recorded before any fingerprint work is done."""
        if app.kind not in ev.CREATING_KINDS:
            raise InvalidEvent("A registration with fingerprints is a birth or a foreigner's "
                               f"registration, not {app.kind.value}.")
        for kind in (app.kind, ev.Kind.FINGERPRINTS_ENROLLED):
            check_authority(kind, app.authority)
        if not app.document_ref.strip():
            raise RegisterError("Every event needs the reference of its document.")
        birth = cast("ev.Birth", ev.parse_payload(app.kind, app.payload))
        on = self._enrolled_on(app)
        if age_on(birth.birth_date, on) < MIN_FINGERPRINT_AGE:
            raise RegisterError(f"No fingerprints are taken from children under "
                                f"{MIN_FINGERPRINT_AGE}.")
        return birth

    def _enrolled_on(self, app: RegistrationRequest) -> datetime.date:
        if app.effective_date is not None and app.kind is not ev.Kind.BIRTH:
            return app.effective_date
        return self.clock().date()

    def _screen(self, s: StoreTransaction, birth: ev.Birth,
                probe: Mapping[int, FingerprintTemplate]) -> list[c.Suspect]:
        found = self.gallery.search(s, probe, SEARCH_DEPTH)
        suspects: dict[str, c.Suspect] = {}
        for hit in found:
            if self._hit(hit):
                suspects[hit.key] = self._suspect(s, hit, ("biometric",))
        scored = {hit.key for hit in found}
        first, last = date_range(birth.birth_date, birth.birth_date_precision)
        query = Query(text=f"{birth.first_names[0]} {birth.family_name}",
                      born=birth.birth_date if first == last else None,
                      year=None if first == last else first.year, sex=birth.sex.value,
                      limit=SEARCH_DEPTH)
        gallery = self.gallery.refresh(s)
        for person in self.register.search(query, session=s):
            if person.pesel in suspects:
                suspects[person.pesel] = _also(suspects[person.pesel], "demographic")
            elif person.pesel not in scored and person.pesel not in gallery:
                # Nobody took this person's fingers: only an examiner can clear them.
                state = self.register.state(person.pesel, session=s)
                if state.duplicate_of is None:  # a known duplicate's survivor stands for it
                    suspects[person.pesel] = c.Suspect(person.pesel, state.person_id, 0.0, 0,
                                                       (), ("demographic",))
        ranked = sorted(suspects.values(), key=lambda x: -x.score)
        return [c.Suspect(x.pesel, x.person_id, x.score, n, x.fingers, x.reasons)
                for n, x in enumerate(ranked, 1)]

    def _hit(self, hit: Candidate) -> bool:
        return c.reaches(self.threshold, hit.score, (f.score for f in hit.fingers))

    def _suspect(self, s: StoreTransaction, hit: Candidate, reasons: tuple[str, ...]) -> c.Suspect:
        return c.Suspect(hit.key, self.register.resolve(hit.key, s), float(hit.score),
                         hit.rank, tuple((f.finger, float(f.score)) for f in hit.fingers),
                         reasons)

    def _record(self, s: StoreTransaction, app: RegistrationRequest,
                enrolment: dict[str, Any]) -> Recorded:
        done = self.register.record_in(s, Command(app.kind, app.payload, app.authority,
                                                  app.document_ref,
                                                  effective_date=app.effective_date))
        prints = self.register.record_in(s, Command(
            ev.Kind.FINGERPRINTS_ENROLLED, enrolment, app.authority, app.document_ref,
            done.pesel, self._enrolled_on(app)))
        return Recorded(done.person_id, prints.pesel, done.seqs + prints.seqs)

    # -- cases between registered people ----------------------------------

    def open_between(self, s: StoreTransaction, subject: str, candidate: str, by: str) -> c.Case:
        """An examiner's own suspicion that two registered people are one."""
        ids = [self.register.resolve(p, s) for p in (subject, candidate)]
        if ids[0] == ids[1]:
            raise InvalidEvent("A case needs two different records.")
        states = [self.register.state(p, session=s) for p in (subject, candidate)]
        probe = latest_fingers(s, s.events_for(ids[0]))
        hit = None
        if probe:
            hits = self.gallery.search(s, decode({n: f.template for n, f in probe.items()}),
                                       SEARCH_DEPTH)
            hit = next((h for h in hits if h.key == states[1].pesel), None)
        suspect = (self._suspect(s, hit, ("examiner",)) if hit is not None else
                   c.Suspect(states[1].pesel, ids[1], 0.0, 1, (), ("examiner",)))
        case_id = uuid.uuid4()
        body = c.opened_body(c.Origin.REGISTERED, {"pesel": states[0].pesel,
                                                   "person_id": str(ids[0])}, [suspect])
        log.append_entry(s, case_id, "opened", self.clock(), by, body)
        return self.case(s, case_id)

    # -- the queue and decisions ------------------------------------------

    def case(self, s: StoreTransaction, case_id: uuid.UUID) -> c.Case:
        """The case, with the held matches other cases found since (``c.link_held``)."""
        case = c.fold(case_id, log.entries(s, case_id))  # CaseNotFound, before reading all
        return c.link_held(c.fold_all(log.entries(s)))[case.case_id]

    def queue(self, s: StoreTransaction, include_decided: bool = False) -> list[c.Case]:
        return c.queue(c.link_held(c.fold_all(log.entries(s))).values(), include_decided)

    def decide(self, s: StoreTransaction, case_id: uuid.UUID, decision: c.Decision, comment: str,
               candidate: str | None, by: str, evidence: str | None = None) -> Decided:
        """Decide a case; a "same" below the threshold is first recorded as an opinion only.

        The case is locked first: two examiners confirming one opinion at once
        must not both link the records.
        """
        log.lock_case(s, case_id)
        case = self.case(s, case_id)
        chosen = c.check_decision(case, decision, comment, candidate, by)
        evidence = evidence.strip() if evidence and evidence.strip() else None
        final = True
        if decision is c.Decision.SAME:
            assert chosen is not None
            final = c.check_same(case, chosen, self.threshold,
                                 bool(self._common_fingers(s, case, chosen)[2]), evidence)
        ref = f"adjudication/{case_id}"
        seqs: list[int] = []
        pesel: str | None = None
        person: uuid.UUID | None = None  # the applicant's record, once it has one
        people: list[uuid.UUID] = [x.person_id for x in case.suspects]
        # A first opinion (not final) touches no record until a second examiner agrees.
        if final and decision is c.Decision.DIFFERENT:
            cleared = [x.pesel for x in case.suspects]
            if case.origin is c.Origin.REGISTERED:
                cleared.append(case.subject["pesel"])
            for who in cleared:
                seqs += self._note(s, ev.Kind.DUPLICATE_CLEARED, who, ref,
                                   {"case_id": str(case_id), "comment": comment})
            if case.origin is c.Origin.APPLICATION:
                done = self._release(s, case)
                seqs += done.seqs
                pesel, person = done.pesel, done.person_id
                people.append(done.person_id)
        elif final and decision is c.Decision.SAME:
            assert chosen is not None
            if case.origin is c.Origin.APPLICATION:
                seqs += self._note(s, ev.Kind.IDENTITY_LINKED, chosen, ref, {
                    "case_id": str(case_id), "role": "applicant", "comment": comment})
                state = self.register.state(chosen, session=s)
                pesel, person = state.pesel, state.person_id
            else:
                seqs += self._link(s, case, chosen, ref, comment)
        outcome = {"seqs": seqs, "pesel": pesel,
                   "person_id": str(person) if person is not None else None}
        log.append_entry(s, case_id, "decided", self.clock(), by,
                         c.decided_body(decision, comment, chosen, outcome, evidence,
                                        first_opinion=not final))
        return Decided(self.case(s, case_id), tuple(seqs), pesel, tuple(people))

    def _note(self, s: StoreTransaction, kind: ev.Kind, pesel: str, ref: str,
              payload: dict[str, Any]) -> list[int]:
        number = self.register.state(pesel, session=s).pesel  # a changed number still finds
        done = self.register.record_in(s, Command(kind, payload, ADJUDICATION_OFFICE, ref,
                                                  number, self.clock().date()))
        return list(done.seqs)

    def _release(self, s: StoreTransaction, case: c.Case) -> Recorded:
        sub = case.subject
        when = sub.get("effective_date")
        app = RegistrationRequest(ev.Kind(sub["kind"]), sub["payload"],
                                  ev.Authority(sub["authority"]), sub["document_ref"],
                                  datetime.date.fromisoformat(when) if when else None)
        return self._record(s, app, sub["enrolment"])

    def _link(self, s: StoreTransaction, case: c.Case, chosen: str, ref: str,
              comment: str) -> list[int]:
        """The record the register learned of first survives; the other is its duplicate."""
        a = self.register.resolve(case.subject["pesel"], s)
        b = self.register.resolve(chosen, s)
        first = {pid: s.events_for(pid)[0].seq for pid in (a, b)}
        survivor, duplicate = sorted((a, b), key=first.__getitem__)
        states = {pid: fold(s.events_for(pid)) for pid in (a, b)}
        seqs: list[int] = []
        for me, other, role in ((duplicate, survivor, "duplicate"),
                                (survivor, duplicate, "survivor")):
            mine, theirs = states[me], states[other]
            assert mine is not None and theirs is not None
            seqs += self._note(s, ev.Kind.IDENTITY_LINKED, mine.pesel, ref, {
                "case_id": str(case.case_id), "role": role, "other_id": str(other),
                "other_pesel": theirs.pesel, "comment": comment})
        return seqs

    # -- identification and evidence --------------------------------------

    def identify(self, s: StoreTransaction, prepared: Sequence[Prepared], k: int = SEARCH_DEPTH,
                 sex: str | None = None, birth_years: tuple[int, int] | None = None,
                 ) -> list[Candidate]:
        probe = decode({p.result.finger: p.template for p in prepared})
        return self.gallery.search(s, probe, k, sex=sex, birth_years=birth_years)

    def evidence(self, s: StoreTransaction, case_id: uuid.UUID, candidate: str, finger: int | None
                 ) -> tuple[Evidence, npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
        from openpesel.biometrics import verify
        from openpesel.biometrics.identification import paired_minutiae

        case = self.case(s, case_id)
        suspect = case.suspect(candidate)
        probe, theirs, common = self._common_fingers(s, case, candidate)
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
        images = self.fingerprints.images
        return (found, images.get(probe[finger].image_sha256).pixels,
                images.get(theirs[finger].image_sha256).pixels)

    def _common_fingers(self, s: StoreTransaction, case: c.Case, candidate: str
                        ) -> tuple[dict[int, ev.EnrolledFinger], dict[int, ev.EnrolledFinger],
                                   list[int]]:
        """The subject's fingers, the candidate's, and the positions both gave."""
        probe = self._probe_fingers(s, case)
        theirs = latest_fingers(s, s.events_for(case.suspect(candidate).person_id))
        return probe, theirs, sorted(set(probe) & set(theirs))

    def _probe_fingers(self, s: StoreTransaction, case: c.Case) -> dict[int, ev.EnrolledFinger]:
        if case.origin is c.Origin.APPLICATION:
            given = case.subject["enrolment"]["fingers"]
            return {f["finger"]: ev.EnrolledFinger.model_validate(f) for f in given}
        return latest_fingers(s, s.events_for(uuid.UUID(case.subject["person_id"])))


def _also(x: c.Suspect, reason: str) -> c.Suspect:
    return c.Suspect(x.pesel, x.person_id, x.score, x.rank, x.fingers, (*x.reasons, reason))


def _side(digest: str, t: FingerprintTemplate) -> Side:
    return Side(digest, t.width, t.height,
                tuple((m.x, m.y, m.angle, m.kind.name.lower()) for m in t.minutiae))
