"""Sixteen clerks at once: nothing lost, nothing doubled, no number twice, clear refusals.

Sixteen writer threads, each with its own ``Store`` (its own connections, as
sixteen server processes would have), record every kind of event through the
audited gate for ``OPENPESEL_CONCURRENCY_SECONDS`` (3 s by default; the full
run is 60 s per store): births into the same three pools, marriages, divorces
and deaths among the same forty people, moves, documents, corrections of their
own earlier events. Four readers ask as-of questions and search meanwhile.
Every writer keeps a ledger of what was acknowledged and what was refused, and
afterwards the log is compared with the ledgers, event by event.
"""

from __future__ import annotations

import datetime
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from openpesel.access.audit import AuditLog
from openpesel.access.gate import Access, Gate, Principal
from openpesel.access.policy import Role
from openpesel.access.signing import load_or_create_key
from openpesel.errors import ConcurrencyConflict, OpenPeselError, StorageError
from openpesel.registry import events as ev
from openpesel.registry.commands import Recorded
from openpesel.registry.search import Query
from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.support.invariants import assert_sound
from tests.support.office import born

SECONDS = float(os.environ.get("OPENPESEL_CONCURRENCY_SECONDS", "3"))
WRITERS, READERS = 16, 4
POOL_DAYS = [datetime.date(2024, 3, d) for d in (1, 2, 3)]
FAMILY_NAMES = ["Nowak", "Kowalska", "Wiśniewski", "Wójcik", "Kamińska"]
DRIVER_WORDS = ("sqlite", "psycopg", "sqlalchemy", "savepoint", "errno")
SPOUSE_KINDS = {ev.Kind.MARRIED, ev.Kind.DIVORCED, ev.Kind.MARRIAGE_ANNULLED}
KINDS_BY_HAND = set(ev.Kind) - {ev.Kind.SPOUSE_DIED}  # that one follows a death by itself


@dataclass
class Ledger:
    """What one worker was told: acknowledged writes, refusals by class, audited calls."""

    acknowledged: dict[str, tuple[ev.Kind, Recorded]] = field(default_factory=dict)
    refused: Counter[str] = field(default_factory=Counter)
    refused_refs: list[str] = field(default_factory=list)
    unclear: list[str] = field(default_factory=list)
    audited: int = 0
    reads: int = 0


class People:
    """The few people every writer works on, shared; new numbers join as they are issued."""

    def __init__(self, pesels: list[str]) -> None:
        self._lock = threading.Lock()
        self._pesels = list(pesels)
        self.adults = tuple(pesels)  # the forty who marry, divorce and adopt each other

    def pick(self, rng: random.Random) -> str:
        with self._lock:
            return rng.choice(self._pesels)

    def add(self, pesel: str) -> None:
        with self._lock:
            self._pesels.append(pesel)


def _payload(kind: ev.Kind, rng: random.Random, people: People,
             now: datetime.datetime) -> dict[str, Any]:
    """A plausible payload; many will still be refused by the rules, which is the point."""
    name = rng.choice(FAMILY_NAMES)
    if kind in ev.CREATING_KINDS:
        payload: dict[str, Any] = {
            "first_names": [rng.choice(["Jan", "Ewa", "Ola"])], "family_name": name,
            "sex": rng.choice("MF"), "birth_date": rng.choice(POOL_DAYS).isoformat(),
            "birth_place": "Kraków"}
        if kind is ev.Kind.FOREIGNER_REGISTERED:
            payload |= {"citizenship": "UKR", "status": "UKR", "birth_country": "UKR"}
        elif rng.random() < 0.3:
            payload["mother_pesel"] = people.pick(rng)
        return payload
    later = (now + datetime.timedelta(days=rng.randint(0, 3))).isoformat()
    by_kind: dict[ev.Kind, dict[str, Any]] = {
        ev.Kind.NAME_CHANGED: {"family_name": name},
        ev.Kind.SEX_CHANGED: {"sex": rng.choice("MF")},
        ev.Kind.BIRTH_DATE_CORRECTED: {
            "birth_date": f"1990-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"},
        ev.Kind.ADOPTED: {"mother_pesel": people.pick(rng), "family_name": name},
        ev.Kind.MARRIED: {"spouse_pesel": rng.choice(people.adults)},
        ev.Kind.DIVORCED: {"spouse_pesel": rng.choice(people.adults)},
        ev.Kind.MARRIAGE_ANNULLED: {"spouse_pesel": rng.choice(people.adults)},
        ev.Kind.DIED: {"death_place": "Opole"},
        ev.Kind.RESIDENCE_REGISTERED: {"residence": rng.choice(["permanent", "temporary"]),
                                       "teryt": rng.choice(["1465011", "1261011", "0264011"]),
                                       "address": f"ul. Długa {rng.randint(1, 99)}"},
        ev.Kind.RESIDENCE_DEREGISTERED: {"residence": "permanent"},
        ev.Kind.STAY_ABROAD_BEGAN: {"country": "DEU"},
        ev.Kind.STAY_ABROAD_ENDED: {},
        ev.Kind.ID_CARD_ISSUED: {"number": "ABC123456", "valid_until": "2035-01-01"},
        ev.Kind.ID_CARD_INVALIDATED: {"number": "ABC123456", "reason": "lost"},
        ev.Kind.PASSPORT_ISSUED: {"number": "AB1234567", "valid_until": "2035-01-01"},
        ev.Kind.PASSPORT_INVALIDATED: {"number": "AB1234567", "reason": "stolen"},
        ev.Kind.CITIZENSHIP_ACQUIRED: {"country": "DEU"},
        ev.Kind.CITIZENSHIP_LOST: {"country": "DEU"},
        ev.Kind.FINGERPRINTS_ENROLLED: {"missing": [{"finger": 2, "reason": "bandaged"}]},
        ev.Kind.PESEL_RESERVED: {"at": now.isoformat()},
        ev.Kind.RESERVATION_WITHDRAWN: {"at": later, "requested_at": now.isoformat()},
        ev.Kind.CORRECTED: {"replacement": None, "reason": "entered in error"},
    }
    return by_kind[kind]


