"""Fuzzing the register's parsers of outside input: JSONL files and API bodies.

Each example starts from real, valid input (an export of a small register, or
the command lines a clerk would write) and damages it: a field given a random
JSON value, a field removed, a line replaced by junk, characters flipped.
Whatever arrives, the answer is the record or a clear refusal of ours
(``ImportFailed`` naming the line; a 4xx problem+json, never a 5xx), and a
refusal changes nothing: the log has the same length before and after.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, strategies as st

from openpesel.config import Settings
from openpesel.errors import ImportFailed
from openpesel.registry import events
from openpesel.registry.service import Register
from openpesel.registry.transfer import event_to_json
from openpesel.storage.store import Store
from tests.support.fuzzing import fuzz_settings, no_hang
from tests.support.live import Live, live_server
from tests.support.office import GMINA, born, count_events, event

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                               max_size=4),
    max_leaves=12)
KEYS = ["kind", "payload", "authority", "document_ref", "effective_date", "supersedes",
        "person_id", "seq", "recorded_at", "pesel", "first_names", "family_name", "sex",
        "birth_date", "birth_place", "spouse_id", "spouse_pesel", "residence", "teryt",
        "mother_id", "replacement"]
Damage = tuple[str, int, str, Any]
damages = st.lists(st.tuples(st.sampled_from(["set", "drop", "junk", "flip"]),
                             st.integers(0, 50), st.sampled_from(KEYS), json_values),
                   min_size=1, max_size=4)


def _damage(lines: list[str], changes: list[Damage]) -> list[str]:
    out = list(lines)
    for op, index, key, value in changes:
        i = index % len(out)
        if op == "junk":
            out[i] = value if isinstance(value, str) else json.dumps(value)
            continue
        if op == "flip":
            chars = list(out[i])
            if chars:
                chars[index % len(chars)] = chr((ord(chars[index % len(chars)]) + 1) % 0x10000)
            out[i] = "".join(chars)
            continue
        try:
            line = json.loads(out[i])
        except json.JSONDecodeError:
            continue
        if not isinstance(line, dict):
            continue
        target = line["payload"] if key not in line and isinstance(line.get("payload"),
                                                                  dict) else line
        if op == "set":
            target[key] = value
        else:
            target.pop(key, None)
        out[i] = json.dumps(line, ensure_ascii=False)
    return out


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """An export of a small register with births, a marriage, a move and a correction."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('source') / 'register.sqlite'}")
    store.initialise()
    source = Register(store)
    anna = born(source, "Anna", "Nowak", "F", "1990-01-01")
    piotr = born(source, "Piotr", "Wójcik", "M", "1988-02-02")
    born(source, "Ola", "Wójcik", "F", "2015-03-03", mother_pesel=anna.pesel)
    event(source, events.Kind.MARRIED, anna.pesel, "2014-06-06", spouse_pesel=piotr.pesel,
          family_name="Wójcik")
    event(source, events.Kind.RESIDENCE_REGISTERED, piotr.pesel, "2016-01-01",
          GMINA, residence="permanent", teryt="1465011", address="ul. Długa 1")
    lines = [event_to_json(e) for e in source.export()]
    store.dispose()
    return lines


