"""The population package is a generator below the adapters (issue 15, item 5 and the cycles).

It writes through ``storage`` and reports progress through callbacks: it
holds no SQL, draws no progress bar, and imports no adapter (api, web, cli),
so the CLI can import it without a cycle.
"""

from __future__ import annotations

import ast
import datetime
from pathlib import Path

import pytest

from openpesel.number.order import PoolOrder
from openpesel.population import synth
from openpesel.population.allocate import allocate
from openpesel.population.bulk import BulkLoadError, load_population
from openpesel.population.proof import prove_sample, sample
from openpesel.population.rows import build_rows, event_count
from openpesel.storage.store import Store

POPULATION = Path(__file__).resolve().parents[2] / "src" / "openpesel" / "population"
AS_OF = datetime.date(2026, 6, 30)
FORBIDDEN = ("rich", "sqlalchemy", "psycopg", "sqlite3",
             "openpesel.api", "openpesel.web", "openpesel.cli")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_population_imports_no_adapter_no_rich_and_no_driver() -> None:
    wrong = {f"{path.name}: {name}" for path in sorted(POPULATION.glob("*.py"))
             for name in _imports(path)
             if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)}
    assert not wrong


def test_population_holds_no_sql() -> None:
    statements = ("SELECT ", "INSERT ", "CREATE TABLE", "LOCK TABLE", "PRAGMA ")
    wrong = {f"{path.name}: {word.strip()}" for path in sorted(POPULATION.glob("*.py"))
             for word in statements if word in path.read_text(encoding="utf-8")}
    assert not wrong


class _Stop(Exception):
    pass


def test_progress_is_reported_from_where_a_resumed_load_stands(store: Store) -> None:
    """``on_chunk`` hears (done, total): first what earlier runs committed, then each chunk."""
    first: list[tuple[int, int]] = []

    def stop_after_one(done: int, total: int) -> None:
        first.append((done, total))
        if done:
            raise _Stop  # the first chunk has committed: the run dies here

    with pytest.raises(_Stop):
        load_population(store, 600, 12, chunk=200, as_of=AS_OF, on_chunk=stop_after_one)
    assert first == [(0, 600), (200, 600)]

    second: list[tuple[int, int]] = []
    report = load_population(store, 600, 12, chunk=200, as_of=AS_OF,
                             on_chunk=lambda done, total: second.append((done, total)))
    assert second == [(200, 600), (400, 600), (600, 600)]
    assert (report.loaded, report.skipped, report.residents) == (2, 1, 400)


@pytest.mark.parametrize(("column", "wrong"), [(2, "Drift"), (10, '"civil_status": "widowed"')])
def test_a_template_that_drifts_from_the_projection_stops_the_chunk(column: int,
                                                                    wrong: str) -> None:
    """The sample proof compares with ``registry.projection``: the event path's row shapes."""
    people = synth.residents(3, 0, 200, AS_OF)
    pesels, _ = allocate(PoolOrder(b"k" * 32), people, {}, set())
    rows = build_rows(people, pesels, range(1, 1 + event_count(people)), "2026-06-30 12:00:00",
                      "T/1")
    picks = sample(people)
    prove_sample(people, rows, picks)  # as built: right
    target = people.person_id[picks[0]].hex
    at = next(k for k, r in enumerate(rows.persons) if r[0] == target)
    row = list(rows.persons[at])
    row[column] = (wrong if column == 2 else
                   row[10].replace('"civil_status": "single"', wrong)
                   .replace('"civil_status": "married"', wrong))
    rows.persons[at] = tuple(row)
    with pytest.raises(BulkLoadError, match="differs from the fold"):
        prove_sample(people, rows, picks)
