"""What must hold of a register after any fault: checked the same way by every fault test."""

from __future__ import annotations

from pathlib import Path

from openpesel.access.audit import AuditLog
from openpesel.access.signing import load_or_create_key
from openpesel.registry.service import Register
from tests.support.office import projection_snapshot


def _one(register: Register, sql: str) -> int:
    with register.store.read() as s:
        return int(s.conn.exec_driver_sql(sql).scalar_one())


def assert_sound(register: Register, data_dir: Path, replay: bool = True) -> int:
    """No number twice, nothing half-applied, the audit log intact; returns the audit size.

    "Half-applied" would show as an event without its person, a person without a
    current number, or projections that differ from a replay of the log
    (``replay=False`` skips only that last, slowest check).
    """
    duplicates = _one(register, "SELECT count(*) FROM (SELECT pesel FROM persons "
                                "GROUP BY pesel HAVING count(*) > 1) d")
    assert duplicates == 0, f"{duplicates} PESELs are held by two people"
    people = _one(register, "SELECT count(*) FROM persons")
    assert people == _one(register, "SELECT count(DISTINCT person_id) FROM events")
    assert people == _one(register, "SELECT count(*) FROM pesel_assignments "
                                    "WHERE retired_seq IS NULL")
    assert _one(register, "SELECT count(*) FROM persons p WHERE NOT EXISTS (SELECT 1 FROM "
                          "pesel_assignments a WHERE a.pesel = p.pesel AND "
                          "a.person_id = p.person_id AND a.retired_seq IS NULL)") == 0
    log = AuditLog(load_or_create_key(data_dir / "audit-signing-key.pem"))
    with register.store.read() as s:
        report = log.verify(s)
    assert report.ok, report.problems
    if not replay:
        return report.size
    incremental = projection_snapshot(register)
    register.rebuild_projections()
    replayed = projection_snapshot(register)
    differ = {table: (sorted(set(rows) - set(replayed[table]))[:3],
                      sorted(set(replayed[table]) - set(rows))[:3])
              for table, rows in incremental.items() if rows != replayed[table]}
    assert not differ, f"projections differ from a replay (kept, replayed): {differ}"
    return report.size
