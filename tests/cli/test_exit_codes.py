"""Exit codes: each means one thing, all are listed (README and --help), and each is produced.

Scripts branch on exit codes, so a code with two meanings (10 was both "held
for an examiner" and "audit log broken"; 3 both "bad number" and a taken port)
makes them lie. The codes live in one table, ``errors.EXIT_MEANINGS``, and each
error class carries its own.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openpesel import errors
from openpesel.cli import app
from openpesel.errors import EXIT_MEANINGS, ExitCode
from openpesel.storage.store import Store

README = Path(__file__).resolve().parents[2] / "README.md"


def run(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"OPENPESEL_DATABASE_URL": url,
                                                      "COLUMNS": "200"})
    return result.exit_code, result.stderr


def test_every_code_has_one_meaning_listed_in_the_readme_and_the_help() -> None:
    assert set(EXIT_MEANINGS) == set(ExitCode)
    assert len(set(EXIT_MEANINGS.values())) == len(EXIT_MEANINGS)
    table = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", README.read_text(encoding="utf-8"),
                            re.M))
    assert table == {str(int(c)): m for c, m in EXIT_MEANINGS.items()}
    shown = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).stdout
    for code, meaning in EXIT_MEANINGS.items():
        assert re.search(rf"\b{int(code)}\s+{re.escape(meaning)}", shown), (code, shown)


@pytest.mark.parametrize(("cls", "code"), [
    (errors.OpenPeselError, 1), (errors.InvalidChecksum, 3), (errors.InvalidDate, 3),
    (errors.PersonNotFound, 4), (errors.InvalidEvent, 5), (errors.InvalidData, 5),
    (errors.RegisterError, 6), (errors.PoolExhausted, 6), (errors.NotInitialised, 7),
    (errors.StorageFull, 8), (errors.StorageUnavailable, 8), (errors.ConcurrencyConflict, 8),
    (errors.ImportFailed, 9), (errors.CannotServe, 13),
])
def test_each_error_class_carries_its_code(cls: type[errors.OpenPeselError], code: int) -> None:
    assert cls.exit_code == code


def test_codes_from_the_command_line(store: Store, store_url: str, tmp_path: Path) -> None:
    assert run(store_url, "show", "--no-such-option")[0] == ExitCode.USAGE
    assert run(store_url, "show", "44051401358")[0] == ExitCode.BAD_NUMBER
    assert run(store_url, "show", "44051401359")[0] == ExitCode.UNKNOWN_PERSON
    assert run(store_url, "record", "birth", "-d", "X", "-f", "sex=Q")[0] == ExitCode.INVALID_INPUT
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    assert run(store_url, "record", "--file", str(bad))[0] == ExitCode.IMPORT_REFUSED
    fresh = f"sqlite:///{tmp_path / 'never-initialised.sqlite'}"
    assert run(fresh, "show", "44051401359")[0] == ExitCode.NOT_INITIALISED


def test_a_taken_port_is_not_a_bad_number(store: Store, store_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, err = run(store_url, "serve", "--port", str(port))
    assert code == ExitCode.CANNOT_SERVE
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "--port" in err
