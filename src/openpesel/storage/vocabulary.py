"""The name vocabulary: every name in the register with its deletion variants.

Search expands a query word to the names within its edit budget by looking
its deletion variants up here (``registry/names.py``). The vocabulary only
grows. The ``Store`` keeps the names known to be committed, so a birth of a
common name costs no query; names a transaction adds join that set only when
it commits (``pending_names``), and leave it again if a savepoint that added
them rolls back (``savepoint``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import and_, select

from openpesel.registry.names import variants
from openpesel.storage import schema as t
from openpesel.storage.driver import Transaction

_v = t.name_variants.c


class Vocabulary(Transaction):
    """Adding names to the vocabulary, and finding the names near a word."""

    vocabulary: set[str]
    pending_names: list[str]

    def names_like(self, token: str) -> list[str]:
        """Vocabulary names within the token's edit budget (by shared deletion variant)."""
        return list(self.conn.execute(
            select(_v.name_norm).distinct().where(_v.variant.in_(sorted(variants(token))))
        ).scalars())

    def _add_to_vocabulary(self, names: set[str]) -> None:
        """Add new names with their deletion variants; the vocabulary only ever grows."""
        fresh = sorted(names - self.vocabulary)
        if not fresh:
            return
        present = set(self.conn.execute(
            select(_v.name_norm).where(and_(_v.variant.in_(fresh),
                                            _v.variant == _v.name_norm))).scalars())
        rows = [{"variant": v, "name_norm": n} for n in fresh if n not in present
                for v in sorted(variants(n))]
        if rows:
            self.conn.execute(self.dialect_insert(t.name_variants).on_conflict_do_nothing(), rows)
        self.pending_names.extend(fresh)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction; names it added are forgotten if it rolls back."""
        mark = len(self.pending_names)
        try:
            with self.conn.begin_nested():
                yield
        except BaseException:
            del self.pending_names[mark:]  # rolled back with the savepoint
            raise
