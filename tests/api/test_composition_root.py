"""One composition root (issue 15, item 3): ``openpesel.bootstrap`` builds, the adapters use.

The API and the web pages are two adapters that share only ``openpesel.http``;
the composition root puts them side by side in one server, and the console
reaches that server, its store and its gate through the root alone. Which
package may import which is import-linter's to check (``pyproject.toml``,
run by ``make lint``); these tests check what the contracts cannot say.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from uvicorn.importer import import_from_string

from openpesel.bootstrap import build_gate
from openpesel.bootstrap.asgi import app_from_environment, create_app
from openpesel.config import Settings

SRC = Path(__file__).resolve().parents[2] / "src" / "openpesel"
BUILT_BY_THE_ROOT = {"Gate", "Store", "AuditLog", "Register"}


def test_only_the_composition_root_builds_the_store_the_register_the_log_and_the_gate() -> None:
    built = set()
    for path in sorted(SRC.rglob("*.py")):
        if "bootstrap" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in BUILT_BY_THE_ROOT):
                built.add(f"{path.relative_to(SRC)}:{node.lineno}: {node.func.id}(...)")
    assert not built


def test_a_console_command_does_not_load_the_web_stack() -> None:
    """Importing FastAPI and the pages cost every command about 2 s (issue 13, item 10)."""
    probe = ("import sys, openpesel.cli.app; print(sorted(m for m in sys.modules if m in "
             "('fastapi', 'openpesel.api', 'openpesel.web', 'openpesel.bootstrap.asgi')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_serve_names_the_roots_factory() -> None:
    """``openpesel serve`` hands uvicorn an import string; it must name the root's factory."""
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in (SRC / "cli").glob("*.py")]
    named = {node.value for tree in trees for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and node.value.endswith(":app_from_environment")}
    assert named and all(import_from_string(n) is app_from_environment for n in named)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    gate = build_gate(Settings(data_dir=tmp_path))
    with TestClient(create_app(gate, warm_up=False), follow_redirects=False) as c:
        yield c
    gate.store.dispose()


def test_the_api_reports_the_packages_version(client: TestClient) -> None:
    assert client.get("/openapi.json").json()["info"]["version"] == version("openpesel")


def test_one_server_holds_the_api_and_the_pages_inside_one_edge(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    too_big = client.post("/login", content=b"x" * (2 << 20))
    assert too_big.status_code == 413
    assert too_big.headers["content-type"] == "application/problem+json"
