"""The shape of a rule: the state after an event, or a ``RegisterError`` naming the rule."""

from __future__ import annotations

from collections.abc import Callable

from openpesel.registry import events as ev
from openpesel.registry.state import PersonState

Handler = Callable[[PersonState, ev.Event], PersonState]