COMMANDS = [json.dumps(c, ensure_ascii=False) for c in [
    {"kind": "birth", "authority": "USC", "document_ref": "USC/1", "payload": {
        "first_names": ["Jan"], "family_name": "Nowak", "sex": "M", "birth_date": "2001-01-01",
        "birth_place": "Opole"}},
    {"kind": "foreigner_registered", "authority": "GMINA", "document_ref": "UM/2", "payload": {
        "first_names": ["Ołena"], "family_name": "Szewczenko", "sex": "F",
        "birth_date": "1995-05-05", "birth_place": "Kijów", "birth_country": "UKR",
        "citizenship": "UKR", "status": "UKR"}},
]]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised, empty register file, copied for each example."""
    path = tmp_path_factory.mktemp("pristine") / "register.sqlite"
    store = Store(f"sqlite:///{path}")
    store.initialise()
    # Closing the last connection checkpoints the WAL into the file: a copy of the file
    # alone, taken while a connection is open, may hold no tables at all.
    store.dispose()
    return path


@pytest.fixture
def fresh(pristine: Path, tmp_path: Path) -> Iterator[Callable[[], Register]]:
    """A new empty register per call, so an accepted file never changes the next example
    (an import only fills an empty register)."""
    stores: list[Store] = []

    def make() -> Register:
        copy = tmp_path / f"register-{len(stores)}.sqlite"
        shutil.copyfile(pristine, copy)
        stores.append(Store(f"sqlite:///{copy}"))
        return Register(stores[-1])

    yield make
    for store in stores:
        store.dispose()


@pytest.fixture
def target(fresh: Callable[[], Register]) -> Register:
    return fresh()


def _refused_cleanly(register: Register, lines: list[str], as_import: bool) -> None:
    """A damaged file is either accepted whole, or refused naming its line, leaving nothing.

    The register runs in its own transaction here, so "leaving nothing" is its
    own doing, not a rollback by the test.
    """
    before = count_events(register)
    try:
        with no_hang():
            if as_import:
                register.import_events(lines)
            else:
                register.record_file(lines)
    except ImportFailed as exc:
        assert str(exc).startswith("line "), exc
        assert count_events(register) == before, "a refused file left events behind"
        return
    assert count_events(register) > before, "an accepted file wrote nothing"


@fuzz_settings(40)
@given(changes=damages)
def test_damaged_exports_are_refused_whole(fresh: Callable[[], Register], exported: list[str],
                                           changes: list[Damage]) -> None:
    _refused_cleanly(fresh(), _damage(exported, changes), as_import=True)


@fuzz_settings(40)
@given(changes=damages)
def test_damaged_command_files_are_refused_whole(fresh: Callable[[], Register],
                                                changes: list[Damage]) -> None:
    _refused_cleanly(fresh(), _damage(COMMANDS, changes), as_import=False)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, Register]]:
    data = tmp_path_factory.mktemp("api")
    store = Store(f"sqlite:///{data / 'register.sqlite'}")
    store.initialise()
    register = Register(store)
    born(register, "Zofia", "Wójcik", "F", "1990-01-01")
    with live_server(register, Settings(data_dir=data), rate=1e6, burst=10**6) as live:
        yield live, register
    store.dispose()


def _answered_cleanly(register: Register, response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]


@fuzz_settings(25)
@given(changes=damages, raw=st.booleans())
def test_damaged_event_bodies_get_a_clear_answer(api: tuple[Live, Register],
                                                 changes: list[Damage], raw: bool) -> None:
    live, register = api
    body = _damage(COMMANDS, changes)[random.Random(len(changes)).randrange(2)]
    before = count_events(register)
    with live.as_("operator") as c:
        r = c.post("/events", content=body.encode(), headers={"content-type": "application/json"}) \
            if raw else c.post("/events", json=_as_json(body))
    _answered_cleanly(register, r)
    if r.status_code != 201:
        assert count_events(register) == before


def _as_json(body: str) -> Any:
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        return body


@fuzz_settings(20)
@given(changes=damages)
def test_damaged_import_bodies_get_a_clear_answer(api: tuple[Live, Register],
                                                  exported: list[str],
                                                  changes: list[Damage]) -> None:
    live, register = api
    before = count_events(register)
    with live.as_("admin") as c:
        r = c.post("/import", content="\n".join(_damage(exported, changes)).encode(),
                   headers={"content-type": "text/plain"})
    _answered_cleanly(register, r)
    if r.status_code != 200:
        assert count_events(register) == before


def test_every_damage_kind_is_exercised(exported: list[str]) -> None:
    """The mutator really damages: each kind of change alters a line."""
    for op in ("set", "drop", "junk", "flip"):
        assert _damage(exported, [(op, 0, "seq", 7)]) != exported, op


def test_the_fuzzer_reaches_a_refusal(target: Register, exported: list[str],
                                      tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="line 1"):
        target.import_events(_damage(exported, [("set", 0, "kind", "no-such-kind")]))
