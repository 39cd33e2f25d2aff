"""What a user types and reads: documented inputs, errors in plain words, no tracebacks.

Issue 13 (items 5 and 6) and issue 14 (item 8, the command line's part): the
JSONL format of ``record --file``, the forms ``kinds`` shows, the secret asked
once from a pipe, a mistyped kind answered with the nearest, a bad PESEL or
date named by its field, ``populate`` reporting, ``identify`` as a table, and
deeply nested JSON refused in one line with the documented code.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from openpesel.cli import app
from openpesel.cli.app import JSONL_EXAMPLE
from openpesel.errors import ExitCode
from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.support.office import count_events

ROOT = Path(__file__).resolve().parents[2]
DEEP = "[" * 100_000 + "]" * 100_000


class Cli:
    def __init__(self, url: str) -> None:
        self.env = {"OPENPESEL_DATABASE_URL": url, "COLUMNS": "200"}

    def __call__(self, *args: str, code: int = 0, stdin: str | None = None) -> str:
        result = CliRunner().invoke(app, list(args), env=self.env, input=stdin)
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return result.stdout if code == 0 else result.stderr


@pytest.fixture
def cli(store: Store, store_url: str) -> Cli:
    return Cli(store_url)


def one_line(err: str) -> str:
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    return err


def test_the_documented_jsonl_line_records_as_shown(cli: Cli, store: Store,
                                                    tmp_path: Path) -> None:
    assert JSONL_EXAMPLE in cli("record", "--help")
    assert JSONL_EXAMPLE in (ROOT / "README.md").read_text(encoding="utf-8")
    events = tmp_path / "events.jsonl"
    events.write_text(JSONL_EXAMPLE + "\n", encoding="utf-8")
    assert "recorded #1 for PESEL" in cli("record", "--file", str(events))
    assert count_events(Register(store)) == 1


@pytest.mark.parametrize("where", ["record", "import"])
def test_deeply_nested_json_is_one_line_with_the_import_code(
        cli: Cli, store: Store, tmp_path: Path, where: str) -> None:
    hostile = tmp_path / "deep.jsonl"
    payload = json.dumps({"kind": "birth", "authority": "USC", "document_ref": "X",
                          "payload": {"first_names": ["A"]}})
    for text in (DEEP, payload.replace('["A"]', "[" * 5000 + "]" * 5000)):
        hostile.write_text(text + "\n")
        args = ["record", "--file", str(hostile)] if where == "record" else ["import",
                                                                              str(hostile)]
        err = one_line(cli(*args, code=ExitCode.IMPORT_REFUSED))
        assert "line 1: " in err and "nested too deeply" in err
    assert count_events(Register(store)) == 0


def test_deeply_nested_data_option_is_one_line(cli: Cli) -> None:
    err = one_line(cli("record", "birth", "-d", "X", "--data", DEEP,
                       code=ExitCode.INVALID_INPUT))
    assert "nested too deeply" in err


def test_a_mistyped_kind_gets_the_nearest_not_all_27(cli: Cli) -> None:
    err = one_line(cli("record", "marryed", "-p", "44051401359", "-d", "X",
                       code=ExitCode.INVALID_INPUT))
    assert "did you mean married?" in err and "citizenship_lost" not in err
    far = one_line(cli("record", "zzz", "-d", "X", code=ExitCode.INVALID_INPUT))
    assert "openpesel kinds" in far


def _birth(cli: Cli, **more: str) -> str:
    fields = {"first_names": "Jan", "family_name": "Nowak", "sex": "M",
              "birth_date": "1980-01-01", "birth_place": "Opole"} | more
    args = [a for k, v in fields.items() for a in ("-f", f"{k}={v}")]
    out = json.loads(cli("record", "birth", "-d", "USC/1", *args, "--json"))
    return str(out[0]["pesel"])


def test_a_bad_pesel_names_its_field(cli: Cli, store: Store) -> None:
    person = _birth(cli)
    err = one_line(cli("record", "married", "-p", person, "-d", "X",
                       "-f", "spouse_pesel=44051401358", code=ExitCode.BAD_NUMBER))
    assert "spouse_pesel" in err and "44051401358" in err and "check digit" in err
    err = one_line(cli("record", "birth", "-d", "X", "-f", "first_names=A", "-f",
                       "family_name=B", "-f", "sex=F", "-f", "birth_date=2001-01-01", "-f",
                       "birth_place=Opole", "-f", "mother_pesel=123", code=ExitCode.BAD_NUMBER))
    assert "mother_pesel" in err
    assert count_events(Register(store)) == 1


@pytest.mark.parametrize("date", ["1980-1x-01", "1980-02-30", "yesterday"])
def test_date_errors_are_plain_words_naming_the_field(cli: Cli, store: Store, tmp_path: Path,
                                                      date: str) -> None:
    err = one_line(cli("record", "birth", "-d", "X", "-f", "first_names=A", "-f",
                       "family_name=B", "-f", "sex=F", "-f", f"birth_date={date}", "-f",
                       "birth_place=Opole", code=ExitCode.INVALID_INPUT))
    assert "birth_date" in err and "YYYY-MM-DD" in err and date in err
    assert "invalid character" not in err and "Input should be" not in err
    line: dict[str, Any] = json.loads(JSONL_EXAMPLE) | {"effective_date": date}
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(line) + "\n")
    err = one_line(cli("record", "--file", str(events), code=ExitCode.IMPORT_REFUSED))
    assert "effective_date" in err and "YYYY-MM-DD" in err and "Input should be" not in err


def test_kinds_shows_each_fields_form_and_allowed_values(cli: Cli) -> None:
    shown = cli("kinds")
    for form in ("sex: F|M", "birth_date: YYYY-MM-DD", "residence: permanent|temporary",
                 "status: UKR|permanent_residence", "spouse_pesel?: PESEL"):
        assert form in shown, form
    listed = json.loads(cli("kinds", "--json"))
    birth = next(k for k in listed if k["kind"] == "birth")
    assert birth["fields"]["sex"] == {"form": "F|M", "required": True}
    assert "sex" in birth["required"] and "mother_pesel" in birth["optional"]


def test_users_add_reads_the_secret_once_from_a_pipe(cli: Cli, store: Store) -> None:
    out = cli("users", "add", "root", "--role", "admin", stdin="a long enough secret\n")
    assert "created admin root" in out
    assert "one-time code" in cli("users", "add", "--help")


def test_populate_says_what_it_added(cli: Cli) -> None:
    out = cli("populate", "--size", "20", "--seed", "3")
    assert "Added 20 synthetic residents" in out


def test_identify_prints_a_table(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                 tmp_path: Path) -> None:
    import importlib
    from types import SimpleNamespace

    cases = importlib.import_module("openpesel.cli.cases")
    finger = SimpleNamespace(finger=2, score=997.2)
    found = [SimpleNamespace(key="44051401359", score=997.2, rank=1, fingers=[finger])]
    gate = SimpleNamespace(identify=lambda *_: found)
    monkeypatch.setattr(cases, "operator", lambda: (gate, None))
    monkeypatch.setattr(cases, "read_scans", lambda *_: [])
    scan = tmp_path / "probe.png"
    scan.write_bytes(b"not read by the stub")
    out = cli("fingerprints", "identify", "--scan", f"2={scan}")
    assert "{" not in out and "score by finger" in out and "finger 2: 997" in out


def test_the_license_is_an_spdx_string() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"
    assert "setuptools>=77" in project["build-system"]["requires"]


def test_readme_commands_write_only_under_data() -> None:
    from tests.cli.test_readme import blocks

    commands = [c.split("  #")[0] for b in blocks() for c in b if not c.startswith("make ")]
    written = [w for c in commands for w in re.findall(r"(?:\bbackup|\s-o|\bsynth|>) (\S+)", c)]
    assert written and all(w.startswith("data/") for w in written), written
