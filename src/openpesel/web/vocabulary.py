"""Words the pages show that come from data, not templates: roles, kinds, fields, choices.

Listed in one place so the Polish catalogue can be checked for completeness.
"""

from __future__ import annotations

from openpesel.access.policy import Role
from openpesel.registry import events as ev
from openpesel.registry.events import Authority
from openpesel.registry.state import CivilStatus
from openpesel.web import forms
from openpesel.web.purposes import DEFAULT_PURPOSE

RELATIONS = ("mother", "father", "spouse", "child")
CASE_WORDS = (*(f"case|{s}" for s in ("open", "escalated", "pending", "same", "different",
                                      "inconclusive")),
              *(f"decision|{d}" for d in ("same", "different", "inconclusive")),
              "origin|application", "origin|registered")
OUTCOMES = ("allowed", "denied", "not_found", "refused")
AUDIT_ACTIONS = ("read", "search", "write", "register", "enrol", "verify", "identify",
                 "identify-candidate", "check", "aggregate", "reserve", "withdraw",
                 "read-audit", "login", "cases", "case-read", "case-evidence", "case-decided",
                 "case-opened", "dedup-candidate", "abis", "bulk-export", "bulk-import",
                 "bulk-rebuild", "bulk-record", "import", "search-hit", "add-principal",
                 "deactivate-principal", "list-principals", "biometrics-erase")
"""What the gate writes as an entry's action; the audit page filters by them."""
OTHER_WORDS = (*(f"reason|{r}" for r in ("biometric", "demographic", "examiner")),
               *(f"minutia|{k}" for k in ("ending", "bifurcation", "other")),
               "finger {finger}: score {score}, {pairs} paired minutiae", "born",
               "Not Found", "Method Not Allowed",
               "Some values in the address or form are not valid: {where}.")
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
    out |= set(CASE_WORDS) | set(OTHER_WORDS)
    out |= {f"action|{a}" for a in AUDIT_ACTIONS} | {f"authority|{a.value}" for a in Authority}
    out |= {f"purpose|{p}" for p in DEFAULT_PURPOSE.values()}
    for kind in ev.Kind:
        for field in forms.fields(kind):
            out |= set(field.choices)
        out |= {f"field|{name}" for name in ev.PAYLOADS[kind].model_fields}
    from openpesel.web.pages_fingerprints import FINGERS

    out |= set(FINGERS.values())
    return out
