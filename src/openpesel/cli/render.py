"""Human-readable output with Rich; ``--json`` bypasses all of it."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from openpesel.registry import events as ev
from openpesel.registry.search import Hit

console = Console(highlight=False)


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
    table = Table("seq", "effective", "recorded", "event", "by", "document", "details")
    corrected = {e.supersedes for e in events if e.supersedes}
    for e in events:
        details = ", ".join(f"{k}={v}" for k, v in e.payload_json().items() if v not in ([], ""))
        name = e.kind.value + (f" of #{e.supersedes}" if e.supersedes else "")
        style = "dim strike" if e.seq in corrected else None
        table.add_row(str(e.seq), str(e.effective_date), f"{e.recorded_at:%Y-%m-%d %H:%M:%S}",
                      name, e.authority.value, e.document_ref, details[:80], style=style)
    console.print(table)


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
