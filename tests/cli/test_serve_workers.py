"""``openpesel serve``'s workers: several on PostgreSQL (one per core by default), one on SQLite."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from openpesel.cli.app import app
from openpesel.cli.serve import worker_count
from openpesel.errors import ExitCode
from tests.conftest import fresh_postgres
from tests.support.live import free_port

pytestmark = pytest.mark.server


def test_postgres_gets_a_worker_per_core_and_sqlite_one() -> None:
    assert worker_count("postgresql", None) == os.cpu_count()
    assert worker_count("postgresql", 3) == 3
    assert worker_count("sqlite", None) == worker_count("sqlite", 1) == 1


def test_several_workers_on_sqlite_are_refused_with_one_clear_line(tmp_path: Path) -> None:
    env = {"OPENPESEL_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    result = runner.invoke(app, ["serve", "--workers", "2", "--port", str(free_port())], env=env)
    assert result.exit_code == ExitCode.CANNOT_SERVE
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "SQLite" in result.stderr and "one writer" in result.stderr


def test_serve_on_postgres_runs_several_workers_that_answer(pg_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "OPENPESEL_DATA_DIR": str(tmp_path),
           "OPENPESEL_DATABASE_URL": fresh_postgres(pg_url)}
    exe = str(Path(sys.executable).with_name("openpesel"))
    subprocess.run([exe, "init"], env=env, check=True, capture_output=True)
    port, log = free_port(), tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([exe, "serve", "--workers", "2", "--port", str(port)],
                                  env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        answered = 0
        while answered < 20:  # several answers: any worker may take each connection
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/persons/44051401359", timeout=2)
                assert r.status_code == 401  # the API, refusing an anonymous caller
                answered += 1
            except httpx.HTTPError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        workers = set(re.findall(r"Started server process \[(\d+)\]", log.read_text()))
        assert len(workers) == 2, log.read_text()
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        assert workers <= set(children)  # worker processes of the one `openpesel serve`
    finally:
        server.terminate()
        server.wait(20)


def test_serve_logs_no_line_per_request_unless_asked(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    asked: list[bool] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_a, **kw: asked.append(kw["access_log"]))
    env = {"OPENPESEL_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    for flags in ([], ["--access-log"]):
        result = runner.invoke(app, ["serve", "--port", str(free_port()), *flags], env=env)
        assert result.exit_code == 0, result.output
    assert asked == [False, True]