def _payload_kinds() -> list[ev.Kind]:
    """The kinds :func:`_payload` can write (a kind added later needs a line there)."""
    rng, now = random.Random(0), datetime.datetime.now(datetime.UTC)
    people = People(["44051401359"])
    known = []
    for kind in ev.Kind:
        try:
            _payload(kind, rng, people, now)
        except KeyError:
            continue
        known.append(kind)
    return known


def _safely(work: Callable[..., None]) -> Callable[..., None]:
    """A worker that dies must fail the test, not vanish as a warning."""
    def run(n: int, gate: Gate, people: People, ledger: Ledger, until: float) -> None:
        try:
            work(n, gate, people, ledger, until)
        except BaseException as exc:
            ledger.unclear.append(f"worker {n} died: {type(exc).__name__}: {exc}")
    return run


def _call(ledger: Ledger, ref: str | None, action: Callable[[], Any]) -> Any:
    """Run one gate call; a refusal must be one of ours and say nothing of the driver."""
    try:
        result = action()
    except OpenPeselError as exc:
        ledger.refused[type(exc).__name__] += 1
        text = str(exc)
        if (type(exc) is StorageError or not text.strip()
                or any(w in text.lower() for w in DRIVER_WORDS)):
            ledger.unclear.append(f"{type(exc).__name__}: {text}")
        if not isinstance(exc, StorageError):
            ledger.audited += 1  # refused in the gate: audited as refused
        if ref is not None:
            ledger.refused_refs.append(ref)
        return None
    except Exception as exc:  # anything else is a bug: not a clear refusal
        ledger.unclear.append(f"{type(exc).__name__}: {exc}")
        if ref is not None:
            ledger.refused_refs.append(ref)
        return None
    ledger.audited += 1
    return result


def _writer(n: int, gate: Gate, people: People, ledger: Ledger, until: float) -> None:
    rng = random.Random(n)
    me = Access(Principal(f"clerk-{n}", Role.OPERATOR), "concurrency test")
    kinds = sorted(KINDS_BY_HAND & set(_payload_kinds()))
    mine: list[tuple[str, int]] = []  # (pesel, seq) of my own acknowledged events
    i = 0
    while time.monotonic() < until:
        i += 1
        kind = ev.Kind.BIRTH if rng.random() < 0.25 else rng.choice(kinds)
        ref = f"W{n}/{i}"
        pesel, supersedes = None, None
        if kind is ev.Kind.CORRECTED and mine:
            pesel, supersedes = rng.choice(mine)
        elif kind in SPOUSE_KINDS:
            pesel = rng.choice(people.adults)
        elif kind not in ev.CREATING_KINDS:
            pesel = people.pick(rng)
        payload = _payload(kind, rng, people, gate.clock())
        done = _call(ledger, ref, lambda: gate.record(
            me, kind, payload, ref, pesel, supersedes=supersedes,  # noqa: B023
            authority=sorted(ev.AUTHORS[kind])[0]))  # noqa: B023
        if done is None:
            continue
        ledger.acknowledged[ref] = (kind, done)
        if done.pesel != pesel:
            people.add(done.pesel)
        if kind is not ev.Kind.CORRECTED:
            mine.append((done.pesel, done.seqs[0]))


