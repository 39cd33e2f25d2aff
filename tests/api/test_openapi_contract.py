"""The OpenAPI document says what the server does (issue 13, item 11).

The main test runs the schemathesis command, as an outsider would, against a live
uvicorn server on each store with ``--checks all``: positive data must be accepted,
negative data refused, undeclared methods answered 405, and every status, header and
body must be the documented one. ``tests/support/openapi_hooks.py`` teaches it the ``pesel``
format; ``tests/support/openapi_contract.toml`` holds its one allowance.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpesel.bootstrap import build_gate
from openpesel.bootstrap.asgi import create_app
from openpesel.config import Settings
from openpesel.registry.service import Register
from tests.support.fuzzing import examples
from tests.support.live import Live, live_server
from tests.support.office import born

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = examples(20)
"""Per operation and phase; OPENPESEL_FUZZ_EXAMPLES raises it for a longer run."""


@pytest.fixture
def document(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    with TestClient(create_app(build_gate(Settings(data_dir=tmp_path)))) as client:
        yield client, client.get("/openapi.json").json()


def _parameters(doc: dict[str, Any], name: str) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{method.upper()} {path}", p["schema"]) for path, ops in doc["paths"].items()
            for method, op in ops.items() for p in op.get("parameters", [])
            if p["name"] == name]


def test_undeclared_methods_are_405_with_allow(
        document: tuple[TestClient, dict[str, Any]]) -> None:
    client, _ = document
    for method, path, allow in [("TRACE", "/api/v1/abis", "POST"),
                                ("DELETE", "/api/v1/persons/44051401359", "GET"),
                                ("PUT", "/api/v1/users", "GET, POST"),
                                ("QUERY", "/api/v1/event-kinds", "GET")]:
        r = client.request(method, path)
        assert r.status_code == 405, (method, path, r.status_code)
        assert r.headers["allow"] == allow
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"] == "/problems/method-not-allowed"
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.json()["type"] == "/problems/not-found"


def test_the_document_states_the_servers_rules(
        document: tuple[TestClient, dict[str, Any]]) -> None:
    _, doc = document
    pesels = _parameters(doc, "pesel")
    assert len(pesels) >= 8
    for where, schema in pesels:
        assert schema.get("pattern") == r"^\d{11}$" and schema.get("format") == "pesel", where
    for where, schema in _parameters(doc, "finger"):
        schema = next((s for s in schema.get("anyOf", []) if s.get("type") != "null"), schema)
        assert (schema.get("minimum"), schema.get("maximum")) == (1, 10), where
    q = dict(_parameters(doc, "q"))["GET /api/v1/persons"]
    assert "pattern" in q and len(q["anyOf"]) == 2  # a name, or a PESEL
    body = doc["paths"]["/api/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["discriminator"]["propertyName"] == "kind"
    married = doc["components"]["schemas"]["MarriedEvent"]
    assert married["properties"]["payload"] == {"$ref": "#/components/schemas/Married"}
    assert "pesel" in married["required"]
    schemas = doc["components"]["schemas"]
    for path in ("/api/v1/identification", "/api/v1/persons/{pesel}/fingerprints"):
        ref = doc["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]
        form = schemas[ref["schema"]["$ref"].rsplit("/", 1)[1]]
        assert {"fingers", "scans"} <= set(form["required"])
        assert form["properties"]["fingers"]["items"] == {
            "type": "integer", "minimum": 1, "maximum": 10,
            "description": "ANSI/NIST-ITL finger position"}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for status in ("400", "401", "403", "404", "409", "413", "422", "429"):
                content = op["responses"].get(status, {}).get("content", {})
                assert "application/problem+json" in content, (method, path, status)


@pytest.fixture
def served(register: Register, tmp_path: Path) -> Iterator[Live]:
    born(register, "Zofia", "Wójcik", "F", "1990-01-01")
    with live_server(register, Settings(data_dir=tmp_path / "data"), rate=1e6,
                     burst=1_000_000) as server:
        yield server


def test_schemathesis_checks_all_against_the_live_server(served: Live, tmp_path: Path
                                                         ) -> None:
    """Every phase (examples, coverage, fuzzing, stateful), every check, seed 4242."""
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file", str(ROOT / "tests" / "support" / "openapi_contract.toml"),
        "run", served.url + "/openapi.json", "--checks", "all", "--seed", "4242",
        "--max-examples", str(EXAMPLES), "--workers", "1", "--no-color",
        "-H", f"Authorization: Bearer {served.token('usc_registrar')}",
        "-H", "X-Purpose: contract test",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.support.openapi_hooks",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                       os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-20_000:] + done.stderr[-5_000:]
