"""Event forms generated from the payload models, and their errors in plain words.

The fields of each form come from the kind's pydantic model in
``registry.events``, so a new field or kind needs no new template. Values
the service fills in itself (resolved ``*_id`` references, allocated
numbers) are left out. Every error is reported beside its field, all at
once, before the gate is asked, so a rejected form changes nothing.
"""

from __future__ import annotations

import datetime
import enum
import json
import types
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from openpesel.registry import events as ev
from openpesel.web.display import local_input
from openpesel.web.i18n import Translate

SERVICE_FILLED = frozenset({"pesel", "new_pesel", "old_pesel"})
NOT_BY_FORM = frozenset({ev.Kind.FINGERPRINTS_ENROLLED, ev.Kind.BIOMETRICS_ERASED})
"""Fingerprints have their own page: the payload is made from scans, not typed."""


@dataclass(frozen=True)
class Field:
    name: str
    widget: str  # text | names | date | datetime | select | number | json
    required: bool
    choices: tuple[str, ...] = ()
    default: str = ""


def _plain(annotation: Any) -> tuple[Any, bool]:
    """The type under ``X | None`` and ``Annotated``, and whether None was allowed."""
    optional = False
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        annotation, optional = args[0], len(args) < len(get_args(annotation))
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation, optional


def _widget(annotation: Any) -> tuple[str, tuple[str, ...]] | None:
    origin = get_origin(annotation)
    if origin is list:
        return ("names", ()) if _plain(get_args(annotation)[0])[0] is str else None
    if origin is Literal:
        return "select", tuple(str(a) for a in get_args(annotation))
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return "select", tuple(str(m.value) for m in annotation)
        if issubclass(annotation, datetime.datetime):
            return "datetime", ()
        if issubclass(annotation, datetime.date):
            return "date", ()
        if issubclass(annotation, bool | uuid.UUID | BaseModel):
            return None
        if issubclass(annotation, int):
            return "number", ()
        if issubclass(annotation, dict):
            return "json", ()
        if issubclass(annotation, str):
            return "text", ()
    if origin is dict:
        return "json", ()
    return None


def fields(kind: ev.Kind) -> list[Field]:
    """The form of ``kind``: one field per payload field a clerk types.

    >>> [f.name for f in fields(ev.Kind.DIED)]
    ['death_place']
    >>> next(f for f in fields(ev.Kind.BIRTH) if f.name == "sex").choices
    ('F', 'M')
    """
    out = []
    for name, info in ev.PAYLOADS[kind].model_fields.items():
        if name in SERVICE_FILLED:
            continue
        annotation, _optional = _plain(info.annotation)
        widget = _widget(annotation)
        if widget is None:
            continue
        default = info.default if not info.is_required() and info.default is not None else ""
        default = default.value if isinstance(default, enum.Enum) else default
        out.append(Field(name, widget[0], info.is_required(), widget[1],
                         "" if isinstance(default, list | dict) else str(default)))
    # The person's own fields first, their parents' after.
    return sorted(out, key=lambda f: f.name.startswith(("mother_", "father_")))


def payload(kind: ev.Kind, form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The payload typed into the form, and the fields that could not be read.

    Empty fields are left out, so the model's defaults apply.

    >>> payload(ev.Kind.BIRTH, {"first_names": "Anna  Maria", "sex": "F"})[0]
    {'first_names': ['Anna', 'Maria'], 'sex': 'F'}
    >>> payload(ev.Kind.CORRECTED, {"replacement": "{"})[1]
    {'replacement': 'Give the corrected fields as JSON.'}
    """
    data: dict[str, Any] = {}
    unreadable: dict[str, str] = {}
    for f in fields(kind):
        raw = form.get(f.name, "").strip()
        if not raw:
            continue
        if f.widget == "names":
            data[f.name] = raw.replace(",", " ").split()
        elif f.widget == "datetime":
            data[f.name] = _moment(raw)
        elif f.widget == "json":
            try:
                data[f.name] = json.loads(raw)
            except (ValueError, RecursionError):  # RecursionError: nested a thousand deep
                unreadable[f.name] = "Give the corrected fields as JSON."
        else:
            data[f.name] = raw
    return data, unreadable


def check(kind: ev.Kind, data: dict[str, Any], _: Translate) -> dict[str, str]:
    """Every problem with the payload, by field, in the reader's language."""
    try:
        ev.PAYLOADS[kind].model_validate(data)
    except ValidationError as exc:
        out: dict[str, str] = {}
        for error in exc.errors():
            where = str(error["loc"][0]) if error["loc"] else "form"
            out.setdefault(where, plain(error, _))
        return out
    return {}


_PLAIN = {
    "missing": "This field is required.",
    "date_parsing": "Give a date as YYYY-MM-DD.",
    "date_from_datetime_parsing": "Give a date as YYYY-MM-DD.",
    "date_from_datetime_inexact": "Give a date as YYYY-MM-DD.",
    "datetime_parsing": "Give a date and a time.",
    "datetime_from_date_parsing": "Give a date and a time.",
    "enum": "Pick one of the listed options.",
    "literal_error": "Pick one of the listed options.",
    "int_parsing": "Give a whole number.",
    "extra_forbidden": "This field does not belong to this kind of event.",
    "dict_type": "Give the corrected fields as JSON.",
}


def plain(error: ErrorDetails, _: Translate) -> str:
    """One pydantic error as a clerk would say it.

    >>> plain({"type": "string_too_long", "ctx": {"max_length": 80}, "msg": "", "loc": (),
    ...        "input": ""}, lambda s: s)
    'Too long: at most 80 characters.'
    """
    kind, ctx = error["type"], error.get("ctx", {})
    if kind in _PLAIN:
        return _(_PLAIN[kind])
    if kind == "string_too_short":
        return _("This field is required.") if ctx.get("min_length") == 1 else _(
            "Too short: at least {n} characters.").format(n=ctx.get("min_length"))
    if kind == "string_too_long":
        return _("Too long: at most {n} characters.").format(n=ctx.get("max_length"))
    if kind == "too_long":
        return _("At most {n} items.").format(n=ctx.get("max_length"))
    if kind == "too_short":
        return _("At least {n} items.").format(n=ctx.get("min_length"))
    if kind == "value_error":
        reason = str(ctx.get("error", error["msg"])).split(", not ", 1)[0]
        return _(reason[:1].upper() + reason[1:] + ".")
    if kind == "string_pattern_mismatch":
        return _("This is not in the expected form.")
    return error["msg"]


def _moment(raw: str) -> str:
    """A ``datetime`` field: with its zone as given, else typed in Polish time (as every page
    shows times); an unreadable value goes on to the payload's own plain-words error."""
    if "+" in raw or raw.endswith("Z"):
        return raw
    try:
        return local_input(raw).isoformat()
    except ValueError:
        return raw
