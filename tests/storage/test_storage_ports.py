"""The register declares its ports, storage implements them, one session class per engine."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from openpesel.registry.service import Register
from openpesel.storage.session import PostgresTransaction, SqliteTransaction
from openpesel.storage.store import Store
from tests.support.office import born

REGISTRY = Path(__file__).resolve().parents[2] / "src" / "openpesel" / "registry"


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", sorted(REGISTRY.glob("*.py")), ids=lambda p: p.name)
def test_the_registry_imports_nothing_from_storage(module: Path) -> None:
    """Dependencies point one way: storage implements ``registry/ports.py``, not the reverse."""
    assert not {n for n in _imported(module) if n.startswith("openpesel.storage")}


def test_the_store_picks_its_engines_session_once(store: Store) -> None:
    """No method asks which engine it runs on: the Store chose the class."""
    postgres = store.engine.dialect.name == "postgresql"
    expected = PostgresTransaction if postgres else SqliteTransaction
    with store.read() as r:
        assert type(r) is expected
    with store.write() as w:
        assert type(w) is expected


def test_a_savepoint_forgets_the_names_it_added(store: Store) -> None:
    """A refused command of a batch leaves its new names out of the Store's vocabulary."""
    register = Register(store)
    with store.write() as s:
        with pytest.raises(RuntimeError), s.savepoint():
            s._add_to_vocabulary({"zzyzx"})
            raise RuntimeError("refused")
        assert s.pending_names == []
        s._add_to_vocabulary({"qwerty"})
    assert "qwerty" in store.vocabulary and "zzyzx" not in store.vocabulary
    born(register, "Ala", "Zzyzx", "F", "2001-02-03")
    with store.read() as s:
        assert s.names_like("zzyzx") == ["zzyzx"]
