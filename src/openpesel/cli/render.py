"""Human-readable output with Rich; ``--json`` bypasses all of it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from openpesel.registry import events as ev
from openpesel.registry.search import Hit

if TYPE_CHECKING:
    from openpesel.population.build import Built

console = Console(highlight=False)


def built(done: Built, seconds: float, lead: str = "Added") -> None:
    """What a synthetic build added, so ``populate`` and the demo do not finish silently."""
    console.print(f"{lead} {done.people} synthetic residents ({done.events} events) in "
                  f"{seconds:.1f} s.")
    if done.refused:
        console.print(f"The register refused {sum(done.refused.values())} planned events "
                      "as impossible histories.")


def emit_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def person(record: dict[str, Any]) -> None:
    names = " ".join(record["first_names"])
    console.print(f"[bold]{names} {record['family_name']}[/bold]  PESEL {record['pesel']}")
    home = record.get("permanent_residence") or record.get("temporary_residence")
    rows = [
        ("born", f"{record['birth_date']} in {record['birth_place']} ({record['birth_country']})"),
        ("sex", record["sex"]),
        ("family name at birth", record["family_name_at_birth"]),
        ("citizenship", ", ".join(record["citizenships"])),
        ("foreigner status", record.get("foreigner_status")),
        ("civil status", record["civil_status"]),
        ("residence", f"{home['address']} (TERYT {home['teryt']})" if home else None),
        ("abroad", record["abroad"]["country"] if record.get("abroad") else None),
        ("ID cards", ", ".join(d["number"] for d in record["id_cards"] if not d["invalidated"])),
        ("passports", ", ".join(d["number"] for d in record["passports"] if not d["invalidated"])),
        ("former PESELs", ", ".join(record["former_pesels"])),
        ("former names", "; ".join(f"{' '.join(n['first_names'])} {n['family_name']} (until "
                                   f"{n['until']})" for n in record["former_names"])),
        ("fingerprints", ", ".join(f"{f['finger']} (quality {f['quality']})"
                                   for f in record.get("fingers", []))),
        ("reserved", "yes, since " + record["reservation"]["since"][:16]
         if record.get("reservation") else None),
        ("died", record.get("death_date")),
    ]
    table = Table.grid(padding=(0, 2))
    for label, value in rows:
        if value:
            table.add_row(f"[dim]{label}[/dim]", str(value))
    for link in record.get("links", []):
        table.add_row(f"[dim]{link['relation']}[/dim]", f"{link['name']} ({link['pesel']})")
    console.print(table)


def timeline(events: list[ev.Event]) -> None:
    """One entry per event, oldest first by effective date; corrected entries struck out."""
    corrected = {e.supersedes for e in events if e.supersedes}
    for e in sorted(events, key=lambda e: (e.effective_date, e.seq)):
        name = e.kind.value.replace("_", " ") + (f" of #{e.supersedes}" if e.supersedes else "")
        style = "dim strike" if e.seq in corrected else "bold"
        console.print(f"[{style}]{e.effective_date}  {name}[/{style}]  [dim]#{e.seq} "
                      f"{e.authority.value} {e.document_ref}, recorded "
                      f"{e.recorded_at:%Y-%m-%d %H:%M:%S}[/dim]")
        details = {k: v for k, v in e.payload_json().items() if not k.endswith("_id")}
        if details:
            console.print("    " + ", ".join(f"{k}: {_plain(v)}" for k, v in details.items()))


def _plain(value: object) -> str:
    if isinstance(value, list):
        return " ".join(map(str, value))
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_plain(v)}" for k, v in value.items()) + "}"
    return str(value)


def hits(found: list[Hit]) -> None:
    if not found:
        console.print("No one found.")
        return
    table = Table("PESEL", "name", "born", "sex", "TERYT", "score")
    for h in found:
        dead = "" if h.alive else " †"
        table.add_row(h.pesel, f"{h.first_names} {h.family_name}{dead}", str(h.birth_date),
                      h.sex, h.teryt or "", f"{h.score:.2f}")
    console.print(table)
