"""Locust users for ``bench/load_test.py``: a registry office's and a bank's day, mixed.

Proportions per request (weights of the tasks): record lookups 55, name
searches 15, reservation checks by banks 25, birth registrations 5. The
PESELs to look up come from ``OPENPESEL_LOAD_PESELS`` (a file, one a line);
the principals' names and secret from ``OPENPESEL_LOAD_SECRET``.
"""

from __future__ import annotations

import datetime
import itertools
import os
import random
from pathlib import Path

from locust import HttpUser, constant, task

PESELS = Path(os.environ.get("OPENPESEL_LOAD_PESELS", "pesels.txt")).read_text().split()
SECRET = os.environ.get("OPENPESEL_LOAD_SECRET", "")
NAMES = ["Anna Nowak", "Jan Kowalski", "Maria Wiśniewska", "Piotr Wojcik", "Kamińska Maria",
         "Tomasz Lewandowski", "Zielinska Katarzyna", "Piotr Szymański", "Lukasz Wojcik",
         "Ewa Dąbrowska"]
"""A clerk searches by first and family name with the year of birth, as at a counter."""
_births = itertools.count()


def _token(user: HttpUser, name: str) -> str:
    r = user.client.post("/api/v1/auth/token", json={"username": name, "secret": SECRET},
                         name="login")
    return str(r.json()["access_token"])


class Office(HttpUser):
    """A clerk (lookups, searches, births) who also stands for the banks' checks."""

    wait_time = constant(0)  # closed loop: as fast as the server answers

    def on_start(self) -> None:
        self.rng = random.Random()
        self.clerk = {"Authorization": f"Bearer {_token(self, 'load-clerk')}",
                      "X-Purpose": "load test"}
        self.bank = {"Authorization": f"Bearer {_token(self, 'load-bank')}",
                     "X-Purpose": "credit application"}

    @task(55)
    def lookup(self) -> None:
        self.client.get(f"/api/v1/persons/{self.rng.choice(PESELS)}", headers=self.clerk,
                        name="lookup")

    @task(15)
    def search(self) -> None:
        self.client.get("/api/v1/persons", params={"q": self.rng.choice(NAMES),
                                                   "year": self.rng.randint(1940, 2020)},
                        headers=self.clerk, name="search")

    @task(25)
    def reservation_check(self) -> None:
        self.client.get(f"/api/v1/reservations/{self.rng.choice(PESELS)}", headers=self.bank,
                        name="reservation check")

    @task(5)
    def register_birth(self) -> None:
        n = next(_births)
        day = datetime.date(2026, 1, 1) + datetime.timedelta(days=n % 300)
        self.client.post("/api/v1/events", headers=self.clerk, name="birth registration", json={
            "kind": "birth", "document_ref": f"USC/load/{os.getpid()}/{n}", "payload": {
                "first_names": ["Zofia"], "family_name": "Nowak", "sex": self.rng.choice("FM"),
                "birth_date": day.isoformat(), "birth_place": "Kraków"}})
