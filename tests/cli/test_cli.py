"""The command line: happy paths, and every error path gives one clear line and writes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openpesel.access.policy import BOUND_ROLES, Role
from openpesel.cli import app
from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.conftest import fresh_postgres
from tests.support.office import count_events


class Cli:
    def __init__(self, url: str) -> None:
        self.runner = CliRunner()
        self.env = {"OPENPESEL_DATABASE_URL": url, "COLUMNS": "200"}

    def __call__(self, *args: str, code: int = 0) -> str:
        result = self.runner.invoke(app, list(args), env=self.env)
        assert result.exit_code == code, (result.stdout, result.stderr)
        return result.stdout if code == 0 else result.stderr

    def json(self, *args: str) -> object:
        return json.loads(self(*args, "--json"))


@pytest.fixture
def cli(store: Store, store_url: str) -> Cli:
    return Cli(store_url)


def _birth(cli: Cli, first: str, family: str, sex: str, on: str, *more: str) -> str:
    out = cli.json("record", "birth", "-d", f"USC/{first}", "-f", f"first_names={first}",
                   "-f", f"family_name={family}", "-f", f"sex={sex}", "-f", f"birth_date={on}",
                   "-f", "birth_place=Gdańsk", *more)
    assert isinstance(out, list)
    return str(out[0]["pesel"])


def test_validate_decodes_and_refuses(cli: Cli) -> None:
    assert "born 1944-05-14, sex M" in cli("validate", "44051401359")
    err = cli("validate", "44051401358", code=3)
    assert err.strip().splitlines() == [
        "error: 44051401358: The check digit (the 11th digit) does not match; "
        "the number was probably mistyped."]


def test_a_clerks_session(cli: Cli, store: Store) -> None:
    mother = _birth(cli, "Zofia", "Wiśniewska", "F", "1970-02-02")
    child = _birth(cli, "Łucja", "Wiśniewska", "F", "1999-12-31", "-f", f"mother_pesel={mother}")
    cli("record", "residence-registered", "-p", child, "-a", "GMINA", "-d", "UM/1",
        "--effective", "2000-01-15", "-f", "residence=permanent", "-f", "teryt=2261011",
        "-f", "address=ul. Długa 1, Gdańsk")
    cli("record", "name-changed", "-p", child, "-d", "USC/N/1", "--effective", "2020-01-01",
        "-f", "first_names=Lucyna,Maria")

    shown = cli.json("show", child)
    assert isinstance(shown, dict)
    assert shown["first_names"] == ["Lucyna", "Maria"]
    assert shown["links"][0]["relation"] == "mother"
    then = cli.json("show", child, "--as-of", "2010-01-01")
    assert isinstance(then, dict) and then["first_names"] == ["Łucja"]
    assert "Łucja Wiśniewska" in cli("show", child, "--as-of", "2010-01-01")
    history = cli.json("history", child)
    assert isinstance(history, list)
    assert [e["kind"] for e in history] == ["birth", "residence_registered", "name_changed"]
    found = cli.json("search", "Lucyna Wisniewska")
    assert isinstance(found, list) and found[0]["pesel"] == child
    assert "rebuilt the projections of 2 people" in cli("rebuild-projections")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["show", "4405140135"], 3, "exactly 11 digits; this one has 10"),
        (["show", "44051401359"], 4, "No person with PESEL 44051401359"),
        (["record", "died", "-p", "44051401359", "-d", "X"], 4, "No person with PESEL"),
        (["record", "married", "-p", "{p}", "-d", "X", "-f", "spouse_pesel={p}"], 6,
         "cannot marry themselves"),
        (["record", "died", "-p", "{p}", "-d", "X", "--effective", "1900-01-01"], 6,
         "before the birth"),
        (["record", "birth", "-d", "X", "-f", "sex=Q"], 5, "birth: "),
        (["record", "divorce", "-p", "{p}", "-d", "X"], 5, "Unknown event kind 'divorce'"),
        (["record", "died", "-p", "{p}", "-a", "GMINA", "-d", "X"], 6, "GMINA may not record died"),
        (["search", "Nowak", "--teryt", "abc"], 5, "TERYT"),
    ],
)
def test_errors_are_one_clear_line_and_change_nothing(
        cli: Cli, store: Store, args: list[str], code: int, message: str) -> None:
    person = _birth(cli, "Jan", "Nowak", "M", "1950-01-01")
    before = count_events(Register(store))
    err = cli(*[a.replace("{p}", person) for a in args], code=code)
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    assert message in err
    assert count_events(Register(store)) == before


def test_a_jsonl_file_of_events_is_all_or_nothing(cli: Cli, store: Store, tmp_path: Path) -> None:
    good = {"kind": "birth", "authority": "USC", "document_ref": "USC/1",
            "payload": {"first_names": ["Ala"], "family_name": "Kot", "sex": "F",
                        "birth_date": "2001-01-01", "birth_place": "Opole"}}
    bad = dict(good, payload=dict(good["payload"], birth_date="2001-02-30"))  # type: ignore[arg-type]
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(json.dumps(x) for x in (good, good, bad)) + "\n")
    err = cli("record", "--file", str(events), code=9)
    assert err.startswith("error: line 3: ") and "birth_date" in err
    assert count_events(Register(store)) == 0
    events.write_text(json.dumps(good) + "\n{not json\n")
    assert "line 2: not valid JSON" in cli("record", "--file", str(events), code=9)
    link = {"kind": "identity_linked", "authority": "MINISTER", "document_ref": "CASE/1",
            "payload": {"case_id": "00000000-0000-4000-8000-000000000001", "role": "survivor",
                        "comment": "typed in by hand"}}
    events.write_text(json.dumps(good) + "\n" + json.dumps(link) + "\n")
    err = cli("record", "--file", str(events), code=9)
    assert "line 2: " in err and "examiner's decision" in err
    assert count_events(Register(store)) == 0
    events.write_text(json.dumps(good) + "\n")
    assert "recorded #" in cli("record", "--file", str(events))
    assert count_events(Register(store)) == 1


def test_export_then_import_into_a_new_register(cli: Cli, store_url: str, tmp_path: Path) -> None:
    pesel = _birth(cli, "Ala", "Kot", "F", "2001-01-01")
    dump = tmp_path / "log.jsonl"
    cli("export", "-o", str(dump))
    url = (f"sqlite:///{tmp_path / 'other.sqlite'}" if store_url.startswith("sqlite")
           else fresh_postgres(store_url))
    other = Cli(url)
    other("init")
    assert "imported 1 events" in other("import", str(dump))
    assert other.json("show", pesel) == cli.json("show", pesel)
    err = other("import", str(dump), code=9)
    assert err.startswith("error: An import only fills an empty register")
    assert "Cannot read" in other("import", str(tmp_path / "missing.jsonl"), code=5)


def test_an_uninitialised_register_says_what_to_do(tmp_path: Path) -> None:
    cli = Cli(f"sqlite:///{tmp_path / 'none.sqlite'}")
    assert "run `openpesel init` first" in cli("show", "44051401359", code=7)


def test_the_installed_command_runs(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("openpesel")
    out = subprocess.run([str(exe), "validate", "--json", "44051401359"], capture_output=True,
                         text=True, check=True, env={"OPENPESEL_DATA_DIR": str(tmp_path)})
    assert json.loads(out.stdout)[0]["sex"] == "M"


def test_users_and_the_audit_log_from_the_command_line(cli: Cli, store: Store, tmp_path: Path
                                                       ) -> None:
    cli.env["OPENPESEL_DATA_DIR"] = str(tmp_path)
    cli.env["OPENPESEL_SECRET"] = "a long enough secret"
    assert "created admin root" in cli("users", "add", "root", "--role", "admin")
    pesel = _birth(cli, "Ala", "Kot", "F", "1990-01-01")
    out = cli("users", "add", "ala", "--role", "resident", "--pesel", pesel)
    assert "TOTP secret" in out
    err = cli("users", "add", "bob", "--role", "resident", code=6)
    assert "needs their PESEL" in err
    listed = cli.json("users", "list")
    assert isinstance(listed, list) and {u["name"] for u in listed} == {"root", "ala"}
    head = json.loads(cli("audit", "head"))
    assert head["tree_size"] >= 1
    assert "audit log verified" in cli("audit", "verify")
    with store.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_entries_no_delete")
        else:
            conn.exec_driver_sql("SET session_replication_role = replica")
        conn.exec_driver_sql("DELETE FROM audit_entries WHERE idx = 0")
    err = cli("audit", "verify", code=11)
    assert err.startswith("error: ") and "0" in err
    assert "deactivated ala" in cli("users", "deactivate", "ala")


def test_the_demo_builds_a_register_and_tours_it(tmp_path: Path) -> None:
    cli = Cli(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    cli.env["OPENPESEL_DATA_DIR"] = str(tmp_path)
    out = cli("demo", "--size", "150", "--no-serve")
    assert "Built a register of 150 synthetic residents" in out
    for section in ("1. Validate a number", "2. A person and their history", "3. Search",
                    "4. The API", "5. The web interface"):
        assert section in out
    web = out.split("5. The web interface")[1]  # it ends the tour: the URL, a login per role
    assert "http://127.0.0.1:8000/" in web and "pyotp.TOTP(" in web
    assert all(role.value in web for role in Role
               if role is not Role.OPERATOR and role not in BOUND_ROLES - {Role.RESIDENT})
    again = cli("demo", "--size", "150", "--no-serve")
    assert "already holds 152 people" in again  # the 150, and the README's PESEL and OTHER
    assert web.split("TOTP(")[1][:34] == again.split("TOTP(")[1][:34]  # the same resident


def test_serve_starts_the_api(tmp_path: Path) -> None:
    """The README's `openpesel serve`: a real process answering on 127.0.0.1."""
    import time

    import httpx

    from tests.support.live import free_port

    env = {**os.environ, "OPENPESEL_DATA_DIR": str(tmp_path)}
    exe = str(Path(sys.executable).with_name("openpesel"))
    subprocess.run([exe, "init"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([exe, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                spec = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2).json()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)
        assert spec["openapi"].startswith("3.1") and "/api/v1/persons/{pesel}" in spec["paths"]
        denied = httpx.get(f"http://127.0.0.1:{port}/api/v1/persons/44051401359")
        assert denied.status_code == 401
    finally:
        server.terminate()
        server.wait(10)