def _reader(n: int, gate: Gate, people: People, ledger: Ledger, until: float) -> None:
    rng = random.Random(1000 + n)
    me = Access(Principal(f"reader-{n}", Role.OPERATOR), "concurrency test")
    while time.monotonic() < until:
        ledger.reads += 1
        if rng.random() < 0.3:
            name = rng.choice(FAMILY_NAMES)
            hits = _call(ledger, None, lambda: gate.search(me, Query(name)))  # noqa: B023
            assert hits is None or all(h.pesel for h in hits)
            ledger.audited += len(hits or [])  # each person listed has an entry of their own
            continue
        pesel = people.pick(rng)
        as_of = datetime.date(rng.randint(1985, 2026), 6, 1) if rng.random() < 0.7 else None
        known = gate.clock() - datetime.timedelta(seconds=rng.uniform(0, SECONDS)) \
            if rng.random() < 0.5 else None
        record = _call(ledger, None, lambda: gate.show(me, pesel, as_of, known))  # noqa: B023
        assert record is None or len(record["pesel"]) == 11


def _gate(url: str, key_dir: Path) -> Gate:
    return Gate(Register(Store(url)), AuditLog(load_or_create_key(
        key_dir / "audit-signing-key.pem")), image_dir=key_dir / "fingerprints")


def test_sixteen_writers_lose_nothing_and_double_nothing(register: Register, store_url: str,
                                                         tmp_path: Path) -> None:
    seeded = [born(register, first, family, sex, f"19{85 + k % 10}-0{1 + k % 9}-1{k % 10}").pesel
              for k in range(20)
              for first, family, sex in [("Anna", "Nowak", "F"), ("Piotr", "Nowak", "M")]]
    with register.store.read() as s:
        events_before = s.count("events")
    people = People(seeded)
    gates = [_gate(store_url, tmp_path) for _ in range(WRITERS + READERS)]
    ledgers = [Ledger() for _ in gates]
    until = time.monotonic() + SECONDS
    threads = [threading.Thread(target=_safely(_writer if k < WRITERS else _reader),
                                args=(k, gates[k], people, ledgers[k], until))
               for k in range(WRITERS + READERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for gate in gates:
        gate.store.dispose()

    unclear = [u for ledger in ledgers for u in ledger.unclear]
    assert not unclear, unclear[:10]
    acknowledged = {ref: done for ledger in ledgers for ref, done in ledger.acknowledged.items()}
    refused = [ref for ledger in ledgers for ref in ledger.refused_refs]
    kinds = Counter(kind.value for kind, _ in acknowledged.values())
    # Every acknowledged write is in the log exactly once, under its own seqs; no refused
    # write left anything; nothing else is there.
    with register.store.read() as s:
        rows = s.conn.execute(text(
            "SELECT seq, document_ref, kind FROM events WHERE document_ref LIKE :w"),
            {"w": "W%"}).all()
        assert s.count("events") == events_before + len(rows)
    logged: dict[str, set[int]] = {}
    for seq, ref, _kind in rows:
        logged.setdefault(ref, set()).add(seq)
    assert set(logged) == set(acknowledged), "a write is lost, or a refused one was kept"
    for ref, (_kind, done) in acknowledged.items():
        assert logged[ref] == set(done.seqs), ref
    assert not set(refused) & set(logged)
    assert kinds["birth"] > 0 and kinds["married"] > 0 and len(kinds) >= min(12, SECONDS * 4)

    audit_size = assert_sound(register, tmp_path)
    assert audit_size == sum(ledger.audited for ledger in ledgers)
    refusals = sum((ledger.refused for ledger in ledgers), Counter[str]())
    print(f"\n{store_url.split(':')[0]}: {SECONDS:g} s, {len(acknowledged)} writes acknowledged "
          f"({sum(len(d.seqs) for _, d in acknowledged.values())} events), {len(refused)} "
          f"refused {dict(refusals)}, {sum(ledger.reads for ledger in ledgers)} reads, "
          f"{audit_size} audit entries; kinds {dict(kinds)}; "
          f"{refusals[ConcurrencyConflict.__name__]} concurrency conflicts; kinds not written by "
          f"hand: {sorted(k.value for k in set(ev.Kind) - set(_payload_kinds()))}")
