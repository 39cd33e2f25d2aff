"""Revision 0010 (certificates) upgrades and downgrades cleanly, on both stores."""

from __future__ import annotations

from sqlalchemy import func, inspect, select

from openpesel.storage.certificates import certificates
from openpesel.storage.store import Store
from tests.support.migrations import downgrade


def _tables(store: Store) -> set[str]:
    return set(inspect(store.engine).get_table_names())


def test_certificates_come_with_0010_and_go_with_its_downgrade(store: Store) -> None:
    assert "certificates" in _tables(store)
    indexes = {i["name"] for i in inspect(store.engine).get_indexes("certificates")}
    assert {"ix_certificates_person_id", "ix_certificates_pdf_sha256"} <= indexes
    downgrade(store, "0009")
    assert "certificates" not in _tables(store) and "persons" in _tables(store)
    store.initialise()  # upgrading again brings the table back, empty
    assert "certificates" in _tables(store)
    with store.read() as s:
        assert s.conn.execute(select(func.count()).select_from(certificates)).scalar() == 0
