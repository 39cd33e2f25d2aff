"""Progress bars for long console commands, drawn from the callbacks the work reports through.

The loaders (``population.build``, ``population.bulk``) only call
``on_progress(done, total)``; how that looks on a terminal is the CLI's
business, so the population package knows nothing of Rich.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

OnProgress = Callable[[int, int], None]


@contextmanager
def progress_bar(description: str, *, shown: bool = True,
                 transient: bool = False) -> Iterator[OnProgress]:
    """A bar labelled ``description``; the callback it yields sets (done, total).

    ``shown=False`` draws nothing (``--no-progress``, or output that is not a
    terminal's), so callers need not branch.
    """
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), disable=not shown,
                  transient=transient) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
