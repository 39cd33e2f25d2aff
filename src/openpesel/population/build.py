"""Replays a population plan through the register's real event path.

Events go in date order, in transactions of ``BATCH`` commands, each inside
its own savepoint: if the register refuses a planned event (the plan is
random, the law is not), only that event is dropped and counted, exactly as a
registry office would have its application refused.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openpesel.errors import RegisterError
from openpesel.population.plan import Planned, Ref, plan
from openpesel.registry import events as ev
from openpesel.registry.commands import Command
from openpesel.registry.service import Register

BATCH = 1000


@dataclass(frozen=True)
class Built:
    people: int
    events: int
    refused: Counter[str]
    pesels: list[str]


def _resolve(payload: dict[str, Any], pesels: dict[int, str]) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if isinstance(value, Ref):
            if value.index not in pesels:
                return None  # the referenced person was refused earlier
            out[key] = pesels[value.index]
        else:
            out[key] = value
    return out


def _command(e: Planned, pesels: dict[int, str], serial: int) -> Command | None:
    payload = _resolve(e.payload, pesels)
    creating = e.kind in ev.CREATING_KINDS
    if payload is None or (not creating and e.subject not in pesels):
        return None
    return Command(kind=e.kind, payload=payload, authority=e.authority,
                   document_ref=f"SYN/{e.date.year}/{serial:07d}",
                   pesel=None if creating else pesels[e.subject], effective_date=e.date)


def build(register: Register, size: int, seed: int, *, today: datetime.date | None = None,
          on_batch: Callable[[int, int], None] | None = None) -> Built:
    """Generate ``size`` people and record their lives; deterministic for a given seed.

    ``on_batch(done, total)`` hears after every batch how many planned events
    are settled (recorded or refused): the CLI draws its progress bar from it.
    """
    planned = plan(size, seed, today or register.clock().date())
    pesels: dict[int, str] = {}
    refused: Counter[str] = Counter()
    written = 0
    for start in range(0, len(planned), BATCH):
        with register.batch() as batch:
            for serial, e in enumerate(planned[start:start + BATCH], start=start):
                command = _command(e, pesels, serial)
                if command is None:
                    refused[f"{e.kind.value}: depends on a refused event"] += 1
                    continue
                try:
                    done = batch.record(command)
                except RegisterError as exc:
                    refused[f"{e.kind.value}: {type(exc).__name__}"] += 1
                    continue
                pesels[e.subject] = done.pesel
                written += len(done.seqs)
        if on_batch is not None:
            on_batch(min(start + BATCH, len(planned)), len(planned))
    return Built(len(pesels), written, refused, [pesels[i] for i in sorted(pesels)])
