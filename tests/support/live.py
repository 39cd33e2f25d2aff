"""A real uvicorn server on 127.0.0.1 for API tests, with principals for every role."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn
from sqlalchemy import delete

from openpesel.access.credentials import totp_now
from openpesel.access.gate import Gate, console
from openpesel.access.policy import BOUND_ROLES, Role
from openpesel.bootstrap import build_gate
from openpesel.bootstrap.asgi import create_app
from openpesel.config import Settings
from openpesel.registry.service import Register
from openpesel.storage.auth_tables import totp_steps

SECRET = "correct horse battery"


def totp_code(gate: Gate, name: str, secret: str) -> str:
    """A code the next login of ``name`` accepts, even within the step its last login used.

    A code is good once (RFC 6238 §5.2), and tests log a resident in more often
    than every 30 seconds, so the step the last login used is forgotten first.
    """
    with gate.store.write() as s:
        s.conn.execute(delete(totp_steps).where(totp_steps.c.principal == name))
    return totp_now(secret, gate.clock())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    url: str
    gate: Gate
    totp: dict[str, str] = field(default_factory=dict)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url + "/api/v1", timeout=30)

    def token(self, name: str) -> str:
        body = {"username": name, "secret": SECRET}
        if name in self.totp:
            body["totp"] = totp_code(self.gate, name, self.totp[name])
        with self.client() as c:
            r = c.post("/auth/token", json=body)
            assert r.status_code == 200, r.text
            return str(r.json()["access_token"])

    def as_(self, name: str, purpose: str | None = "API tests", **headers: str) -> httpx.Client:
        c = self.client()
        c.headers["Authorization"] = f"Bearer {self.token(name)}"
        if purpose:
            c.headers["X-Purpose"] = purpose
        c.headers.update(headers)
        return c


@contextmanager
def live_server(register: Register, settings: Settings, rate: float = 500.0,
                burst: int = 1000) -> Iterator[Live]:
    gate = build_gate(settings, register)
    for role in Role:
        if role not in BOUND_ROLES:  # tied to a person: a test adds its own
            gate.add_principal(console("test set-up"), role.value, role, SECRET)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(gate, rate, burst), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield Live(f"http://127.0.0.1:{port}", gate)
    finally:
        server.should_exit = True
        thread.join(10)
