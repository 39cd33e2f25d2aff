"""``openpesel kinds``: every event kind, its offices, and each field's form and allowed values.

A clerk types payloads as ``-f name=value`` or as JSON lines, so the listing
says what each value must look like (``F|M``, ``YYYY-MM-DD``, a TERYT code)
instead of leaving them to learn it from refusals. The forms come from the
payload models' own JSON Schema, so they cannot drift from what is enforced.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from openpesel.cli import render
from openpesel.registry import events as ev

HINTS = {
    "teryt": "TERYT code, 7 digits",
    "birth_country": "country code such as POL",
    "citizenship": "country code such as POL",
    "country": "country code such as POL",
    "status": "foreigner status",
}
"""Forms that a plain ``string`` in the schema hides behind a validator."""


def form(name: str, schema: dict[str, Any], defs: dict[str, Any]) -> str:
    """The form of one value: allowed values, a date pattern, a list, or plain text."""
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    spec = options[0] if options else schema
    if "$ref" in spec:
        spec = defs[spec["$ref"].rsplit("/", 1)[-1]]
    if "enum" in spec:
        return "|".join(map(str, spec["enum"]))
    if spec.get("type") == "array":
        return f"list of {form(name, spec.get('items', {}), defs)}, comma-separated"
    if spec.get("format") == "date":
        return "YYYY-MM-DD"
    if spec.get("format") == "uuid":
        return "UUID"
    if name.endswith("pesel"):
        return "PESEL"
    if name in HINTS:
        return HINTS[name]
    return {"integer": "whole number", "object": "JSON object", "boolean": "true|false"}.get(
        str(spec.get("type")), "text")


def describe(kind: ev.Kind) -> dict[str, Any]:
    schema = ev.PAYLOADS[kind].model_json_schema()
    defs = schema.get("$defs", {})
    required = schema.get("required", [])
    fields = {name: {"form": form(name, prop, defs), "required": name in required}
              for name, prop in sorted(schema["properties"].items(),
                                       key=lambda item: item[0] not in required)}
    return {"kind": kind.value, "authorities": sorted(a.value for a in ev.AUTHORS[kind]),
            "required": [n for n, f in fields.items() if f["required"]],
            "optional": [n for n, f in fields.items() if not f["required"]],
            "fields": fields}


def kinds(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
          = False) -> None:
    """List event kinds, the offices that may record them, and each field's form.

    A field marked ? is optional. Values are given as -f name=value (a list
    comma-separated) or, in a JSONL file for `record --file`, as JSON.
    """
    out = [describe(k) for k in ev.Kind]
    if as_json:
        render.emit_json(out)
        return
    for item in out:
        render.console.print(f"[bold]{item['kind']}[/bold] ({'/'.join(item['authorities'])})")
        for name, f in item["fields"].items():
            mark = "" if f["required"] else "?"
            render.console.print(f"    {name}{mark}: {f['form']}", markup=False)
