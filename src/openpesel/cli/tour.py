"""``make demo``: build a synthetic register through the event path and show it off.

A console presentation, so it lives with the CLI: it prints with the CLI's
renderers and draws the build's progress bar, which the population package
(a generator, below the adapters) must know nothing of.
"""

from __future__ import annotations

import datetime
import time

from rich.rule import Rule

from openpesel import bootstrap
from openpesel.access.gate import console
from openpesel.access.policy import BOUND_ROLES, Role
from openpesel.cli import render
from openpesel.cli.progress import progress_bar
from openpesel.config import Settings
from openpesel.number import get_birth_date, get_sex, validate
from openpesel.population.build import build
from openpesel.registry import events as ev
from openpesel.registry.commands import Command
from openpesel.registry.search import Query
from openpesel.registry.service import Register

DEMO_SECRET = "demo-secret-2026"
DEMO_PRINCIPALS = [("registrar", Role.USC_REGISTRAR), ("bank", Role.BANK), ("admin", Role.ADMIN),
                   *((r.value, r) for r in Role if r not in {
                       Role.USC_REGISTRAR, Role.BANK, Role.ADMIN, Role.OPERATOR} | BOUND_ROLES)]
"""One login per role (the console operator needs none); the resident is added apart, and a
proxy or guardian, tied to someone they act for, is left to the administrator."""
DEMO_RESIDENT = "resident"


def demo_principals(settings: Settings, register: Register,
                    resident_pesel: str | None = None) -> str | None:
    """Known demo logins, so a visitor can try every role at once (never in production).

    Returns the demo resident's TOTP secret, for their one-time codes.
    """
    gate = bootstrap.build_gate(settings, register)
    access = console("demo logins")
    accounts = {a.name: a for a in gate.principals(access)}
    for name, role in DEMO_PRINCIPALS:
        if name not in accounts:
            gate.add_principal(access, name, role, DEMO_SECRET)
    if DEMO_RESIDENT in accounts:
        return accounts[DEMO_RESIDENT].totp_secret
    if resident_pesel is None:
        return None
    return gate.add_principal(access, DEMO_RESIDENT, Role.RESIDENT, DEMO_SECRET,
                              pesel=resident_pesel)


SHOWCASE = [
    ("Łukasz", "Wójcik", "M", datetime.date(1990, 6, 15), "Warszawa", "1465011",
     "ul. Marszałkowska 10, Warszawa"),
    ("Anna", "Zielińska", "F", datetime.date(1992, 3, 3), "Kraków", "1261011",
     "ul. Długa 5, Kraków"),
]
"""The README's PESEL and OTHER: two unmarried adults the README's examples are about.

A random population may or may not hold a ``Lukasz Wojcik`` born in 1990 in
Masovia, so the demo records these two itself, once, through the event path.
"""


def showcase(register: Register) -> list[str]:
    """The showcase people's PESELs, recording them on the first demo run."""
    pesels = []
    for first, family, sex, born, place, teryt, address in SHOWCASE:
        hits = [h for h in register.search(Query(f"{first} {family}", born=born, limit=50))
                if h.first_names == first and h.family_name == family]
        if hits:
            pesels.append(hits[0].pesel)
            continue
        done = register.record(Command(ev.Kind.BIRTH, {
            "first_names": [first], "family_name": family, "sex": sex,
            "birth_date": born.isoformat(), "birth_place": place}, ev.Authority.USC,
            f"DEMO/{born.year}/{family}"))
        register.record(Command(ev.Kind.RESIDENCE_REGISTERED, {
            "residence": "permanent", "teryt": teryt, "address": address},
            ev.Authority.GMINA, f"DEMO/{born.year}/{family}/R", done.pesel,
            born + datetime.timedelta(days=14)))
        pesels.append(done.pesel)
    return pesels


