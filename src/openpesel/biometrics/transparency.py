"""Ambient, scoped observer of the pipeline's intermediate results.

Why: the examiner's view, tests and debugging all want to see the
segmentation mask or the raw minutiae, but threading a logger through every
stage's signature would clutter pure functions. As in SourceAFIS, a stage
calls ``current().log("kebab-key", lambda: data)``; the default sink accepts
nothing, so the supplier is never evaluated and nobody checks for ``None``.

Keys (stable, documented in docs/fingerprints.md):
``decoded-image``, ``normalised-image``, ``segmentation-mask``,
``orientation-field``, ``quality-features``, ``raw-minutiae``,
``filtered-minutiae``, ``cylinders``, ``local-similarity``, ``pairing``.

Usage::

    with CollectingTransparency({"segmentation-mask"}) as seen:
        extract_template(image)
    mask = seen.records["segmentation-mask"]
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any


class Transparency:
    """Base sink: accepts nothing. Subclass and override :meth:`accepts` and :meth:`take`."""

    _token: contextvars.Token[Transparency] | None = None

    def accepts(self, key: str) -> bool:
        return False

    def take(self, key: str, data: Any) -> None:
        """Receive one intermediate result whose key :meth:`accepts` returned True for."""

    def log(self, key: str, supplier: Callable[[], Any]) -> None:
        """Called by stages; evaluates ``supplier`` only for accepted keys."""
        if self.accepts(key):
            self.take(key, supplier())

    def __enter__(self) -> Transparency:
        self._token = _current.set(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._token is not None:
            _current.reset(self._token)
            self._token = None


class CollectingTransparency(Transparency):
    """Keeps the last value of each requested key in :attr:`records`."""

    def __init__(self, keys: Iterable[str] | None = None) -> None:
        self.keys = None if keys is None else frozenset(keys)
        self.records: dict[str, Any] = {}

    def accepts(self, key: str) -> bool:
        return self.keys is None or key in self.keys

    def take(self, key: str, data: Any) -> None:
        self.records[key] = data

    def __enter__(self) -> CollectingTransparency:
        super().__enter__()
        return self


NULL_SINK = Transparency()
_current: contextvars.ContextVar[Transparency] = contextvars.ContextVar(
    "openpesel_biometrics_transparency", default=NULL_SINK
)


def current() -> Transparency:
    """The sink active in this context (thread or task); the null sink by default."""
    return _current.get()
