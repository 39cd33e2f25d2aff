"""Schemathesis hooks for the contract run (``SCHEMATHESIS_HOOKS=tests.support.openapi_hooks``).

The document marks a PESEL with ``format: pesel`` beside its 11-digit pattern,
because a check digit and an encoded birth date are beyond JSON Schema. This
teaches schemathesis the format, so its "valid" PESELs are valid and a 422 for
one is a real contract breach, not noise. An outside run uses the same file.
"""

from __future__ import annotations

import datetime
from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis import Case, CheckContext, Response

from openpesel.number import Sex, encode

PESELS = st.builds(encode, st.dates(datetime.date(1800, 1, 1), datetime.date(2299, 12, 31)),
                   st.integers(0, 4999), st.sampled_from(list(Sex)))

schemathesis.openapi.format("pesel", PESELS)


@schemathesis.hook
def before_load_schema(_context: schemathesis.HookContext, raw_schema: dict[str, Any]) -> None:
    """Generate PESELs from the format alone: schemathesis prefers a pattern to a custom
    format, and ``^\\d{11}$`` admits numbers the server rightly refuses."""
    _drop_pesel_patterns(raw_schema)


def _drop_pesel_patterns(node: object) -> None:
    if isinstance(node, dict):
        if node.get("format") == "pesel":
            node.pop("pattern", None)
        for value in node.values():
            _drop_pesel_patterns(value)
    elif isinstance(node, list):
        for value in node:
            _drop_pesel_patterns(value)


@schemathesis.check
def schema_valid_passes_schema_validation(_ctx: CheckContext, response: Response,
                                          case: Case[Any]) -> bool | None:
    """Where a 422 is allowed for a schema-valid request (a scan that is no fingerprint,
    a payload that does not suit its kind), it is never for a reason the schema could state."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    body = response.json()
    if isinstance(body, dict) and body.get("type") == "/problems/validation":
        raise AssertionError(f"A schema-valid request failed validation: {body.get('detail')}")
    return None
