"""Words the pages show that come from data, not templates: roles, kinds, fields, choices.

Listed in one place so the Polish catalogue can be checked for completeness.
"""

from __future__ import annotations

from openpesel.access.policy import Role
from openpesel.registry import events as ev
from openpesel.registry.state import CivilStatus
from openpesel.web import forms

RELATIONS = ("mother", "father", "spouse", "child")
CASE_WORDS = tuple(f"case|{s}" for s in ("open", "escalated", "same", "different", "inconclusive")
                   ) + tuple(f"decision|{d}" for d in ("same", "different", "inconclusive")
                             ) + ("origin|application", "origin|registered")
OUTCOMES = ("allowed", "denied", "not_found", "refused")
RECORD_WORDS = ("Mother", "Father")
PAGE_WORDS = ("Dashboard", "Search", "Record an event", "Reservation check", "My data",
              "Audit log", "Adjudication", "You may not see this page", "Not found",
              "The register refused this", "Error", "Too many attempts; wait a moment.",
              "The name, the secret or the one-time code is not right.",
              "State the purpose, the legal basis and the case reference.",
              "Nothing to show here",
              "This role works through the API (/api/v1); the web pages have nothing for it.")


def words() -> set[str]:
    """Every data-borne word a page may pass through the translator."""
    out = {f"role|{r.value}" for r in Role} | {f"kind|{k.value}" for k in ev.Kind}
    out |= {f"civil status|{c.value}" for c in CivilStatus}
    out |= set(RELATIONS) | set(OUTCOMES) | set(RECORD_WORDS) | set(PAGE_WORDS)
    out |= set(CASE_WORDS)
    for kind in ev.Kind:
        for field in forms.fields(kind):
            out |= set(field.choices)
        out |= {f"field|{name}" for name in ev.PAYLOADS[kind].model_fields}
    from openpesel.web.pages_fingerprints import FINGERS

    out |= set(FINGERS.values())
    return out
