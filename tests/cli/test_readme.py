"""The README, literally: every command of its ```sh blocks runs against a demo register.

A README that a new user types in and that fails is worse than none, so this
test reads the README's own command blocks, fills in the values the demo
prints (``PESEL``, ``OTHER``, ``KNOWN_AT``; ``CASE`` from ``cases list``), and
runs each command with bash from a directory laid out like the repository
(``.venv/bin/openpesel``, ``data/``) holding a small demo register. Only the
changes listed in ``SKIPPED`` and ``SMALLER`` are made, each with its reason.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
SECRET = "readme-secret-2026"

SKIPPED = {
    "make demo": "the set-up itself: the fixture builds the same demo register with "
                 "`openpesel demo --size 120 --no-serve`, which is what `make demo` runs",
    "make test": "the set-up itself: it runs this test",
}
"""Commands (by a piece of their text) not run, and why."""

SMALLER = {
    "--size 1000000": ("--size 2000", "a million residents take minutes to load; the same "
                       "command with fewer"),
    "--size 1000 ": ("--size 100 ", "fewer synthetic life histories, to keep the test short"),
}
"""Text replaced before running, and why: the same command, smaller."""

EXIT_CODES = {"fingerprints register": 10}
"""Commands the README says end with a non-zero code (a registration held: exit 10)."""


def blocks() -> list[list[str]]:
    """Each ```sh block of the README as its commands, continuation lines joined."""
    found = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    out = []
    for block in found:
        commands, pending = [], ""
        for line in block.splitlines():
            pending += line
            if line.endswith("\\"):
                pending = pending[:-1] + " "
                continue
            if pending.strip():
                commands.append(pending.strip())
            pending = ""
        out.append(commands)
    return out


def block_with(text: str) -> list[str]:
    """The README block holding a command that contains ``text``."""
    return next(b for b in blocks() if any(text in c for c in b))


@dataclass
class Demo:
    """A directory laid out like the repository, with a demo register in ``data/``."""

    root: Path
    values: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENPESEL_")}
        return env | {"COLUMNS": "200", "NO_COLOR": "1"}

    def fill(self, command: str) -> str:
        for old, (new, _) in SMALLER.items():
            command = command.replace(old, new)
        if re.search(r"\bCASE\b", command) and "CASE" not in self.values:
            listed = self.run(".venv/bin/openpesel cases list --json")
            self.values["CASE"] = json.loads(listed)[0]["case_id"]
        command = command.replace("YOUR SECRET", SECRET)
        for word, value in self.values.items():
            command = re.sub(rf"\b{word}\b", value, command)
        return command

    def run(self, command: str, code: int = 0) -> str:
        done = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=self.root,
                              env=self.env, input=SECRET + "\n", capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == code, (command, done.returncode, done.stdout[-2000:],
                                         done.stderr[-2000:])
        return done.stdout

    def typed(self, command: str) -> str:
        """Run a README command as printed (filled in), unless it is listed as skipped."""
        if any(text in command for text in SKIPPED):
            return ""
        code = next((c for text, c in EXIT_CODES.items() if text in command), 0)
        return self.run(self.fill(command), code)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    root = tmp_path_factory.mktemp("repo")
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "bin" / "openpesel").symlink_to(Path(sys.executable).parent / "openpesel")
    made = Demo(root)
    out = made.run(".venv/bin/openpesel demo --size 120 --no-serve")
    made.values = dict(re.findall(r"^\s+(PESEL|OTHER|KNOWN_AT)\s+(\S+)", out, re.M))
    assert set(made.values) == {"PESEL", "OTHER", "KNOWN_AT"}, out[-2000:]
    return made


def test_the_register_block_runs_as_printed(demo: Demo) -> None:
    outputs = {c: demo.typed(c) for c in block_with("openpesel validate")}
    found = next(out for c, out in outputs.items() if "search" in c)
    assert "Łukasz Wójcik" in found and demo.values["PESEL"] in found
    shown = next(out for c, out in outputs.items() if "--known-at" in c)
    assert "Łukasz Wójcik" in shown


def test_the_set_up_block_is_the_only_one_skipped() -> None:
    skipped = [c for b in blocks() for c in b if any(text in c for text in SKIPPED)]
    assert skipped and all(c.startswith("make ") for c in skipped)


def test_the_fingerprint_block_runs_as_printed(demo: Demo) -> None:
    for command in block_with("fingerprints enrol"):
        demo.typed(command)
    decided = demo.run(".venv/bin/openpesel cases list --all --json")
    assert json.loads(decided)[0]["status"] != "open"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(demo: Demo) -> Iterator[int]:
    """The README's `serve` line, on a free port instead of 8001, in the background."""
    port = _free_port()
    line = next(c for c in block_with("users add") if "openpesel serve" in c)
    command = demo.fill(line.split("#")[0]).replace("8001", str(port))
    proc = subprocess.Popen(shlex.split(command), cwd=demo.root, env=demo.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, "the server stopped"
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_api_blocks_run_as_printed(demo: Demo, server: int) -> None:
    for command in block_with("users add"):
        if "openpesel serve" not in command:  # the server fixture runs it
            demo.typed(command)
    curl = block_with("curl")
    script = "\n".join(demo.fill(c).replace("8001", str(server)) for c in curl)
    answer = json.loads(demo.run(script))
    assert answer["pesel"] == demo.values["PESEL"]
