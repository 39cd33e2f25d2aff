"""Bitemporal reads: a person as they were on a date, as the register knew them then.

The state *as of* date D, *as known at* moment T, is the fold of the events
recorded by T and effective by D, in (effective date, seq) order. A
``corrected`` event replaces the event it supersedes only from its own
``recorded_at`` on, so what the register believed before the correction can
still be asked for and is never rewritten.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import cast

from openpesel.registry import events as ev
from openpesel.registry.automatic import lifted
from openpesel.registry.rules import apply
from openpesel.registry.state import PersonState


def effective_events(
    log: Iterable[ev.Event], known_at: datetime.datetime | None = None
) -> list[ev.Event]:
    """The person's history as known at ``known_at``, corrections applied."""
    known = [e for e in log if known_at is None or e.recorded_at <= known_at]
    latest: dict[int, ev.Event] = {}
    for e in known:
        if e.kind is ev.Kind.CORRECTED and e.supersedes is not None and (
                e.supersedes not in latest or latest[e.supersedes].seq < e.seq):
            latest[e.supersedes] = e
    # A cause withdrawn by a correction takes its automatic reservation with it.
    withdrawn = {seq for seq, fix in latest.items()
                 if cast("ev.Corrected", fix.payload).replacement is None}
    out: list[ev.Event] = []
    for e in known:
        if e.kind is ev.Kind.CORRECTED or lifted(e, withdrawn):
            continue
        fix = latest.get(e.seq)
        if fix is None:
            out.append(e)
            continue
        replacement = cast("ev.Corrected", fix.payload).replacement
        if replacement is not None:
            payload = ev.parse_payload(e.kind, replacement)
            out.append(replace(e, payload=payload, effective_date=fix.effective_date))
    return out


def fold(
    log: Sequence[ev.Event],
    as_of: datetime.date | None = None,
    known_at: datetime.datetime | None = None,
) -> PersonState | None:
    """The person's state, or None if they were not (yet) in the register then."""
    history = effective_events(log, known_at)
    if as_of is not None:
        history = [e for e in history if e.effective_date <= as_of]
    history.sort(key=lambda e: (e.effective_date, e.seq))
    state: PersonState | None = None
    for e in history:
        state = apply(state, e)
    known = [e.seq for e in log if known_at is None or e.recorded_at <= known_at]
    if state is not None and known:
        # Corrections change the record too, though they are not folded themselves.
        state = replace(state, last_seq=max(known))
    return state


def extend(before: PersonState | None, log: Sequence[ev.Event], event: ev.Event
           ) -> PersonState | None:
    """``fold([*log, event])``, without refolding when the event lands at the end.

    A new event has the highest seq, so unless it is a correction or is dated
    before something already in the log, it is simply the last step of the fold.
    """
    if before is not None and event.kind is not ev.Kind.CORRECTED and all(
            e.effective_date <= event.effective_date for e in log):
        return apply(before, event)
    return fold([*log, event])