def try_these(register: Register, pesels: list[str]) -> None:
    """The values the README's examples take as PESEL, OTHER and KNOWN_AT."""
    console = render.console
    known_at = (register.clock() + datetime.timedelta(seconds=1)).replace(microsecond=0)
    console.print(Rule("To try the README's examples"))
    for word, pesel in zip(("PESEL", "OTHER"), pesels, strict=True):
        record = register.show(pesel)
        console.print(f"  {word:<9}{pesel}  ({' '.join(record['first_names'])} "
                      f"{record['family_name']}, born {record['birth_date']})")
    console.print(f"  KNOWN_AT {known_at.strftime('%Y-%m-%dT%H:%M:%S')}  (a moment after the "
                  "build: the register knew no one before it)")


def run_demo(settings: Settings, size: int, seed: int) -> None:
    console = render.console
    register = bootstrap.open_register(settings, create=True)
    store = register.store
    with store.read() as s:
        existing = s.count("persons")
    if existing >= size:
        console.print(f"The register already holds {existing} people; reusing it.")
        with store.read() as s:
            pesels = [str(p) for p in s.conn.exec_driver_sql(
                "SELECT pesel FROM persons ORDER BY pesel").scalars()]
    else:
        started = time.perf_counter()
        with progress_bar("recording life events", transient=True) as on_batch:
            built = build(register, size, seed, on_batch=on_batch)
        render.built(built, time.perf_counter() - started, "Built a register of")
        pesels = built.pesels

    console.print(Rule("1. Validate a number"))
    number = validate(pesels[len(pesels) // 2])
    console.print(f"$ openpesel validate {number}")
    console.print(f"{number}  valid: born {get_birth_date(number)}, sex {get_sex(number).value}")
    broken = number[:10] + str((int(number[10]) + 1) % 10)
    console.print(f"$ openpesel validate {broken}")
    console.print(f"error: {broken}: the check digit (the 11th digit) does not match.")

    console.print(Rule("2. A person and their history"))
    richest = max(pesels, key=lambda p: len(register.history(p)))
    console.print(f"$ openpesel show {richest}")
    render.person(register.show(richest))
    console.print(f"$ openpesel history {richest}")
    render.timeline(register.history(richest))

    console.print(Rule("3. Search, without Polish letters and with a typo"))
    record = register.show(richest)
    query = f"{record['first_names'][0]} {record['family_name']}"
    sloppy = query.translate(str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ"))
    sloppy = sloppy[:-1] + ("y" if sloppy[-1] != "y" else "i")
    console.print(f'$ openpesel search "{sloppy}"')
    render.hits(register.search(Query(sloppy, limit=5)))
    console.print(Rule("4. The API"))
    totp = demo_principals(settings, register, richest)
    names = ", ".join(name for name, _ in DEMO_PRINCIPALS)
    console.print(f"Demo logins ({names}) share the secret {DEMO_SECRET!r}. With the server up:")
    console.print("  TOKEN=$(curl -s -X POST localhost:8000/api/v1/auth/token -H 'content-type: "
                  f"application/json' -d '{{\"username\":\"registrar\",\"secret\":"
                  f"\"{DEMO_SECRET}\"}}' | python3 -c 'import json,sys; "
                  "print(json.load(sys.stdin)[\"access_token\"])')", soft_wrap=True)
    console.print(f"  curl -s localhost:8000/api/v1/persons/{richest} -H \"Authorization: "
                  "Bearer $TOKEN\" -H 'X-Purpose: demo'", soft_wrap=True)
    console.print(Rule())
    console.print(f"The register is in {store.engine.url.render_as_string()}. Try "
                  "`.venv/bin/openpesel --help`.")
    console.print(Rule("5. The web interface"))
    show_web_logins(totp)
    try_these(register, showcase(register))


def show_web_logins(totp: str | None, url: str = "http://127.0.0.1:8000/") -> None:
    """The web address and a login for every role, each with the one demo secret."""
    console = render.console
    console.print(f"Open {url} once the server is up. Every demo login uses the secret "
                  f"{DEMO_SECRET!r}:")
    for name, role in DEMO_PRINCIPALS:
        console.print(f"  {name:<16} {role.value}")
    if totp is not None:
        console.print(f"  {DEMO_RESIDENT:<16} resident; also a one-time code: "
                      f".venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{totp}').now())\"",
                      soft_wrap=True)
